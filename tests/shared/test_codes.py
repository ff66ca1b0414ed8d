"""Specification of shared.codes: Tencent's error codes, mapped to remedies.

The stop table has its own specification in test_stops.py; here only its
re-export through shared.codes is checked.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tencentcloud.live.v20180801 import errorcodes as sdk_errorcodes

from shared import codes, stops
from shared.codes import (
    API3_ERRORS,
    API3_PREFIX_ERRORS,
    HTTP_STATUS_ERRORS,
    LEGACY_ACCESS_ERRORS,
    LEGACY_BACKEND_ERRORS,
    UNKNOWN_ERROR,
    describe,
    from_api3,
    from_http_status,
    from_legacy,
)
from shared.errors import Category, ErrorInfo, Severity, TencentError
from tests.fresh import modules_loaded_by, outside_stdlib
from tests.shared.garbage import PLACEHOLDER, Hostile, garbage, one_line

ERROR_TABLES: dict[str, Mapping[object, ErrorInfo]] = {
    "http": HTTP_STATUS_ERRORS,  # type: ignore[dict-item]
    "legacy_access": LEGACY_ACCESS_ERRORS,  # type: ignore[dict-item]
    "legacy_backend": LEGACY_BACKEND_ERRORS,  # type: ignore[dict-item]
    "api3": API3_ERRORS,  # type: ignore[dict-item]
    "api3_prefix": API3_PREFIX_ERRORS,  # type: ignore[dict-item]
}

ERROR_ENTRIES = [
    pytest.param(info, id=f"{name}:{key}")
    for name, table in ERROR_TABLES.items()
    for key, info in table.items()
] + [pytest.param(UNKNOWN_ERROR, id="unknown")]


SDK_CODES = sorted(
    value
    for name, value in vars(sdk_errorcodes).items()
    if name.isupper() and isinstance(value, str)
)

REQUIRED_API3 = [
    "AuthFailure.InvalidSecretId",
    "AuthFailure.MFAFailure",
    "AuthFailure.SecretIdNotFound",
    "AuthFailure.SignatureExpire",
    "AuthFailure.SignatureFailure",
    "AuthFailure.TokenFailure",
    "AuthFailure.UnauthorizedOperation",
    "RequestLimitExceeded",
    "RequestLimitExceeded.UinLimitExceeded",
    "RequestLimitExceeded.GlobalRegionUinLimitExceeded",
    "InternalError",
    "InvalidAction",
    "InvalidParameter",
    "InvalidParameterValue",
    "MissingParameter",
    "LimitExceeded",
    "UnauthorizedOperation",
    "UnsupportedOperation",
    "UnknownParameter",
    "NoSuchVersion",
    "ResourceNotFound",
    "ResourceUnavailable",
    "ResourceInUse",
    "ResourceInsufficient",
    "FailedOperation",
    "DryRunOperation",
    "UnsupportedProtocol",
    "UnsupportedRegion",
    "InternalError.CallOtherSvrError",
    "InternalError.ConfigNotExist",
    "InternalError.GetBizidError",
    "InternalError.GetStreamInfoError",
    "InternalError.GetUpstreamInfoError",
    "InternalError.NotPermmitOperat",
    "InternalError.StreamStatusError",
    "InternalError.UpdateDataError",
    "InternalError.HasNotLivingStream",
    "FailedOperation.HasNotLivingStream",
    "FailedOperation.StreamNotExist",
    "ResourceNotFound.ForbidService",
    "ResourceNotFound.FreezeService",
    "ResourceNotFound.StopService",
    "ResourceNotFound.UserDisableService",
    "ResourceNotFound.UserNotExist",
    "ResourceNotFound.InvalidUser",
    "ResourceNotFound.DomainNotExist",
    "ResourceNotFound.PushDomainNoRecord",
    "ResourceNotFound.StreamNotAlive",
    "ResourceUnavailable.StreamNotExist",
    "LimitExceeded.RateLimitExceeded",
    "UnsupportedOperation.NotLVBCodeMode",
]

NOT_LIVE_API3 = [
    "ResourceNotFound.StreamNotAlive",
    "FailedOperation.HasNotLivingStream",
    "InternalError.HasNotLivingStream",
    "FailedOperation.StreamNotExist",
    "ResourceUnavailable.StreamNotExist",
]
EMPTY_API3 = ["ResourceNotFound.EmptyData", "ResourceNotFound.CdnLogEmpty"]
STATE_LEGACY = [0, 1301, 10003, 20601]

RETRYABLE_API3 = [
    "RequestLimitExceeded",
    "RequestLimitExceeded.UinLimitExceeded",
    "RequestLimitExceeded.GlobalRegionUinLimitExceeded",
    "LimitExceeded.RateLimitExceeded",
    "InternalError",
    "InternalError.SystemError",
    "InternalError.NetworkError",
    "InternalError.CallOtherSvrError",
    "InternalError.DBError",
    "InternalError.ConnectDbError",
    "InternalError.GetBizidError",
    "InternalError.GetStreamInfoError",
    "InternalError.GetUpstreamInfoError",
    "InternalError.StreamStatusError",
    "InternalError.UpdateDataError",
    "FailedOperation.NetworkError",
    "FailedOperation.CallOtherSvrError",
    "ClientNetworkError",
    "ServerNetworkError",
]

NOT_RETRYABLE_API3 = [
    "AuthFailure.SignatureFailure",
    "AuthFailure.SignatureExpire",
    "InvalidParameter",
    "MissingParameter",
    "InternalError.DomainFormatError",
    "InternalError.PushDomainNoRecord",
    "ResourceNotFound.StopService",
    "FailedOperation",
]

SECRETS = [
    "b17971b51ba0fe5916ddcd96692e9fb3",
    "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
    "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
    "7bd3b6cb50f25569b01573207998997d3c66ca03a9bc338472055236001e2fb6",
    "5d41402abc4b2a76b9719d911017c592",
]

SECRET_MESSAGES = [
    "sign invalid for sign=abc1 at t=1471850187",
    "the request had txSecret=1e36d253d3ae7ebbd62aac2d9c6fde38&txTime=658D5080",
    'echo {"SecretKey": "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"}',
    "Authorization: TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
    "/2023-11-14/live/tc3_request, Signature=7bd3b6cb50f25569b01573207998997d3c66",
    "expected 5d41402abc4b2a76b9719d911017c592 as the key",
    "token: short1",
]


GARBAGE = garbage(
    [
        " 1301 ",
        "\x00AuthFailure\n",
        *SDK_CODES[:5],
        "ResourceNotFound.",
    ]
)


def _secret_free(text: str) -> bool:
    return not any(secret in text for secret in SECRETS)


# Completeness of the tables.


@pytest.mark.parametrize("info", ERROR_ENTRIES)
def test_every_error_entry_is_complete(info: ErrorInfo) -> None:
    """Every error entry has a category, a severity and a real remedy."""
    assert isinstance(info.category, Category)
    assert isinstance(info.severity, Severity)
    assert isinstance(info.retryable, bool)
    assert isinstance(info.is_state, bool)
    assert len(info.remedy) >= 40
    assert info.remedy.endswith(".")
    assert not PLACEHOLDER.search(info.remedy)


@pytest.mark.parametrize("info", ERROR_ENTRIES)
def test_every_remedy_survives_describe_intact(info: ErrorInfo) -> None:
    """No remedy is mangled by the filter that hides secrets in log lines."""
    error = TencentError("m", upstream_code="c", layer="api3", info=info)

    assert describe(error).endswith(f"Remedy: {info.remedy}")


@pytest.mark.parametrize(
    "table",
    list(ERROR_TABLES.values()),
    ids=list(ERROR_TABLES),
)
def test_tables_are_read_only(table: Mapping[object, object]) -> None:
    """No caller can change a table at run time."""
    key = next(iter(table))

    with pytest.raises(TypeError):
        table[key] = UNKNOWN_ERROR  # type: ignore[index]


def test_documented_http_and_legacy_codes_are_present() -> None:
    """The HTTP, legacy access and legacy backend codes of the docs are all here."""
    assert {403, 404} <= set(HTTP_STATUS_ERRORS)
    assert set(LEGACY_ACCESS_ERRORS) == {
        "appid is invalid",
        "cmd is invalid",
        "sign invalid",
        "time expired",
    }
    assert set(LEGACY_BACKEND_ERRORS) == {
        0,
        1000,
        1001,
        1201,
        1202,
        1204,
        1301,
        10003,
        20601,
    }


@pytest.mark.parametrize("code", REQUIRED_API3)
def test_required_api3_code_has_its_own_entry(code: str) -> None:
    """Every common and live-specific API 3.0 code of the reference is an entry."""
    assert code in API3_ERRORS


def test_sdk_error_list_is_read() -> None:
    """The SDK's error list is found, so the next test cannot pass on nothing."""
    assert len(SDK_CODES) > 200


