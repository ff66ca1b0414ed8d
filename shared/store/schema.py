"""The store's schema, one list of migrations per engine.

Each migration moves the schema up one version. ``migrate`` applies the ones a
database has not seen yet, in one transaction, and records the version reached.
The two engines keep the same tables and columns; only the types differ.

Every callback commits one event row and one stream row, so the schema keeps
the pages such a commit dirties few: in SQLite the streams table is clustered
on its key (WITHOUT ROWID) and ids come from the rowid without the extra
bookkeeping table of AUTOINCREMENT (rows are never deleted from the top, so
ids still only grow).
"""

from __future__ import annotations

__all__ = ["POSTGRES_MIGRATIONS", "SQLITE_MIGRATIONS"]

_TABLES = """
CREATE TABLE IF NOT EXISTS events (
    id {id},
    dedup_key TEXT NOT NULL UNIQUE,
    event_type INTEGER,
    domain TEXT,
    app TEXT,
    stream TEXT,
    sequence TEXT,
    event_time BIGINT,
    received_at {real} NOT NULL,
    status TEXT NOT NULL,
    body {blob} NOT NULL,
    source TEXT NOT NULL,
    key_index INTEGER
);
CREATE INDEX IF NOT EXISTS events_stream ON events (domain, app, stream);
-- Only events held back (quarantined, invalid) are looked up by status, so
-- the applied majority costs no index page on every commit.
CREATE INDEX IF NOT EXISTS events_held ON events (status) WHERE status <> 'applied';
CREATE TABLE IF NOT EXISTS streams (
    domain TEXT NOT NULL,
    app TEXT NOT NULL,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    sequence TEXT,
    since BIGINT NOT NULL,
    last_event_time BIGINT NOT NULL,
    source TEXT NOT NULL,
    last_errcode INTEGER,
    last_sub_errcode INTEGER,
    stopped INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (domain, app, name)
){without_rowid};
CREATE TABLE IF NOT EXISTS outbox (
    id {id},
    fingerprint TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    title TEXT NOT NULL,
    detail TEXT NOT NULL,
    domain TEXT,
    app TEXT,
    stream TEXT,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    next_try {real} NOT NULL,
    created_at {real} NOT NULL,
    event_id BIGINT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_try);
CREATE TABLE IF NOT EXISTS leases (
    name TEXT NOT NULL PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at {real} NOT NULL
);
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT NOT NULL PRIMARY KEY,
    tokens {real} NOT NULL,
    updated_at {real} NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT NOT NULL PRIMARY KEY,
    value BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS samples (
    id {id},
    reason TEXT NOT NULL,
    sample {blob} NOT NULL,
    received_at {real} NOT NULL
)
"""

#: Version 2: releasing a quarantined event asks whether it already queued an
#: alert; without an index that question reads the whole outbox.
_OUTBOX_BY_EVENT = """
CREATE INDEX IF NOT EXISTS outbox_event ON outbox (event_id)
WHERE event_id IS NOT NULL
"""

SQLITE_MIGRATIONS: tuple[str, ...] = (
    _TABLES.format(
        id="INTEGER PRIMARY KEY",
        real="REAL",
        blob="BLOB",
        without_rowid=" WITHOUT ROWID",
    ),
    _OUTBOX_BY_EVENT,
)

POSTGRES_MIGRATIONS: tuple[str, ...] = (
    _TABLES.format(
        id="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        real="DOUBLE PRECISION",
        blob="BYTEA",
        without_rowid="",
    ),
    _OUTBOX_BY_EVENT,
)
