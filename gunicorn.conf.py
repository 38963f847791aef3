"""gunicorn settings for `make run` and the Docker image, from the same environment variables as the app."""
from gunicorn.glogging import Logger

from config import from_environment

_settings = from_environment()

bind = f"{_settings['HOST']}:{_settings['PORT']}"
workers = _settings["WEB_CONCURRENCY"]
# argon2-cffi releases the GIL while hashing, so threads overlap hashing with database round trips.
worker_class = "gthread"
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
