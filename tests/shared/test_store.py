"""The store's contract, run on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from shared import (
    Alert,
    ConfigError,
    EventRecord,
    EventStatus,
    Store,
    StoreError,
    StoreUnavailable,
    StreamKey,
    Transition,
    UnstorableValue,
    open_store,
)
from shared.store.schema import SQLITE_MIGRATIONS
from shared.store.sql import _COUNT_BY_STATUS, MAX_SAMPLES, SAMPLE_BYTES
from shared.store.sqlite import SqliteStore
from tests.conftest import pg_schema_url

KEY = StreamKey("push.example.com", "live", "s1")


def record(
    dedup: str,
    *,
    seq: str = "1",
    at: int = 100,
    status: EventStatus = EventStatus.APPLIED,
    stream: StreamKey | None = KEY,
) -> EventRecord:
    """An event record with the given dedup key."""
    return EventRecord(
        dedup_key=dedup,
        event_type=1,
        stream=stream,
        sequence=seq,
        event_time=at,
        received_at=time.time(),
        status=status,
        body=b'{"event_type":1}',
        key_index=0,
    )


def test_migrate_is_idempotent(store: Store) -> None:
    """Migrating twice leaves the same schema version."""
    assert store.migrate() == store.migrate() == 2


class FirstVersionStore(SqliteStore):
    """A store as the first release of the schema left it."""

    migrations = SQLITE_MIGRATIONS[:1]


def test_a_first_version_database_is_migrated_forward(tmp_path: Path) -> None:
    """A database made by the first schema gains the later versions, and what
    it held stays: the outbox index arrives, the events remain."""
    old = FirstVersionStore(str(tmp_path / "old.sqlite3"))
    assert old.migrate() == 1
    old.record_event(record("kept"))
    old.close()

    store = SqliteStore(str(tmp_path / "old.sqlite3"))
    assert store.migrate() == 2
    assert store.event_count() == 1
    store.close()
    conn = sqlite3.connect(str(tmp_path / "old.sqlite3"))
    try:
        versions = conn.execute("SELECT version FROM schema_version").fetchall()
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT 1 FROM outbox WHERE event_id = ? LIMIT 1", (1,)
        ).fetchall()
    finally:
        conn.close()

    assert versions == [(1,), (2,)]
    assert any("outbox_event" in str(step) for step in plan), plan


def test_event_is_recorded_once(store: Store) -> None:
    """The second record of one dedup key is a duplicate and changes nothing."""
    first = store.record_event(record("a"), Transition("push", "1", 100))
    again = store.record_event(record("a"), Transition("push", "1", 100))

    assert (first.duplicate, first.state_changed) == (False, True)
    assert again.duplicate
    assert again.state == first.state
    assert store.event_count() == 1


def test_events_read_back_newest_first(store: Store) -> None:
    """Stored events keep every field, newest first."""
    written = record("a")
    store.record_event(written)
    store.record_event(record("b", stream=None))

    newest, oldest = store.events()
    assert newest.record.dedup_key == "b"
    assert newest.record.stream is None
    assert oldest.record == written
    assert oldest.id < newest.id


def test_stale_change_is_recorded_but_not_applied(store: Store) -> None:
    """An older event is stored and reported stale; the state stays."""
    store.record_event(record("new", seq="2", at=200), Transition("push", "2", 200))
    result = store.record_event(
        record("old", seq="1", at=100), Transition("stop", "1", 100, errcode=1)
    )

    assert result.stale
    assert store.event_count() == 2
    state = store.stream(KEY)
    assert state is not None
    assert state.sequence == "2"


def test_quarantined_event_does_not_move_state(store: Store) -> None:
    """Only applied events change streams."""
    result = store.record_event(
        record("q", status=EventStatus.QUARANTINED), Transition("push", "1", 100)
    )

    assert not result.state_changed
    assert store.stream(KEY) is None
    assert store.event_count(EventStatus.QUARANTINED) == 1


def test_alerts_are_queued_with_their_event(store: Store) -> None:
    """Alerts go into the outbox in the event's transaction, once."""
    alert = Alert("fp", "abnormal_stop", "error", "t", {"errcode": 18}, KEY, 5.0)

    store.record_event(record("a"), None, [alert])
    store.record_event(record("a"), None, [alert])

    assert store.pending_alerts() == [alert]


