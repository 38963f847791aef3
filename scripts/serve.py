"""`make run`: gunicorn in the foreground, with the embedded SecantusDB when no database is configured or up."""
import os
import signal
import subprocess
import sys
from urllib.parse import urlsplit

import config
from scripts.embedded_db import EmbeddedDatabase, answers


def main():
    database = None
    if not os.environ.get("MONGODB_URI"):
        address = urlsplit(config.DEFAULT_MONGODB_URI)
        if not answers(address.hostname, address.port):
            storage_path = os.environ.get("EMBEDDED_DB_PATH") or os.path.join("var", "db")
            try:
                database = EmbeddedDatabase(host=address.hostname, port=address.port, storage_path=storage_path).start()
            except RuntimeError as error:
                sys.exit(str(error))
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
        database.stop()
        print("stopped the embedded SecantusDB", flush=True)
    sys.exit(status)


if __name__ == "__main__":
    main()
