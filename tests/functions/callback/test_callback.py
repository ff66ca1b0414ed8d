"""The callback endpoint, specified through its real front doors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared import (
    EventStatus,
    Store,
    StoreError,
    StreamKey,
    configure_logging,
    load_settings,
)
from shared.store.sqlite import SqliteStore
from tests.functions.callback.conftest import KEY, NEW_KEY, Callback, signed

STREAM = StreamKey("push.example.com", "live", "room_42")


def push(sequence: str = "100", event_time: int = 1_703_731_478) -> dict[str, Any]:
    """A push event of room_42 in the reference's shape."""
    return {
        "app": "push.example.com",
        "appid": 1250000001,
        "appname": "live",
        "channel_id": "room_42",
        "errcode": 0,
        "errmsg": "ok",
        "event_time": event_time,
        "event_type": 1,
        "node": "42.81.194.37",
        "sequence": sequence,
        "stream_id": "room_42",
        "stream_param": "txSecret=abc&txTime=658D5080",
        "user_ip": "203.0.113.7",
    }


def stop(
    sequence: str = "100", event_time: int = 1_703_735_100, errcode: int = 1
) -> dict[str, Any]:
    """The stop event matching :func:`push`."""
    body = push(sequence, event_time)
    body.update(event_type=0, errcode=errcode, errmsg="x", push_duration="3622000")
    return body


def test_push_makes_the_stream_live(
    callback: Callback, reader: Store, door: str
) -> None:
    """A fresh, signed push is answered 200 {"code":0} and the stream goes live."""
    answer = callback.deliver(door, signed(push()))

    assert answer.status == 200
    assert answer.json == {"code": 0}
    state = reader.stream(STREAM)
    assert state is not None
    assert (state.state, state.sequence, state.source) == ("live", "100", "callback")


def test_raw_body_is_kept_exactly(callback: Callback, reader: Store) -> None:
    """The store keeps the bytes Tencent sent, not a re-serialisation."""
    raw = json.dumps(signed(push()), indent=3).encode()

    callback.http(raw)

    assert reader.events()[0].record.body == raw


def test_repeated_delivery_is_recorded_once(callback: Callback, reader: Store) -> None:
    """A retry, even re-signed with a new t, leaves one row."""
    callback.http(signed(push()))
    callback.apigw(signed(push(), t=2_000_000_000 - 86_400 * 10_000))
    callback.http(signed(push()))

    assert reader.event_count() == 1


def test_stop_before_its_push_leaves_the_stream_offline(
    callback: Callback, reader: Store
) -> None:
    """A stop that overtakes its own push wins; the late push changes nothing."""
    callback.http(signed(stop()))
    callback.http(signed(push()))

    state = reader.stream(STREAM)
    assert state is not None
    assert state.state == "offline"
    assert reader.event_count() == 2


def test_late_stop_of_an_old_session_keeps_the_new_one_live(
    callback: Callback, reader: Store
) -> None:
    """The stop of session 1 arriving after the push of session 2 is stale."""
    callback.http(signed(push("1", 1000)))
    callback.http(signed(push("2", 2000)))
    callback.http(signed(stop("1", 1500)))

    state = reader.stream(STREAM)
    assert state is not None
    assert (state.state, state.sequence) == ("live", "2")


def test_forbid_stop_leaves_the_stream_forbidden(
    callback: Callback, reader: Store
) -> None:
    """A stop with errcode 21 and sub_errcode 101 marks the stream forbidden."""
    body = stop(errcode=21)
    body["sub_errcode"] = 101
    callback.http(signed(push()))
    callback.http(signed(body))

    state = reader.stream(STREAM)
    assert state is not None
    assert state.state == "forbidden"


def test_expired_event_is_quarantined_not_applied(
    callback: Callback, reader: Store, door: str
) -> None:
    """An authentic but expired push is kept aside and answered 200."""
    answer = callback.deliver(door, signed(push(), t=1_000_000_000))

    assert answer.status == 200
    assert reader.event_count(EventStatus.QUARANTINED) == 1
    assert reader.stream(STREAM) is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (signed(push(), key="wrong"), "sign_mismatch"),
        ({**push(), "t": 1}, "sign_missing"),
        ({**push(), "sign": "0" * 32}, "sign_missing"),
        ({**push(), "t": "soon", "sign": "0" * 32}, "t_malformed"),
    ],
)
def test_bad_signature_is_refused_and_counted(
    callback: Callback, reader: Store, body: dict[str, Any], code: str
) -> None:
    """Missing, malformed or wrong signatures get 401 with their own code."""
    answer = callback.http(body)

    assert answer.status == 401
    assert answer.json["code"] == code
    assert reader.event_count() == 0
    assert reader.counters() == {f"verify.{code}": 1}


def test_refused_sample_holds_no_sign(callback: Callback, reader: Store) -> None:
    """The diagnostic sample of a refused body drops t and sign."""
    body = signed(push(), key="wrong")

    callback.http(body)

    [(reason, sample)] = reader.samples()
    assert reason == "sign_mismatch"
    assert body["sign"].encode() not in sample
    assert b"room_42" in sample


def test_far_future_t_is_refused(callback: Callback) -> None:
    """A t further ahead than a day is refused even with the right key."""
    answer = callback.http(signed(push(), t=4_000_000_000))

    assert (answer.status, answer.json["code"]) == (401, "t_in_future")