@pytest.mark.parametrize("code", SDK_CODES)
def test_every_sdk_code_maps_to_a_known_entry(code: str) -> None:
    """Each code in the installed SDK's errorcodes.py maps to a real entry."""
    error = from_api3(code, "")

    assert error.info is not UNKNOWN_ERROR
    assert error.category is not Category.UNKNOWN


def test_prefix_rules_name_dotted_families() -> None:
    """Prefix keys end with a dot and share their meaning with the family root."""
    for prefix, info in API3_PREFIX_ERRORS.items():
        assert prefix.endswith(".")
        assert API3_ERRORS[prefix[:-1]] is info


# States and failures.


@pytest.mark.parametrize("code", NOT_LIVE_API3)
def test_stream_not_alive_family_is_a_not_live_state(code: str) -> None:
    """Codes meaning "no stream is live" are answers, not failures."""
    info = from_api3(code, "").info

    assert info.is_state
    assert info.category is Category.NOT_LIVE
    assert info.severity is Severity.INFO


@pytest.mark.parametrize(
    ("ret", "category"),
    [
        (1301, Category.NOT_LIVE),
        (20601, Category.NOT_LIVE),
        (10003, Category.EMPTY),
        (0, Category.EMPTY),
    ],
)
def test_legacy_states(ret: int, category: Category) -> None:
    """Legacy "no live stream", "never pushed" and "no data" are states."""
    info = from_legacy(ret, "").info

    assert info.is_state
    assert info.category is category


