"""gunicorn as `make run` starts it (gunicorn.conf.py), and nginx as deploy/nginx configures it, for the tests that need
real processes and sockets."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from scripts.embedded_db import answers, free_port
from scripts.local_nginx import TEMPLATE, LocalNginx, template_defaults  # noqa: F401 (for the tests)

ROOT = Path(__file__).parent.parent.parent


def tool(name, install):
    """A program from the virtualenv, the PATH or /usr/sbin; in CI its absence is a failure, elsewhere a skip."""
    path = os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", ""), "/usr/sbin"))
    found = shutil.which(name, path=path)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed; .ci/run installs it ({install})")
        pytest.skip(f"{name} is not installed ({install})")
    return found


def eventually(condition, timeout, failure):
    """Poll condition until it holds; fail with failure when timeout seconds pass first."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, failure
        time.sleep(0.1)


def raw_answer(port, request):
    """Send bytes as they are and read the whole answer (the server closes the connection after an error)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, body = answer.split(b"\r\n\r\n", 1)
    return head.decode("latin-1").split("\r\n"), body


def environment(**settings):
    """This environment with the settings given, for a child process of the project."""
    env = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
    env.update({"PYTHONPATH": str(ROOT), **{key: str(value) for key, value in settings.items()}})
    return env


class Gunicorn:
    """gunicorn started with gunicorn.conf.py on a port of its own; its output goes to a file read at the end."""

    def __init__(self, **settings):
        self.port = free_port()
        self.health_port = settings.get("HEALTH_PORT")
        self.env = environment(**{"PORT": self.port, "WEB_CONCURRENCY": 2, **settings})

    def __enter__(self):
        self.log = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                                        cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 30
        while not (answers("127.0.0.1", self.port) and (not self.health_port or answers("127.0.0.1", self.health_port))):
            assert self.process.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=60)
        self.log.seek(0)
        self.output = self.log.read()
        self.log.close()

    def output_so_far(self):
        """What gunicorn has written up to now."""
        # pread: the workers write at the offset they share with this file object, which a seek would move.
        size = os.fstat(self.log.fileno()).st_size
        return os.pread(self.log.fileno(), size, 0).decode(errors="replace")

    def url(self, path, port=None):
        return f"http://127.0.0.1:{port or self.port}{path}"


def call(url, params=None, headers=None):
    """POST params (or GET without), return (HTTP code, body text, headers)."""
    data = urllib.parse.urlencode(params).encode() if params is not None else None
    request = urllib.request.Request(url, data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers


class Nginx(LocalNginx):
    """The shipped nginx site on loopback (scripts.local_nginx) as a context manager; Debian's nginx, which CI installs."""

    def __init__(self, folder, upstream_port, health_port=None, **values):
        super().__init__(nginx_binary(), folder, upstream_port, health_port, **values)

    def __enter__(self):
        try:
            return self.start()
        except RuntimeError as error:
            pytest.fail(str(error))

    def __exit__(self, *exc):
        self.stop()


def nginx_binary():
    return tool("nginx", "apt-get install nginx")
