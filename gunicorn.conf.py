"""gunicorn settings for `make run` and the Docker image, from the same environment variables as the app."""
from gunicorn.glogging import Logger

from config import from_environment

_settings = from_environment()

bind = f"{_settings['HOST']}:{_settings['PORT']}"
# Measured with `make bench` on 2 cores (docs/performance.md): sync workers, twice the cores, against gthread
# 2x4 and 4x2 and sync 5. Throughput was within noise of each other (the database and argon2 bound it), but
# gthread's p99 reached 4-10x its p50 at 32 clients, because keep-alive connections stay on the worker that
# accepted them and some workers queue while others idle; sync workers take each request from the shared
# listen queue, so p99 stayed within 1.1-1.8x p50. Each thread that hashes holds 19 MiB, so sync workers
# also need half the memory (59 against 117 MiB). Sync workers want a buffering proxy in front of slow clients.
workers = _settings["WEB_CONCURRENCY"]
worker_class = "sync"
threads = _settings["THREADS"]
# No preload: each worker builds the app, and so its MongoClient, after the fork (pymongo is not fork-safe).
preload_app = False
timeout = 30
graceful_timeout = 30
# The control socket's default path is shared by every gunicorn of the user; this service does not use it.
control_socket_disable = True
accesslog = "-"
# %(U)s is the path without the query string, so nothing a caller puts in a URL reaches the log.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)sB %(M)sms'


class EscapingLogger(Logger):
    """Writes control and non-ASCII characters of access-log fields as escapes, so no request can forge a line."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: value.encode("unicode_escape").decode("ascii") if isinstance(value, str) else value
            for key, value in atoms.items()
        }


logger_class = EscapingLogger