def test_states_are_exactly_the_documented_ones() -> None:
    """No other entry claims to be a state, so real failures are never hidden."""
    api3_states = {code for code, info in API3_ERRORS.items() if info.is_state}
    legacy_states = {
        code for code, info in LEGACY_BACKEND_ERRORS.items() if info.is_state
    }

    assert api3_states == {*NOT_LIVE_API3, *EMPTY_API3}
    assert legacy_states == set(STATE_LEGACY)


@pytest.mark.parametrize("info", ERROR_ENTRIES)
def test_state_categories_belong_to_states_only(info: ErrorInfo) -> None:
    """not_live and empty are used by states, and states use nothing else."""
    state_category = info.category in {Category.NOT_LIVE, Category.EMPTY}

    assert info.is_state == state_category
    if info.is_state:
        assert not info.retryable
        assert info.severity is Severity.INFO


# Retrying.


@pytest.mark.parametrize("code", RETRYABLE_API3)
def test_transient_and_rate_limit_codes_are_retryable(code: str) -> None:
    """Rate limits and Tencent's transient failures may be retried."""
    assert from_api3(code, "").retryable


@pytest.mark.parametrize("code", NOT_RETRYABLE_API3)
def test_codes_needing_a_person_are_not_retryable(code: str) -> None:
    """Auth, input, configuration and account problems are not retried."""
    assert not from_api3(code, "").retryable


@pytest.mark.parametrize(
    ("ret", "retryable"),
    [(1201, True), (1202, True), (1000, False), (1204, False), (1301, False)],
)
def test_legacy_retryable_codes(ret: int, retryable: bool) -> None:
    """Legacy 1201 (internal) and 1202 (frequency) may be retried, others not."""
    assert from_legacy(ret, "").retryable is retryable


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_gateway_failures_are_retryable(status: int) -> None:
    """A throttling or failing gateway may be retried."""
    assert from_http_status(status).retryable


@pytest.mark.parametrize("info", ERROR_ENTRIES)
def test_only_transient_or_rate_limited_entries_are_retryable(info: ErrorInfo) -> None:
    """Retrying is only offered where waiting can help; every rate limit offers it."""
    if info.retryable:
        assert info.category in {Category.TRANSIENT, Category.RATE_LIMITED}
    if info.category is Category.RATE_LIMITED:
        assert info.retryable


# HTTP layer.


