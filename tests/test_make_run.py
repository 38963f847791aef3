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

import pytest

from scripts.embedded_db import answers, free_port

ROOT = Path(__file__).parent.parent


def post(url, params):
    try:
        with urllib.request.urlopen(url, urllib.parse.urlencode(params).encode(), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class Service:
    """scripts/serve.py, as `make run` starts it, with MONGODB_URI unset."""

    def __init__(self, port, storage_path):
        self.base = f"http://127.0.0.1:{port}/services/rest"
        self.env = {**os.environ, "PORT": str(port), "EMBEDDED_DB_PATH": str(storage_path), "WEB_CONCURRENCY": "1", "PYTHONPATH": str(ROOT)}
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


@pytest.mark.skipif(answers("127.0.0.1", 27017), reason="a MongoDB already answers on 127.0.0.1:27017")
def test_make_run_starts_the_embedded_database_and_keeps_its_data_across_restarts(tmp_path):
    port = free_port()
    customer = {"resellerName": "acme", "resellerPassword": "acme secret", "name": "shop"}
    with Service(port, tmp_path / "db") as service:
        cli = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "reseller", "create", "acme"], cwd=ROOT,
                             env={**service.env, "RESELLER_PASSWORD": "acme secret"}, capture_output=True, text=True)
        assert cli.returncode == 0, cli.stderr
        assert post(f"{service.base}/customer/create", customer) == 201
        assert post(f"{service.base}/nosuch%0aFORGED%1b[31m", {}) == 404
    assert not any(line.startswith("FORGED") for line in service.output.splitlines())
    assert "\x1b" not in service.output
    assert "started the embedded SecantusDB" in service.output
    gunicorn_lines = [json.loads(line) for line in service.output.splitlines() if '"logger": "gunicorn.error"' in line]
    assert any(line["message"].startswith("Booting worker") for line in gunicorn_lines)
    assert "stopped the embedded SecantusDB" in service.output
    assert not answers("127.0.0.1", 27017)
    with Service(port, tmp_path / "db") as service:
        assert post(f"{service.base}/customer/create", customer) == 409
    assert "acme secret" not in service.output