def test_streams_are_listed_by_key(store: Store) -> None:
    """Every known stream comes back, ordered."""
    other = StreamKey("push.example.com", "live", "s0")
    store.record_event(record("a"), Transition("push", "1", 100))
    store.record_event(record("b", stream=other), Transition("push", "1", 100))

    assert [state.key for state in store.streams()] == [other, KEY]


def test_counters_add_up(store: Store) -> None:
    """Counters start at zero and add."""
    store.count("verify.sign_mismatch")
    store.count("verify.sign_mismatch", 2)

    assert store.counters() == {"verify.sign_mismatch": 3}


def test_samples_are_bounded(store: Store) -> None:
    """Samples are cut short and only the newest are kept."""
    for index in range(MAX_SAMPLES + 5):
        store.keep_sample("r", str(index).encode() * 1000, float(index))

    kept = store.samples()
    assert len(kept) == MAX_SAMPLES
    assert all(len(sample) <= SAMPLE_BYTES for _, sample in kept)
    assert kept[0][1].startswith(str(MAX_SAMPLES + 4).encode())


def test_concurrent_deliveries_leave_one_row(store: Store, store_url: str) -> None:
    """Sixteen writers racing on one event leave exactly one row and one state."""
    stores = [open_store(store_url) for _ in range(4)]
    barrier = threading.Barrier(16)
    results = []

    def deliver(index: int) -> None:
        barrier.wait()
        outcome = stores[index % 4].record_event(
            record("same"), Transition("push", "1", 100)
        )
        results.append(outcome.duplicate)

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False] + [True] * 15
    assert stores[0].event_count() == 1
    for opened in stores:
        opened.close()


def _sessions(count: int) -> list[tuple[EventRecord, Transition]]:
    """Push and stop of ``count`` sessions of one stream, the last still live."""
    events = []
    for index in range(count):
        seq, at = str(index), 1000 + 10 * index
        events.append(
            (record(f"push-{seq}", seq=seq, at=at), Transition("push", seq, at))
        )
        if index < count - 1:
            stop = Transition("stop", seq, at + 5, errcode=1)
            events.append((record(f"stop-{seq}", seq=seq, at=at + 5), stop))
    return events


@pytest.mark.parametrize("seed", range(6))
def test_racing_instances_agree_on_the_latest_session(
    store: Store, store_url: str, seed: int
) -> None:
    """Instances applying one stream's events at once, shuffled and twice, converge.

    Each writer has its own store, as separate function instances do, so only
    the store's own locking stands between them and a lost update.
    """
    events = _sessions(6) * 2
    random.Random(seed).shuffle(events)
    stores = [open_store(store_url) for _ in range(8)]
    barrier = threading.Barrier(len(stores))

    def deliver(index: int) -> None:
        barrier.wait()
        for event, change in events[index :: len(stores)]:
            stores[index].record_event(event, change)

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for opened in stores:
        opened.close()

    state = store.stream(KEY)
    assert state is not None
    assert (state.state, state.sequence, state.since) == ("live", "5", 1050)
    assert store.event_count() == 11


def test_unknown_scheme_is_a_config_error() -> None:
    """A URL naming no engine fails with ConfigError."""
    with pytest.raises(ConfigError):
        open_store("mysql://localhost/db")


def test_memory_sqlite_is_refused() -> None:
    """An in-memory SQLite store would differ per thread, so it is refused."""
    with pytest.raises(StoreError):
        open_store("sqlite:///:memory:")


