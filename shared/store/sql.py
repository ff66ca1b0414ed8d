"""The store's logic in SQL both engines understand.

SQLite and PostgreSQL share every statement here; the engines differ only in
their schema types, how they connect, how they lock a stream while deciding
its next state, and which driver errors mean "unreachable".
"""

from __future__ import annotations

import abc
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from shared.state import StreamKey, StreamState, Transition, decide
from shared.store.base import (
    Alert,
    EventRecord,
    EventStatus,
    RecordResult,
    Store,
    StoredEvent,
)

__all__ = ["Cursor", "SqlStore"]

#: How many refused-request samples are kept; older ones are deleted.
MAX_SAMPLES = 100

#: Bytes of a refused request kept for diagnosis.
SAMPLE_BYTES = 512


class Cursor(Protocol):
    """The DB-API cursor methods the store uses."""

    def execute(self, sql: Any, params: Sequence[Any] = ...) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


_EVENT_COLUMNS = (
    "dedup_key, event_type, domain, app, stream, sequence, event_time, "
    "received_at, status, body, source, key_index"
)

_STREAM_COLUMNS = (
    "domain, app, name, state, sequence, since, last_event_time, source, "
    "last_errcode, last_sub_errcode, stopped"
)


class Connection(Protocol):
    """The DB-API connection method the store needs in common."""

    def close(self) -> None: ...


