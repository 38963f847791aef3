"""Structured log lines (JSON, or text for people) for the service, gunicorn and the CLI."""
import json
import logging
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


class TextFormatter(logging.Formatter):
    """A line for people: time, level, logger, message, then the extra fields as key=value, escaped."""

    def format(self, record):
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        extras = " ".join(
            f"{key}={_escaped(value)}" for key, value in record.__dict__.items() if key not in STANDARD_ATTRIBUTES
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


class DatabaseStateLog(monitoring.ServerListener):
    """Writes one line when a database server stops answering, and one when it answers (again)."""

    def __init__(self):
        self._answering = {}

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
        if answering:
            events.info("database available", extra={"server": server, "serverType": event.new_description.server_type_name})
        else:
            events.warning("database unavailable", extra={"server": server, "error": str(event.new_description.error)[:200]})
