"""Why a publisher's stream stopped, and whether a person should be told.

A stop callback carries an ``errcode``, and for push admission refusals and
management actions a ``sub_errcode``, saying why a publisher's stream ended.
:data:`STOP_REASONS` maps each pair to a :class:`StopReason`: its kind, whether
it deserves an alert, a severity on the scale :mod:`shared.codes` describes, what
happened and what to do. A test fails on any entry that lacks one.
:func:`stop_reason` looks a callback's fields up and never raises.

Stop reasons are the fifth layer of Tencent's error reporting. The other four
(HTTP, legacy access, legacy backend, API 3.0) live in :mod:`shared.codes`,
which re-exports this module's names. They are kept apart because the callback
function needs only this table, on every cold start: this module imports the
standard library, :mod:`shared.errors` and :mod:`shared._text` only, and never
:mod:`shared.codes` and its hundreds of API 3.0 entries.

The errmsg kept on a reason goes through :mod:`shared._text`: one line of at
most 200 characters, with anything shaped like a key, a sign or a token hidden.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from types import MappingProxyType

from shared._text import CODE_LIMIT, MISSING, as_int, clean, phrase_words
from shared.errors import Severity

__all__ = [
    "LEGACY_STOP_MESSAGES",
    "STOP_REASONS",
    "UNKNOWN_STOP",
    "StopKind",
    "StopReason",
    "stop_reason",
]


class StopKind(str, Enum):
    """Why a publisher's stream ended, in broad terms."""

    NORMAL_END = "normal_end"
    OPERATOR_ACTION = "operator_action"
    AUTH_FAILURE = "auth_failure"
    ACCOUNT_PROBLEM = "account_problem"
    FORBIDDEN = "forbidden"
    REPLACED = "replaced"
    IDLE = "idle"
    NETWORK = "network"
    PROTOCOL = "protocol"
    INTERNAL = "internal"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class StopReason:
    """What a stop callback's codes mean and whether a person should be told.

    Attributes:
        kind: the broad reason.
        alert: whether the stop is abnormal enough to alert someone.
        severity: how urgently a person should look.
        remedy: what to check, and where.
        description: what happened, in plain words.
        errcode: the errcode understood, or None when it was absent or not a
            number and the errmsg did not name a legacy reason.
        sub_errcode: the sub_errcode understood, or None.
        code: ``errcode[/sub_errcode]`` as understood, or the cleaned raw value
            when it was not a number.
        errmsg: the received errmsg, cleaned; never used to decide when a
            numeric errcode is present.
    """

    kind: StopKind
    alert: bool
    severity: Severity
    remedy: str
    description: str
    errcode: int | None = None
    sub_errcode: int | None = None
    code: str = ""
    errmsg: str = ""


# Entry builders, so a table row reads as its meaning.


def _stop(
    kind: StopKind,
    description: str,
    remedy: str,
    *,
    alert: bool = True,
    severity: Severity = Severity.WARNING,
) -> StopReason:
    return StopReason(kind, alert, severity, remedy, description)


def _rows(
    keys: Iterable[tuple[int, int | None]], reason: StopReason
) -> dict[tuple[int, int | None], StopReason]:
    return dict.fromkeys(keys, reason)


def _codes(*errcodes: int) -> list[tuple[int, int | None]]:
    return [(errcode, None) for errcode in errcodes]


def _subs(errcode: int, *subs: int) -> list[tuple[int, int]]:
    return [(errcode, sub) for sub in subs]


_STOP_LOG = "云直播控制台 > 事件中心 > 断流记录"
_ENCODER = (
    "Check the encoder's RTMP settings and version; push again with a standard "
    "encoder to compare."
)
_INTERNAL_STOP = (
    f"Push again; if it repeats, open a 工单 with the stream name, time and "
    f"errcode, and see {_STOP_LOG}."
)
_PUSH_AUTH = (
    "Regenerate the push URL with the current push key from 云直播控制台 > "
    "域名管理 > 推流配置 > 鉴权配置, with a txTime in the future."
)
_IP_LIST = (
    "If the publisher is legitimate, fix the push domain's IP blacklist or "
    "whitelist in 云直播控制台 > 域名管理 > 推流配置."
)
_CONCURRENCY = (
    "Stop duplicate publishers of the stream; if the account's concurrency limit "
    "is too low, ask for more through a 工单."
)
_NORMAL_END = (
    "Nothing to fix: the publisher ended the push. Check the encoder only if the "
    "stream was meant to go on."
)

