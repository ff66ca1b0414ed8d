"""The callback endpoint, specified through its real front doors."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import psycopg
import pytest

from shared import (
    Alert,
    EventRecord,
    EventStatus,
    Store,
    StoredEvent,
    StreamKey,
    StreamState,
    Transition,
    open_store,
)
from shared.store.postgres import MIGRATION_LOCK, PostgresStore
from shared.store.sqlite import SqliteStore
from tests.conftest import pg_schema_url
from tests.fixtures.loader import load_event
from tests.functions.callback.conftest import (
    KEY,
    NEW_KEY,
    Answer,
    Callback,
    Clock,
    signed,
)

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


@pytest.mark.parametrize(
    ("name", "key_prefix"),
    [("push", "1:push.example.com/live/room_42:"), ("push_exception", "321:sha256:")],
)
def test_retry_signed_again_later_is_recorded_once(
    callback: Callback, reader: Store, door: str, name: str, key_prefix: str
) -> None:
    """A retry re-signed with a later t leaves one row, whether the event is
    keyed by its session (push) or by the hash of its body (321)."""
    callback.deliver(door, signed(load_event(name)))
    callback.deliver(door, signed(load_event(name), later=60))
    callback.deliver(door, signed(load_event(name), later=120))

    [stored] = reader.events()
    assert stored.record.status is EventStatus.APPLIED
    assert stored.record.dedup_key.startswith(key_prefix)


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
    callback: Callback, reader: Store, door: str, body: dict[str, Any], code: str
) -> None:
    """Missing, malformed or wrong signatures get 401 with their own code,
    through every door."""
    answer = callback.deliver(door, body)

    assert answer.status == 401
    assert answer.json["code"] == code
    assert reader.event_count() == 0
    assert reader.counters() == {f"verify.{code}": 1}


def test_refused_sample_holds_neither_t_nor_sign(
    callback: Callback, reader: Store
) -> None:
    """The diagnostic sample of a refused body drops t and sign."""
    body = signed(push(), key="wrong")

    callback.apigw(body)

    [(reason, sample)] = reader.samples()
    kept = json.loads(sample)
    assert reason == "sign_mismatch"
    assert "t" not in kept
    assert "sign" not in kept
    assert body["sign"].encode() not in sample
    assert str(body["t"]).encode() not in sample
    assert kept["stream_id"] == "room_42"


def test_a_burst_of_forged_requests_is_written_once(
    callback: Callback, reader: Store, door: str
) -> None:
    """Every forged request gets its 401, but only the first of a burst reaches
    the store; the others wait in memory for the next write."""
    answers = [callback.deliver(door, signed(push(), key="wrong")) for _ in range(20)]

    assert {answer.status for answer in answers} == {401}
    assert reader.counters() == {"verify.sign_mismatch": 1}
    assert len(reader.samples()) == 1


def test_refusals_are_written_when_the_next_write_is_due(
    callback: Callback, store_url: str, reader: Store
) -> None:
    """Refusals counted between two writes are added at the first request after
    the interval, with one sample per reason; nothing is counted twice."""
    clock = Clock()
    app = callback.app(open_store(store_url), clock)
    for body in [signed(push(), key="wrong")] * 3 + [{**push(), "t": 1}] * 2:
        assert callback.served(app, body).status == 401
    assert reader.counters() == {"verify.sign_mismatch": 1}

    clock.now += callback.scf.REFUSAL_FLUSH_SECONDS
    assert callback.served(app, signed(push())).status == 200
    clock.now += callback.scf.REFUSAL_FLUSH_SECONDS
    assert callback.served(app, signed(push("101"))).status == 200

    assert reader.counters() == {"verify.sign_mismatch": 3, "verify.sign_missing": 2}
    assert sorted(reason for reason, _ in reader.samples()) == [
        "sign_mismatch",
        "sign_mismatch",
        "sign_missing",
    ]


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


def test_base64_api_gateway_event_is_stored_exactly(
    callback: Callback, reader: Store
) -> None:
    """A base64-encoded API Gateway body is decoded, applied and kept byte for
    byte as Tencent sent it."""
    raw = json.dumps(signed(push()), indent=2, ensure_ascii=False).encode()

    answer = callback.apigw(raw, b64=True)

    assert (answer.status, answer.json) == (200, {"code": 0})
    assert reader.events()[0].record.body == raw
    state = reader.stream(STREAM)
    assert state is not None
    assert state.state == "live"


def nested(depth: int) -> bytes:
    """A signed unknown event whose body nests ``depth`` levels, itself included.

    Written out as bytes: json.dumps would itself recurse once per level.
    """
    head = json.dumps(signed({"event_type": 999}))[:-1]
    inner = b"[" * (depth - 1) + b"]" * (depth - 1)
    return head.encode() + b', "x": ' + inner + b"}"


@pytest.mark.parametrize("door", ["http", "apigw"])
def test_a_body_nested_deeper_than_the_limit_is_refused(
    callback: Callback, reader: Store, door: str
) -> None:
    """An authentic body nesting far deeper than any event, though within what
    the JSON decoder takes, is refused with 400 before anything else sees it."""
    deliver = callback.http if door == "http" else callback.apigw

    answer = deliver(nested(500))

    assert (answer.status, answer.json["code"]) == (400, "body_too_deep")
    assert reader.event_count() == 0


def test_a_body_at_the_nesting_limit_is_kept(callback: Callback, reader: Store) -> None:
    """Nesting up to the limit is accepted, and so is a body holding many
    more brackets side by side; one level more is refused."""
    limit = callback.scf.MAX_DEPTH
    wide = signed({"event_type": 999, "x": [[{}] for _ in range(limit)]})

    at_limit = callback.http(nested(limit))
    side_by_side = callback.http(wide)
    beyond = callback.http(nested(limit + 1))

    assert (at_limit.status, side_by_side.status) == (200, 200)
    assert (beyond.status, beyond.json["code"]) == (400, "body_too_deep")
    assert reader.event_count() == 2


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
    callback: Callback,
    capsys: pytest.CaptureFixture[str],
    raw: bytes,
    status: int,
    code: str,
) -> None:
    """Bodies that are not a small UTF-8 JSON object are refused, not echoed,
    and each door's log line says why."""
    for answer in (callback.http(raw), callback.apigw(raw, b64=True)):
        assert (answer.status, answer.json["code"]) == (status, code)
        assert "xxxx" not in answer.text

    lines = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert [(line["outcome"], line["reason"]) for line in lines] == [
        ("rejected", code),
        ("rejected", code),
    ]


