"""The ``t + sign`` verifier and the push/play URL signature."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.errors import (
    ConfigError,
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
    T_LIMIT,
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
from tests.shared.garbage import Hostile

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


def query_of(url: str) -> dict[str, str]:
    """A URL's query parameters, one value each."""
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


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


@pytest.mark.parametrize("now", [float("nan"), float("inf"), float("-inf")])
def test_signed_pair_refuses_a_now_that_is_not_finite(now: float) -> None:
    """NaN or infinity as the current time is a configuration error."""
    with pytest.raises(ConfigError):
        signed_pair(KEY, now=now)


@pytest.mark.parametrize(
    ("ttl", "now"),
    [(-1, 0), (1, T_LIMIT - 1), (0, 1e300)],
    ids=["negative-t", "13-digit-t", "huge-now"],
)
def test_signed_pair_refuses_a_t_no_verifier_accepts(ttl: int, now: float) -> None:
    """now + ttl must give a t from 0 to twelve digits, as the verifier reads."""
    with pytest.raises(ConfigError):
        signed_pair(KEY, ttl=ttl, now=now)


def test_signed_pair_may_make_an_expired_pair() -> None:
    """A negative ttl that keeps t non-negative makes a pair already expired."""
    pair = signed_pair(KEY, ttl=-60, now=T)

    with pytest.raises(SignatureExpired):
        verifier(KEY, now=T).verify(pair.t, pair.sign)


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


def test_parse_t_accepts_the_largest_twelve_digit_integer() -> None:
    """An integer t may have as many digits as a digit string: twelve."""
    assert parse_t(T_LIMIT - 1) == 999_999_999_999


@pytest.mark.parametrize("raw", [T_LIMIT, 10**5000], ids=["13-digits", "5001-digits"])
def test_parse_t_refuses_an_integer_of_more_than_twelve_digits(raw: int) -> None:
    """An integer past twelve digits is malformed, however large it is."""
    with pytest.raises(TimestampMalformed):
        parse_t(raw)


def test_parse_t_returns_a_plain_int_for_an_int_subclass() -> None:
    """An int subclass (an IntEnum, say) comes back as a plain int."""

    class Stamp(int):
        pass

    assert type(parse_t(Stamp(T))) is int


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


def test_verify_accepts_a_sign_given_as_a_str_subclass() -> None:
    """A str subclass takes the strict path yet checks like the plain string."""

    class Text(str):
        pass

    assert verifier(KEY).verify(T, Text(SIGN)) == Verification(t=T, key_index=0)


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


@pytest.mark.parametrize(
    ("t", "sign"),
    [(None, SIGN), (T, None), (None, None), ("", ""), ("soon", 3710)],
    ids=["no-t", "no-sign", "neither", "both-empty", "both-malformed"],
)
def test_without_a_key_a_bad_body_is_still_key_not_configured(
    t: object, sign: object
) -> None:
    """No key configured is reported first, whatever t and sign look like, so
    our misconfiguration never passes for the sender's fault."""
    with pytest.raises(KeyNotConfigured):
        verifier().verify(t, sign)


def test_verify_fails_closed_when_every_key_is_empty() -> None:
    """Keys that are all empty strings count as no key."""
    with pytest.raises(KeyNotConfigured):
        verifier("", "").verify(T, SIGN)


def test_allow_unsigned_accepts_without_a_key() -> None:
    """The explicit opt-out accepts any well-formed pair and names no key."""
    checker = verifier(allow_unsigned=True)

    assert checker.verify(T, "not-a-sign") == Verification(t=T, key_index=None)


@pytest.mark.parametrize(
    ("t", "sign", "expected_t"),
    [
        (None, None, None),
        ("", "", None),
        (T, None, T),
        (None, SIGN, None),
        (str(T), "", T),
    ],
    ids=["neither", "both-empty", "no-sign", "no-t", "t-as-digits"],
)
def test_allow_unsigned_accepts_a_body_without_t_or_sign(
    t: object, sign: object, expected_t: int | None
) -> None:
    """With no key and the opt-out, t and sign may be absent: a setup without a
    callback key sends no sign, and some event families carry neither."""
    checker = verifier(allow_unsigned=True)

    assert checker.verify(t, sign) == Verification(t=expected_t, key_index=None)


