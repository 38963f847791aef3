"""`make run`: gunicorn in the foreground, with the embedded SecantusDB when no database is configured or up."""
import os
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

import config

EMBEDDED_START_SECONDS = 30


def answers(host, port):
    """Tell whether something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def start_embedded_database(host, port, storage_path):
    """Start SecantusDB on host:port with its data in storage_path; return the process once it listens."""
    os.makedirs(storage_path, exist_ok=True)
    database = subprocess.Popen(
        [sys.executable, "-m", "secantus", "--host", host, "--port", str(port), "--storage-path", storage_path],
        start_new_session=True,  # Ctrl-C reaches gunicorn only; the database stops after it.
    )
    deadline = time.monotonic() + EMBEDDED_START_SECONDS
    while not answers(host, port):
        if database.poll() is not None or time.monotonic() > deadline:
            database.kill()
            sys.exit(f"the embedded SecantusDB did not start on {host}:{port}")
        time.sleep(0.1)
    return database


def main():
    database = None
    if not os.environ.get("MONGODB_URI"):
        address = urlsplit(config.DEFAULT_MONGODB_URI)
        if not answers(address.hostname, address.port):
            storage_path = os.environ.get("EMBEDDED_DB_PATH") or os.path.join("var", "db")
            database = start_embedded_database(address.hostname, address.port, storage_path)
            print(
                f"No MongoDB answered at {address.hostname}:{address.port}: started the embedded SecantusDB there, "
                f"data in {storage_path}/ (kept across restarts). Set MONGODB_URI to use another server.",
                flush=True,
            )
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"])
    signal.signal(signal.SIGTERM, lambda *_: server.terminate())
    signal.signal(signal.SIGINT, lambda *_: server.send_signal(signal.SIGINT))
    status = server.wait()
    if database:
        database.terminate()
        database.wait()
        print("stopped the embedded SecantusDB", flush=True)
    sys.exit(status)


if __name__ == "__main__":
    main()
