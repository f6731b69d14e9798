"""Structured logs: one JSON object per line, with the record's extra fields and, while a request
is being answered, its id."""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

# The id of the HTTP request being answered; set by the API's middleware, so every line a request
# causes (its commands, its errors, its access line) can be found together.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
# A caller's own id is kept when it is short and plain, so it cannot forge or break a log line.
_SANE_ID = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")
# Loggers of the service itself; uvicorn.error is uvicorn's own (start, stop), not only errors.
_OWN = ("counterparty", "uvicorn.error")


def request_id(incoming: str | None) -> str:
    """The caller's ``X-Request-Id`` when it is sane, else a fresh one."""
    if incoming and _SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        current = REQUEST_ID.get()
        if current is not None:
            entry["request_id"] = current
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class LibraryNoise(logging.Filter):
    """Below WARNING only the service's own lines pass: libraries narrate their steps at INFO
    (WeasyPrint logs each step of every PDF, fontTools each font subset), which would drown the
    service's lines. CPTY_LOG_LEVEL=DEBUG lets everything through."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.startswith(_OWN)


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    if level.upper() != "DEBUG":
        handler.addFilter(LibraryNoise())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # kafka-python logs every failed reconnect as an error while a broker is down; the relay and
    # the payments consumer report an outage once, with its cause, and its end.
    logging.getLogger("kafka").setLevel("CRITICAL")