def test_allow_unsigned_still_refuses_a_malformed_t() -> None:
    """A t that is present must be a decimal integer, even when unchecked."""
    with pytest.raises(TimestampMalformed):
        verifier(allow_unsigned=True).verify("soon", None)


def test_allow_unsigned_still_refuses_a_sign_that_is_not_a_string() -> None:
    """A sign that is present must be a string, even when unchecked."""
    with pytest.raises(SignMalformed):
        verifier(allow_unsigned=True).verify(T, 3710)


def test_allow_unsigned_checks_no_time() -> None:
    """Without a key, t proves nothing, so an old t is not refused as expired."""
    checker = verifier(allow_unsigned=True, now=T + 86_400)

    assert checker.verify(T, None) == Verification(t=T, key_index=None)


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


@pytest.mark.parametrize("t", [T_LIMIT, 10**5000], ids=["13-digits", "5001-digits"])
def test_verify_refuses_an_integer_t_of_more_than_twelve_digits(t: int) -> None:
    """A huge JSON number is a malformed t, not a crash in formatting it."""
    with pytest.raises(TimestampMalformed):
        verifier(KEY).verify(t, SIGN)


def test_verify_fails_closed_on_a_clock_that_reads_nan() -> None:
    """A clock reading NaN makes no pair fresh: the authentic pair is refused."""
    with pytest.raises(SignatureExpired):
        verifier(KEY, now=float("nan")).verify(T, SIGN)


def test_verify_refuses_a_hostile_object_without_running_its_code() -> None:
    """Objects whose comparisons raise are refused by type, never compared."""
    with pytest.raises(TimestampMalformed):
        verifier(KEY).verify(Hostile(), SIGN)
    with pytest.raises(SignMalformed):
        verifier(KEY).verify(T, Hostile())


# Verifier: the keys given ---------------------------------------------------


def test_a_single_string_is_refused_as_the_keys() -> None:
    """Verifier("secret") would make six one-letter keys, and type checkers
    take a str for a sequence of them; it is refused instead."""
    with pytest.raises(ConfigError) as caught:
        Verifier(KEY)

    assert KEY not in str(caught.value)


def test_a_key_that_is_not_a_string_is_refused() -> None:
    """Keys given as bytes (or anything but str) are a configuration error."""
    with pytest.raises(ConfigError):
        Verifier([KEY.encode()])  # type: ignore[list-item]


# Verifier: properties over arbitrary input ---------------------------------

SECRET_KEY = "kK9-very-secret-callback-key"

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    # Past Python's limit on turning an int into decimal text (4300 digits).
    st.integers(min_value=10**4300, max_value=10**5000),
    st.integers(min_value=T_LIMIT - 2, max_value=T_LIMIT + 2),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.text(st.characters(exclude_categories=())),
    st.text("١٢３４ⅫéЖ名\u0660\ufeff", min_size=1),
    st.binary(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.builds(Hostile),
    st.just(SECRET_KEY),
    st.just(SECRET_KEY.upper()),
    st.just(make_sign(SECRET_KEY, T)),
    st.just(T),
    st.just(str(T)),
    st.just("\ud800"),
    st.just(""),
)

#: Every way a verifier can be set up: its keys, and whether unsigned is allowed.
SETUPS: dict[str, tuple[tuple[str, ...], bool]] = {
    "one-key": ((SECRET_KEY,), False),
    "two-keys": ((OTHER_KEY, SECRET_KEY), False),
    "no-key": ((), False),
    "unsigned": ((), True),
}


@pytest.mark.parametrize("setup", sorted(SETUPS))
@given(t=anything, sign=anything)
def test_verify_raises_only_live_errors(setup: str, t: object, sign: object) -> None:
    """Whatever arrives as t and sign, the verifier answers or raises a LiveError;
    an answer holds a t within bounds and names a key that produces the sign."""
    keys, allow_unsigned = SETUPS[setup]
    try:
        result = verifier(*keys, allow_unsigned=allow_unsigned).verify(t, sign)
    except LiveError:
        return

    assert result.t is None or (type(result.t) is int and 0 <= result.t < T_LIMIT)
    if result.key_index is not None:
        assert isinstance(sign, str)
        assert result.t is not None
        assert make_sign(keys[result.key_index], result.t) == sign.lower()


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


