"""Safe text and numbers from values that came from Tencent or a caller.

Private to ``shared``: :mod:`shared.codes` (the HTTP, legacy and API 3.0 error
tables) and :mod:`shared.stops` (the stop table) both read untrusted values
through these helpers, and neither imports the other for them.

Upstream messages can echo request data, so :func:`clean` turns any value into
one line of at most 200 characters, free of control and bidi characters and of
anything shaped like a key, a sign or a token. Only plain values are rendered;
any other object is named by its type, because its ``repr`` could hold a secret
and its ``__str__`` could run arbitrary code.

This module imports the standard library only.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["CODE_LIMIT", "MISSING", "as_int", "clean", "phrase_words"]

#: Longest code or request id kept, in characters.
CODE_LIMIT = 100
#: What a missing or empty code is rendered as.
MISSING = "<missing>"

_MESSAGE_LIMIT = 200
_SCAN_LIMIT = 1000
_PHRASE_LIMIT = 100
_INT_LIMIT = 10**15
_REDACTED = "[redacted]"
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_INTEGER = re.compile(r"-?[0-9]{1,15}")
_WORD_CHARS = r"[A-Za-z0-9+/=_-]"
_TOKEN = re.compile(_WORD_CHARS + "{16,}")
_TRAILING_TOKEN = re.compile(_WORD_CHARS + "+$")
_DIGIT = re.compile(r"[0-9]")
_ASSIGNED_SECRET = re.compile(
    r"(?i)\b(sign|signature|txsecret|secret\w*|token|key|password|authorization"
    r"|credential)\b([\"']?\s*[=:]\s*[\"']?)[^\s\"']+"
)


def as_int(value: object) -> int | None:
    """Read a code sent as an integer or a string of digits.

    Args:
        value: anything a payload held.

    Returns:
        The integer, or None for a bool, an integer of 16 digits or more, or
        anything else that is not a plain decimal integer.
    """
    # bool is an int subclass; JSON true is not a code.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < _INT_LIMIT else None
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    return None


def phrase_words(value: object) -> list[str]:
    """Split a short upstream message into lowercase words, for table lookups.

    Args:
        value: anything a payload held.

    Returns:
        The words, or an empty list when value is not a string of at most 100
        characters.
    """
    if not isinstance(value, str) or len(value) > _PHRASE_LIMIT:
        return []
    return value.lower().split()


def clean(value: object, limit: int = _MESSAGE_LIMIT) -> str:
    """Render any value as safe text: one line, no secret-like token.

    Args:
        value: anything a payload or a caller held; never called or printed
            unless it is a plain value.
        limit: the longest text returned, in characters.

    Returns:
        The text, stripped, at most limit characters; empty for None.
    """
    text = _as_text(value)
    visible = _visible(text[:_SCAN_LIMIT])
    if len(text) > _SCAN_LIMIT:
        # The cut may have split a secret, leaving a piece too short to spot.
        visible = _TRAILING_TOKEN.sub("", visible)
    return _redact(visible).strip()[:limit].rstrip()


def _as_text(value: object) -> str:
    # Only plain values are rendered; any other object could hold a request or
    # a key in its repr, and its __str__ could run arbitrary code.
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, bool | float):
        return str(value)
    if isinstance(value, int):
        return str(value) if abs(value) < _INT_LIMIT else "<int too large>"
    return f"<{type(value).__name__}>"


def _visible(text: str) -> str:
    return "".join(
        " " if char in "\t\n\r" else char
        for char in text
        if char in "\t\n\r" or unicodedata.category(char) not in _HIDDEN_CATEGORIES
    )


def _redact(text: str) -> str:
    text = _ASSIGNED_SECRET.sub(rf"\1\2{_REDACTED}", text)
    return _TOKEN.sub(_hide_if_secret_like, text)


def _hide_if_secret_like(match: re.Match[str]) -> str:
    # Keys, signs and tokens mix letters and digits; long plain words do not.
    token = match.group(0)
    return _REDACTED if _DIGIT.search(token) else token
