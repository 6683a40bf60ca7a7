"""Log lines: one JSON object per line with ts, level, logger, msg and the call's own fields;
text for people; `auto` picks by whether a person is looking."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from cornerstone.logs import JsonFormatter, TextFormatter, configure_logging, resolve


def record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    logger = logging.getLogger("cornerstone.test")
    made = logger.makeRecord(logger.name, logging.INFO, __file__, 1, msg, args, None, extra=extra)
    made.created = 1_796_140_800.123456  # 2026-12-01T16:00:00.123Z
    return made


def test_a_json_line_carries_the_four_fields_and_the_calls_own() -> None:
    line = JsonFormatter().format(
        record("committed block %d", 7, height=7, duration_ms=1.5, tx_hash=b"\xab\x01")
    )
    assert "\n" not in line
    assert json.loads(line) == {
        "ts": "2026-12-01T16:00:00.123Z",
        "level": "info",
        "logger": "cornerstone.test",
        "msg": "committed block 7",
        "height": 7,
        "duration_ms": 1.5,
        "tx_hash": "ab01",
    }


def test_a_json_line_holds_a_traceback_and_odd_text_on_one_line() -> None:
    try:
        raise ValueError('a "quoted"\nmessage')
    except ValueError:
        made = record("failed on %s", "line\nbreak", other=object())
        made.exc_info = sys.exc_info()
    line = JsonFormatter().format(made)
    assert "\n" not in line
    document = json.loads(line)
    assert document["msg"] == "failed on line\nbreak"
    assert document["exc"].startswith("Traceback") and "ValueError" in document["exc"]
    assert document["other"].startswith("<object object")


def test_a_field_cannot_hide_the_four_standard_ones() -> None:
    document = json.loads(JsonFormatter().format(record("hello", ts="no", logger="x", level="x")))
    assert document["ts"].endswith("Z") and document["level"] == "info"
    assert document["logger"] == "cornerstone.test"


def test_uvicorns_access_record_becomes_fields() -> None:
    access = logging.getLogger("uvicorn.access").makeRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/v1/blocks?limit=5", "1.1", 200),
        None,
        extra={"color_message": "\x1b[1m...\x1b[0m"},
    )
    document = json.loads(JsonFormatter().format(access))
    assert document["msg"] == '127.0.0.1:5000 - "GET /v1/blocks?limit=5 HTTP/1.1" 200'
    assert (document["method"], document["path"], document["status"]) == (
        "GET",
        "/v1/blocks?limit=5",
        200,
    )
    assert "color_message" not in document


def test_the_text_line_appends_the_fields() -> None:
    line = TextFormatter().format(record("committed block %d", 7, height=7, txs=3))
    assert line.endswith("INFO cornerstone.test: committed block 7 height=7 txs=3")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_is_text_for_a_terminal_and_json_otherwise() -> None:
    assert resolve("auto", Terminal()) == "text"
    assert resolve("auto", io.StringIO()) == "json"
    assert resolve("json", Terminal()) == "json"
    assert resolve("text", io.StringIO()) == "text"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging replaces the root's handlers (pytest's too): put everything back.
    uvicorn's loggers start as in a fresh process (other tests may have set their levels)."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    uvicorn = {}
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        uvicorn[name] = (list(logger.handlers), logger.propagate, logger.level, logger.disabled)
        logger.setLevel(logging.NOTSET)
        logger.disabled = False
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])
    for name, (handlers, propagate, level, disabled) in uvicorn.items():
        logger = logging.getLogger(name)
        logger.handlers = handlers
        logger.propagate = propagate
        logger.setLevel(level)
        logger.disabled = disabled


@pytest.mark.usefixtures("restore_logging")
def test_configure_logging_sends_every_logger_through_one_handler() -> None:
    stream = io.StringIO()
    noisy = logging.getLogger("uvicorn.error")
    noisy.addHandler(logging.StreamHandler(io.StringIO()))
    noisy.propagate = False
    assert configure_logging("auto", stream=stream) == "json"
    logging.getLogger("cornerstone.gateway").info("started", extra={"port": 8080})
    noisy.info("Uvicorn running")
    logging.getLogger("cornerstone.gateway").debug("not at INFO")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["logger"], line["msg"]) for line in lines] == [
        ("cornerstone.gateway", "started"),
        ("uvicorn.error", "Uvicorn running"),
    ]
    assert lines[0]["port"] == 8080