@pytest.mark.parametrize(
    ("status", "category"),
    [(403, Category.AUTH), (404, Category.INVALID_INPUT), ("403", Category.AUTH)],
)
def test_http_status_maps_to_its_entry(status: object, category: Category) -> None:
    """403 is a refused request and 404 a wrong host or path, as int or digits."""
    error = from_http_status(status)

    assert error.category is category
    assert error.layer == "http"
    assert error.upstream_code == str(status)


def test_unknown_http_status_keeps_raw_code() -> None:
    """A status outside the table is unknown, not retryable, and keeps its code."""
    error = from_http_status(418)

    assert error.info is UNKNOWN_ERROR
    assert error.upstream_code == "418"
    assert "418" in str(error)


def test_oversized_int_status_is_not_rendered() -> None:
    """An integer too large to print safely does not break the classifier."""
    error = from_http_status(10**5000)

    assert error.info is UNKNOWN_ERROR
    assert error.upstream_code == "<int too large>"


# Legacy layer.


@pytest.mark.parametrize(
    "message",
    ["sign invalid", "Sign Invalid", "  sign\tinvalid\n", "SIGN  INVALID"],
)
def test_access_message_matches_despite_spacing_and_case(message: str) -> None:
    """The access layer's messages match whatever their spacing and case."""
    error = from_legacy(-1, message)

    assert error.layer == "legacy_access"
    assert error.upstream_code == "sign invalid"
    assert error.category is Category.AUTH


def test_access_message_wins_over_backend_code() -> None:
    """An access refusal decides even when ret holds a backend code."""
    error = from_legacy(1301, "time expired")

    assert error.layer == "legacy_access"
    assert not error.info.is_state


@pytest.mark.parametrize("message", ["appid is invalid", "cmd is invalid"])
def test_invalid_appid_or_cmd_means_not_enabled(message: str) -> None:
    """A refused appid or cmd means the API is not enabled for it."""
    assert from_legacy(-1, message).category is Category.NOT_ENABLED


def test_backend_code_decides_when_message_is_not_an_access_refusal() -> None:
    """With any other message, ret picks the entry and is kept as the code."""
    error = from_legacy("1202", "invalid request/request frequency exceeds limit")

    assert error.layer == "legacy_backend"
    assert error.upstream_code == "1202"
    assert error.category is Category.RATE_LIMITED


def test_boolean_ret_is_not_a_code() -> None:
    """JSON true is not ret 1 or any other code."""
    error = from_legacy(True, "")

    assert error.info is UNKNOWN_ERROR
    assert error.upstream_code == "True"


def test_unknown_legacy_code_keeps_raw_code_and_message() -> None:
    """An unlisted ret is unknown but keeps Tencent's code and message."""
    error = from_legacy(4242, "something odd happened")

    assert error.info is UNKNOWN_ERROR
    assert error.info.severity is Severity.ERROR
    assert error.upstream_code == "4242"
    assert "something odd happened" in str(error)


def test_missing_legacy_code_is_named_missing() -> None:
    """A legacy answer without ret says so instead of printing an empty code."""
    assert from_legacy(None, None).upstream_code == "<missing>"


# API 3.0 layer.


def test_api3_error_keeps_code_message_and_request_id() -> None:
    """The error carries Tencent's code, request id and message in plain words."""
    error = from_api3(
        "AuthFailure.SignatureFailure",
        "The provided credentials could not be validated.",
        "8e50cdb5-56dc-408b-89b0-31818958d424",
    )

    assert error.layer == "api3"
    assert error.upstream_code == "AuthFailure.SignatureFailure"
    assert error.request_id == "8e50cdb5-56dc-408b-89b0-31818958d424"
    assert str(error).startswith("Tencent API 3.0 answered AuthFailure.")
    assert "credentials, signature or permission were refused" in str(error)
    assert "could not be validated" in str(error)


def test_code_with_surrounding_spaces_still_matches() -> None:
    """Whitespace around a code does not hide its entry."""
    error = from_api3("  InternalError.SystemError \n", "")

    assert error.category is Category.TRANSIENT
    assert error.upstream_code == "InternalError.SystemError"


