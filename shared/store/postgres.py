"""The shared store: PostgreSQL through psycopg 3.

Right when many function instances must share one state. Each thread keeps its
own connection. A transaction-scoped advisory lock per stream serialises the
read-decide-write of that stream's state, while events of other streams go on
in parallel. psycopg is imported here only, so nothing else pays for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from shared.errors import StoreError, StoreUnavailable
from shared.state import StreamKey
from shared.store.schema import POSTGRES_MIGRATIONS
from shared.store.sql import Cursor, SqlStore

__all__ = ["PostgresStore"]

#: Seconds to wait for a connection before the store counts as unavailable.
CONNECT_TIMEOUT = 5

#: Key of the advisory lock that keeps two instances from migrating at once.
_MIGRATION_LOCK = 7_514_209_001


class PostgresStore(SqlStore):
    """A store in a PostgreSQL database."""

    placeholder = "%s"
    migrations = POSTGRES_MIGRATIONS

    def __init__(self, url: str) -> None:
        """Remember the connection URL; connections open on first use."""
        super().__init__()
        self._url = url

    def _connection(self) -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is not None and not conn.closed:
            return conn
        try:
            conn = psycopg.connect(self._url, connect_timeout=CONNECT_TIMEOUT)
        except psycopg.Error as exc:
            # The driver's message can repeat the URL, password included.
            raise StoreUnavailable(
                f"cannot connect to PostgreSQL: {type(exc).__name__}"
            ) from None
        self._remember(conn)
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[Cursor]:
        conn = self._connection()
        try:
            with conn.transaction(), conn.cursor() as cur:
                yield cur
        except psycopg.OperationalError as exc:
            conn.close()
            raise StoreUnavailable(f"PostgreSQL failed: {type(exc).__name__}") from None
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL failed: {type(exc).__name__}") from None

    def _lock_stream(self, cur: Cursor, key: StreamKey) -> None:
        cur.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (str(key),)
        )

    def _lock_migrations(self, cur: Cursor) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
