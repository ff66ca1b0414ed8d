"""Durable state for every function: one interface, two engines.

``open_store("sqlite:///path")`` gives the embedded engine (one machine);
``open_store("postgresql://...")`` the shared one (many function instances).
The PostgreSQL driver is imported only when that engine is asked for.
"""

from __future__ import annotations

from shared.errors import ConfigError
from shared.store.base import (
    Alert,
    EventRecord,
    EventStatus,
    RecordResult,
    Store,
    StoredEvent,
)

__all__ = [
    "Alert",
    "EventRecord",
    "EventStatus",
    "RecordResult",
    "Store",
    "StoredEvent",
    "open_store",
]


def open_store(url: str) -> Store:
    """Open the store a URL names; the schema is not touched until ``migrate``.

    Args:
        url: ``sqlite:///relative/or/absolute/path`` or ``postgresql://...``.

    Raises:
        ConfigError: the URL names no supported engine.
    """
    if url.startswith("sqlite:///"):
        from shared.store.sqlite import SqliteStore

        return SqliteStore(url.removeprefix("sqlite:///") or "live-sync.sqlite3")
    if url.startswith(("postgresql://", "postgres://")):
        from shared.store.postgres import PostgresStore

        return PostgresStore(url)
    raise ConfigError("LIVE_STORE_URL must start with sqlite:/// or postgresql://")
