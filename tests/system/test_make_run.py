"""`make run` with nothing configured: gunicorn on the embedded SecantusDB, whose data outlives a restart."""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from scripts.embedded_db import answers, free_port

ROOT = Path(__file__).parent.parent.parent


def post(url, params):
    try:
        with urllib.request.urlopen(url, urllib.parse.urlencode(params).encode(), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class Service:
    """scripts/serve.py, as `make run` starts it, with MONGODB_URI unset: its embedded database on a port and in a
    folder of its own, so that it runs beside a developer's `make run`."""

    def __init__(self, port, database_port, storage_path):
        self.base = f"http://127.0.0.1:{port}/services/rest"
        self.database_uri = f"mongodb://127.0.0.1:{database_port}/provisioning?retryWrites=false"
        self.env = {**os.environ, "PORT": str(port), "EMBEDDED_DB_PORT": str(database_port),
                    "EMBEDDED_DB_PATH": str(storage_path), "WEB_CONCURRENCY": "1", "PYTHONPATH": str(ROOT)}
        self.env.pop("MONGODB_URI", None)

    def __enter__(self):
        self.process = subprocess.Popen([sys.executable, "scripts/serve.py"], cwd=ROOT, env=self.env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError):
                pass
            assert self.process.poll() is None and time.monotonic() < deadline, "the service did not start"
            time.sleep(0.2)

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        self.output = self.process.communicate(timeout=60)[0]


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
    assert not any(line.startswith("FORGED") for line in service.output.splitlines())
    assert "\x1b" not in service.output
    assert "started the embedded SecantusDB" in service.output
    gunicorn_lines = [json.loads(line) for line in service.output.splitlines() if '"logger": "gunicorn.error"' in line]
    assert any(line["message"].startswith("Booting worker") for line in gunicorn_lines)
    assert "stopped the embedded SecantusDB" in service.output
    assert not answers("127.0.0.1", database_port)
    with Service(port, database_port, tmp_path / "db") as service:
        assert post(f"{service.base}/customer/create", customer) == 409
    assert "acme secret" not in service.output
