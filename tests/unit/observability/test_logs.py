"""Log lines in both formats carry the same event fields."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from cl3_common.observability.logs import (
    TextFormatter,
    configure_logging,
    json_formatter,
    log_event,
)


@pytest.fixture
def capture() -> Iterator[tuple[logging.Logger, logging.StreamHandler]]:
    logger = logging.getLogger("cl3.test.logs")
    handler = logging.StreamHandler(io.StringIO())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, handler
    logger.removeHandler(handler)


def _output(handler: logging.StreamHandler) -> str:
    return handler.stream.getvalue()  # type: ignore[attr-defined]


def test_text_lines_end_with_the_event_fields(capture):
    logger, handler = capture
    handler.setFormatter(TextFormatter())
    log_event(logger, logging.WARNING, "exchange.banned", "418 from spot", host="spot",
              retry_after_s=4.0, note="two words", name="clash")  # fmt: skip
    line = _output(handler).strip()
    assert line.endswith(
        "WARNING cl3.test.logs: 418 from spot event=exchange.banned host=spot retry_after_s=4 "
        'note="two words" field_name=clash'
    )
    assert line[:24].endswith("Z") and line[10] == "T"  # UTC, ISO 8601 with milliseconds


def test_json_lines_are_one_object_with_the_fields_at_the_top(capture):
    logger, handler = capture
    handler.setFormatter(json_formatter())
    log_event(logger, logging.INFO, "job.end", "job j1 (fetch) finished", job_id="j1",
              duration_s=1.25, candles_stored=3000, msg="clash")  # fmt: skip
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed")
    first, second = (json.loads(line) for line in _output(handler).splitlines())
    assert first["level"] == "INFO" and first["logger"] == "cl3.test.logs"
    assert first["message"] == "job j1 (fetch) finished" and first["event"] == "job.end"
    assert (first["job_id"], first["duration_s"], first["candles_stored"]) == ("j1", 1.25, 3000)
    assert first["field_msg"] == "clash" and "cl3_fields" not in first and "time" in first
    assert second["level"] == "ERROR" and "ValueError: boom" in second["exc_info"]


def test_a_disabled_level_costs_nothing(capture):
    logger, handler = capture
    log_event(logger, logging.DEBUG, "x", "not shown", value=object())
    assert _output(handler) == ""


def test_configure_logging_replaces_its_own_handler_only():
    root = logging.getLogger()
    foreign = logging.NullHandler()
    root.addHandler(foreign)
    level = root.level
    try:
        configure_logging("json", "WARNING")
        configure_logging("text", "INFO")
        ours = [h for h in root.handlers if h.get_name() == "cl3-console"]
        assert len(ours) == 1 and isinstance(ours[0].formatter, TextFormatter)
        assert foreign in root.handlers and root.level == logging.INFO
    finally:
        for handler in [h for h in root.handlers if h.get_name() == "cl3-console"]:
            root.removeHandler(handler)
        root.removeHandler(foreign)
        root.setLevel(level)
