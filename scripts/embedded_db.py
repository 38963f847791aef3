"""SecantusDB in a child process: the embedded database of `make run`, the tests and the benchmark."""
import os
import socket
import subprocess
import sys
import time

from pymongo import MongoClient


def free_port():
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(host, port):
    """Tell whether something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


class EmbeddedDatabase:
    """A SecantusDB server in a child process of its own session, so a terminal's Ctrl-C does not reach it."""

    def __init__(self, *options, host="127.0.0.1", port=None, storage_path=":memory:", stderr=None):
        self.host = host
        self.port = port or free_port()
        self.options = options
        self.storage_path = storage_path
        self.stderr = stderr
        self.process = None

    @property
    def uri(self):
        return f"mongodb://{self.host}:{self.port}/?retryWrites=false"

    def start(self, timeout=30):
        """Start the server and return self once it answers a ping."""
        if self.storage_path != ":memory:":
            os.makedirs(self.storage_path, exist_ok=True)
        command = [sys.executable, "-m", "secantus", "--host", self.host, "--port", str(self.port)]
        command += ["--storage-path", self.storage_path, "--log-level", "WARNING", *self.options]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=self.stderr, start_new_session=True)
        deadline = time.monotonic() + timeout
        with MongoClient(self.uri, serverSelectionTimeoutMS=200) as client:
            while True:
                try:
                    client.admin.command("ping")
                    return self
                except Exception:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        self.process.kill()
                        raise RuntimeError(f"SecantusDB did not start on {self.host}:{self.port}") from None
                    time.sleep(0.05)

    def stop(self):
        """Stop the server: politely, then, if it has not stopped within 30 s, for sure."""
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def crash(self):
        """Stop the server at once (SIGKILL), as a crash or a pulled cable would; acknowledged writes may be lost.

        Fault tests that need the database to go away use this rather than stop(): while SecantusDB stops politely it
        answers a driver's hello on open connections without its replica-set name, and pymongo then drops the server
        from a replica-set topology for good (mongod answers ShutdownInProgress there instead).
        """
        self.process.kill()
        self.process.wait()
