"""Every wait of the store is bounded, so a stuck lock becomes StoreUnavailable.

A function that waits past its own timeout may be reported to Tencent as a
success, so the store must give up first; these tests hold real locks from
another session and check that the store does.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from shared import (
    EventRecord,
    EventStatus,
    StoreUnavailable,
    StreamKey,
    Transition,
)
from shared.store.postgres import PostgresStore
from shared.store.sqlite import SqliteStore
from tests.conftest import pg_schema_url

KEY = StreamKey("push.example.com", "live", "s1")


def push(seq: str, at: int) -> tuple[EventRecord, Transition]:
    """A push event record of session ``seq`` and the change it proposes."""
    record = EventRecord(
        dedup_key=f"1:{KEY}:{seq}",
        event_type=1,
        stream=KEY,
        sequence=seq,
        event_time=at,
        received_at=time.time(),
        status=EventStatus.APPLIED,
        body=b'{"event_type":1}',
        key_index=0,
    )
    return record, Transition("push", seq, at)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL with a fresh schema of its own."""
    yield from pg_schema_url()


@contextmanager
def stream_row_locked(url: str) -> Iterator[None]:
    """Another session holds the stream's row lock until the block ends."""
    with psycopg.connect(url) as conn:
        # The server ends this session after 8 s, so a store that waits
        # forever fails the test instead of hanging it.
        conn.execute("SET idle_in_transaction_session_timeout = '8s'")
        conn.execute(
            "SELECT 1 FROM streams WHERE domain = %s AND app = %s AND name = %s "
            "FOR UPDATE",
            (KEY.domain, KEY.app, KEY.name),
        )
        yield
        if not conn.closed:
            conn.rollback()


@pytest.mark.parametrize(
    ("lock_timeout", "statement_timeout"), [(0.2, 30.0), (30.0, 0.2)]
)
def test_a_held_stream_is_given_up_and_the_retry_lands(
    pg_url: str, lock_timeout: float, statement_timeout: float
) -> None:
    """Whichever limit comes first ends the wait; nothing half-written stays."""
    store = PostgresStore(
        pg_url, lock_timeout=lock_timeout, statement_timeout=statement_timeout
    )
    store.migrate()
    store.record_event(*push("1", 100))

    with stream_row_locked(pg_url):
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            store.record_event(*push("2", 200))
        waited = time.monotonic() - started
    retried = store.record_event(*push("2", 200))
    store.close()

    assert waited < 5
    assert not retried.duplicate
    assert retried.state is not None
    assert retried.state.sequence == "2"


def test_sqlite_writers_queue_no_longer_than_the_busy_timeout(tmp_path: Path) -> None:
    """Threads queued behind a stuck writer each give up within two timeouts
    (one per queue), not one timeout per writer ahead of them."""
    store = SqliteStore(str(tmp_path / "live.sqlite3"), busy_timeout=0.5)
    store.migrate()
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    waits: list[float] = []
    failures: list[BaseException] = []

    def write(seq: int) -> None:
        started = time.monotonic()
        try:
            store.record_event(*push(str(seq), seq))
        except StoreUnavailable as exc:
            failures.append(exc)
        waits.append(time.monotonic() - started)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    holder.rollback()
    holder.close()
    store.close()

    assert len(failures) == 8
    # Each waits at most 0.5 s behind its own threads and 0.5 s in SQLite's
    # busy handler; without the first bound the last of eight would wait
    # about 8 x 0.5 s. The margin is for a busy machine.
    assert max(waits) < 1.6