def test_get_is_not_allowed(callback: Callback) -> None:
    """Only POST delivers an event."""
    answer = callback.http(b"", method="GET")

    assert (answer.status, answer.json["code"]) == (405, "method_not_allowed")


@pytest.mark.parametrize(
    ("field", "value", "event_type", "stored_type"),
    [
        ("event_type", 2**31, 2**31, None),
        ("event_type", 10**30, 10**30, None),
        ("event_time", 2**63, 1, 1),
        ("errcode", 2**31, 0, 0),
        ("sub_errcode", 2**40, 0, 0),
        ("event_time", -1, 0, 0),
    ],
)
def test_integer_out_of_range_is_kept_as_invalid(
    callback: Callback,
    reader: Store,
    door: str,
    field: str,
    value: int,
    event_type: int,
    stored_type: int | None,
) -> None:
    """An authentic event whose code or time could not fit its column is stored
    as invalid and answered 400 naming the field, not a 5xx: a write that can
    never succeed would otherwise keep nothing however often Tencent retried."""
    body = signed({**stop(), "event_type": event_type, field: value})

    answer = callback.deliver(door, body)

    assert (answer.status, answer.json["code"]) == (400, "bad_payload")
    assert field in answer.json["message"]
    assert str(value) not in answer.json["message"]
    [stored] = reader.events()
    assert stored.record.status is EventStatus.INVALID
    assert stored.record.event_type == stored_type
    assert reader.stream(STREAM) is None


