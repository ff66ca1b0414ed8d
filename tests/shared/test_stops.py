"""Specification of shared.stops: why a stream stopped, and whether to alert."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import given

from shared.errors import Severity
from shared.stops import (
    LEGACY_STOP_MESSAGES,
    STOP_REASONS,
    UNKNOWN_STOP,
    StopKind,
    StopReason,
    stop_reason,
)
from tests.fresh import modules_loaded_by, outside_stdlib
from tests.shared.garbage import PLACEHOLDER, garbage, one_line

STOP_ENTRIES = [
    pytest.param(reason, id=f"stop:{key[0]}/{key[1]}")
    for key, reason in STOP_REASONS.items()
] + [pytest.param(UNKNOWN_STOP, id="stop:unknown")]


# The two ways the callback can reach the stop table; neither may load the
# error tables of shared.codes.
STOP_IMPORTS = ["import shared.stops", "from shared import StopKind, stop_reason"]


GARBAGE = garbage(
    [
        " 18 ",
        "503",
        "\x00recv rtmp deleteStream\n",
        "push url maybe invalid",
        "sign=b17971b51ba0fe5916ddcd96692e9fb3",
    ]
)


# Completeness of the table.


@pytest.mark.parametrize("reason", STOP_ENTRIES)
def test_every_stop_entry_is_complete(reason: StopReason) -> None:
    """Every stop entry has a kind, a severity, a description and a real remedy."""
    assert isinstance(reason.kind, StopKind)
    assert isinstance(reason.severity, Severity)
    assert isinstance(reason.alert, bool)
    for text in (reason.remedy, reason.description):
        assert len(text) >= 20
        assert text.endswith(".")
        assert not PLACEHOLDER.search(text)
    assert reason.errcode is None
    assert reason.code == ""


@pytest.mark.parametrize(
    "table",
    [STOP_REASONS, LEGACY_STOP_MESSAGES],
    ids=["stop", "legacy_stop_messages"],
)
def test_tables_are_read_only(table: Mapping[object, object]) -> None:
    """No caller can change a table at run time."""
    key = next(iter(table))

    with pytest.raises(TypeError):
        table[key] = UNKNOWN_STOP  # type: ignore[index]


# Garbage never escapes as an exception.


@given(GARBAGE, GARBAGE, GARBAGE)
def test_stop_reason_accepts_anything(
    errcode: object, sub_errcode: object, errmsg: object
) -> None:
    """Whatever a stop callback holds, the answer is a StopReason."""
    reason = stop_reason(errcode, sub_errcode, errmsg)

    assert isinstance(reason, StopReason)
    assert one_line(reason.errmsg)
    assert len(reason.errmsg) <= 200


# Mapping a callback's fields.


@pytest.mark.parametrize(
    ("errcode", "sub", "errmsg", "kind", "alert"),
    [
        (1, None, "recv rtmp deleteStream", StopKind.NORMAL_END, False),
        (2, None, "recv rtmpcloseStream", StopKind.NORMAL_END, False),
        (3, None, "recv() return 0", StopKind.NORMAL_END, False),
        (4, None, "recv() return error", StopKind.NORMAL_END, False),
        (35, None, "", StopKind.NORMAL_END, False),
        (21, 100, "", StopKind.OPERATOR_ACTION, False),
        (21, 101, "", StopKind.FORBIDDEN, True),
        (21, 102, "", StopKind.REPLACED, False),
        (21, 103, "", StopKind.REPLACED, False),
        (18, 305, "", StopKind.FORBIDDEN, True),
        (18, 202, "", StopKind.ACCOUNT_PROBLEM, True),
        (18, 301, "", StopKind.FORBIDDEN, True),
        (18, 401, "", StopKind.FORBIDDEN, True),
        (18, 503, "push url maybe invalid", StopKind.AUTH_FAILURE, True),
        (18, 601, "", StopKind.FORBIDDEN, True),
        (18, 102, "", StopKind.INTERNAL, True),
        (19, None, "3rdparty auth failed", StopKind.AUTH_FAILURE, True),
        (7, None, "rtmp message large than 1M", StopKind.PROTOCOL, True),
        (33, None, "", StopKind.PROTOCOL, True),
        (8, None, "", StopKind.IDLE, True),
        (13, None, "", StopKind.NETWORK, True),
        (9, None, "", StopKind.INTERNAL, True),
        (27, None, "", StopKind.UNKNOWN, True),
    ],
)
def test_stop_codes_map_to_kind_and_alert(
    errcode: int, sub: int | None, errmsg: str, kind: StopKind, alert: bool
) -> None:
    """Each documented stop code has its kind and alert decision."""
    reason = stop_reason(errcode, sub, errmsg)

    assert reason.kind is kind
    assert reason.alert is alert
    assert reason.errcode == errcode
    assert reason.sub_errcode == sub


@pytest.mark.parametrize(
    ("errmsg", "errcode"),
    [
        ("recv rtmp closeStream", 2),
        ("recv rtmpcloseStream", 2),
        ("  RECV   rtmp\tCloseStream\n", 2),
        ("recv()return 0", 3),
        ("recv() return error", 4),
        ("rtmp message large than 1M", 7),
        ("push url  maybe invalid", 18),
        ("3rdparty auth failed", 19),
    ],
)
def test_legacy_errmsg_is_understood_when_errcode_is_missing(
    errmsg: str, errcode: int
) -> None:
    """Without an errcode, the legacy text decides, whatever its spacing and case."""
    reason = stop_reason(None, None, errmsg)

    assert reason.errcode == errcode
    assert reason.code == str(errcode)
    assert reason.kind is STOP_REASONS[(errcode, None)].kind


def test_code_decides_over_errmsg() -> None:
    """When errcode and errmsg disagree, the numeric code wins."""
    reason = stop_reason(18, 503, "recv rtmp deleteStream")

    assert reason.kind is StopKind.AUTH_FAILURE
    assert reason.code == "18/503"
    assert reason.errmsg == "recv rtmp deleteStream"


def test_codes_given_as_digit_strings_are_understood() -> None:
    """A payload with "18" and "503" as strings reads the same as integers."""
    assert stop_reason("18", "503").kind is StopKind.AUTH_FAILURE


def test_unlisted_sub_errcode_falls_back_to_its_errcode() -> None:
    """An unknown sub_errcode (0 included) uses the errcode's own row."""
    assert stop_reason(18, 999).description == STOP_REASONS[(18, None)].description
    assert stop_reason(1, 0).kind is StopKind.NORMAL_END


