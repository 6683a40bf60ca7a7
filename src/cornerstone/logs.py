"""Log lines of the application and the gateway: JSON for machines, text for people.

    configure_logging("auto")        # text on a terminal, JSON otherwise (a file, a collector)
    log.info("committed block %d", height, extra={"height": height, "duration_ms": 12.5})

A JSON line is one object: `ts` (RFC 3339, UTC, milliseconds), `level` (lower case, as
CometBFT's JSON logs write it), `logger`, `msg` (the formatted message), then every `extra`
field of the call as it is, and `exc` with the traceback when there is one. The text form puts
the same extra fields after the message as key=value.

Written on the standard logging module rather than with python-json-logger: the formatter is
thirty lines and the fields are ours to choose. Secrets never reach a log call (keys, tokens
and plaintext have no `repr` that shows them, and no message formats them); a network test
scans the logs of a whole run to keep it so.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Final, Literal, TextIO

LogFormat = Literal["auto", "json", "text"]
LOG_FORMATS: Final = ("auto", "json", "text")

_STANDARD: Final = frozenset(
    {
        *vars(logging.LogRecord("", 0, "", 0, "", None, None)),
        "message",
        "asctime",
        "taskName",
        "color_message",  # uvicorn's copy of the message with terminal colours
    }
)
"""LogRecord attributes that are not a call's extra fields."""
TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def timestamp(created: float) -> str:
    """RFC 3339 in UTC with milliseconds: 2026-12-01T16:55:00.123Z."""
    moment = datetime.fromtimestamp(created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a log call added with `extra=`, in the order it gave them."""
    return {
        key: value
        for key, value in record.__dict__.items()
        if key not in _STANDARD and not key.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "ts": timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in extra_fields(record).items():
            document.setdefault(key, value)  # never let a field hide the four above
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            document.update(_access_fields(record.args))
        if record.exc_info:
            document["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            document["stack"] = self.formatStack(record.stack_info)
        return json.dumps(document, default=_jsonable, ensure_ascii=False, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    """The classic line, with a call's extra fields appended as key=value."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        fields = extra_fields(record)
        if not fields:
            return line
        return line + " " + " ".join(f"{key}={_jsonable(value)}" for key, value in fields.items())


def resolve(log_format: LogFormat, stream: TextIO) -> Literal["json", "text"]:
    """`auto` is text when `stream` is a terminal (a person reads it) and JSON otherwise (a
    file or a collector reads it, and wants fields rather than sentences)."""
    if log_format == "auto":
        return "text" if stream.isatty() else "json"
    return log_format


def formatter(log_format: Literal["json", "text"]) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def configure_logging(
    log_format: LogFormat, *, level: int = logging.INFO, stream: TextIO | None = None
) -> Literal["json", "text"]:
    """Send every logger's records (uvicorn's included, which propagate to the root) to
    `stream` (stderr) in one format; return the format chosen."""
    out = stream if stream is not None else sys.stderr
    chosen = resolve(log_format, out)
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter(chosen))
    root = logging.getLogger()
    for previous in list(root.handlers):
        root.removeHandler(previous)
        previous.close()
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # uvicorn's own configuration is not used (the gateway passes log_config=None): its
        # loggers hand their records to the root handler above.
        logger = logging.getLogger(name)
        for previous in list(logger.handlers):
            logger.removeHandler(previous)
        logger.propagate = True
    return chosen


def _access_fields(args: tuple[object, ...]) -> dict[str, object]:
    """uvicorn's access record: (client, method, path, HTTP version, status)."""
    if len(args) != 5:
        return {}
    client, method, path, version, status = args
    return {"client": client, "method": method, "path": path, "http": version, "status": status}


def _jsonable(value: object) -> object:
    """A value JSON cannot hold, as text (bytes as hex)."""
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
