"""The baseline of the HTTP benchmark: a function that only says hello."""

from __future__ import annotations

from typing import Any


def hello(request: Any) -> tuple[bytes, int, dict[str, str]]:
    """functions-framework HTTP target answering a fixed JSON body."""
    return b'{"code":0}', 200, {"Content-Type": "application/json"}
