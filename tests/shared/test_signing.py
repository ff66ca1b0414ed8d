"""The ``t + sign`` verifier and the push/play URL signature."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.errors import (
    KeyNotConfigured,
    LiveError,
    SignatureExpired,
    SignatureMismatch,
    SignFieldMissing,
    SignMalformed,
    TimestampInFuture,
    TimestampMalformed,
)
from shared.signing import (
    DEFAULT_GRACE_SECONDS,
    DEFAULT_MAX_FUTURE_SECONDS,
    SignedPair,
    Verification,
    Verifier,
    make_sign,
    parse_t,
    play_urls,
    push_url,
    signed_pair,
    tx_secret,
    tx_time,
    verify_push_url,
)

#: The callback example from the reference: key, t and the sign it gives.
KEY = "my_callback_key_123"
T = 1_703_732_078
SIGN = "3710ceffaec75d93addf63273b3db7df"

#: A clock reading at which the example pair is ten minutes from expiry.
NOW = T - 600

OTHER_KEY = "rotated_key_456"

#: The push URL example: keys, stream and expiry, with the secrets they give.
PRIMARY = "primarykey123"
BACKUP = "backupkey456"
STREAM = "stream1"
EXPIRY = 1_703_760_000
PRIMARY_SECRET = "1e36d253d3ae7ebbd62aac2d9c6fde38"
BACKUP_SECRET = "a92d4a6a19723e236878330f0a00b1b7"


def verifier(
    *keys: str,
    now: float = NOW,
    grace_seconds: int = DEFAULT_GRACE_SECONDS,
    max_future_seconds: int = DEFAULT_MAX_FUTURE_SECONDS,
    allow_unsigned: bool = False,
) -> Verifier:
    """A verifier whose clock always reads ``now``."""
    return Verifier(
        keys,
        grace_seconds=grace_seconds,
        max_future_seconds=max_future_seconds,
        clock=lambda: now,
        allow_unsigned=allow_unsigned,
    )


def example_url(secret: str = PRIMARY_SECRET, name: str = STREAM) -> str:
    """The push URL example, signed with ``secret``."""
    return f"rtmp://push.example.com/live/{name}?txSecret={secret}&txTime=658D5080"


# Vectors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "t", "expected"),
    [
        (
            "5d41402abc4b2a76b9719d911017c592",
            1626839220,
            "5ee8ca6c28cbe415b40352969cdf8249",
        ),
        (
            "5d41402abc4b2a76b9719d911017c592",
            1471850187,
            "b17971b51ba0fe5916ddcd96692e9fb3",
        ),
        (KEY, T, SIGN),
    ],
)
def test_make_sign_matches_published_vectors(key: str, t: int, expected: str) -> None:
    """make_sign reproduces the published MD5(key + t) vectors."""
    assert make_sign(key, t) == expected


def test_make_sign_accepts_t_as_a_digit_string() -> None:
    """A t given as its decimal string signs the same as the integer."""
    assert make_sign(KEY, str(T)) == SIGN


def test_tx_secret_matches_the_documented_vector() -> None:
    """txSecret for the documented key, stream and txTime is the published one."""
    secret = tx_secret("e12c46f2612d5106e2034781ab261ca3", "test", "5C271099")

    assert secret == "f85a2ab363fe4deaffef9754d79da6fe"


def test_push_url_matches_the_documented_url() -> None:
    """push_url builds the documented RTMP URL, byte for byte."""
    url = push_url(
        "livepush.tcloud.com",
        "live",
        "test",
        "e12c46f2612d5106e2034781ab261ca3",
        0x5C271099,
    )

    assert url == (
        "rtmp://livepush.tcloud.com/live/test"
        "?txSecret=f85a2ab363fe4deaffef9754d79da6fe&txTime=5C271099"
    )


def test_tx_time_is_uppercase_hex() -> None:
    """txTime is the expiry in uppercase hexadecimal."""
    assert tx_time(EXPIRY) == "658D5080"


@pytest.mark.parametrize(
    ("key", "expected"), [(PRIMARY, PRIMARY_SECRET), (BACKUP, BACKUP_SECRET)]
)
def test_tx_secret_for_primary_and_backup_keys(key: str, expected: str) -> None:
    """Each of the primary and backup keys gives its computed txSecret."""
    assert tx_secret(key, STREAM, tx_time(EXPIRY)) == expected


def test_play_urls_cover_four_protocols_with_one_signature() -> None:
    """Play URLs for RTMP, WebRTC, FLV and HLS share the stream's signature."""
    query = f"txSecret={PRIMARY_SECRET}&txTime=658D5080"

    urls = play_urls("play.example.com", "live", STREAM, PRIMARY, EXPIRY)

    assert dict(urls) == {
        "rtmp": f"rtmp://play.example.com/live/stream1?{query}",
        "webrtc": f"webrtc://play.example.com/live/stream1?{query}",
        "flv": f"https://play.example.com/live/stream1.flv?{query}",
        "hls": f"https://play.example.com/live/stream1.m3u8?{query}",
    }


