"""Log lines for operators: text by default, one JSON object per line with LOG_FORMAT=json.

Structured events (a job's start and end, a 429, a ban, a fallback) are logged with
`log_event(logger, level, event, message, **fields)`: the fields become top-level keys of the
JSON object, and `key=value` pairs after the message in text mode, so both formats carry the
same numbers. Records of RQ's own loggers go through the same handler.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.orjson import OrjsonFormatter

# The record attribute that lists a structured event's field names (for the text format).
FIELDS_ATTR = "cl3_fields"
_RESERVED = frozenset(RESERVED_ATTRS) | {"message", "asctime", FIELDS_ATTR}
_HANDLER_NAME = "cl3-console"


def log_event(logger: logging.Logger, level: int, event: str, message: str, **fields: Any) -> None:
    """One structured line: `event` names what happened, `fields` are its numbers."""
    if not logger.isEnabledFor(level):
        return
    extra = {"event": event}
    for key, value in fields.items():
        # A field named like a LogRecord attribute would make logging raise; keep it apart.
        extra[f"field_{key}" if key in _RESERVED else key] = value
    extra[FIELDS_ATTR] = list(extra)  # type: ignore[assignment]
    logger.log(level, message, extra=extra, stacklevel=2)


class TextFormatter(logging.Formatter):
    """`2024-01-01T00:00:00.123Z WARNING cl3.exchange: message key=value ...` (UTC)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return f"{stamp}.{int(record.msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        names = getattr(record, FIELDS_ATTR, None)
        if not names:
            return line
        pairs = " ".join(f"{name}={_text(getattr(record, name, None))}" for name in names)
        head, sep, rest = line.partition("\n")  # a traceback stays below the line
        return f"{head} {pairs}{sep}{rest}"


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    text = str(value)
    return f'"{text}"' if (" " in text or not text) else text


def json_formatter() -> logging.Formatter:
    return OrjsonFormatter(
        ["levelname", "name", "message"],
        rename_fields={"levelname": "level", "name": "logger"},
        reserved_attrs=[*RESERVED_ATTRS, FIELDS_ATTR],
        timestamp="time",
    )


def configure_logging(log_format: str = "text", level: str = "INFO") -> None:
    """One console handler on the root logger (replacing an earlier one of ours): CL3's
    loggers and RQ's (which then adds none of its own) write through it to stderr."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(json_formatter() if log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level)
