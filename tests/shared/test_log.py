"""The one structured log line each invocation writes."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from shared.log import Invocation, configure_logging

ROOT = Path(__file__).resolve().parents[2]

#: Fields an entry point might carelessly add; none may reach the line.
SECRET_FIELDS = {
    "sign": "3710ceffaec75d93addf63273b3db7df",
    "api_key": "legacy-api-key-value",
    "secret_key": "tencent-secret-key-value",
    "Authorization": "Bearer token-value",
    "callback_key": "callback-key-value",
    "password": "password-value",
}


@pytest.fixture
def live_logger() -> Iterator[logging.Logger]:
    """The package's 'live' logger, pristine for the test and restored after."""
    logger = logging.getLogger("live")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    logger.handlers.clear()
    logger.setLevel(logging.NOTSET)
    logger.propagate = True
    yield logger
    logger.handlers[:] = saved[0]
    logger.setLevel(saved[1])
    logger.propagate = saved[2]


def emitted(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    """The invocation lines caught so far, decoded."""
    records = [r for r in caplog.records if r.name == "live.invocation"]
    return [json.loads(record.getMessage()) for record in records]


def test_emit_writes_one_json_line(
    live_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    """One invocation yields exactly one record, a JSON object with its fields."""
    caplog.set_level(logging.INFO)

    Invocation("callback", request_id="r-1").emit()

    [line] = emitted(caplog)
    assert line["function"] == "callback"
    assert line["request_id"] == "r-1"
    assert isinstance(line["cold_start"], bool)


def test_emit_returns_the_line_it_logged(
    live_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    """The returned text is exactly the logged message."""
    caplog.set_level(logging.INFO)

    line = Invocation("poller", outcome="ok").emit()

    assert [record.getMessage() for record in caplog.records] == [line]


def test_latency_is_recorded_in_milliseconds(
    live_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    """The line carries a non-negative latency_ms number."""
    caplog.set_level(logging.INFO)

    Invocation("callback").emit()

    [line] = emitted(caplog)
    assert isinstance(line["latency_ms"], float)
    assert line["latency_ms"] >= 0


def test_fields_added_later_appear_and_replace(
    live_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    """add() adds new fields and replaces earlier values."""
    caplog.set_level(logging.INFO)
    invocation = Invocation("callback", outcome="pending")

    invocation.add(outcome="applied", stream="s1")
    invocation.emit()

    [line] = emitted(caplog)
    assert (line["outcome"], line["stream"]) == ("applied", "s1")


def test_forbidden_field_names_are_dropped_at_creation() -> None:
    """Fields named like a sign, key, secret or Authorization never enter."""
    invocation = Invocation("callback", stream="s1", **SECRET_FIELDS)

    assert "stream" in invocation.fields
    assert not set(SECRET_FIELDS) & set(invocation.fields)


def test_forbidden_field_names_are_dropped_when_added(
    live_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    """Secret-named fields added later reach neither the fields nor the line."""
    caplog.set_level(logging.INFO)
    invocation = Invocation("callback")

    invocation.add(**SECRET_FIELDS)
    line = invocation.emit()

    for name, value in SECRET_FIELDS.items():
        assert name not in line
        assert value not in line
        assert value not in caplog.text


def test_fields_returns_a_copy() -> None:
    """Changing the returned mapping does not change the invocation."""
    invocation = Invocation("callback", stream="s1")

    invocation.fields["stream"] = "changed"

    assert invocation.fields["stream"] == "s1"


def test_values_json_cannot_encode_are_written_as_text(
    live_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    """A datetime or similar value becomes its string form instead of failing."""
    caplog.set_level(logging.INFO)
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)

    Invocation("poller", tick=when).emit()

    [line] = emitted(caplog)
    assert line["tick"] == str(when)


def test_chinese_text_is_written_as_is(
    live_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    """Non-ASCII text stays readable rather than \\u-escaped."""
    caplog.set_level(logging.INFO)

    line = Invocation("alerter", title="断流告警").emit()

    assert "断流告警" in line


def test_emit_uses_the_level_given(
    live_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    """A failed invocation may be logged at WARNING or ERROR."""
    caplog.set_level(logging.INFO)

    Invocation("callback", outcome="store_down").emit(logging.ERROR)

    assert [record.levelno for record in caplog.records] == [logging.ERROR]


def test_cold_start_is_true_once_per_process() -> None:
    """The first invocation in a fresh process is cold; the next ones are warm."""
    script = (
        "from shared.log import Invocation\n"
        "print([Invocation(n).fields['cold_start'] for n in 'abc'])\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stdout.strip() == "[True, False, False]"


def test_configure_logging_writes_lines_to_stdout(
    live_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    """After configure_logging, each invocation is one line on standard output."""
    configure_logging()

    Invocation("callback", request_id="r-2").emit()

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["request_id"] == "r-2"


def test_configure_logging_is_idempotent(
    live_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    """Calling it twice adds one handler, so each line is written once."""
    configure_logging()
    configure_logging("DEBUG")

    Invocation("callback").emit()

    assert len(live_logger.handlers) == 1
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_configure_logging_sets_the_level_and_stops_propagation(
    live_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    """The level given filters lines, and records do not reach the root logger."""
    configure_logging("WARNING")

    Invocation("callback", outcome="ok").emit(logging.INFO)
    Invocation("callback", outcome="late").emit(logging.WARNING)

    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["outcome"] for line in lines] == ["late"]
    assert live_logger.propagate is False


def test_a_later_call_changes_only_the_level(live_logger: logging.Logger) -> None:
    """The settings' level applies after logging was set up with the default."""
    configure_logging()
    configure_logging("WARNING")

    assert live_logger.level == logging.WARNING
    assert len(live_logger.handlers) == 1