# Signed pairs --------------------------------------------------------------


def test_signed_pair_expires_ttl_seconds_after_now() -> None:
    """signed_pair sets t to now plus ttl and signs it."""
    assert signed_pair(KEY, ttl=600, now=NOW + 0.9) == SignedPair(t=T, sign=SIGN)


def test_signed_pair_reads_the_system_clock_by_default() -> None:
    """Without now, t lies ttl seconds after the system clock's reading."""
    before = int(time.time())
    pair = signed_pair(KEY)
    after = int(time.time())

    assert before + 600 <= pair.t <= after + 600
    assert pair.sign == make_sign(KEY, pair.t)


# Parsing t ---------------------------------------------------------------------


@pytest.mark.parametrize("raw", [T, str(T), 0, "0"], ids=repr)
def test_parse_t_accepts_integers_and_digit_strings(raw: object) -> None:
    """A JSON integer or its ASCII digits parse to the same int."""
    assert parse_t(raw) == int(str(raw))


def test_parse_t_refuses_a_negative_integer() -> None:
    """A negative integer cannot be an expiry time."""
    with pytest.raises(TimestampMalformed):
        parse_t(-1)


# Verifier: accepted pairs --------------------------------------------------


def test_verify_accepts_the_example_pair() -> None:
    """The reference pair verifies against its key, which is reported as primary."""
    assert verifier(KEY).verify(T, SIGN) == Verification(t=T, key_index=0)


def test_verify_accepts_t_as_a_digit_string() -> None:
    """t as sent in a query string (digits) verifies like the JSON number."""
    assert verifier(KEY).verify(str(T), SIGN) == Verification(t=T, key_index=0)


def test_verify_accepts_an_uppercase_sign() -> None:
    """A sign in uppercase hex is the same signature."""
    assert verifier(KEY).verify(T, SIGN.upper()).key_index == 0


def test_verify_reports_the_second_key_during_rotation() -> None:
    """A pair signed with the second configured key reports key index 1."""
    assert verifier(OTHER_KEY, KEY).verify(T, SIGN).key_index == 1


def test_verify_reports_the_first_of_two_identical_keys() -> None:
    """When two keys produce the sign, the earlier one is reported."""
    assert verifier(KEY, KEY).verify(T, SIGN).key_index == 0


def test_verify_ignores_empty_keys() -> None:
    """Empty strings among the keys are not keys and do not shift indexes."""
    checker = verifier("", KEY, "")

    assert checker.key_count == 1
    assert checker.verify(T, SIGN).key_index == 0


def test_verify_uses_the_system_clock_by_default() -> None:
    """A verifier built without a clock accepts a pair signed just now."""
    pair = signed_pair(KEY)

    assert Verifier([KEY]).verify(pair.t, pair.sign).t == pair.t


@given(
    key=st.text(min_size=1, max_size=64),
    t=st.integers(min_value=NOW, max_value=NOW + DEFAULT_MAX_FUTURE_SECONDS),
)
def test_every_fresh_pair_made_by_make_sign_verifies(key: str, t: int) -> None:
    """Any non-empty key and any t within bounds round-trip through the verifier."""
    assert verifier(key).verify(t, make_sign(key, t)) == Verification(t, 0)