STOP_REASONS: Mapping[tuple[int, int | None], StopReason] = MappingProxyType(
    {
        (0, None): _stop(
            StopKind.UNKNOWN,
            "Tencent gave no reason for the stop (errcode 0).",
            f"Look the stop up in {_STOP_LOG}; open a 工单 if stops without a "
            f"reason repeat.",
        ),
        (1, None): _stop(
            StopKind.NORMAL_END,
            "The publisher deleted the stream (RTMP deleteStream).",
            _NORMAL_END,
            alert=False,
            severity=Severity.INFO,
        ),
        (2, None): _stop(
            StopKind.NORMAL_END,
            "The publisher closed the stream (RTMP closeStream).",
            _NORMAL_END,
            alert=False,
            severity=Severity.INFO,
        ),
        (3, None): _stop(
            StopKind.NORMAL_END,
            "The publisher closed its TCP connection.",
            _NORMAL_END,
            alert=False,
            severity=Severity.INFO,
        ),
        (4, None): _stop(
            StopKind.NORMAL_END,
            "The publisher's connection ended with a TCP error.",
            "Usually nothing to fix: the publisher went away. If it happens mid-"
            "stream, check the publisher's network.",
            alert=False,
            severity=Severity.INFO,
        ),
        **_rows(
            _codes(5, 9, 11, 24, 38),
            _stop(
                StopKind.INTERNAL,
                "Tencent's ingest ended the stream for an internal reason.",
                _INTERNAL_STOP,
                severity=Severity.ERROR,
            ),
        ),
        **_rows(
            _codes(6, 23),
            _stop(
                StopKind.PROTOCOL,
                "The publisher sent RTMP data the server could not parse.",
                _ENCODER,
            ),
        ),
        (7, None): _stop(
            StopKind.PROTOCOL,
            "The publisher sent a single frame larger than 1 MB.",
            "Lower the encoder's bitrate or keyframe size so that no frame exceeds "
            "1 MB.",
        ),
        **_rows(
            _codes(8, 20),
            _stop(
                StopKind.IDLE,
                "The publisher connected but sent no data, so Tencent closed it.",
                "Check that the encoder sends audio and video once connected "
                "(capture source, camera, uplink).",
            ),
        ),
        (10, None): _stop(
            StopKind.OPERATOR_ACTION,
            "An ingest proxy received a drop command for the stream.",
            "Nothing to fix if someone dropped the stream on purpose; otherwise "
            "find which system holds the API key that dropped it.",
            alert=False,
            severity=Severity.INFO,
        ),
        **_rows(
            _codes(12, 13, 14, 15, 16, 17),
            _stop(
                StopKind.NETWORK,
                "The connection to the publisher failed on the network.",
                "Check the publisher's uplink (bandwidth, packet loss, Wi-Fi or "
                "mobile signal), then push again.",
            ),
        ),
        (18, None): _stop(
            StopKind.AUTH_FAILURE,
            "Tencent refused the push at admission (push url maybe invalid); no "
            "sub_errcode says which check failed.",
            f"{_PUSH_AUTH} Also check the domain and account status in "
            f"云直播控制台 > 域名管理.",
            severity=Severity.ERROR,
        ),
        **_rows(
            _subs(18, 100, 101, 102, 103, 104),
            _stop(
                StopKind.INTERNAL,
                "Tencent's push admission check failed internally.",
                _INTERNAL_STOP,
                severity=Severity.ERROR,
            ),
        ),
        (18, 200): _stop(
            StopKind.ACCOUNT_PROBLEM,
            "Tencent could not look up the account while admitting the push.",
            "Push again; if it repeats, open a 工单 with the stream name and time.",
            severity=Severity.ERROR,
        ),
        (18, 201): _stop(
            StopKind.ACCOUNT_PROBLEM,
            "The account's live service is shut down.",
            "Check the service in 云直播控制台 and the account in 费用中心; "
            "re-enable the service or open a 工单.",
            severity=Severity.CRITICAL,
        ),
        (18, 202): _stop(
            StopKind.ACCOUNT_PROBLEM,
            "The account is in arrears, so pushes are refused.",
            "Top up in 费用中心 > 充值, then push again.",
            severity=Severity.CRITICAL,
        ),
        (18, 203): _stop(
            StopKind.ACCOUNT_PROBLEM,
            "Tencent force-stopped the account's live service.",
            "Read the notice in 消息中心 and open a 工单 to learn why and restore "
            "the service.",
            severity=Severity.CRITICAL,
        ),
        (18, 300): _stop(
            StopKind.FORBIDDEN,
            "The publisher pushed to a bare IP address, which is not allowed.",
            "Push to the push domain listed in 云直播控制台 > 域名管理, not to an "
            "IP address.",
            severity=Severity.ERROR,
        ),
        (18, 301): _stop(
            StopKind.FORBIDDEN,
            "The push domain is unknown to Tencent.",
            "Use a push domain listed in 云直播控制台 > 域名管理, spelled exactly.",
            severity=Severity.ERROR,
        ),
        (18, 302): _stop(
            StopKind.FORBIDDEN,
            "The domain pushed to is not a valid push domain.",
            "Push to a domain of type 推流域名 in 云直播控制台 > 域名管理, not to a "
            "play domain.",
            severity=Severity.ERROR,
        ),
        (18, 303): _stop(
            StopKind.FORBIDDEN,
            "The push domain is disabled.",
            "Enable the domain in 云直播控制台 > 域名管理, or push to an enabled one.",
            severity=Severity.ERROR,
        ),
        (18, 304): _stop(
            StopKind.FORBIDDEN,
            "The AppName (push path) is disabled.",
            "Check the AppName in the push URL and its settings in "
            "云直播控制台 > 域名管理 > 推流配置.",
            severity=Severity.ERROR,
        ),
        (18, 305): _stop(
            StopKind.FORBIDDEN,
            "The stream is forbidden (禁推), so the push was refused.",
            "If the forbid is no longer wanted, resume the stream in "
            "云直播控制台 > 流管理 > 禁推流 or with ResumeLiveStream.",
        ),
        **_rows(
            _subs(18, 306, 307),
            _stop(
                StopKind.FORBIDDEN,
                "The push does not fit the account's channel mode.",
                "Check that the push URL follows the account's mode (live code or "
                "channel) in 云直播控制台; open a 工单 if unsure.",
                severity=Severity.ERROR,
            ),
        ),
        **_rows(
            _subs(18, 308, 309),
            _stop(
                StopKind.PROTOCOL,
                "The stream or app name holds characters that are not allowed.",
                "Remove special characters from StreamName and AppName in the push "
                "URL; letters, digits, '_' and '-' are safe.",
            ),
        ),
        (18, 400): _stop(
            StopKind.FORBIDDEN,
            "The publisher's IP is on the push domain's blacklist.",
            _IP_LIST,
        ),
        (18, 401): _stop(
            StopKind.FORBIDDEN,
            "The publisher's IP is not on the push domain's whitelist.",
            _IP_LIST,
        ),
        (18, 500): _stop(
            StopKind.AUTH_FAILURE,
            "The push URL has no txTime.",
            _PUSH_AUTH,
            severity=Severity.ERROR,
        ),
        (18, 501): _stop(
            StopKind.AUTH_FAILURE,
            "The push URL's txTime has passed.",
            _PUSH_AUTH,
            severity=Severity.ERROR,
        ),
        (18, 502): _stop(
            StopKind.AUTH_FAILURE,
            "The push URL has no txSecret.",
            _PUSH_AUTH,
            severity=Severity.ERROR,
        ),
        (18, 503): _stop(
            StopKind.AUTH_FAILURE,
            "The push URL's txSecret does not match the push key.",
            _PUSH_AUTH,
            severity=Severity.ERROR,
        ),
        **_rows(
            _subs(18, 600, 601),
            _stop(
                StopKind.FORBIDDEN,
                "Too many pushes run at once on the stream or the account.",
                _CONCURRENCY,
            ),
        ),
        (18, 602): _stop(
            StopKind.FORBIDDEN,
            "Another push of the same stream has priority, so this one was refused.",
            "Find the second publisher using the same stream name; only one should "
            "push it.",
        ),
        (19, None): _stop(
            StopKind.AUTH_FAILURE,
            "The third-party push authentication refused the push.",
            "Check the third-party authentication server set for the push domain, "
            "and its logs for this stream.",
            severity=Severity.ERROR,
        ),
        (21, None): _stop(
            StopKind.OPERATOR_ACTION,
            "A management action stopped the stream; no sub_errcode says which.",
            f"Nothing to fix if a drop, forbid or new push was expected; otherwise "
            f"look the stop up in {_STOP_LOG}.",
            alert=False,
            severity=Severity.INFO,
        ),
        (21, 100): _stop(
            StopKind.OPERATOR_ACTION,
            "The stream was dropped (DropLiveStream or the console).",
            "Nothing to fix if the drop was meant; otherwise find which system "
            "holds the API key that called DropLiveStream.",
            alert=False,
            severity=Severity.INFO,
        ),
        (21, 101): _stop(
            StopKind.FORBIDDEN,
            "The stream was forbidden (ForbidLiveStream or the console).",
            "If the forbid was a mistake, resume the stream with ResumeLiveStream "
            "or in 云直播控制台 > 流管理 > 禁推流.",
        ),
        (21, 102): _stop(
            StopKind.REPLACED,
            "A new push of the same stream replaced this one.",
            "Nothing to fix if the publisher reconnected; if two publishers fight "
            "over one name, give each its own stream name.",
            alert=False,
            severity=Severity.INFO,
        ),
        (21, 103): _stop(
            StopKind.REPLACED,
            "A new push of the same stream replaced this idle one.",
            "Nothing to fix: the publisher reconnected while the old session was idle.",
            alert=False,
            severity=Severity.INFO,
        ),
        **_rows(
            _codes(22, 25, 26, 27, 28, 29, 30, 31, 32, 34, 36),
            _stop(
                StopKind.UNKNOWN,
                "Tencent lists this stop code as an unknown reason.",
                f"Look the stop up in {_STOP_LOG}; open a 工单 if it repeats.",
            ),
        ),
        (33, None): _stop(
            StopKind.PROTOCOL,
            "The publisher sent malformed RTMP AMF data.",
            _ENCODER,
        ),
        (35, None): _stop(
            StopKind.NORMAL_END,
            "The publisher disconnected.",
            _NORMAL_END,
            alert=False,
            severity=Severity.INFO,
        ),
        (37, None): _stop(
            StopKind.IDLE,
            "An edge server (SRS) dropped a stream nobody was playing.",
            "Nothing to fix: Tencent freed the resources of an unwatched stream.",
            alert=False,
            severity=Severity.INFO,
        ),
        (39, None): _stop(
            StopKind.PROTOCOL,
            "The stream's frame rate was above the allowed limit.",
            "Lower the encoder's frame rate to within the push domain's limit.",
        ),
    }
)

