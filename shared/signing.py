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
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from hmac import compare_digest
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

from shared.errors import (
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
        ttl: seconds of validity; Tencent uses 600 for callbacks.
        now: the current UNIX time; the system clock when omitted.
    """
    t = int(time.time() if now is None else now) + ttl
    return SignedPair(t=t, sign=make_sign(key, t))


class Verification(NamedTuple):
    """The outcome of a successful check.

    Attributes:
        t: the parsed expiry time.
        key_index: which configured key matched (0 is the primary), or None
            when verification was explicitly switched off.
    """

    t: int
    key_index: int | None


def parse_t(raw: object) -> int:
    """Parse t strictly: a JSON integer or a string of ASCII digits.

    Raises:
        SignFieldMissing: t is None or an empty string.
        TimestampMalformed: anything else that is not a decimal integer.
    """
    if raw is None or raw == "":
        raise SignFieldMissing("t is missing")

    # bool is an int subclass in Python; JSON true must not pass as 1.
    if isinstance(raw, int) and not isinstance(raw, bool):
        if raw < 0:
            raise TimestampMalformed("t must not be negative")
        return raw

    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 12:
        return int(raw)

    raise TimestampMalformed("t must be a decimal integer")


class Verifier:
    """Checks (t, sign) pairs against one or more keys.

    Several keys allow rotation: the first is the primary, and the verification
    reports which one matched. The checks run as guard clauses in a fixed order,
    so each refusal has its own error: missing field, malformed t, no key,
    signature mismatch, expired, too far in the future. The signature is checked
    before the time, so :class:`SignatureExpired` always means "authentic but
    late".
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
            allow_unsigned: with no key configured, accept everything instead
                of failing closed. Never the default.
        """
        self._keys = tuple(key for key in keys if key)
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
            The parsed t and the index of the matching key.

        Raises:
            SignFieldMissing: t or sign is absent or empty.
            TimestampMalformed: t is not a decimal integer.
            SignMalformed: sign is not a string.
            KeyNotConfigured: no key is configured and unsigned input is refused.
            SignatureMismatch: no key produces the sign.
            SignatureExpired: the sign matches but t plus grace has passed.
            TimestampInFuture: t is further ahead than the configured bound.
        """
        # A JSON number is the common case; anything else takes the strict parser.
        parsed_t = t if type(t) is int and t >= 0 else parse_t(t)
        if sign is None or sign == "":
            raise SignFieldMissing("sign is missing")
        if not isinstance(sign, str):
            raise SignMalformed("sign must be a string")

        if not self._keys:
            if self._allow_unsigned:
                return Verification(parsed_t, None)
            raise KeyNotConfigured("no key is configured to check the signature")

        key_index = self._matching_key(parsed_t, sign)
        if key_index is None:
            raise SignatureMismatch("the signature does not match any configured key")

        now = self._clock()
        if parsed_t + self._grace < now:
            raise SignatureExpired("t has passed", key_index=key_index, t=parsed_t)
        if parsed_t > now + self._max_future:
            raise TimestampInFuture("t lies too far in the future")

        # The same object as Verification(...), without the Python-level
        # __new__ that NamedTuple generates: a visible share of a check's cost.
        return tuple.__new__(Verification, (parsed_t, key_index))

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
    """Format an expiry UNIX time as Tencent's ``txTime``: uppercase hex."""
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
    when = tx_time(expiry)
    return f"txSecret={tx_secret(key, stream, when)}&txTime={when}"


def push_url(domain: str, app: str, stream: str, key: str, expiry: int) -> str:
    """Build a signed RTMP push URL.

    Args:
        domain: the push domain.
        app: the AppName (push path), usually ``live``.
        stream: the stream name.
        key: the push authentication key (primary or backup).
        expiry: UNIX time after which the URL may no longer start a push.
    """
    return f"rtmp://{domain}/{app}/{stream}?{_query(key, stream, expiry)}"


def play_urls(
    domain: str, app: str, stream: str, key: str, expiry: int
) -> Mapping[str, str]:
    """Build signed play URLs for RTMP, WebRTC, FLV and HLS.

    Args:
        domain: the play domain.
        app: the AppName.
        stream: the stream name.
        key: the play authentication key.
        expiry: UNIX time after which the URLs stop working.

    Returns:
        A mapping from ``rtmp``, ``webrtc``, ``flv`` and ``hls`` to URLs.
    """
    query = _query(key, stream, expiry)
    return {
        "rtmp": f"rtmp://{domain}/{app}/{stream}?{query}",
        "webrtc": f"webrtc://{domain}/{app}/{stream}?{query}",
        "flv": f"https://{domain}/{app}/{stream}.flv?{query}",
        "hls": f"https://{domain}/{app}/{stream}.m3u8?{query}",
    }


def _stream_name(path: str) -> str:
    # The signed name excludes the AppName and any extension (.flv, .m3u8).
    name = path.rsplit("/", 1)[-1]
    return name.split(".", 1)[0]


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

    Raises:
        SignFieldMissing: txTime or txSecret is absent.
        TimestampMalformed: txTime is not hexadecimal.
        KeyNotConfigured: no key given.
        SignatureMismatch: no key produces txSecret.
        SignatureExpired: the secret matches but txTime plus auth_delta passed.
    """
    # A URL with characters outside ASCII cannot carry a valid hex secret,
    # and compare_digest refuses non-ASCII text.
    if not url.isascii():
        raise SignatureMismatch("the URL is not ASCII")
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    when = query.get("txTime", [""])[0]
    secret = query.get("txSecret", [""])[0]
    if not when or not secret:
        raise SignFieldMissing("txTime or txSecret is missing")
    try:
        expiry = int(when, 16)
    except ValueError:
        raise TimestampMalformed("txTime must be hexadecimal") from None

    usable = [key for key in keys if key]
    if not usable:
        raise KeyNotConfigured("no push key is configured")

    stream = _stream_name(parts.path)
    index = _match_secret(usable, stream, when, secret.lower())
    if index is None:
        raise SignatureMismatch("txSecret does not match any configured key")
    if expiry + auth_delta < clock():
        raise SignatureExpired("txTime has passed", key_index=index, t=expiry)
    return index


def _match_secret(
    keys: Sequence[str], stream: str, when: str, secret: str
) -> int | None:
    found: int | None = None
    for index, key in enumerate(keys):
        expected = tx_secret(key, stream, when).encode()
        if compare_digest(expected, secret.encode()) and found is None:
            found = index
    return found