def test_unreachable_sqlite_is_unavailable(tmp_path: Path) -> None:
    """A SQLite path in a missing folder makes the store unavailable."""
    broken = open_store(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")

    with pytest.raises(StoreUnavailable):
        broken.migrate()


def test_unreachable_postgres_is_unavailable() -> None:
    """A PostgreSQL server that does not answer makes the store unavailable."""
    broken = open_store("postgresql://nobody:hunter2@127.0.0.1:1/none")

    with pytest.raises(StoreUnavailable) as caught:
        broken.migrate()
    assert "hunter2" not in str(caught.value)


def test_write_the_schema_refuses_is_a_store_error(store: Store) -> None:
    """A constraint violation surfaces as StoreError, not the driver's error."""
    with pytest.raises(StoreError) as caught:
        store.count(None)  # type: ignore[arg-type]

    assert not isinstance(caught.value, StoreUnavailable)
    assert store.counters() == {}


def test_sqlite_locked_by_another_process_is_unavailable(tmp_path: Path) -> None:
    """When another process holds the write lock past the timeout: unavailable."""
    path = tmp_path / "locked.sqlite3"
    open_store(f"sqlite:///{path}").migrate()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    waiting = SqliteStore(str(path), busy_timeout=0.05)

    try:
        with pytest.raises(StoreUnavailable):
            waiting.count("x")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    waiting.count("x")
    assert waiting.counters() == {"x": 1}


def test_fresh_delivery_releases_a_quarantined_event(store: Store) -> None:
    """A quarantined event delivered again, fresh, is applied once."""
    store.record_event(record("q", status=EventStatus.QUARANTINED))

    released = store.record_event(record("q"), Transition("push", "1", 100))
    again = store.record_event(record("q"), Transition("push", "1", 100))

    assert (released.duplicate, released.state_changed) == (False, True)
    assert again.duplicate
    assert store.event_count(EventStatus.APPLIED) == 1
    assert store.event_count() == 1


def test_expired_delivery_of_a_quarantined_event_is_a_duplicate(store: Store) -> None:
    """Another late delivery leaves the quarantined row as it was."""
    store.record_event(record("q", status=EventStatus.QUARANTINED))

    result = store.record_event(record("q", status=EventStatus.QUARANTINED))

    assert result.duplicate
    assert store.event_count(EventStatus.QUARANTINED) == 1


def test_refusals_are_counted_and_sampled_together(store: Store) -> None:
    """One call adds every count and keeps one sample per reason."""
    store.count("verify.sign_mismatch")

    store.record_refusals(
        {"verify.sign_mismatch": 4, "verify.sign_missing": 1},
        {"sign_mismatch": b"{}", "sign_missing": b"[]"},
        1.0,
    )

    assert store.counters() == {"verify.sign_mismatch": 5, "verify.sign_missing": 1}
    assert sorted(store.samples()) == [
        ("sign_mismatch", b"{}"),
        ("sign_missing", b"[]"),
    ]


def test_sqlite_store_runs_in_wal_mode(tmp_path: Path) -> None:
    """The SQLite file is in WAL mode, so readers never wait for the writer."""
    store = SqliteStore(str(tmp_path / "wal.sqlite3"))
    store.migrate()
    store.close()

    conn = sqlite3.connect(store.path)
    try:
        [mode] = conn.execute("PRAGMA journal_mode").fetchone()
    finally:
        conn.close()

    assert mode == "wal"


def test_a_failed_alert_undoes_the_event_and_the_state(store: Store) -> None:
    """An alert the outbox refuses (a NOT NULL column left empty) rolls back
    the whole transaction: no event, no stream state, no alert."""
    untitled: str = None  # type: ignore[assignment]
    broken = Alert("fp", "abnormal_stop", "error", untitled, {}, KEY, 5.0)

    with pytest.raises(StoreError) as caught:
        store.record_event(
            record("a"), Transition("stop", "1", 100, errcode=18), [broken]
        )

    assert not isinstance(caught.value, StoreUnavailable)
    assert store.event_count() == 0
    assert store.streams() == []
    assert store.pending_alerts() == []


def test_an_alert_that_is_not_json_undoes_the_event(store: Store) -> None:
    """A failure that is not the database's (a detail JSON cannot encode)
    propagates as it is, and the event and state are rolled back too."""
    broken = Alert("fp", "abnormal_stop", "error", "t", {"x": object()}, KEY, 5.0)

    with pytest.raises(TypeError):
        store.record_event(record("a"), Transition("push", "1", 100), [broken])

    assert store.event_count() == 0
    assert store.streams() == []


@pytest.mark.parametrize(
    "changes",
    [
        {"event_time": 2**63},
        {"stream": StreamKey("push.example.com", "live", "s\ud800")},
        {"dedup_key": "\udfff"},
    ],
    ids=["int-past-64-bits", "lone-surrogate-stream", "lone-surrogate-key"],
)
def test_a_value_no_engine_can_hold_is_unstorable(
    store: Store, changes: dict[str, object]
) -> None:
    """A value the database cannot take raises UnstorableValue, which says the
    value is the problem (no retry helps), and writes nothing."""
    event = replace(record("a"), **changes)  # type: ignore[arg-type]

    with pytest.raises(UnstorableValue) as caught:
        store.record_event(event, Transition("push", "1", 100))

    assert "\ud800" not in str(caught.value)
    assert store.event_count() == 0
    assert store.streams() == []


@pytest.mark.parametrize(
    "changes",
    [{"event_type": 2**31}, {"stream": StreamKey("d", "live", "s\x00")}],
    ids=["int-past-32-bits", "nul-in-text"],
)
def test_postgres_refuses_what_its_columns_cannot_hold(
    changes: dict[str, object],
) -> None:
    """PostgreSQL's own refusals (an INTEGER out of range, NUL in TEXT) are
    DataErrors, raised as UnstorableValue rather than a generic store error."""
    for url in pg_schema_url():
        store = open_store(url)
        store.migrate()
        event = replace(record("a"), **changes)  # type: ignore[arg-type]

        with pytest.raises(UnstorableValue):
            store.record_event(event, Transition("push", "1", 100))

        assert store.event_count() == 0
        store.close()


def test_releasing_a_quarantined_event_queues_no_second_alert(store: Store) -> None:
    """Alerts queued with the quarantined copy are not queued again when a
    fresh copy releases the event; a release of an event without alerts
    queues the fresh copy's."""
    alert = Alert("fp", "abnormal_stop", "error", "t", {"late": True}, KEY, 5.0)
    fresh = Alert("fp2", "abnormal_stop", "error", "t", {"late": False}, KEY, 6.0)
    store.record_event(record("q", status=EventStatus.QUARANTINED), None, [alert])
    store.record_event(record("r", status=EventStatus.QUARANTINED))

    first = store.record_event(record("q"), Transition("push", "1", 100), [fresh])
    second = store.record_event(record("r"), None, [fresh])

    assert (first.duplicate, first.alerts, second.alerts) == (False, 0, 1)
    assert store.pending_alerts() == [alert, fresh]


def test_held_events_are_counted_through_their_index(tmp_path: Path) -> None:
    """Counting quarantined events searches the partial index, not the table."""
    store = SqliteStore(str(tmp_path / "plan.sqlite3"))
    store.migrate()
    store.record_event(record("q", status=EventStatus.QUARANTINED))
    assert store.event_count(EventStatus.QUARANTINED) == 1
    store.close()

    conn = sqlite3.connect(store.path)
    try:
        query = _COUNT_BY_STATUS[EventStatus.QUARANTINED]
        plan = conn.execute(f"EXPLAIN QUERY PLAN {query}", ("quarantined",))
        steps = [str(row) for row in plan.fetchall()]
    finally:
        conn.close()

    assert any("events_held" in step for step in steps), steps