@pytest.mark.parametrize(
    "when",
    ["0x658D5080", "658D_5080", "+658D5080", " 658D5080", "658D5080\n", "1" * 17],
    ids=["0x-prefix", "underscore", "plus", "space", "newline", "17-digits"],
)
def test_verify_push_url_reads_txtime_as_bare_hex_digits_only(when: str) -> None:
    """Only 1 to 16 hex digits are a txTime; int(x, 16)'s extras are refused,
    even when txSecret was computed over exactly that text."""
    secret = tx_secret(PRIMARY, STREAM, when)
    url = f"rtmp://d/live/{STREAM}?txSecret={secret}&txTime={quote(when, safe='')}"

    with pytest.raises(TimestampMalformed):
        verify_push_url(url, [PRIMARY], clock=url_clock())


def test_verify_push_url_accepts_lowercase_hex_txtime() -> None:
    """txTime in lowercase hex is the same expiry; the secret covers the text."""
    secret = tx_secret(PRIMARY, STREAM, "658d5080")
    url = f"rtmp://d/live/{STREAM}?txSecret={secret}&txTime=658d5080"

    assert verify_push_url(url, [PRIMARY], clock=url_clock()) == 0


def test_verify_push_url_reads_a_decimal_looking_txtime_as_hex() -> None:
    """Digits alone are read as hex, so a decimal expiry already past (1703760000)
    stands for 0x1703760000, far ahead, and the URL is accepted."""
    secret = tx_secret(PRIMARY, STREAM, "1703760000")
    url = f"rtmp://d/live/{STREAM}?txSecret={secret}&txTime=1703760000"

    assert verify_push_url(url, [PRIMARY], clock=url_clock(3600)) == 0


def test_verify_push_url_refuses_a_url_it_cannot_parse() -> None:
    """An unclosed IPv6 bracket in the host is refused with our own error."""
    url = f"rtmp://[::1/live/{STREAM}?txSecret={PRIMARY_SECRET}&txTime=658D5080"

    with pytest.raises(SignatureMismatch):
        verify_push_url(url, [PRIMARY], clock=url_clock())


def test_verify_push_url_refuses_a_single_string_as_the_keys() -> None:
    """One string given as the keys is a configuration error, not 13 keys."""
    with pytest.raises(ConfigError):
        verify_push_url(example_url(), PRIMARY, clock=url_clock())


def test_verify_push_url_refuses_a_key_that_is_not_a_string() -> None:
    """A key that is not a string is a configuration error."""
    with pytest.raises(ConfigError):
        verify_push_url(example_url(), [None], clock=url_clock())  # type: ignore[list-item]


def test_verify_push_url_fails_closed_on_a_clock_that_reads_nan() -> None:
    """A clock reading NaN makes no URL fresh."""
    with pytest.raises(SignatureExpired):
        verify_push_url(example_url(), [PRIMARY], clock=lambda: float("nan"))


def test_a_dot_in_a_stream_name_is_part_of_the_signed_name() -> None:
    """Stream "a.b" is signed as "a.b" in every push and play URL."""
    push = push_url("d", "live", "a.b", PRIMARY, EXPIRY)
    play = play_urls("d", "live", "a.b", PRIMARY, EXPIRY)

    for url in (push, *play.values()):
        assert verify_push_url(url, [PRIMARY], clock=url_clock()) == 0
    assert query_of(push)["txSecret"] == tx_secret(PRIMARY, "a.b", "658D5080")


def test_a_signature_over_the_name_before_its_dot_does_not_verify() -> None:
    """A secret for stream "a" does not verify a URL for stream "a.b"."""
    secret = tx_secret(PRIMARY, "a", "658D5080")

    with pytest.raises(SignatureMismatch):
        verify_push_url(example_url(secret, name="a.b"), [PRIMARY], clock=url_clock())