# Legacy errmsg texts, squashed (lowercase, no whitespace) because real payloads
# vary their spacing; used only when no numeric errcode arrived.
LEGACY_STOP_MESSAGES: Mapping[str, int] = MappingProxyType(
    {
        "recvrtmpdeletestream": 1,
        "recvrtmpclosestream": 2,
        "recv()return0": 3,
        "recv()returnerror": 4,
        "rtmpmessagelargethan1m": 7,
        "pushurlmaybeinvalid": 18,
        "3rdpartyauthfailed": 19,
    }
)

#: What a stop with an errcode missing from the table maps to.
UNKNOWN_STOP = _stop(
    StopKind.UNKNOWN,
    "The stop code is not in this package's table.",
    f"Look the stop up in {_STOP_LOG}, and open a 工单 if the code's meaning is "
    f"unclear.",
)


def stop_reason(
    errcode: object, sub_errcode: object = None, errmsg: object = None
) -> StopReason:
    """Explain why a stream stopped, from a stop callback's fields.

    The numeric codes decide. The errmsg text is only consulted, with spacing and
    case ignored, when no numeric errcode arrived, because real payloads vary it.
    Never raises: any value, however malformed, maps to a reason.

    Args:
        errcode: the callback's ``errcode``.
        sub_errcode: the callback's ``sub_errcode``, when present.
        errmsg: the callback's ``errmsg``.

    Returns:
        The reason, carrying the codes understood and the cleaned errmsg.
    """
    code = as_int(errcode)
    if code is None:
        code = LEGACY_STOP_MESSAGES.get("".join(phrase_words(errmsg)))
    sub = as_int(sub_errcode)

    rule = _stop_rule(code, sub)
    return replace(
        rule,
        errcode=code,
        sub_errcode=sub,
        code=_stop_code(errcode, code, sub),
        errmsg=clean(errmsg),
    )


def _stop_rule(code: int | None, sub: int | None) -> StopReason:
    if code is None:
        return UNKNOWN_STOP
    exact = STOP_REASONS.get((code, sub))
    if exact is not None:
        return exact
    return STOP_REASONS.get((code, None), UNKNOWN_STOP)


def _stop_code(raw: object, code: int | None, sub: int | None) -> str:
    if code is None:
        return clean(raw, CODE_LIMIT) or MISSING
    if sub is None:
        return str(code)
    return f"{code}/{sub}"