def test_text_no_database_can_hold_is_kept_as_invalid(
    callback: Callback, reader: Store, door: str
) -> None:
    """A stream name with a lone surrogate (valid JSON, no UTF-8 form) passes
    the model but not the database: kept as invalid, answered 400."""
    body = signed({**push(), "stream_id": "room_\ud800"})

    answer = callback.deliver(door, body)

    assert (answer.status, answer.json["code"]) == (400, "unstorable_value")
    [stored] = reader.events()
    assert stored.record.status is EventStatus.INVALID
    assert stored.record.event_type == 1
    assert reader.streams() == []


def test_text_with_nul_is_kept_as_invalid_on_postgres(pg_callback: Callback) -> None:
    """PostgreSQL refuses NUL in text with a DataError; the event is kept as
    invalid and answered 400 rather than 503, which Tencent would retry."""
    body = signed({**stop(errcode=18), "stream_id": "room\u000042"})

    answer = pg_callback.apigw(body)
    again = pg_callback.http(signed(body, later=60))

    assert (answer.status, answer.json["code"]) == (400, "unstorable_value")
    assert again.status == 400
    reader = open_store(pg_callback.store_url)
    assert reader.event_count(EventStatus.INVALID) == 1
    assert reader.pending_alerts() == []
    reader.close()


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


def test_expired_abnormal_stop_queues_a_late_alert(
    callback: Callback, reader: Store
) -> None:
    """An authentic push-auth failure that arrives expired still pages someone,
    marked late, though it leaves the stream's state to the poller."""
    body = {**stop(errcode=18), "sub_errcode": 503}

    answer = callback.http(signed(body, t=1_000_000_000))

    assert answer.status == 200
    [alert] = reader.pending_alerts()
    assert (alert.kind, alert.detail["late"]) == ("abnormal_stop", True)
    assert reader.stream(STREAM) is None


def test_fresh_delivery_of_a_quarantined_stop_pages_no_one_again(
    callback: Callback, reader: Store
) -> None:
    """The late copy queued the alert; the fresh copy releases the event and
    applies it, but queues no second alert for the same stop."""
    body = {**stop(errcode=18), "sub_errcode": 503}

    callback.http(signed(body, t=1_000_000_000))
    callback.apigw(signed(body))

    [alert] = reader.pending_alerts()
    assert alert.detail["late"] is True
    assert reader.event_count(EventStatus.APPLIED) == 1
    state = reader.stream(STREAM)
    assert state is not None
    assert state.state == "offline"


def test_expired_normal_stop_queues_no_alert(callback: Callback, reader: Store) -> None:
    """A late stop of a publisher that simply closed its stream is no alert."""
    callback.http(signed(stop(errcode=1), t=1_000_000_000))

    assert reader.pending_alerts() == []
    assert reader.event_count(EventStatus.QUARANTINED) == 1


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


class FailingStore(Store):
    """A store whose every operation fails with an error no engine raises.

    No real part reaches the handler's last resort (an exception outside the
    package's tree), so this store stands in at the outer boundary.
    """

    def _fail(self) -> NoReturn:
        raise RuntimeError("disk on fire: secret payload")

    def migrate(self) -> int:
        self._fail()

    def record_event(
        self,
        event: EventRecord,
        change: Transition | None = None,
        alerts: Sequence[Alert] = (),
    ) -> Any:
        self._fail()

    def stream(self, key: StreamKey) -> StreamState | None:
        self._fail()

    def streams(self) -> list[StreamState]:
        self._fail()

    def events(self, limit: int = 100) -> list[StoredEvent]:
        self._fail()

    def event_count(self, status: EventStatus | None = None) -> int:
        self._fail()

    def pending_alerts(self) -> list[Alert]:
        self._fail()

    def count(self, name: str, by: int = 1) -> None:
        self._fail()

    def counters(self) -> dict[str, int]:
        self._fail()

    def keep_sample(self, reason: str, sample: bytes, received_at: float) -> None:
        self._fail()

    def record_refusals(
        self,
        counts: Mapping[str, int],
        samples: Mapping[str, bytes],
        received_at: float,
    ) -> None:
        self._fail()

    def samples(self) -> list[tuple[str, bytes]]:
        self._fail()

    def close(self) -> None:
        return