def test_drop_family_without_sub_errcode_is_an_operator_action() -> None:
    """errcode 21 alone is a management action and does not alert."""
    reason = stop_reason(21)

    assert reason.kind is StopKind.OPERATOR_ACTION
    assert not reason.alert


def test_unknown_stop_code_alerts_and_keeps_the_code() -> None:
    """An unlisted errcode is unknown, alerts at warning, and keeps its codes."""
    reason = stop_reason(999, 5, "boom")

    assert reason.kind is StopKind.UNKNOWN
    assert reason.alert
    assert reason.severity is Severity.WARNING
    assert (reason.errcode, reason.sub_errcode, reason.code) == (999, 5, "999/5")
    assert reason.errmsg == "boom"


@pytest.mark.parametrize(
    ("errcode", "code"), [("abc", "abc"), (None, "<missing>"), (True, "True")]
)
def test_non_numeric_errcode_is_unknown_and_kept(errcode: object, code: str) -> None:
    """A missing or non-numeric errcode with no legacy text is unknown."""
    reason = stop_reason(errcode, None, "not a legacy text")

    assert reason.kind is StopKind.UNKNOWN
    assert reason.errcode is None
    assert reason.code == code


def test_stop_errmsg_is_cleaned() -> None:
    """The errmsg kept on a reason is one line with secrets hidden."""
    reason = stop_reason(1, None, "bye\nsign=b17971b51ba0fe5916ddcd96692e9fb3")

    assert reason.errmsg == "bye sign=[redacted]"


def test_every_errcode_up_to_39_has_a_row() -> None:
    """Each errcode of Tencent's current table, 0 to 39, has its own row."""
    for errcode in range(40):
        assert (errcode, None) in STOP_REASONS


@pytest.mark.parametrize(
    ("errcode", "subs"),
    [
        (
            18,
            [
                *range(100, 105),
                *range(200, 204),
                *range(300, 310),
                400,
                401,
                *range(500, 504),
                *range(600, 603),
            ],
        ),
        (21, [100, 101, 102, 103]),
    ],
)
def test_every_documented_sub_errcode_has_a_row(errcode: int, subs: list[int]) -> None:
    """Each sub_errcode of Tencent's current table has its own row."""
    for sub in subs:
        assert (errcode, sub) in STOP_REASONS


@pytest.mark.parametrize(
    ("subs", "kind"),
    [
        (range(500, 504), StopKind.AUTH_FAILURE),
        (range(200, 204), StopKind.ACCOUNT_PROBLEM),
    ],
)
def test_push_admission_families_alert(subs: range, kind: StopKind) -> None:
    """Push-auth (18/5xx) and account (18/2xx) failures alert with their kind."""
    for sub in subs:
        reason = STOP_REASONS[(18, sub)]
        assert reason.kind is kind
        assert reason.alert


def test_every_push_admission_refusal_alerts() -> None:
    """Every 18/xxx row, config, IP list and concurrency included, alerts."""
    admission = [reason for key, reason in STOP_REASONS.items() if key[0] == 18]

    assert len(admission) == 29  # the bare 18 row and 28 documented sub_errcodes
    assert all(reason.alert for reason in admission)


@pytest.mark.parametrize("reason", STOP_ENTRIES)
def test_alert_follows_kind(reason: StopReason) -> None:
    """Normal ends, replacements and operator drops stay quiet; failures alert."""
    quiet = {StopKind.NORMAL_END, StopKind.REPLACED, StopKind.OPERATOR_ACTION}
    loud = {
        StopKind.AUTH_FAILURE,
        StopKind.ACCOUNT_PROBLEM,
        StopKind.FORBIDDEN,
        StopKind.PROTOCOL,
        StopKind.INTERNAL,
        StopKind.NETWORK,
        StopKind.UNKNOWN,
    }
    if reason.kind in quiet:
        assert not reason.alert
        assert reason.severity is Severity.INFO
    if reason.kind in loud:
        assert reason.alert


def test_legacy_stop_messages_are_squashed_and_listed() -> None:
    """Legacy texts are stored lowercase without spaces, each naming a real row."""
    for text, errcode in LEGACY_STOP_MESSAGES.items():
        assert text == "".join(text.lower().split())
        assert (errcode, None) in STOP_REASONS


# Imports.


@pytest.mark.parametrize("statement", STOP_IMPORTS)
def test_stop_table_loads_without_the_error_tables(statement: str) -> None:
    """The callback's stop table comes without shared.codes and its API 3.0 tables."""
    loaded = modules_loaded_by(statement)

    assert "shared.stops" in loaded
    assert "shared.codes" not in loaded


@pytest.mark.parametrize("statement", STOP_IMPORTS)
def test_stop_table_loads_only_the_standard_library(statement: str) -> None:
    """shared.stops pulls in nothing outside the standard library and shared."""
    loaded = modules_loaded_by(statement)

    assert "shared.stops" in loaded
    assert outside_stdlib(loaded) == []
