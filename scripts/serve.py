"""`make run`: gunicorn in the foreground, with the embedded SecantusDB when no database is configured or up, and the
events relay beside it (RELAY=off: without), started and stopped with it."""
import os
import signal
import subprocess
import sys
from urllib.parse import urlsplit

from pymongo.errors import PyMongoError

import config
from app.bootstrap import bootstrap
from app.cli.progress import Shown
from app.domain.exceptions import UpgradeBlocked
from scripts.embedded_db import EmbeddedDatabase, answers


def main():
    database = None
    if not os.environ.get("MONGODB_URI"):
        address = urlsplit(config.DEFAULT_MONGODB_URI)
        # Another port than the default's serves a second `make run` beside the first (the tests use it).
        port = int(os.environ.get("EMBEDDED_DB_PORT") or address.port)
        os.environ["MONGODB_URI"] = config.DEFAULT_MONGODB_URI.replace(f":{address.port}/", f":{port}/")
        if not answers(address.hostname, port):
            storage_path = os.environ.get("EMBEDDED_DB_PATH") or os.path.join("var", "db")
            try:
                database = EmbeddedDatabase(host=address.hostname, port=port, storage_path=storage_path).start()
            except RuntimeError as error:
                sys.exit(str(error))
            print(
                f"No MongoDB answered at {address.hostname}:{port}: started the embedded SecantusDB there, "
                f"data in {storage_path}/ (kept across restarts). Set MONGODB_URI to use another server.",
                flush=True,
            )
    try:
        upgrade_database()
        settings = config.from_environment()
    except config.ConfigurationInvalid as error:
        sys.exit(f"provisioning: configuration: {error}")
    relay = None
    if settings["RELAY"] == "on":
        relay = subprocess.Popen([sys.executable, "-m", "app.cli", "events", "relay"])
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"])
    signal.signal(signal.SIGTERM, lambda *_: [child.terminate() for child in (server, relay) if child])
    signal.signal(signal.SIGINT, lambda *_: [child.send_signal(signal.SIGINT) for child in (server, relay) if child])
    status = server.wait()
    if relay:
        relay.terminate()
        relay.wait()
    if database:
        database.stop()
        print("stopped the embedded SecantusDB", flush=True)
    sys.exit(status)


def upgrade_database():
    """Bring the database to what the service relies on before it starts, as `./provisioning db upgrade` does."""
    tools = bootstrap(config.from_environment())
    try:
        with Shown() as shown:
            for event in tools.database_upgrade().run():
                shown.show(event)
    except PyMongoError as error:
        print(f"could not upgrade the database ({error}); the service starts anyway", flush=True)
    except UpgradeBlocked as error:
        sys.exit(str(error))
    finally:
        tools.database.client.close()


if __name__ == "__main__":
    main()