class SqlStore(Store):
    """A store whose engines differ only in connection and schema details.

    Each thread keeps its own connection; the store remembers every one it
    opened so that :meth:`close` can release them all.
    """

    #: Placeholder style of the driver: "?" for sqlite3, "%s" for psycopg.
    placeholder = "?"
    #: The engine's schema scripts, oldest first; version n is the n-th.
    migrations: tuple[str, ...] = ()

    def __init__(self) -> None:
        self._local = threading.local()
        self._opened: list[Connection] = []
        self._opened_lock = threading.Lock()

    def _remember(self, conn: Connection) -> None:
        self._local.conn = conn
        with self._opened_lock:
            self._opened.append(conn)

    def close(self) -> None:
        with self._opened_lock:
            for conn in self._opened:
                conn.close()
            self._opened.clear()
        self._local = threading.local()

    def _lock_migrations(self, cur: Cursor) -> None:
        """Keep other processes from migrating at the same time."""
        return

    def migrate(self) -> int:
        with self._transaction() as cur:
            self._lock_migrations(cur)
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
            )
            cur.execute("SELECT MAX(version) FROM schema_version")
            current = cur.fetchone()[0] or 0
            for version, script in enumerate(self.migrations, start=1):
                if version <= current:
                    continue
                for statement in iter_statements(script):
                    cur.execute(statement)
                cur.execute(
                    self._sql("INSERT INTO schema_version (version) VALUES (?)"),
                    (version,),
                )
            return len(self.migrations)

    @abc.abstractmethod
    def _transaction(self) -> AbstractContextManager[Cursor]:
        """Open one transaction and yield its cursor; commit on success."""

    @abc.abstractmethod
    def _lock_stream(self, cur: Cursor, key: StreamKey) -> None:
        """Keep other writers off one stream until the transaction ends."""

    def _sql(self, text: str) -> str:
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)

    def record_event(
        self,
        event: EventRecord,
        change: Transition | None = None,
        alerts: Sequence[Alert] = (),
    ) -> RecordResult:
        with self._transaction() as cur:
            event_id = self._insert_event(cur, event)
            released = event_id is None
            if released:
                event_id = self._release(cur, event)
            if event_id is None:
                return RecordResult(duplicate=True, state=self._read_if(cur, event))

            result = self._apply(cur, event, change)
            # A quarantined delivery may have queued the alerts already; the
            # release must not page anyone a second time for one event.
            if released and self._has_alerts(cur, event_id):
                alerts = ()
            for alert in alerts:
                self._insert_alert(cur, alert, event_id)
            return RecordResult(
                duplicate=False,
                state=result.state,
                state_changed=result.state_changed,
                stale=result.stale,
                alerts=len(alerts),
            )

    def _insert_event(self, cur: Cursor, event: EventRecord) -> int | None:
        stream = event.stream
        cur.execute(
            self._sql(
                f"INSERT INTO events ({_EVENT_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (dedup_key) DO NOTHING RETURNING id"
            ),
            (
                event.dedup_key,
                event.event_type,
                stream.domain if stream else None,
                stream.app if stream else None,
                stream.name if stream else None,
                event.sequence,
                event.event_time,
                event.received_at,
                event.status.value,
                event.body,
                event.source,
                event.key_index,
            ),
        )
        row = cur.fetchone()
        return None if row is None else int(row[0])

    def _release(self, cur: Cursor, event: EventRecord) -> int | None:
        # A fresh, verified delivery of an event held in quarantine proves it:
        # the stored row is applied now instead of waiting for the poller.
        if event.status is not EventStatus.APPLIED:
            return None
        cur.execute(
            self._sql(
                "UPDATE events SET status = ?, key_index = ? "
                "WHERE dedup_key = ? AND status = ? RETURNING id"
            ),
            (
                EventStatus.APPLIED.value,
                event.key_index,
                event.dedup_key,
                EventStatus.QUARANTINED.value,
            ),
        )
        row = cur.fetchone()
        return None if row is None else int(row[0])

    def _has_alerts(self, cur: Cursor, event_id: int) -> bool:
        cur.execute(
            self._sql("SELECT 1 FROM outbox WHERE event_id = ? LIMIT 1"), (event_id,)
        )
        return cur.fetchone() is not None

    def _read_if(self, cur: Cursor, event: EventRecord) -> StreamState | None:
        return None if event.stream is None else self._read_stream(cur, event.stream)

    def _apply(
        self, cur: Cursor, event: EventRecord, change: Transition | None
    ) -> RecordResult:
        if event.stream is None:
            return RecordResult(duplicate=False)
        if change is None or event.status is not EventStatus.APPLIED:
            return RecordResult(
                duplicate=False, state=self._read_stream(cur, event.stream)
            )

        self._lock_stream(cur, event.stream)
        current = self._read_stream(cur, event.stream)
        new = decide(current, change, event.stream)
        if new is None:
            return RecordResult(duplicate=False, state=current, stale=True)

        self._write_stream(cur, new)
        return RecordResult(duplicate=False, state=new, state_changed=True)

    def _read_stream(self, cur: Cursor, key: StreamKey) -> StreamState | None:
        cur.execute(
            self._sql(
                f"SELECT {_STREAM_COLUMNS} FROM streams "
                "WHERE domain = ? AND app = ? AND name = ?"
            ),
            (key.domain, key.app, key.name),
        )
        row = cur.fetchone()
        return None if row is None else _stream_from_row(row)

    def _write_stream(self, cur: Cursor, state: StreamState) -> None:
        cur.execute(
            self._sql(
                f"INSERT INTO streams ({_STREAM_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (domain, app, name) DO UPDATE SET "
                "state = excluded.state, sequence = excluded.sequence, "
                "since = excluded.since, last_event_time = excluded.last_event_time, "
                "source = excluded.source, last_errcode = excluded.last_errcode, "
                "last_sub_errcode = excluded.last_sub_errcode, "
                "stopped = excluded.stopped"
            ),
            (
                state.key.domain,
                state.key.app,
                state.key.name,
                state.state,
                state.sequence,
                state.since,
                state.last_event_time,
                state.source,
                state.last_errcode,
                state.last_sub_errcode,
                1 if state.stopped else 0,
            ),
        )

    def _insert_alert(self, cur: Cursor, alert: Alert, event_id: int) -> None:
        stream = alert.stream
        cur.execute(
            self._sql(
                "INSERT INTO outbox (fingerprint, kind, severity, title, detail, "
                "domain, app, stream, status, attempts, next_try, created_at, "
                "event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)"
            ),
            (
                alert.fingerprint,
                alert.kind,
                alert.severity,
                alert.title,
                json.dumps(dict(alert.detail), ensure_ascii=False, sort_keys=True),
                stream.domain if stream else None,
                stream.app if stream else None,
                stream.name if stream else None,
                alert.created_at,
                alert.created_at,
                event_id,
            ),
        )

    def stream(self, key: StreamKey) -> StreamState | None:
        with self._transaction() as cur:
            return self._read_stream(cur, key)

    def streams(self) -> list[StreamState]:
        with self._transaction() as cur:
            cur.execute(
                f"SELECT {_STREAM_COLUMNS} FROM streams ORDER BY domain, app, name"
            )
            return [_stream_from_row(row) for row in cur.fetchall()]

    def events(self, limit: int = 100) -> list[StoredEvent]:
        with self._transaction() as cur:
            cur.execute(
                self._sql(
                    f"SELECT id, {_EVENT_COLUMNS} FROM events ORDER BY id DESC LIMIT ?"
                ),
                (limit,),
            )
            return [_event_from_row(row) for row in cur.fetchall()]

    def event_count(self, status: EventStatus | None = None) -> int:
        with self._transaction() as cur:
            if status is None:
                cur.execute("SELECT COUNT(*) FROM events")
            else:
                cur.execute(self._sql(_COUNT_BY_STATUS[status]), (status.value,))
            return int(cur.fetchone()[0])

    def pending_alerts(self) -> list[Alert]:
        with self._transaction() as cur:
            cur.execute(
                "SELECT fingerprint, kind, severity, title, detail, domain, app, "
                "stream, created_at FROM outbox WHERE status = 'pending' ORDER BY id"
            )
            return [_alert_from_row(row) for row in cur.fetchall()]

    def count(self, name: str, by: int = 1) -> None:
        with self._transaction() as cur:
            self._count(cur, name, by)

    def counters(self) -> dict[str, int]:
        with self._transaction() as cur:
            cur.execute("SELECT name, value FROM counters ORDER BY name")
            return {str(name): int(value) for name, value in cur.fetchall()}

    def keep_sample(self, reason: str, sample: bytes, received_at: float) -> None:
        with self._transaction() as cur:
            self._keep_sample(cur, reason, sample, received_at)

    def record_refusals(
        self,
        counts: Mapping[str, int],
        samples: Mapping[str, bytes],
        received_at: float,
    ) -> None:
        with self._transaction() as cur:
            for name, by in counts.items():
                self._count(cur, name, by)
            for reason, sample in samples.items():
                self._keep_sample(cur, reason, sample, received_at)

    def _count(self, cur: Cursor, name: str, by: int) -> None:
        cur.execute(
            self._sql(
                "INSERT INTO counters (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = counters.value + "
                "excluded.value"
            ),
            (name, by),
        )

    def _keep_sample(
        self, cur: Cursor, reason: str, sample: bytes, received_at: float
    ) -> None:
        cur.execute(
            self._sql(
                "INSERT INTO samples (reason, sample, received_at) VALUES (?, ?, ?)"
            ),
            (reason, sample[:SAMPLE_BYTES], received_at),
        )
        cur.execute(
            self._sql(
                "DELETE FROM samples WHERE id NOT IN "
                "(SELECT id FROM samples ORDER BY id DESC LIMIT ?)"
            ),
            (MAX_SAMPLES,),
        )

    def samples(self) -> list[tuple[str, bytes]]:
        with self._transaction() as cur:
            cur.execute("SELECT reason, sample FROM samples ORDER BY id DESC")
            return [(str(reason), bytes(sample)) for reason, sample in cur.fetchall()]