def test_rotated_key_is_accepted_and_reported(
    callback: Callback, capsys: pytest.CaptureFixture[str]
) -> None:
    """The second configured key verifies, and the log line says which matched."""
    answer = callback.http(signed(push(), key=NEW_KEY))

    assert answer.status == 200
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["verified_by"] == 1


def test_log_line_has_the_facts_and_no_secret(
    callback: Callback, capsys: pytest.CaptureFixture[str]
) -> None:
    """One JSON line per delivery: type, stream, sequence, outcome, latency."""
    body = signed(push())
    callback.http(body)

    out = capsys.readouterr().out
    [line] = [json.loads(text) for text in out.strip().splitlines()]
    assert line["function"] == "callback"
    assert line["event_type"] == 1
    assert line["stream"] == str(STREAM)
    assert line["sequence"] == "100"
    assert line["outcome"] == "applied"
    assert line["latency_ms"] >= 0
    assert body["sign"] not in out
    assert KEY not in out


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"not json", 400, "not_json_object"),
        (b"\xff\xfe{}", 400, "not_json_object"),
        (b"[1, 2]", 400, "not_json_object"),
        (b"[" * 5000 + b"]" * 5000, 400, "not_json_object"),
        (b'{"a": "' + b"x" * 70_000 + b'"}', 413, "body_too_large"),
    ],
)
def test_bad_bodies_get_a_clear_json_error(
    callback: Callback, raw: bytes, status: int, code: str
) -> None:
    """Bodies that are not a small UTF-8 JSON object are refused, not echoed."""
    for answer in (callback.http(raw), callback.apigw(raw, b64=True)):
        assert (answer.status, answer.json["code"]) == (status, code)
        assert "xxxx" not in answer.text


def test_get_is_not_allowed(callback: Callback) -> None:
    """Only POST delivers an event."""
    answer = callback.http(b"", method="GET")

    assert (answer.status, answer.json["code"]) == (405, "method_not_allowed")


def test_event_with_a_wrong_field_type_is_kept_and_refused(
    callback: Callback, reader: Store
) -> None:
    """An authentic event that breaks its model is stored as invalid, 400."""
    body = signed({**push(), "stream_id": 42})

    answer = callback.http(body)

    assert (answer.status, answer.json["code"]) == (400, "bad_payload")
    assert reader.event_count(EventStatus.INVALID) == 1
    assert "42" not in answer.json["message"]


def test_unknown_event_type_is_stored(callback: Callback, reader: Store) -> None:
    """An event type nobody documented is kept, never dropped."""
    answer = callback.http(signed({"event_type": 999, "novel": {"a": 1}}))

    assert answer.status == 200
    [stored] = reader.events()
    assert stored.record.event_type == 999
    assert b"novel" in stored.record.body


def test_abnormal_stop_queues_an_alert(callback: Callback, reader: Store) -> None:
    """A push-auth failure stop (18/503) puts one alert in the outbox."""
    body = stop(errcode=18)
    body["sub_errcode"] = 503

    callback.http(signed(body))
    callback.http(signed(body))

    [alert] = reader.pending_alerts()
    assert alert.kind == "abnormal_stop"
    assert alert.stream == STREAM
    assert alert.detail["errcode"] == 18


def test_normal_stop_queues_no_alert(callback: Callback, reader: Store) -> None:
    """A publisher that closed its stream (errcode 1) is not an alert."""
    callback.http(signed(stop(errcode=1)))

    assert reader.pending_alerts() == []


def test_expired_abnormal_stop_queues_no_alert(
    callback: Callback, reader: Store
) -> None:
    """Quarantined events wait for confirmation before anyone is paged."""
    body = stop(errcode=18)
    body["sub_errcode"] = 503

    callback.http(signed(body, t=1_000_000_000))

    assert reader.pending_alerts() == []


@pytest.mark.parametrize(
    "event",
    [
        "not an event",
        {"httpMethod": "POST", "body": "!!", "isBase64Encoded": True},
        {"httpMethod": "POST", "body": {"nested": "object"}},
    ],
)
def test_malformed_trigger_event_is_400_with_a_log_line(
    callback: Callback, event: object, capsys: pytest.CaptureFixture[str]
) -> None:
    """An SCF event that is not an HTTP trigger event gets 400 and is logged."""
    result = callback.scf.main_handler(event, None)

    assert result["statusCode"] == 400
    assert json.loads(result["body"])["code"] == "bad_payload"
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["outcome"] == "bad_trigger_event"


class BrokenStore(SqliteStore):
    """A store whose writes fail with the error it was given."""

    error: Exception = RuntimeError("disk on fire: secret payload")

    def record_event(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error


@pytest.mark.parametrize(
    ("error", "status", "code", "logged"),
    [
        (RuntimeError("disk: secret payload"), 500, "internal_error", "RuntimeError"),
        (StoreError("constraint: secret payload"), 503, "store_error", "store_error"),
    ],
)
def test_failure_below_the_handler_is_answered_without_details(
    callback: Callback,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    error: Exception,
    status: int,
    code: str,
    logged: str,
) -> None:
    """A bug (500) or a store failure (503) is answered and logged by kind only."""
    store = BrokenStore(str(tmp_path / "broken.sqlite3"))
    store.error = error
    store.migrate()
    # The app is handed in ready-made, so do what building it would have done.
    configure_logging()
    callback.scf._app = callback.scf.CallbackApp(load_settings(), store)

    answer = callback.apigw(signed(push()))

    assert (answer.status, answer.json["code"]) == (status, code)
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["error"] == logged
    assert "secret payload" not in json.dumps(line) + answer.text
