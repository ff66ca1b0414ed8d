"""The shared store: PostgreSQL through psycopg 3.

Right when many function instances must share one state. Each thread keeps its
own connection. A transaction-scoped advisory lock per stream serialises the
read-decide-write of that stream's state, while events of other streams go on
in parallel. psycopg is imported here only, so nothing else pays for it.

Every wait is bounded, so a function gives up with StoreUnavailable (the
callback's 503, which Tencent retries) well before its own timeout: when a
function behind API Gateway runs out of time the gateway may answer the caller
200 with the platform's error body, and Tencent would take the event as
delivered. Connecting, waiting for a lock, running a statement and an unanswered
network each have a limit; a session left idle inside a transaction (an
instance frozen or killed mid-way) is ended by the server, so its stream locks
do not outlive it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from shared.errors import StoreError, StoreUnavailable, UnstorableValue
from shared.state import StreamKey
from shared.store.schema import POSTGRES_MIGRATIONS
from shared.store.sql import Cursor, SqlStore

__all__ = ["PostgresStore"]

#: Seconds to wait for a connection before the store counts as unavailable.
CONNECT_TIMEOUT = 5
#: Seconds a statement may wait for a lock (another instance's stream lock).
LOCK_TIMEOUT = 3.0
#: Seconds any one statement may run.
STATEMENT_TIMEOUT = 5.0
#: Seconds a session may sit idle inside a transaction before the server ends it.
IDLE_IN_TRANSACTION_TIMEOUT = 10.0
#: Milliseconds sent data may stay unacknowledged, and the keepalive probes
#: (idle seconds, interval, count) that notice a peer that went away.
_NETWORK: dict[str, Any] = {
    "tcp_user_timeout": 5000,
    "keepalives": 1,
    "keepalives_idle": 2,
    "keepalives_interval": 1,
    "keepalives_count": 3,
}

#: Key of the advisory lock that keeps two instances from migrating at once.
MIGRATION_LOCK = 7_514_209_001


class PostgresStore(SqlStore):
    """A store in a PostgreSQL database."""

    placeholder = "%s"
    migrations = POSTGRES_MIGRATIONS

    def __init__(
        self,
        url: str,
        *,
        lock_timeout: float = LOCK_TIMEOUT,
        statement_timeout: float = STATEMENT_TIMEOUT,
    ) -> None:
        """Remember the connection URL; connections open on first use.

        Args:
            url: a ``postgresql://`` URL; its own parameters are kept.
            lock_timeout: seconds a statement may wait for a lock.
            statement_timeout: seconds any one statement may run.
        """
        super().__init__()
        self._url = url
        self._session = {
            "lock_timeout": _millis(lock_timeout),
            "statement_timeout": _millis(statement_timeout),
            "idle_in_transaction_session_timeout": _millis(IDLE_IN_TRANSACTION_TIMEOUT),
        }

    def _connection(self) -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is not None and not conn.closed:
            return conn
        try:
            conn = psycopg.connect(
                self._url, connect_timeout=CONNECT_TIMEOUT, **_NETWORK
            )
        except psycopg.Error as exc:
            # The driver's message can repeat the URL, password included.
            raise StoreUnavailable(
                f"cannot connect to PostgreSQL: {type(exc).__name__}"
            ) from None
        self._bound(conn)
        self._remember(conn)
        return conn

    def _bound(self, conn: psycopg.Connection[Any]) -> None:
        # Set per session rather than through the URL's ``options``, which the
        # URL may already use (a search_path, for one).
        try:
            for name, millis in self._session.items():
                conn.execute("SELECT set_config(%s, %s, false)", (name, f"{millis}ms"))
            conn.commit()
        except psycopg.Error as exc:
            conn.close()
            raise StoreUnavailable(
                f"cannot set up the PostgreSQL session: {type(exc).__name__}"
            ) from None

    @contextmanager
    def _transaction(self) -> Iterator[Cursor]:
        conn = self._connection()
        try:
            with conn.transaction(), conn.cursor() as cur:
                yield cur
        except psycopg.OperationalError as exc:
            conn.close()
            raise StoreUnavailable(f"PostgreSQL failed: {type(exc).__name__}") from None
        except (psycopg.DataError, UnicodeEncodeError) as exc:
            # A number out of its column's range or text with NUL (the server's
            # DataError), or text with lone surrogates (refused by the driver
            # before sending it): the value is the problem, not the server.
            raise UnstorableValue(
                f"PostgreSQL cannot store a value: {type(exc).__name__}"
            ) from None
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL failed: {type(exc).__name__}") from None

    def _lock_stream(self, cur: Cursor, key: StreamKey) -> None:
        cur.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (str(key),)
        )

    def _lock_migrations(self, cur: Cursor) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        # A migration may rewrite a large table; only waiting stays bounded.
        cur.execute("SET LOCAL statement_timeout = 0")


def _millis(seconds: float) -> int:
    return max(1, round(seconds * 1000))