def _stream_from_row(row: Sequence[Any]) -> StreamState:
    domain, app, name, state, sequence, since, last_time, source = row[:8]
    errcode, sub_errcode, stopped = row[8:]
    return StreamState(
        key=StreamKey(domain, app, name),
        state=state,
        sequence=sequence,
        since=int(since),
        last_event_time=int(last_time),
        source=source,
        last_errcode=errcode,
        last_sub_errcode=sub_errcode,
        stopped=bool(stopped),
    )


def _event_from_row(row: Sequence[Any]) -> StoredEvent:
    (event_id, dedup_key, event_type, domain, app, name, sequence, event_time) = row[:8]
    received_at, status, body, source, key_index = row[8:]
    stream = StreamKey(domain, app, name) if name is not None else None
    record = EventRecord(
        dedup_key=dedup_key,
        event_type=event_type,
        stream=stream,
        sequence=sequence,
        event_time=event_time,
        received_at=float(received_at),
        status=EventStatus(status),
        body=bytes(body),
        source=source,
        key_index=key_index,
    )
    return StoredEvent(id=int(event_id), record=record)


def _alert_from_row(row: Sequence[Any]) -> Alert:
    fingerprint, kind, severity, title, detail, domain, app, name, created = row
    stream = StreamKey(domain, app, name) if name is not None else None
    return Alert(
        fingerprint=fingerprint,
        kind=kind,
        severity=severity,
        title=title,
        detail=json.loads(detail),
        stream=stream,
        created_at=float(created),
    )


#: Counting held events names the partial index's own condition: SQLite uses
#: a partial index only when the query repeats it, PostgreSQL infers it.
_COUNT_BY_STATUS = {
    status: "SELECT COUNT(*) FROM events WHERE status = ?"
    + ("" if status is EventStatus.APPLIED else " AND status <> 'applied'")
    for status in EventStatus
}


def iter_statements(script: str) -> Iterator[str]:
    """Split a schema script into statements (no semicolons inside them)."""
    for statement in script.split(";"):
        if statement.strip():
            yield statement.strip()