def test_a_verification_cannot_be_changed() -> None:
    """The outcome of a check is immutable."""
    result = verifier(KEY).verify(T, SIGN)

    with pytest.raises(AttributeError):
        result.key_index = 1  # type: ignore[misc]


# Verifier: refusals, one per failure mode ----------------------------------


@pytest.mark.parametrize("t", [None, ""], ids=["absent", "empty"])
def test_verify_refuses_a_missing_t(t: object) -> None:
    """An absent or empty t is a missing field."""
    with pytest.raises(SignFieldMissing):
        verifier(KEY).verify(t, SIGN)


@pytest.mark.parametrize("sign", [None, ""], ids=["absent", "empty"])
def test_verify_refuses_a_missing_sign(sign: object) -> None:
    """An absent or empty sign is a missing field."""
    with pytest.raises(SignFieldMissing):
        verifier(KEY).verify(T, sign)


@pytest.mark.parametrize(
    "t",
    [
        pytest.param(float(T), id="float"),
        pytest.param(True, id="bool"),
        pytest.param(-1, id="negative"),
        pytest.param("12a", id="letters"),
        pytest.param(" 12", id="space"),
        pytest.param("1e9", id="exponent"),
        pytest.param("-12", id="negative-string"),
        pytest.param("١٢٣", id="arabic-indic-digits"),
        pytest.param("1" * 13, id="too-long"),
        pytest.param([T], id="list"),
    ],
)
def test_verify_refuses_a_malformed_t(t: object) -> None:
    """Anything but a non-negative integer or ASCII digit string is malformed."""
    with pytest.raises(TimestampMalformed):
        verifier(KEY).verify(t, SIGN)


def test_verify_refuses_a_sign_that_is_not_a_string() -> None:
    """A sign decoded from JSON as a number is refused, not coerced."""
    with pytest.raises(SignMalformed) as caught:
        verifier(KEY).verify(T, 3710)
    assert caught.value.code == "sign_malformed"


def test_verify_push_url_refuses_a_url_that_is_not_ascii() -> None:
    """A URL with non-ASCII text cannot carry a valid secret."""
    url = f"rtmp://push.example.com/live/s\ud800?txSecret={PRIMARY_SECRET}&txTime=1"

    with pytest.raises(SignatureMismatch):
        verify_push_url(url, [PRIMARY], clock=url_clock())


def test_verify_fails_closed_without_a_key() -> None:
    """With no key configured, every pair is refused."""
    with pytest.raises(KeyNotConfigured):
        verifier().verify(T, SIGN)


def test_verify_fails_closed_when_every_key_is_empty() -> None:
    """Keys that are all empty strings count as no key."""
    with pytest.raises(KeyNotConfigured):
        verifier("", "").verify(T, SIGN)


def test_allow_unsigned_accepts_without_a_key() -> None:
    """The explicit opt-out accepts any well-formed pair and names no key."""
    checker = verifier(allow_unsigned=True)

    assert checker.verify(T, "not-a-sign") == Verification(t=T, key_index=None)


def test_allow_unsigned_still_checks_against_a_configured_key() -> None:
    """The opt-out only applies when no key is configured."""
    with pytest.raises(SignatureMismatch):
        verifier(KEY, allow_unsigned=True).verify(T, "0" * 32)


def test_verify_refuses_a_sign_made_with_another_key() -> None:
    """A sign no configured key produces is a mismatch."""
    with pytest.raises(SignatureMismatch):
        verifier(OTHER_KEY).verify(T, SIGN)


@pytest.mark.parametrize(
    "sign",
    [
        pytest.param("３７１０" + SIGN[4:], id="fullwidth-digits"),
        pytest.param("\ud800" * 32, id="lone-surrogates"),
    ],
)
def test_verify_refuses_a_sign_that_is_not_ascii(sign: str) -> None:
    """A sign with non-ASCII characters is a mismatch, not a crash."""
    with pytest.raises(SignatureMismatch):
        verifier(OTHER_KEY, KEY).verify(T, sign)