# URL builders: refusals -----------------------------------------------------


def test_stream_names_may_use_letters_digits_and_three_marks() -> None:
    """Letters, digits, '-', '.' and '_' need no escaping and are allowed."""
    name = "Room_42-a.bZ"

    url = push_url("d", "live", name, PRIMARY, EXPIRY)

    assert url.startswith(f"rtmp://d/live/{name}?")
    assert verify_push_url(url, [PRIMARY], clock=url_clock()) == 0


@pytest.mark.parametrize(
    "name",
    ["", "a/b", "a?b", "a#b", "a&b", "a b", "a%20b", "a+b", "a~b", "名字", "s\n"],
    ids=repr,
)
def test_builders_refuse_a_stream_name_that_would_need_escaping(name: str) -> None:
    """A name that is empty, needs percent-escaping or holds another mark ("~")
    is refused, not escaped: escaped, the name in the URL would differ from the
    name that was signed."""
    with pytest.raises(ConfigError):
        push_url("d", "live", name, PRIMARY, EXPIRY)
    with pytest.raises(ConfigError):
        play_urls("d", "live", name, PRIMARY, EXPIRY)


@pytest.mark.parametrize("name", ["s.flv", "s.m3u8"])
def test_builders_refuse_a_stream_name_ending_in_a_play_extension(name: str) -> None:
    """A verifier takes .flv or .m3u8 off the name, so such a name cannot verify."""
    with pytest.raises(ConfigError):
        push_url("d", "live", name, PRIMARY, EXPIRY)


@pytest.mark.parametrize("expiry", [-1, 16**16], ids=["negative", "17-hex-digits"])
def test_builders_refuse_an_expiry_txtime_cannot_carry(expiry: int) -> None:
    """A negative expiry, or one past 16 hex digits, is refused by every builder."""
    with pytest.raises(ConfigError):
        tx_time(expiry)
    with pytest.raises(ConfigError):
        push_url("d", "live", STREAM, PRIMARY, expiry)
    with pytest.raises(ConfigError):
        play_urls("d", "live", STREAM, PRIMARY, expiry)


def test_tx_time_covers_the_whole_range_a_verifier_reads() -> None:
    """The largest expiry txTime can carry is sixteen hex digits."""
    assert tx_time(16**16 - 1) == "F" * 16
    assert tx_time(0) == "0"


# Verifying URLs: properties over arbitrary input ---------------------------

url_like = st.one_of(
    st.text(),
    st.text(st.characters(codec="ascii")),
    st.builds(
        "{}://{}/{}?{}".format,
        st.sampled_from(["rtmp", "webrtc", "https", ""]),
        st.text(st.characters(codec="ascii"), max_size=12),
        st.text(st.characters(codec="ascii"), max_size=12),
        st.text(st.characters(codec="ascii"), max_size=40),
    ),
    st.builds(
        "rtmp://d/live/{}?txSecret={}&txTime={}".format,
        st.text(st.characters(codec="ascii"), max_size=8),
        st.sampled_from([PRIMARY_SECRET, BACKUP_SECRET, ""]),
        st.text(st.characters(codec="ascii"), max_size=20),
    ),
    st.just(f"rtmp://[::1/live/s?txSecret={PRIMARY_SECRET}&txTime=658D5080"),
)


@given(url=url_like)
def test_verify_push_url_raises_only_live_errors(url: str) -> None:
    """Whatever text arrives as the URL, the answer is a key index or a LiveError."""
    try:
        index = verify_push_url(url, [PRIMARY, BACKUP], clock=url_clock())
    except LiveError:
        return

    assert index in (0, 1)


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


def test_push_url_without_a_key_is_key_not_configured_whatever_it_holds() -> None:
    """With no key, even a URL without txTime or txSecret is refused as our own
    misconfiguration, as Verifier does, not as the sender's missing field."""
    with pytest.raises(KeyNotConfigured):
        verify_push_url("rtmp://d/live/s", [], clock=url_clock())
    with pytest.raises(KeyNotConfigured):
        verify_push_url("rtmp://[::1/live/s", [""], clock=url_clock())
