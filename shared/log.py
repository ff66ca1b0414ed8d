"""One structured JSON line per function invocation.

Library code logs through ``logging.getLogger(__name__)`` and attaches no
handlers. Each cloud function's entry point opens an :class:`Invocation`, adds
the ids and the outcome as it learns them, and emits exactly one line at the
end, which SCF and functions-framework both collect from standard output.

Field names that could carry a secret are dropped before the line is written,
so a careless ``inv.add(sign=...)`` cannot leak one.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import time
from typing import Any

__all__ = ["Invocation", "configure_logging"]

_logger = logging.getLogger("live.invocation")

#: Substrings of field names that never reach a log line.
_FORBIDDEN = ("sign", "key", "secret", "token", "password", "authorization")

_COLD = True


@functools.lru_cache(maxsize=256)
def _allowed(name: str) -> bool:
    # Field names come from code, not input, so the cache stays small.
    lowered = name.lower()
    return not any(word in lowered for word in _FORBIDDEN)


def configure_logging(level: str = "INFO") -> None:
    """Send the package's log records to standard output at ``level``.

    The handler is added once per process; a later call only changes the
    level. Called by the functions' entry points, never by the library itself.
    """
    root = logging.getLogger("live")
    root.setLevel(level)
    if root.handlers:
        return
    handler = _StdoutHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    root.addHandler(handler)
    root.propagate = False


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is at the time of the record.

    Runtimes and test harnesses replace ``sys.stdout``; a handler bound to
    the object it saw at start would write into a stream nobody reads.
    """

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


class Invocation:
    """Collects the fields of one invocation's log line."""

    def __init__(self, function: str, **fields: Any) -> None:
        global _COLD
        self._started = time.perf_counter()
        self._fields: dict[str, Any] = {"function": function, "cold_start": _COLD}
        _COLD = False
        self.add(**fields)

    def add(self, **fields: Any) -> None:
        """Add or replace fields; names that could hold a secret are ignored."""
        for name, value in fields.items():
            if _allowed(name):
                self._fields[name] = value

    @property
    def fields(self) -> dict[str, Any]:
        """A copy of the fields gathered so far."""
        return dict(self._fields)

    def emit(self, level: int = logging.INFO) -> str:
        """Write the line with the elapsed time and return it."""
        elapsed_ms = (time.perf_counter() - self._started) * 1000
        self._fields["latency_ms"] = round(elapsed_ms, 3)
        line = json.dumps(self._fields, ensure_ascii=False, default=str)
        _logger.log(level, line)
        return line