def test_unknown_api3_code_keeps_raw_code_and_message() -> None:
    """An unlisted code is unknown, not retryable, severity error, code kept."""
    error = from_api3("Brand.NewCode", "a new failure", "req-1")

    assert error.info is UNKNOWN_ERROR
    assert not error.retryable
    assert error.info.severity is Severity.ERROR
    assert error.upstream_code == "Brand.NewCode"
    assert error.request_id == "req-1"
    assert "Brand.NewCode" in str(error)
    assert "a new failure" in str(error)


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("AuthFailure.SomethingNew", Category.AUTH),
        ("ResourceNotFound.SomethingNew", Category.CONFIG),
        ("RequestLimitExceeded.IPLimitExceeded", Category.RATE_LIMITED),
        ("InvalidParameterValue.BadStreamName", Category.INVALID_INPUT),
    ],
)
def test_new_member_of_a_family_uses_the_family_rule(
    code: str, category: Category
) -> None:
    """A code Tencent adds to a uniform family inherits the family's meaning."""
    error = from_api3(code, "")

    assert error.info is API3_PREFIX_ERRORS[code.split(".")[0] + "."]
    assert error.category is category


def test_exact_entry_beats_its_family_rule() -> None:
    """An exact entry wins over the prefix rule of its family."""
    exact = from_api3("ResourceNotFound.StreamNotAlive", "").info
    family = from_api3("ResourceNotFound.SomethingNew", "").info

    assert exact.is_state
    assert not family.is_state


def test_deeper_code_falls_back_to_nearest_family() -> None:
    """A code nested below a family walks up to the closest family rule."""
    error = from_api3("RequestLimitExceeded.UinLimitExceeded.Burst", "")

    assert error.info is API3_PREFIX_ERRORS["RequestLimitExceeded."]


@pytest.mark.parametrize(
    "code", ["InternalError.SomethingNew", "FailedOperation.SomethingNew", "Nope"]
)
def test_families_with_mixed_meanings_have_no_prefix_rule(code: str) -> None:
    """InternalError.* and FailedOperation.* members differ, so new ones are unknown."""
    assert from_api3(code, "").info is UNKNOWN_ERROR


@pytest.mark.parametrize("code", [None, 401, b"AuthFailure", "A" * 500])
def test_code_that_is_not_a_plain_string_is_unknown(code: object) -> None:
    """Only a string of reasonable length is looked up."""
    error = from_api3(code, "")

    assert error.info is UNKNOWN_ERROR
    assert len(error.upstream_code) <= 100


def test_sdk_network_error_message_in_bytes_is_decoded() -> None:
    """The SDK passes a non-200 body as bytes; it is decoded and kept short."""
    body = b"<html><body>502 Bad Gateway</body></html>" + b"x" * 10_000
    error = from_api3("ServerNetworkError", body)

    assert error.retryable
    assert "502 Bad Gateway" in str(error)


def test_request_id_that_is_not_a_uuid_is_cleaned() -> None:
    """A request id of unexpected shape goes through the same filter as messages."""
    error = from_api3("InternalError", "", "id\nb17971b51ba0fe5916ddcd96692e9fb3")

    assert error.request_id == "id [redacted]"


def test_empty_request_id_becomes_none() -> None:
    """An empty request id is recorded as absent."""
    assert from_api3("InternalError", "", "").request_id is None


# Messages: plain words, bounded, one line, nothing secret.


def test_upstream_message_is_cut_to_200_characters() -> None:
    """A long upstream message is kept to its first 200 characters."""
    error = from_api3("InvalidParameter", "abcdefghi " * 1000)
    quoted = str(error).split('Tencent said "', 1)[1].rstrip('"')

    assert quoted == ("abcdefghi " * 20).rstrip()


def test_control_characters_are_removed() -> None:
    """Escape sequences, bidi overrides and line breaks never reach a message."""
    error = from_api3("InvalidParameter", "bad\x1b[31m red\u202e\u2028next\r\nline\x00")

    assert one_line(str(error))
    assert "\u202e" not in str(error)
    assert "bad[31m red" in str(error)


@pytest.mark.parametrize("message", SECRET_MESSAGES)
def test_secret_like_text_never_reaches_the_error(message: str) -> None:
    """Keys, signs, secrets and signatures echoed by Tencent are hidden."""
    error = from_api3("AuthFailure.SignatureFailure", message, "r")

    assert _secret_free(str(error))
    assert _secret_free(describe(error))
    assert "abc1" not in str(error)
    assert "short1" not in str(error)
    assert "[redacted]" in str(error)


