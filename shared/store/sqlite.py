"""The embedded store: one SQLite file in WAL mode.

Right for one machine or one function instance. Each thread keeps its own
connection; writers take the database lock at BEGIN IMMEDIATE, which also
serialises the read-decide-write of a stream's state.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from shared.errors import StoreError, StoreUnavailable, UnstorableValue
from shared.state import StreamKey
from shared.store.schema import SQLITE_MIGRATIONS
from shared.store.sql import Cursor, SqlStore

__all__ = ["SqliteStore"]

#: Seconds a writer waits at each of its two queues (behind the other threads
#: of its process, then behind other processes in SQLite's busy handler) before
#: the store counts as unavailable. Both together stay under the callback's
#: 15 s function timeout, so a stuck writer turns into a 503 Tencent retries.
BUSY_TIMEOUT = 5.0


class SqliteStore(SqlStore):
    """A store in one SQLite file."""

    placeholder = "?"
    migrations = SQLITE_MIGRATIONS

    def __init__(self, path: str, *, busy_timeout: float = BUSY_TIMEOUT) -> None:
        """Open (lazily) the database at ``path``; ``:memory:`` is refused.

        Args:
            path: the database file.
            busy_timeout: seconds to wait for the other threads of this
                process, and again for another process's write lock.

        Raises:
            StoreError: the path is ``:memory:``, which threads cannot share.
        """
        if str(path) == ":memory:":
            raise StoreError("an in-memory SQLite store cannot be shared; use a file")
        super().__init__()
        self.path = path
        self._busy_timeout = busy_timeout
        self._writer = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=self._busy_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a 200 goes back to Tencent only after the event is on disk.
            conn.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as exc:
            raise StoreUnavailable(
                f"cannot open SQLite store: {type(exc).__name__}"
            ) from None
        self._remember(conn)
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[Cursor]:
        # Threads of one process queue here instead of in SQLite's busy
        # handler, which sleeps in steps of milliseconds between retries; the
        # wait is bounded like the busy handler's, so a stuck writer turns into
        # StoreUnavailable instead of a queue that outlives the function.
        if not self._writer.acquire(timeout=self._busy_timeout):
            raise StoreUnavailable("SQLite store is busy: another writer holds it")
        try:
            with self._open_transaction() as cur:
                yield cur
        finally:
            self._writer.release()

    @contextmanager
    def _open_transaction(self) -> Iterator[Cursor]:
        conn = self._connection()
        try:
            cur = conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _translate(exc) from None
        try:
            yield cur
            cur.execute("COMMIT")
        except BaseException as exc:
            conn.rollback()
            if isinstance(exc, (sqlite3.Error, *_UNSTORABLE)):
                raise _translate(exc) from None
            raise

    def _lock_stream(self, cur: Cursor, key: StreamKey) -> None:
        # BEGIN IMMEDIATE already holds the only write lock there is.
        return


#: Words in SQLite's messages that mean "try again later", not "this is wrong".
_UNAVAILABLE = ("locked", "busy", "unable to open", "disk", "readonly")

#: What binding a value SQLite cannot hold raises: an int past 64 bits, text
#: with lone surrogates (which has no UTF-8 form), a string or blob too big.
_UNSTORABLE = (OverflowError, UnicodeEncodeError, sqlite3.DataError)


def _translate(exc: Exception) -> StoreError:
    if isinstance(exc, _UNSTORABLE):
        # Only the type: the message of an encoding error quotes the text.
        return UnstorableValue(f"SQLite cannot store a value: {type(exc).__name__}")
    text = str(exc)
    if any(word in text for word in _UNAVAILABLE):
        return StoreUnavailable(f"SQLite store is unavailable: {text}")
    return StoreError(f"SQLite store failed: {type(exc).__name__}: {text}")