def test_verify_checks_the_signature_before_the_time() -> None:
    """A stale pair with a wrong sign is a mismatch, never 'expired'."""
    with pytest.raises(SignatureMismatch):
        verifier(OTHER_KEY, now=T + 3600).verify(T, SIGN)


def test_verify_refuses_an_expired_pair_and_names_the_key() -> None:
    """An authentic pair past t plus grace is expired, with its key and t."""
    late = T + DEFAULT_GRACE_SECONDS + 1

    with pytest.raises(SignatureExpired) as caught:
        verifier(OTHER_KEY, KEY, now=late).verify(T, SIGN)

    assert (caught.value.key_index, caught.value.t) == (1, T)


def test_verify_accepts_a_pair_exactly_at_the_end_of_grace() -> None:
    """At now == t + grace the pair is still fresh."""
    checker = verifier(KEY, now=T + 5, grace_seconds=5)

    assert checker.verify(T, SIGN).key_index == 0


def test_verify_refuses_a_pair_just_past_the_end_of_grace() -> None:
    """Just after t + grace the pair has expired."""
    with pytest.raises(SignatureExpired):
        verifier(KEY, now=T + 5.001, grace_seconds=5).verify(T, SIGN)


def test_verify_accepts_t_exactly_at_the_future_bound() -> None:
    """t == now + max_future is still accepted."""
    checker = verifier(KEY, now=T - 60, max_future_seconds=60)

    assert checker.verify(T, SIGN).key_index == 0


def test_verify_refuses_t_too_far_in_the_future() -> None:
    """t beyond now + max_future is refused even with a right sign."""
    with pytest.raises(TimestampInFuture):
        verifier(KEY, now=T - 61, max_future_seconds=60).verify(T, SIGN)


# Verifier: properties over arbitrary input ---------------------------------

SECRET_KEY = "kK9-very-secret-callback-key"

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(),
    st.text(st.characters(exclude_categories=())),
    st.binary(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(SECRET_KEY),
    st.just(SECRET_KEY.upper()),
    st.just(make_sign(SECRET_KEY, T)),
    st.just(T),
    st.just(str(T)),
    st.just("\ud800"),
)


@given(t=anything, sign=anything)
def test_verify_raises_only_live_errors(t: object, sign: object) -> None:
    """Whatever arrives as t and sign, the verifier answers or raises a LiveError."""
    try:
        verifier(SECRET_KEY).verify(t, sign)
    except LiveError:
        return


@given(t=anything, sign=anything)
def test_refusals_never_contain_the_key(t: object, sign: object) -> None:
    """No refusal's message, arguments or repr carries the key."""
    try:
        verifier(SECRET_KEY, OTHER_KEY).verify(t, sign)
    except LiveError as exc:
        for text in (str(exc), repr(exc), repr(exc.args), repr(vars(exc))):
            assert SECRET_KEY not in text
            assert OTHER_KEY not in text


# Signed URLs ---------------------------------------------------------------


def url_clock(offset: float = -60) -> Callable[[], float]:
    """A clock ``offset`` seconds from the example URL's expiry."""
    return lambda: EXPIRY + offset


@pytest.mark.parametrize(
    ("secret", "index"),
    [(PRIMARY_SECRET, 0), (BACKUP_SECRET, 1)],
    ids=["primary", "backup"],
)
def test_verify_push_url_reports_which_key_signed(secret: str, index: int) -> None:
    """A URL signed with the primary or the backup key reports that key."""
    found = verify_push_url(example_url(secret), [PRIMARY, BACKUP], clock=url_clock())

    assert found == index


def test_verify_push_url_accepts_the_documented_url() -> None:
    """The documented push URL verifies with its key before its txTime."""
    url = push_url(
        "livepush.tcloud.com",
        "live",
        "test",
        "e12c46f2612d5106e2034781ab261ca3",
        0x5C271099,
    )

    found = verify_push_url(
        url, ["e12c46f2612d5106e2034781ab261ca3"], clock=lambda: 0x5C271099
    )

    assert found == 0


