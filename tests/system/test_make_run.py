"""`make run` with nothing configured: gunicorn on the embedded SecantusDB, whose data outlives a restart, and the events
relay beside them, started and stopped with gunicorn; its output piped is JSON lines only; it stops the service when
its database dies; Ctrl-C on a terminal ends `make run` cleanly; a second one runs beside the first on the ports and
folder the README names."""
import contextlib
import fcntl
import json
import os
import pty
import signal
import subprocess
import sys
import termios
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pymongo

from scripts.embedded_db import answers, free_port
from tests.support.servers import eventually

ROOT = Path(__file__).parent.parent.parent


def post(url, params):
    try:
        with urllib.request.urlopen(url, urllib.parse.urlencode(params).encode(), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def healthy(base):
    try:
        with urllib.request.urlopen(f"{base}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError):
        return False


def settings(port, database_port, storage_path):
    """make run's environment with the variables the README names for a second run beside the first."""
    env = {**os.environ, "PORT": str(port), "EMBEDDED_DB_PORT": str(database_port),
           "EMBEDDED_DB_PATH": str(storage_path), "WEB_CONCURRENCY": "2", "PYTHONPATH": str(ROOT)}
    env.pop("MONGODB_URI", None)
    return env


class Service:
    """scripts/serve.py, as `make run` starts it, with MONGODB_URI unset and its output piped."""

    def __init__(self, port, database_port, storage_path):
        self.base = f"http://127.0.0.1:{port}/services/rest"
        self.database_uri = f"mongodb://127.0.0.1:{database_port}/provisioning?retryWrites=false"
        self.env = settings(port, database_port, storage_path)

    def __enter__(self):
        self.process = subprocess.Popen([sys.executable, "scripts/serve.py"], cwd=ROOT, env=self.env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # The pipe read as the lines come: a full pipe would block its writers (gunicorn, the relay), and a write a
        # signal interrupts there is finished later, split around another process's line.
        self.lines = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True)
        self.reader.start()
        eventually(lambda: healthy(self.base) or self.process.poll() is not None, 60, "the service did not start")
        assert self.process.poll() is None, self.output_so_far()
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        self.reader.join(timeout=60)
        self.output = self.output_so_far()

    def output_so_far(self):
        return "".join(list(self.lines))


def lines_of(output):
    """Every line of piped output, each a JSON object (a plain line fails the test, shown with the lines after it)."""
    lines = output.splitlines()
    plain = next((number for number, line in enumerate(lines) if line.strip() and not line.startswith("{")), None)
    assert plain is None, "a line that is not JSON:\n" + "\n".join(lines[plain:plain + 40])
    return [json.loads(line) for line in lines if line.strip()]


def relay_of(base):
    """What health says of the events relay (running, stopped)."""
    with urllib.request.urlopen(f"{base}/health", timeout=5) as response:
        return json.load(response)["events"]["relay"]


def test_make_run_starts_the_embedded_database_and_keeps_its_data_across_restarts(tmp_path):
    port, database_port = free_port(), free_port()
    customer = {"resellerName": "acme", "resellerPassword": "acme secret", "name": "shop"}
    with Service(port, database_port, tmp_path / "db") as service:
        cli = subprocess.run([str(Path(sys.executable).parent / "provisioning"), "reseller", "create", "acme"], cwd=ROOT,
                             env={**service.env, "RESELLER_PASSWORD": "acme secret", "MONGODB_URI": service.database_uri},
                             capture_output=True, text=True)
        assert cli.returncode == 0, cli.stderr
        assert post(f"{service.base}/customer/create", customer) == 201
        assert post(f"{service.base}/nosuch%0aFORGED%1b[31m", {}) == 404
        eventually(lambda: relay_of(service.base) == "running", 60, "the events relay did not run beside gunicorn")
    assert service.process.returncode == 0
    lines = lines_of(service.output)
    assert "\x1b" not in service.output
    assert any(line["message"].startswith("no MongoDB answered") for line in lines)
    assert any(line["logger"] == "gunicorn.error" and line["message"].startswith("Booting worker") for line in lines)
    assert any(line["message"] == "stopped the embedded SecantusDB" for line in lines)
    relay_said = [line["message"] for line in lines if line["message"].startswith("events relay")]
    assert relay_said[0] == "events relay started" and relay_said[-1] == "events relay stopped", relay_said
    assert sum(line["message"] == "database available" for line in lines) == 1, "once, not once per worker"
    access = [line for line in lines if line["logger"] == "app.access"]
    assert access and all(line["reseller"] in (None, "acme") for line in access)
    assert not answers("127.0.0.1", database_port)
    with Service(port, database_port, tmp_path / "db") as service:
        assert post(f"{service.base}/customer/create", customer) == 409
    assert "acme secret" not in service.output


def relay_pids(service):
    """The events relays make run has started and that still run (its children running `events relay`)."""
    children = Path(f"/proc/{service.process.pid}/task/{service.process.pid}/children").read_text().split()
    found = []
    for pid in children:
        with contextlib.suppress(FileNotFoundError):
            if b"events\x00relay" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
    return found


def test_make_run_starts_its_events_relay_again_when_it_ends(tmp_path):
    with Service(free_port(), free_port(), tmp_path / "db") as service:
        eventually(lambda: len(relay_pids(service)) == 1, 60, "make run started no events relay")
        [first] = relay_pids(service)
        os.kill(first, signal.SIGKILL)
        eventually(lambda: relay_pids(service) not in ([], [first]), 60, "the events relay was not started again")
    restarted = [line for line in lines_of(service.output) if line["message"].startswith("the events relay ended")]
    assert [line["message"] for line in restarted] == [f"the events relay ended (exit status {-signal.SIGKILL}): "
                                                       "started it again"]


def test_a_second_make_run_beside_the_first_runs_on_its_own_port_and_database(tmp_path):
    with Service(free_port(), free_port(), tmp_path / "one") as first, \
            Service(free_port(), free_port(), tmp_path / "two") as second:
        assert healthy(first.base) and healthy(second.base)
    assert first.process.returncode == second.process.returncode == 0


def test_make_run_stops_the_service_and_says_so_when_its_database_dies(tmp_path):
    with Service(free_port(), free_port(), tmp_path / "db") as service:
        started = next(line for line in lines_of_so_far(service) if line["message"].startswith("no MongoDB answered"))
        os.kill(started["pid"], signal.SIGKILL)
        service.process.wait(timeout=60)
    assert service.process.returncode == 1
    [said] = [line for line in lines_of(service.output) if line["level"] == "ERROR" and "SecantusDB stopped" in
              line["message"]]
    assert "make run again" in said["message"]


def test_every_write_make_run_acknowledged_outlives_its_database_killed_with_sigkill(tmp_path):
    """make run starts its database with --sync-on-commit: without it, SecantusDB acknowledged writes its journal had
    not yet made durable (12 to 147 of 300 lost to a kill -9 when measured)."""
    customers = 300
    with Service(free_port(), free_port(), tmp_path / "db") as service:
        started = next(line for line in lines_of_so_far(service) if line["message"].startswith("no MongoDB answered"))
        drained = threading.Thread(target=service.process.stdout.read, daemon=True)
        drained.start()
        cli = subprocess.run([str(Path(sys.executable).parent / "provisioning"), "reseller", "create", "acme"], cwd=ROOT,
                             env={**service.env, "RESELLER_PASSWORD": "acme secret", "MONGODB_URI": service.database_uri},
                             capture_output=True, text=True)
        assert cli.returncode == 0, cli.stderr
        answered = [post(f"{service.base}/customer/create", {"resellerName": "acme", "resellerPassword": "acme secret",
                                                             "name": f"shop-{number}"}) for number in range(customers)]
        assert answered == [201] * customers
        os.kill(started["pid"], signal.SIGKILL)
        service.process.wait(timeout=60)
        drained.join(timeout=60)
    with Service(free_port(), free_port(), tmp_path / "db") as service, \
            pymongo.MongoClient(service.database_uri) as client:
        assert client.get_default_database().customers.count_documents({}) == customers


def lines_of_so_far(service):
    """The JSON lines the service wrote up to now (its database's start line among them)."""
    eventually(lambda: "no MongoDB answered" in service.output_so_far(), 60,
               "the service did not say where its database is")
    return lines_of(service.output_so_far())


def test_ctrl_c_on_a_terminal_ends_make_run_with_0_and_no_interrupt_from_make(tmp_path):
    """make run in a terminal of its own (a pseudo-terminal): Ctrl-C is typed once the service answers."""
    port = free_port()
    base = f"http://127.0.0.1:{port}/services/rest"
    controller, terminal = pty.openpty()

    def own_terminal():
        os.setsid()
        fcntl.ioctl(terminal, termios.TIOCSCTTY, 0)

    make = subprocess.Popen(["make", "--no-print-directory", "run"], cwd=ROOT, stdin=terminal, stdout=terminal,
                            stderr=terminal, env=settings(port, free_port(), tmp_path / "db"), preexec_fn=own_terminal)
    os.close(terminal)
    output = bytearray()

    def read_some():
        with contextlib.suppress(OSError):
            output.extend(os.read(controller, 65536))

    os.set_blocking(controller, False)
    eventually(lambda: read_some() or healthy(base) or make.poll() is not None, 120, "make run did not start")
    os.write(controller, b"\x03")
    deadline = time.monotonic() + 60
    while make.poll() is None and time.monotonic() < deadline:
        read_some()
        time.sleep(0.1)
    read_some()
    os.close(controller)
    text = output.decode(errors="replace")
    assert make.wait(timeout=10) == 0, text[-2000:]
    assert "Interrupt" not in text and "make: ***" not in text, text[-2000:]
