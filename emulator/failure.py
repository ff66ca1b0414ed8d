"""How the emulator names an unexpected failure in its log.

An exception's message may quote what a client sent, a query string and its
``sign`` among it, so the log names only the exception's type and the place it
was raised.
"""

from __future__ import annotations

import traceback
from pathlib import Path

__all__ = ["describe"]


def describe(exc: BaseException) -> str:
    """Name an exception by its type and where it was raised, never its message.

    Args:
        exc: the exception caught.

    Returns:
        Text such as ``ValueError at api3.py:799 in _typed``.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return type(exc).__name__
    last = frames[-1]
    place = f"{Path(last.filename).name}:{last.lineno}"
    return f"{type(exc).__name__} at {place} in {last.name}"
