"""Structured log lines (JSON, or text for people) for the service, gunicorn and the CLI."""
import fcntl
import json
import logging
import os
from datetime import UTC, datetime

from pymongo import monitoring

events = logging.getLogger("app.events")
STANDARD_ATTRIBUTES = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's extra fields."""

    def format(self, record):
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({key: value for key, value in record.__dict__.items() if key not in STANDARD_ATTRIBUTES})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


# What a text access line leaves out of its fields: what its message already says.
SAID_BY_ACCESS_MESSAGES = {"method", "path", "httpStatus"}


class TextFormatter(logging.Formatter):
    """A line for people: time, level, logger, message, then the extra fields that have a value as key=value, escaped
    (an access line without what its message says: method, path and HTTP code)."""

    def format(self, record):
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        said = SAID_BY_ACCESS_MESSAGES if record.name == "app.access" else set()
        extras = " ".join(
            f"{key}={_escaped(value)}" for key, value in record.__dict__.items()
            if key not in STANDARD_ATTRIBUTES and key not in said and value is not None
        )
        line = f"{stamp}Z {record.levelname} {record.name}: {_escaped(record.getMessage())} {extras}".rstrip()
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _escaped(value):
    return str(value).encode("unicode_escape").decode("ascii")


FORMATTERS = {"json": JsonFormatter, "text": TextFormatter}


def logging_config(log_format, level):
    """A dictConfig for the service's and gunicorn's loggers, all on stderr in one format."""
    handler = {"class": "logging.StreamHandler", "formatter": "service", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"service": {"()": FORMATTERS[log_format]}},
        "handlers": {"stderr": handler},
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            "app": {"level": level},
            # pymongo's command log carries documents, password hashes included: never below WARNING.
            "pymongo": {"level": "WARNING"},
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
        },
    }


def hold_driver_log():
    """Keep pymongo's own log at WARNING whatever else is configured: its command log carries password hashes.

    Handlers and formats are gunicorn's (gunicorn.conf.py); the CLI keeps Python's default, warnings and errors only.
    """
    logging.getLogger("pymongo").setLevel(logging.WARNING)


def chosen_format(log_format, deployment, stream):
    """The format of LOG_FORMAT=auto: text for a person at a terminal, JSON in production and for collectors."""
    if log_format != "auto":
        return log_format
    return "text" if deployment != "production" and stream.isatty() else "json"


# A file gunicorn.conf.py names, where the processes of one service note the database servers' state they logged last.
DATABASE_STATE_FILE = "DATABASE_STATE_FILE"


class SharedStates:
    """What the processes of one service (gunicorn's workers) logged last of each database server, in a file they
    share, read and changed under a lock: a change is logged by the first process that sees it, not by each."""

    def __init__(self, path):
        self._path = path

    def changed(self, server, answering):
        """Note a server's state; whether it differs from what was noted last (so that this process logs it)."""
        with open(self._path, "a+", encoding="utf-8") as shared:
            fcntl.flock(shared, fcntl.LOCK_EX)
            shared.seek(0)
            states = json.loads(shared.read() or "{}")
            if states.get(server) == answering:
                return False
            states[server] = answering
            shared.seek(0)
            shared.truncate()
            shared.write(json.dumps(states))
            return True


class DatabaseStateLog(monitoring.ServerListener):
    """Writes one line when a database server stops answering, and one when it answers (again): once per change for
    all the service's processes when they share a state file (DATABASE_STATE_FILE), else once per process."""

    def __init__(self, shared_file=None):
        self._answering = {}
        path = shared_file or os.environ.get(DATABASE_STATE_FILE)
        self._shared = SharedStates(path) if path else None

    def opened(self, event):
        pass

    def closed(self, event):
        pass

    def description_changed(self, event):
        answering = event.new_description.is_server_type_known
        server = "{}:{}".format(*event.server_address)
        if self._answering.get(server, False) == answering:
            return
        self._answering[server] = answering
        if self._shared is not None and not self._shared.changed(server, answering):
            return
        if answering:
            events.info("database available", extra={"server": server, "serverType": event.new_description.server_type_name})
        else:
            events.warning("database unavailable", extra={"server": server, "error": str(event.new_description.error)[:200]})
