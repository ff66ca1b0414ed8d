"""Tencent Live's ``t + sign`` scheme and the push/play URL anti-leech signature.

Callbacks and the legacy API share one scheme: ``t`` is a UNIX time at which the
message expires and ``sign = MD5(key + t)`` in lowercase hex. The signature does
not cover the body; it only proves that the sender knows the key (or replays a
recent pair), which is why callers treat a verified event as a hint to confirm.

Push and play URLs carry ``txTime`` (the expiry in uppercase hex) and
``txSecret = MD5(key + StreamName + txTime)``.

This module imports the standard library only, so every cloud function can use
it at almost no cold-start cost.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from hmac import compare_digest
from typing import NamedTuple
from urllib.parse import SplitResult, parse_qs, urlsplit

from shared.errors import (
    ConfigError,
    KeyNotConfigured,
    SignatureExpired,
    SignatureMismatch,
    SignFieldMissing,
    SignMalformed,
    TimestampInFuture,
    TimestampMalformed,
)

__all__ = [
    "DEFAULT_GRACE_SECONDS",
    "DEFAULT_MAX_FUTURE_SECONDS",
    "T_LIMIT",
    "SignedPair",
    "Verification",
    "Verifier",
    "make_sign",
    "parse_t",
    "play_urls",
    "push_url",
    "signed_pair",
    "tx_secret",
    "tx_time",
    "verify_push_url",
]

#: Seconds after t during which a message still counts as fresh (clock skew).
DEFAULT_GRACE_SECONDS = 30

#: How far ahead t may lie. Tencent stamps callbacks with send time + 600 s; a
#: day leaves room for legacy API windows and skew while refusing absurd values.
DEFAULT_MAX_FUTURE_SECONDS = 86_400

#: t is refused from this value on: 12 digits, like the longest digit string
#: parse_t accepts. A UNIX time keeps 11 digits until the year 5138, and the bound
#: keeps b"%d" % t away from Python's limit on converting huge ints to text.
T_LIMIT = 10**12

#: txTime has at most 16 hex digits: a 64-bit expiry, far more than a URL needs.
_TX_TIME_DIGITS = 16
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")

#: Extensions a play URL adds after the stream name; the signed name has none.
_PLAY_EXTENSIONS = (".flv", ".m3u8")

#: Characters a stream name may hold in a URL we build: letters, digits, "-",
#: "." and "_". They need no percent-escaping (escaped, the name in the URL would
#: no longer be the name that was signed), and they are the names Tencent's
#: consoles and samples use; RFC 3986's "~" is left out, since Tencent names no
#: legal set and a publisher may refuse what it does not know.
_STREAM_CHARACTERS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._"
)

_KEYS_NOT_A_STRING = "keys must be a sequence of strings, not one string"
_KEY_NOT_A_STRING = "every key must be a string"

Clock = Callable[[], float]


def make_sign(key: str, t: int | str) -> str:
    """Return ``MD5(key + t)`` as lowercase hex.

    Args:
        key: the callback key or legacy API key.
        t: the expiry time; an int or its decimal string.
    """
    return hashlib.md5(f"{key}{t}".encode()).hexdigest()


@dataclass(frozen=True)
class SignedPair:
    """A (t, sign) pair ready to put in a callback body or a URL."""

    t: int
    sign: str


def signed_pair(key: str, ttl: int = 600, now: float | None = None) -> SignedPair:
    """Make a (t, sign) pair valid for ``ttl`` seconds from ``now``.

    Args:
        key: the key to sign with.
        ttl: seconds of validity; Tencent uses 600 for callbacks. A negative
            ttl makes a pair that has already expired.
        now: the current UNIX time; the system clock when omitted.

    Returns:
        The expiry t and its sign.

    Raises:
        ConfigError: now is not a finite number, or now + ttl is negative or
            has more than 12 digits, so no verifier would accept it.
    """
    current = time.time() if now is None else now
    if not math.isfinite(current):
        raise ConfigError("now must be a finite number")

    t = int(current) + ttl
    if not 0 <= t < T_LIMIT:
        raise ConfigError("now + ttl must lie between 0 and 10**12")
    return SignedPair(t=t, sign=make_sign(key, t))


class Verification(NamedTuple):
    """The outcome of a successful check.

    Attributes:
        t: the parsed expiry time, or None when verification was explicitly
            switched off and the body carried no t.
        key_index: which configured key matched (0 is the primary), or None
            when verification was explicitly switched off.
    """

    t: int | None
    key_index: int | None


def parse_t(raw: object) -> int:
    """Parse t strictly: a JSON integer or a string of ASCII digits.

    Args:
        raw: t as received, of any type.

    Returns:
        t as an int from 0 up to, not including, :data:`T_LIMIT`.

    Raises:
        SignFieldMissing: t is None or an empty string.
        TimestampMalformed: anything else that is not a decimal integer of at
            most 12 digits.
    """
    if _absent(raw):
        raise SignFieldMissing("t is missing")

    # bool is an int subclass in Python; JSON true must not pass as 1.
    if isinstance(raw, int) and not isinstance(raw, bool):
        if raw < 0:
            raise TimestampMalformed("t must not be negative")
        if raw >= T_LIMIT:
            raise TimestampMalformed("t must have at most 12 digits")
        return int(raw)

    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 12:
        return int(raw)

    raise TimestampMalformed("t must be a decimal integer")


def _absent(raw: object) -> bool:
    # Types first: == on an arbitrary object may run its own code.
    return raw is None or (isinstance(raw, str) and not raw)


def _parse_sign(raw: object) -> str:
    if _absent(raw):
        raise SignFieldMissing("sign is missing")
    if not isinstance(raw, str):
        raise SignMalformed("sign must be a string")
    return raw


def _usable_keys(keys: Sequence[str]) -> tuple[str, ...]:
    # A str is a sequence of one-letter strings: each letter would become a key.
    if isinstance(keys, str):
        raise ConfigError(_KEYS_NOT_A_STRING)
    if not all(isinstance(key, str) for key in keys):
        raise ConfigError(_KEY_NOT_A_STRING)
    return tuple(key for key in keys if key)


class Verifier:
    """Checks (t, sign) pairs against one or more keys.

    Several keys allow rotation: the first is the primary, and the verification
    reports which one matched. The checks run as guard clauses in a fixed order,
    so each refusal has its own error: no key, missing field, malformed t or
    sign, signature mismatch, expired, too far in the future. The signature is
    checked before the time, so :class:`SignatureExpired` always means
    "authentic but late".

    With no key configured, a verifier fails closed unless built with
    ``allow_unsigned``; then t and sign may be absent (a setup without a
    callback key, or an event family that carries neither), and a t that is
    present must still be well formed.
    """

    def __init__(
        self,
        keys: Sequence[str],
        *,
        grace_seconds: int = DEFAULT_GRACE_SECONDS,
        max_future_seconds: int = DEFAULT_MAX_FUTURE_SECONDS,
        clock: Clock = time.time,
        allow_unsigned: bool = False,
    ) -> None:
        """Build a verifier.

        Args:
            keys: accepted keys, primary first; empty strings are ignored.
            grace_seconds: how long after t a pair is still fresh.
            max_future_seconds: how far ahead of now t may lie.
            clock: returns the current UNIX time; injectable for tests.
            allow_unsigned: with no key configured, accept every body, signed
                or not, instead of failing closed. Never the default.

        Raises:
            ConfigError: keys is one string rather than a sequence of them, or
                holds something that is not a string.
        """
        self._keys = _usable_keys(keys)
        # The MD5 state after each key alone: a check copies it and feeds in t
        # rather than building key + t and hashing it all again.
        self._prefixes = tuple(hashlib.md5(key.encode()) for key in self._keys)
        self._grace = grace_seconds
        self._max_future = max_future_seconds
        self._clock = clock
        self._allow_unsigned = allow_unsigned

    @property
    def key_count(self) -> int:
        """How many keys are configured."""
        return len(self._keys)

    def verify(self, t: object, sign: object) -> Verification:
        """Check one pair and say which key matched.

        Args:
            t: the received t, as decoded from JSON or a query string.
            sign: the received sign.

        Returns:
            The parsed t and the index of the matching key; with no key and
            ``allow_unsigned``, the t received (None when absent) and no index.

        Raises:
            KeyNotConfigured: no key is configured and unsigned input is refused.
            SignFieldMissing: t or sign is absent or empty.
            TimestampMalformed: t is not a decimal integer of at most 12 digits.
            SignMalformed: sign is not a string.
            SignatureMismatch: no key produces the sign.
            SignatureExpired: the sign matches but t plus grace has passed.
            TimestampInFuture: t is further ahead than the configured bound.
        """
        if not self._keys:
            return self._unkeyed(t, sign)

        # A JSON number in range and a non-empty str are the common case;
        # anything else takes the strict parsers.
        parsed_t = t if type(t) is int and 0 <= t < T_LIMIT else parse_t(t)
        if type(sign) is not str or not sign:
            sign = _parse_sign(sign)

        key_index = self._matching_key(parsed_t, sign)
        if key_index is None:
            raise SignatureMismatch("the signature does not match any configured key")

        # Each test is written so that a NaN clock reading fails it.
        now = self._clock()
        if not (parsed_t + self._grace >= now):
            raise SignatureExpired("t has passed", key_index=key_index, t=parsed_t)
        if not (parsed_t <= now + self._max_future):
            raise TimestampInFuture("t lies too far in the future")

        # The same object as Verification(...), without the Python-level
        # __new__ that NamedTuple generates: a visible share of a check's cost.
        return tuple.__new__(Verification, (parsed_t, key_index))

    def _unkeyed(self, t: object, sign: object) -> Verification:
        if not self._allow_unsigned:
            raise KeyNotConfigured("no key is configured to check the signature")

        # Without a key no sign can be checked, and Tencent may send none when
        # no callback key is set; what does arrive must still be well formed.
        parsed_t = None if _absent(t) else parse_t(t)
        if not (_absent(sign) or isinstance(sign, str)):
            raise SignMalformed("sign must be a string")
        return Verification(parsed_t, None)

    def _matching_key(self, t: int, sign: str) -> int | None:
        # compare_digest raises on non-ASCII text; such a sign is not hex anyway.
        if not sign.isascii():
            return None
        received = sign.lower()
        suffix = b"%d" % t
        # The usual single key needs no loop: there is no "which key" to hide.
        if len(self._prefixes) == 1:
            digest = self._prefixes[0].copy()
            digest.update(suffix)
            return 0 if compare_digest(digest.hexdigest(), received) else None

        # Every key is compared, matched or not, so the time taken does not
        # reveal which key (if any) matched.
        found: int | None = None
        for index, prefix in enumerate(self._prefixes):
            digest = prefix.copy()
            digest.update(suffix)
            if compare_digest(digest.hexdigest(), received) and found is None:
                found = index
        return found


def tx_time(expiry: int) -> str:
    """Format an expiry UNIX time as Tencent's ``txTime``: uppercase hex.

    Args:
        expiry: UNIX time after which the URL stops working.

    Returns:
        The expiry in uppercase hexadecimal, as Tencent's samples write it.

    Raises:
        ConfigError: expiry is negative or needs more than 16 hex digits.
    """
    if not 0 <= expiry < 16**_TX_TIME_DIGITS:
        raise ConfigError("the expiry must lie between 0 and 16**16")
    return format(expiry, "X")


def tx_secret(key: str, stream_name: str, tx_time_text: str) -> str:
    """Return ``MD5(key + StreamName + txTime)`` as lowercase hex.

    Args:
        key: the push or play authentication key.
        stream_name: the stream name, without AppName or file extension.
        tx_time_text: the exact txTime string placed in the URL.
    """
    return hashlib.md5(f"{key}{stream_name}{tx_time_text}".encode()).hexdigest()


def _query(key: str, stream: str, expiry: int) -> str:
    _check_stream(stream)

    when = tx_time(expiry)
    return f"txSecret={tx_secret(key, stream, when)}&txTime={when}"


def _check_stream(stream: str) -> None:
    if not stream or not set(stream) <= _STREAM_CHARACTERS:
        raise ConfigError(
            "a stream name must be ASCII letters, digits, '-', '.' or '_'"
        )

    # A verifier takes the extension off a play URL before checking, so a name
    # ending in one would be signed under one name and checked under another.
    if stream.endswith(_PLAY_EXTENSIONS):
        raise ConfigError("a stream name must not end in .flv or .m3u8")


def push_url(domain: str, app: str, stream: str, key: str, expiry: int) -> str:
    """Build a signed RTMP push URL.

    Args:
        domain: the push domain.
        app: the AppName (push path), usually ``live``.
        stream: the stream name: ASCII letters, digits, ``-``, ``.`` or ``_``,
            so it needs no escaping and is signed as it appears.
        key: the push authentication key (primary or backup).
        expiry: UNIX time after which the URL may no longer start a push.

    Returns:
        The URL, with txSecret and txTime in its query string.

    Raises:
        ConfigError: the stream name is empty, holds another character or ends
            in a play extension; or the expiry is negative or too large for
            txTime.
    """
    return f"rtmp://{domain}/{app}/{stream}?{_query(key, stream, expiry)}"


def play_urls(
    domain: str, app: str, stream: str, key: str, expiry: int
) -> Mapping[str, str]:
    """Build signed play URLs for RTMP, WebRTC, FLV and HLS.

    Args:
        domain: the play domain.
        app: the AppName.
        stream: the stream name, limited as for :func:`push_url`.
        key: the play authentication key.
        expiry: UNIX time after which the URLs stop working.

    Returns:
        A mapping from ``rtmp``, ``webrtc``, ``flv`` and ``hls`` to URLs.

    Raises:
        ConfigError: the stream name or the expiry is refused, as for
            :func:`push_url`.
    """
    query = _query(key, stream, expiry)
    return {
        "rtmp": f"rtmp://{domain}/{app}/{stream}?{query}",
        "webrtc": f"webrtc://{domain}/{app}/{stream}?{query}",
        "flv": f"https://{domain}/{app}/{stream}.flv?{query}",
        "hls": f"https://{domain}/{app}/{stream}.m3u8?{query}",
    }


def verify_push_url(
    url: str,
    keys: Sequence[str],
    *,
    auth_delta: int = 0,
    clock: Clock = time.time,
) -> int:
    """Check a signed push or play URL; return the index of the matching key.

    Args:
        url: the full URL, including its query string.
        keys: primary key first, then the backup key.
        auth_delta: extra seconds of validity after txTime.
        clock: returns the current UNIX time.

    Returns:
        The index of the key that produced txSecret (0 is the primary).

    Raises:
        ConfigError: keys is one string rather than a sequence of them, or
            holds something that is not a string.
        SignatureMismatch: the URL is not ASCII or cannot be parsed, or no key
            produces txSecret.
        SignFieldMissing: txTime or txSecret is absent.
        TimestampMalformed: txTime is not 1 to 16 hexadecimal digits.
        KeyNotConfigured: no key given (checked before anything else).
        SignatureExpired: the secret matches but txTime plus auth_delta passed.
    """
    # No key first, as in Verifier: a missing key is our fault, whatever came.
    usable = _usable_keys(keys)
    if not usable:
        raise KeyNotConfigured("no push key is configured")

    parts = _split(url)
    query = parse_qs(parts.query)
    when = query.get("txTime", [""])[0]
    secret = query.get("txSecret", [""])[0]
    if not when or not secret:
        raise SignFieldMissing("txTime or txSecret is missing")
    expiry = _parse_tx_time(when)

    stream = _stream_name(parts.path)
    index = _match_secret(usable, stream, when, secret.lower())
    if index is None:
        raise SignatureMismatch("txSecret does not match any configured key")

    # Written so that a NaN clock reading fails the test.
    if not (expiry + auth_delta >= clock()):
        raise SignatureExpired("txTime has passed", key_index=index, t=expiry)
    return index


def _split(url: str) -> SplitResult:
    # A URL with characters outside ASCII cannot carry a valid hex secret,
    # and compare_digest refuses non-ASCII text.
    if not url.isascii():
        raise SignatureMismatch("the URL is not ASCII")

    # urlsplit refuses, for one, a host with an unclosed IPv6 bracket.
    try:
        return urlsplit(url)
    except ValueError:
        raise SignatureMismatch("the URL cannot be parsed") from None


def _parse_tx_time(when: str) -> int:
    # Hex only. Tencent also takes a decimal txTime, but a string of decimal
    # digits is valid hex too, so the two cannot be told apart; Tencent's own
    # samples and clients write hex, and so do the builders here.
    if len(when) > _TX_TIME_DIGITS or not set(when) <= _HEX_DIGITS:
        raise TimestampMalformed("txTime must be 1 to 16 hexadecimal digits")
    return int(when, 16)


def _stream_name(path: str) -> str:
    # The signed name excludes the AppName and a play URL's extension; any
    # other dot belongs to the name.
    name = path.rsplit("/", 1)[-1]
    for extension in _PLAY_EXTENSIONS:
        if name.endswith(extension):
            return name[: -len(extension)]
    return name


def _match_secret(
    keys: Sequence[str], stream: str, when: str, secret: str
) -> int | None:
    found: int | None = None
    for index, key in enumerate(keys):
        expected = tx_secret(key, stream, when).encode()
        if compare_digest(expected, secret.encode()) and found is None:
            found = index
    return found
