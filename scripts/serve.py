"""`make run`: gunicorn in the foreground, with the embedded SecantusDB when no database is configured or up, and the
events relay beside it (RELAY=off: without), started and stopped with it.

Its own lines are log lines in the service's format (JSON when not on a terminal, as gunicorn's), SecantusDB's too. It
takes the terminal's foreground for itself and gunicorn, so that Ctrl-C stops them (exit 0) and does not reach make
(which would report "*** Interrupt"). When the embedded database dies under it, it stops the service and exits 1,
saying so: a service whose database is gone answers only 503s, and a silent restart could hide lost writes.
"""
import contextlib
import logging
import logging.config
import os
import signal
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

from pymongo.errors import PyMongoError

import config
from app import logs
from app.bootstrap import bootstrap
from app.cli.progress import Shown
from app.domain.exceptions import UpgradeBlocked
from scripts.embedded_db import EmbeddedDatabase, answers

log = logging.getLogger("app.serve")
DATABASE_DIED = 1
# How often the embedded database is looked at while the service runs.
WATCH_SECONDS = 0.5


def main():
    settings = configured()
    terminal = Terminal.take()
    database = embedded_database()
    try:
        upgrade_database()
    except config.ConfigurationInvalid as error:
        stop(database, terminal)
        sys.exit(f"provisioning: configuration: {error}")
    relay = Relay() if settings["RELAY"] == "on" else None
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"])
    stopping = threading.Event()

    def ask_to_stop(number, _frame):
        stopping.set()
        server.send_signal(signal.SIGTERM if number == signal.SIGTERM else signal.SIGINT)
        if relay:
            relay.stop()

    signal.signal(signal.SIGTERM, ask_to_stop)
    signal.signal(signal.SIGINT, ask_to_stop)
    died = watch(database, server, relay, stopping)
    status = server.wait()
    if relay:
        relay.stop()
        relay.wait()
    stop(database, terminal)
    if died is not None:
        log.error("the embedded SecantusDB stopped (exit status %s) while the service ran: stopped the service too; "
                  "make run again starts both", died)
        sys.exit(DATABASE_DIED)
    # Stopped by Ctrl-C or SIGTERM as asked: a clean stop, whatever gunicorn's status for it.
    sys.exit(0 if stopping.is_set() else status)


class Relay:
    """The events relay (`provisioning events relay`) as a child of this script: started with gunicorn, started again
    when it ends on its own (it resumes where its last events were written; at most once per RESTART_SECONDS, so a
    relay that cannot start does not spin), stopped with gunicorn."""

    RESTART_SECONDS = 5.0

    def __init__(self):
        self.process = self.start()

    def start(self):
        self.started = time.monotonic()
        return subprocess.Popen([sys.executable, "-m", "app.cli", "events", "relay"])

    def keep_running(self):
        if self.process.poll() is not None and time.monotonic() - self.started >= self.RESTART_SECONDS:
            log.warning("the events relay ended (exit status %s): started it again", self.process.returncode)
            self.process = self.start()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()

    def wait(self):
        self.process.wait()


def configured():
    """The settings, and the log lines of this script in the service's format (the configuration checked first)."""
    try:
        settings = config.from_environment()
    except config.ConfigurationInvalid as error:
        sys.exit(f"provisioning: configuration: {error}")
    log_format = logs.chosen_format(settings["LOG_FORMAT"], settings["DEPLOYMENT"], sys.stderr)
    logging.config.dictConfig(logs.logging_config(log_format, settings["LOG_LEVEL"]))
    return settings