def test_unexpected_failure_is_a_500_logged_by_type_only(
    callback: Callback, capsys: pytest.CaptureFixture[str]
) -> None:
    """An error outside the package's tree is answered 500 (Tencent retries)
    and logged by its type; its message reaches neither the log nor the answer.
    """
    answer = callback.served(callback.app(FailingStore()), signed(push()))

    assert (answer.status, answer.json["code"]) == (500, "internal_error")
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (line["outcome"], line["error"]) == ("internal_error", "RuntimeError")
    assert "secret payload" not in json.dumps(line) + answer.text


def test_a_store_with_a_foreign_schema_is_a_503(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A database claiming our schema version but holding other tables fails
    with store_error: 503, so Tencent retries once a person has fixed it; the
    driver's message reaches neither the log nor the answer."""
    path = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "CREATE TABLE schema_version (version INTEGER NOT NULL);"
            "INSERT INTO schema_version VALUES (1);"
            "CREATE TABLE events (id INTEGER PRIMARY KEY, secret_payload TEXT);"
        )
    conn.close()
    monkeypatch.setenv("LIVE_CALLBACK_KEYS", KEY)
    monkeypatch.setenv("LIVE_STORE_URL", f"sqlite:///{path}")

    answer = Callback(f"sqlite:///{path}").http(signed(push()))

    assert (answer.status, answer.json["code"]) == (503, "store_error")
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (line["outcome"], line["error"]) == ("error", "store_error")
    assert "column" not in json.dumps(line) + answer.text


def test_a_sqlite_store_locked_elsewhere_is_a_503_and_the_retry_lands(
    callback: Callback, tmp_path: Path
) -> None:
    """Another connection holding the write lock past the busy timeout makes
    the callback answer 503 store_unavailable; once it lets go, the retry lands.
    """
    store = SqliteStore(str(tmp_path / "locked.sqlite3"), busy_timeout=0.05)
    store.migrate()
    app = callback.app(store)
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")

    try:
        during = callback.served(app, signed(push()))
    finally:
        holder.rollback()
        holder.close()
    after = callback.served(app, signed(push()))

    assert (during.status, during.json["code"]) == (503, "store_unavailable")
    assert after.status == 200
    assert store.event_count() == 1
    store.close()


def _served_at_once(
    callback: Callback, app: Any, bodies: Sequence[dict[str, Any]]
) -> list[Answer]:
    """Deliver every body to ``app`` from its own thread, all at once."""
    answers: list[Answer] = []

    def deliver(body: dict[str, Any]) -> None:
        answers.append(callback.served(app, body))

    threads = [threading.Thread(target=deliver, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_deliveries_queued_behind_a_stuck_migration_give_up_in_time(
    callback: Callback,
) -> None:
    """While another instance holds PostgreSQL's migration lock, the first
    delivery's migration gives up at the store's lock limit and the ones queued
    behind it give up at the migration wait: every one is a 503, none waits for
    all the others; once the lock is free, a retry lands."""
    for url in pg_schema_url():
        store = PostgresStore(url, lock_timeout=1.0)
        app = callback.app(store, migration_wait=0.3)
        bodies = [signed(push(str(n))) for n in range(3)]
        with psycopg.connect(url) as holder:
            holder.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            started = time.monotonic()
            answers = _served_at_once(callback, app, bodies)
            waited = time.monotonic() - started
        retried = callback.served(app, signed(push("9")))
        store.close()

        assert sorted(a.status for a in answers) == [503, 503, 503]
        assert {a.json["code"] for a in answers} == {"store_unavailable"}
        # One lock limit (1 s) for the migrating delivery; the others 0.3 s.
        assert waited < 2.5
        assert retried.status == 200