def test_secret_cut_at_the_scan_limit_is_dropped() -> None:
    """A secret split by the scan limit leaves no short, unrecognisable piece."""
    long_secret = "a1" * 450
    message = f"{long_secret} {'y' * 88} ZQ9xK2mP4vL7wR3tN8bH5cJ6"
    error = from_api3("InvalidParameter", message)

    assert "ZQ9xK2mP4v" not in str(error)


def test_long_plain_words_are_not_hidden() -> None:
    """Only letter-and-digit runs are hidden; long plain words stay readable."""
    error = from_api3("InvalidParameter", "GlobalRegionUinLimitExceeded happened")

    assert "GlobalRegionUinLimitExceeded happened" in str(error)


def test_objects_are_named_not_rendered() -> None:
    """A dict or other object is named by type, never printed, never called."""
    error = from_api3(Hostile(), {"sign": "b17971b51ba0fe5916ddcd96692e9fb3"})

    assert error.upstream_code == "<Hostile>"
    assert "<dict>" in str(error)
    assert _secret_free(str(error))


# describe.


def test_describe_is_one_line_with_every_fact() -> None:
    """The log line names layer, code, category, severity, retry, state and id."""
    error = from_api3(
        "RequestLimitExceeded", "slow down", "8e50cdb5-56dc-408b-89b0-31818958d424"
    )
    line = describe(error)

    assert one_line(line)
    for fact in (
        "layer=api3",
        "code=RequestLimitExceeded",
        "category=rate_limited",
        "severity=warning",
        "retryable=true",
        "state=false",
        "request_id=8e50cdb5-56dc-408b-89b0-31818958d424",
        "slow down",
    ):
        assert fact in line


def test_describe_marks_states() -> None:
    """A state reads as one in the log line."""
    assert "state=true" in describe(from_legacy(1301, "has not live stream"))


def test_describe_cleans_an_error_built_elsewhere() -> None:
    """An error built by other code is still rendered safely on one line."""
    error = TencentError(
        "boom\nsign=b17971b51ba0fe5916ddcd96692e9fb3",
        upstream_code="X\n1",
        layer="api3",
        info=UNKNOWN_ERROR,
        request_id="not a uuid",
    )
    line = describe(error)

    assert one_line(line)
    assert _secret_free(line)
    assert "request_id=not a uuid" in line


def test_describe_names_a_missing_code() -> None:
    """An error without an upstream code says the code is missing."""
    error = TencentError("m", upstream_code="", layer="api3", info=UNKNOWN_ERROR)

    assert "code=<missing>" in describe(error)


# Garbage never escapes as an exception.


@given(GARBAGE)
def test_http_classifier_accepts_anything(status: object) -> None:
    """Whatever the status, the answer is a TencentError with a safe log line."""
    error = from_http_status(status)

    assert isinstance(error, TencentError)
    assert one_line(describe(error))


@given(GARBAGE, GARBAGE)
def test_legacy_classifier_accepts_anything(ret: object, message: object) -> None:
    """Whatever ret and message are, the answer is a TencentError."""
    error = from_legacy(ret, message)

    assert isinstance(error, TencentError)
    assert len(error.upstream_code) <= 100
    assert one_line(describe(error))


@given(GARBAGE, GARBAGE, GARBAGE)
def test_api3_classifier_accepts_anything(
    code: object, message: object, request_id: object
) -> None:
    """Whatever code, message and request id are, the answer is a TencentError."""
    error = from_api3(code, message, request_id)

    assert isinstance(error, TencentError)
    assert one_line(describe(error))


@given(st.sampled_from(SDK_CODES), st.text())
def test_known_codes_keep_their_entry_whatever_the_message(
    code: str, message: str
) -> None:
    """The message never changes which entry a code maps to."""
    assert from_api3(code, message).info is API3_ERRORS[code]


# Imports.


def test_importing_codes_loads_only_the_standard_library() -> None:
    """shared.codes pulls in nothing outside the standard library and shared."""
    loaded = modules_loaded_by("import shared.codes")

    assert "shared.codes" in loaded
    assert outside_stdlib(loaded) == []


def test_stop_names_are_re_exported() -> None:
    """Callers that import the stop table from shared.codes get shared.stops' own."""
    for name in stops.__all__:
        assert name in codes.__all__
        assert getattr(codes, name) is getattr(stops, name)