def embedded_database():
    """The embedded SecantusDB, started when MONGODB_URI is unset and nothing answers at its address (None when a
    database is configured or already answers there). EMBEDDED_DB_PORT and EMBEDDED_DB_PATH give it a port and a
    folder of its own (a second make run beside the first)."""
    if os.environ.get("MONGODB_URI"):
        return None
    address = urlsplit(config.DEFAULT_MONGODB_URI)
    port = int(os.environ.get("EMBEDDED_DB_PORT") or address.port)
    os.environ["MONGODB_URI"] = config.DEFAULT_MONGODB_URI.replace(f":{address.port}/", f":{port}/")
    if answers(address.hostname, port):
        log.info("a database answers at %s:%s: using it", address.hostname, port)
        return None
    storage_path = os.environ.get("EMBEDDED_DB_PATH") or os.path.join("var", "db")
    try:
        # Acknowledged writes are durable (--sync-on-commit): what the service answered 201 for survives a crash.
        database = EmbeddedDatabase("--sync-on-commit", host=address.hostname, port=port, storage_path=storage_path,
                                    stderr=subprocess.PIPE).start()
    except RuntimeError as error:
        sys.exit(str(error))
    threading.Thread(target=relay, args=(database.process.stderr,), name="secantus-log", daemon=True).start()
    log.info("no MongoDB answered at %s:%s: started the embedded SecantusDB there, data in %s/ (kept across restarts); "
             "set MONGODB_URI to use another server", address.hostname, port, storage_path,
             extra={"pid": database.process.pid})
    return database


def relay(stream):
    """SecantusDB's own lines, as log lines of the service's format."""
    secantus = logging.getLogger("secantus")
    for line in iter(stream.readline, b""):
        secantus.warning(line.decode(errors="replace").rstrip())


def watch(database, server, relay, stopping):
    """Wait for gunicorn to end, keeping the relay running; when the embedded database dies first, stop gunicorn and
    return its exit status."""
    while server.poll() is None:
        if relay is not None and not stopping.is_set():
            relay.keep_running()
        if database is not None and database.process.poll() is not None and not stopping.is_set():
            stopping.set()
            server.send_signal(signal.SIGTERM)
            return database.process.returncode
        time.sleep(WATCH_SECONDS)
    return None


def stop(database, terminal):
    if database is not None and database.process.poll() is None:
        database.stop()
        log.info("stopped the embedded SecantusDB")
    terminal.give_back()


def upgrade_database():
    """Bring the database to what the service relies on before it starts, as `provisioning db upgrade` does."""
    tools = bootstrap(config.from_environment())
    try:
        with Shown(write=lambda line: log.info(line)) as shown:
            for event in tools.database_upgrade().run():
                shown.show(event)
    except PyMongoError as error:
        log.warning("could not upgrade the database (%s); the service starts anyway", error)
    except UpgradeBlocked as error:
        sys.exit(str(error))
    finally:
        tools.database.client.close()


class Terminal:
    """The terminal's foreground process group, taken by this script for itself and gunicorn (Ctrl-C then reaches them
    and not make), and given back to the group that had it before this script ends."""

    def __init__(self, descriptor=None, previous=None):
        self._descriptor = descriptor
        self._previous = previous

    @classmethod
    def take(cls):
        if not sys.stdin.isatty():
            return cls()
        descriptor = sys.stdin.fileno()
        try:
            previous = os.tcgetpgrp(descriptor)
            os.setpgid(0, 0)
            with ignored(signal.SIGTTOU):
                os.tcsetpgrp(descriptor, os.getpgrp())
        except OSError:
            return cls()
        return cls(descriptor, previous)

    def give_back(self):
        if self._descriptor is None:
            return
        with contextlib.suppress(OSError), ignored(signal.SIGTTOU):
            os.tcsetpgrp(self._descriptor, self._previous)
        self._descriptor = None


class ignored:
    """A signal ignored within the block (SIGTTOU: a background group may then set the terminal's foreground)."""

    def __init__(self, number):
        self._number = number

    def __enter__(self):
        self._before = signal.signal(self._number, signal.SIG_IGN)

    def __exit__(self, *exc):
        signal.signal(self._number, self._before)


if __name__ == "__main__":
    main()