@pytest.mark.parametrize("protocol", ["rtmp", "webrtc", "flv", "hls"])
def test_verify_push_url_accepts_every_play_url(protocol: str) -> None:
    """The stream name is found without AppName or a .flv/.m3u8 extension."""
    url = play_urls("play.example.com", "live", STREAM, PRIMARY, EXPIRY)[protocol]

    assert verify_push_url(url, [PRIMARY], clock=url_clock()) == 0


def test_verify_push_url_accepts_an_uppercase_secret() -> None:
    """txSecret in uppercase hex is the same signature."""
    url = example_url(PRIMARY_SECRET.upper())

    assert verify_push_url(url, [PRIMARY], clock=url_clock()) == 0


def test_verify_push_url_uses_the_system_clock_by_default() -> None:
    """Without a clock, a URL expiring in an hour verifies."""
    url = push_url("push.example.com", "live", STREAM, PRIMARY, int(time.time()) + 3600)

    assert verify_push_url(url, [PRIMARY]) == 0


@pytest.mark.parametrize(
    "query",
    [
        "txSecret=1e36d253d3ae7ebbd62aac2d9c6fde38",
        "txTime=658D5080",
        "txSecret=&txTime=658D5080",
        "txSecret=1e36d253d3ae7ebbd62aac2d9c6fde38&txTime=",
        "",
    ],
    ids=["no-txTime", "no-txSecret", "empty-txSecret", "empty-txTime", "no-query"],
)
def test_verify_push_url_refuses_missing_parameters(query: str) -> None:
    """A URL without both txTime and txSecret is missing its signature."""
    url = f"rtmp://push.example.com/live/stream1?{query}"

    with pytest.raises(SignFieldMissing):
        verify_push_url(url, [PRIMARY], clock=url_clock())


def test_verify_push_url_refuses_txtime_that_is_not_hex() -> None:
    """A txTime that is not hexadecimal is malformed."""
    url = f"rtmp://push.example.com/live/stream1?txSecret={PRIMARY_SECRET}&txTime=ZZ"

    with pytest.raises(TimestampMalformed):
        verify_push_url(url, [PRIMARY], clock=url_clock())


def test_verify_push_url_fails_closed_without_a_key() -> None:
    """No usable key (none, or only empty strings) refuses every URL."""
    for keys in ([], ["", ""]):
        with pytest.raises(KeyNotConfigured):
            verify_push_url(example_url(), keys, clock=url_clock())


def test_verify_push_url_refuses_a_secret_no_key_produces() -> None:
    """A URL signed with an unknown key is a mismatch."""
    with pytest.raises(SignatureMismatch):
        verify_push_url(example_url(), [BACKUP], clock=url_clock())


def test_verify_push_url_signs_the_stream_name() -> None:
    """Moving a signature to another stream's URL is a mismatch."""
    with pytest.raises(SignatureMismatch):
        verify_push_url(example_url(name="stream2"), [PRIMARY], clock=url_clock())


def test_verify_push_url_refuses_an_expired_url_and_names_the_key() -> None:
    """An authentic URL past its txTime is expired, with its key and expiry."""
    with pytest.raises(SignatureExpired) as caught:
        verify_push_url(
            example_url(BACKUP_SECRET), [PRIMARY, BACKUP], clock=url_clock(1)
        )

    assert (caught.value.key_index, caught.value.t) == (1, EXPIRY)


def test_auth_delta_extends_validity_to_its_exact_end() -> None:
    """With auth_delta, the URL is accepted until txTime + auth_delta inclusive."""
    found = verify_push_url(
        example_url(), [PRIMARY], auth_delta=10, clock=url_clock(10)
    )

    assert found == 0


def test_auth_delta_does_not_extend_validity_beyond_its_end() -> None:
    """One second past txTime + auth_delta the URL has expired."""
    with pytest.raises(SignatureExpired):
        verify_push_url(example_url(), [PRIMARY], auth_delta=10, clock=url_clock(11))
