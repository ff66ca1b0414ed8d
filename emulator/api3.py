"""Tencent Cloud API 3.0 for the ``live`` service, version 2018-08-01.

:class:`Api3` answers the six stream actions the project calls, from the shared
:class:`~emulator.world.World`, and refuses a request the way Tencent's gateway
does. Every answer is HTTP 200 with ``Content-Type: application/json`` exactly
(Tencent's Python SDK reads the error envelope only for that exact value) and a
``{"Response": {...}}`` body carrying a fresh ``RequestId``.

A request passes these checks in order; the first that fails decides the error:

1. method GET or POST (``UnsupportedProtocol``);
2. ``X-TC-Action``, ``X-TC-Version``, ``X-TC-Timestamp`` and ``Authorization``
   present (``MissingParameter``), the timestamp 1 to 18 ASCII digits
   (``InvalidParameterValue``);
3. ``Authorization`` well formed, ``TC3-HMAC-SHA256`` for service ``live``,
   signing at least ``content-type`` and ``host``
   (``AuthFailure.InvalidAuthorization``), with a SecretId
   (``MissingParameter``);
4. the timestamp within 300 seconds of the emulator's clock
   (``AuthFailure.SignatureExpire``);
5. the SecretId known (``AuthFailure.SecretIdNotFound``);
6. the signature, recomputed from the received Host header, the headers the
   client declares in ``SignedHeaders`` and the raw body (POST) or raw query
   (GET) (``AuthFailure.SignatureFailure``);
7. the version ``2018-08-01`` (``NoSuchVersion``), the action known
   (``InvalidAction``);
8. the action's requests this second under its limit
   (``RequestLimitExceeded``);
9. the parameters: none unknown (``UnknownParameter``), the required ones
   present (``MissingParameter``), each of the right type
   (``InvalidParameter``) and in range (``InvalidParameterValue``);
10. a failure armed with :meth:`Api3.force_error` (``InternalError`` or any
    code given).

An integer parameter is a JSON integer, or in a GET query up to 18 ASCII
digits after an optional ``-``; anything longer or else is
``InvalidParameter``, as is a body the JSON parser cannot read (an integer of
thousands of digits, a nesting too deep). Any failure the checks did not
foresee is answered as Tencent answers its own: ``InternalError`` in the
error envelope, still HTTP 200; the log names the exception's type and place.

Where the protocol reference leaves Tencent's behaviour open, the emulator
chooses, and says so here:

* ``AuthFailure.InvalidAuthorization`` is not in the reference's list of
  common codes, but Tencent's gateway answers it for a malformed
  ``Authorization`` header and several SDK packages list it.
* A request without an ``Authorization`` header gets ``MissingParameter``
  naming it; Tencent's exact answer to that case is unpublished.
* No action answers ``ResourceNotFound.StreamNotAlive`` by itself. Tencent
  documents a DropLiveStream of an inactive stream as succeeding and names
  no stream action that answers the code (it is one of the SDK's error
  codes); the state of a stream never seen is ``inactive``, resuming a
  stream that is not forbidden succeeds, and an empty online list is
  ``TotalNum: 0``. A test that needs it, or the "no living stream" errors
  some accounts see, arms it with :meth:`Api3.force_error`.
* ``DescribeLiveStreamEventList`` lists the sessions whose end time falls in
  ``[StartTime, EndTime]``, and gives ``StopReason`` as Chinese text chosen
  from the stop reason (errcode and sub_errcode).
* A rate limit counts the requests of one action per calendar second of the
  emulator's clock, across all SecretIds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl

from emulator.failure import describe
from emulator.world import INACTIVE, Clock, StreamTruth, World

__all__ = [
    "ACTIONS",
    "API_VERSION",
    "DEFAULT_QPS",
    "JSON_CONTENT_TYPE",
    "MAX_CLOCK_SKEW",
    "MESSAGES",
    "OTHER_QPS",
    "STOP_REASONS",
    "Api3",
]

logger = logging.getLogger(__name__)

API_VERSION = "2018-08-01"
SERVICE = "live"
ALGORITHM = "TC3-HMAC-SHA256"

#: The one Content-Type every answer carries; a suffix would hide errors from
#: Tencent's Python SDK.
JSON_CONTENT_TYPE = "application/json"

#: Seconds X-TC-Timestamp may differ from the server's clock.
MAX_CLOCK_SKEW = 300

#: Requests per second Tencent allows per action; others get OTHER_QPS.
DEFAULT_QPS: dict[str, int] = {
    "DescribeLiveStreamState": 300,
    "DescribeLiveStreamOnlineList": 80,
    "DropLiveStream": 100,
}
OTHER_QPS = 100

#: Error codes the emulator answers, each with its message template.
MESSAGES: dict[str, str] = {
    "AuthFailure.InvalidAuthorization": (
        "The Authorization header does not follow the TC3-HMAC-SHA256 format: {detail}."
    ),
    "AuthFailure.SecretIdNotFound": (
        "The SecretId is not found; check that it is correct and enabled."
    ),
    "AuthFailure.SignatureExpire": (
        "The signature has expired: X-TC-Timestamp is more than 300 seconds "
        "away from the server's time."
    ),
    "AuthFailure.SignatureFailure": (
        "The provided credentials could not be validated; check the SecretKey "
        "and how the request is signed."
    ),
    "InternalError": "An internal error occurred; retry the request later.",
    "InvalidAction": "The action `{detail}` does not exist in live 2018-08-01.",
    "InvalidParameter": "A parameter is malformed: {detail}.",
    "InvalidParameterValue": "A parameter value is out of range: {detail}.",
    "MissingParameter": "The request is missing a required parameter `{detail}`.",
    "NoSuchVersion": "Version `{detail}` of service live does not exist.",
    "RequestLimitExceeded": (
        "More than {detail} requests of this action in one second; slow down."
    ),
    "UnknownParameter": "The parameter `{detail}` is not recognised.",
    "UnsupportedProtocol": "Only GET and POST requests are supported.",
}
_FORCED_MESSAGE = "The request failed on the server side ({detail})."

#: StopReason text of DescribeLiveStreamEventList, by (errcode, sub_errcode);
#: a sub_errcode of None is the fallback for the whole errcode.
STOP_REASONS: dict[tuple[int, int | None], str] = {
    (0, None): "未知错误",
    (1, None): "客户端主动断流",
    (2, None): "客户端主动断流",
    (3, None): "客户端主动断流",
    (4, None): "客户端网络异常断流",
    (5, None): "服务内部错误",
    (6, None): "RTMP协议错误",
    (7, None): "单帧数据过大",
    (8, None): "无数据超时断流",
    (9, None): "服务内部错误",
    (10, None): "收到断流指令",
    (11, None): "服务内部错误",
    (12, None): "网络错误",
    (13, None): "网络错误",
    (14, None): "网络错误",
    (15, None): "网络错误",
    (16, None): "网络错误",
    (17, None): "网络错误",
    (18, None): "推流鉴权失败",
    (18, 305): "流已被禁推",
    (18, 500): "推流地址缺少txTime",
    (18, 501): "推流地址已过期",
    (18, 502): "推流地址缺少txSecret",
    (18, 503): "推流地址签名校验失败",
    (19, None): "第三方鉴权失败",
    (20, None): "无数据超时断流",
    (21, None): "调用接口断流",
    (21, 100): "调用断流接口断流",
    (21, 101): "调用禁推接口断流",
    (21, 102): "新推流顶替旧推流",
    (21, 103): "空闲流被新推流顶替",
}
_UNKNOWN_STOP_REASON = "未知错误"

_ONLINE_PAGE_SIZES = (10, 300_000)
_EVENT_PAGE_SIZES = (1, 100)
_EVENT_REACH = 10_000
_EVENT_SPAN = 31 * 86_400
_EVENT_LOOKBACK = 62 * 86_400
_MAX_FORBID = 90 * 86_400
_MAX_REASON_BYTES = 2048
_MAX_SIGNING_KEYS = 1024
_SHOWN = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
_INTEGER = re.compile(r"-?[0-9]{1,18}")
_TIMESTAMP = re.compile(r"[0-9]{1,18}")
_MAX_INTEGER = 10**18 - 1
_CODE = re.compile(r"[A-Z][A-Za-z]*(\.[A-Za-z0-9_]+)*")
_AUTHORIZATION = re.compile(
    r"(?P<algorithm>\S+)\s+Credential=(?P<credential>[^,\s]*)\s*,\s*"
    r"SignedHeaders=(?P<signed>[^,\s]*)\s*,\s*Signature=(?P<signature>\S*)"
)


@dataclass(frozen=True)
class _Param:
    """One request parameter of an action."""

    name: str
    kind: type
    required: bool = False


def _params(*required: str, optional: tuple[_Param, ...] = ()) -> tuple[_Param, ...]:
    return tuple(_Param(name, str, True) for name in required) + optional


_STREAM = _params("AppName", "DomainName", "StreamName")

#: Every action the emulator serves, with its parameters.
ACTIONS: dict[str, tuple[_Param, ...]] = {
    "DescribeLiveStreamState": _STREAM,
    "DescribeLiveStreamOnlineList": (
        _Param("DomainName", str),
        _Param("AppName", str),
        _Param("PageNum", int),
        _Param("PageSize", int),
        _Param("StreamName", str),
    ),
    "DescribeLiveStreamEventList": _params(
        "StartTime",
        "EndTime",
        optional=(
            _Param("AppName", str),
            _Param("DomainName", str),
            _Param("StreamName", str),
            _Param("PageNum", int),
            _Param("PageSize", int),
            _Param("IsFilter", int),
            _Param("IsStrict", int),
            _Param("IsAsc", int),
        ),
    ),
    "DropLiveStream": _STREAM,
    "ForbidLiveStream": _params(
        "AppName",
        "DomainName",
        "StreamName",
        optional=(_Param("ResumeTime", str), _Param("Reason", str)),
    ),
    "ResumeLiveStream": _STREAM,
}


@dataclass(frozen=True)
class _Refusal:
    """An error answer: Tencent's code and a message for people."""

    code: str
    detail: str = ""

    @property
    def message(self) -> str:
        """The message text for this code, with the detail filled in."""
        return MESSAGES.get(self.code, _FORCED_MESSAGE).format(
            detail=self.detail or self.code
        )


@dataclass(frozen=True)
class _Request:
    """The parts of one HTTP request the checks look at."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def action(self) -> str:
        return self.headers.get("x-tc-action", "")


@dataclass(frozen=True)
class _Authorization:
    """The fields of a TC3-HMAC-SHA256 Authorization header."""

    secret_id: str
    signed_headers: str
    signature: str


_Args = dict[str, Any]
_Handler = Callable[[_Args], "bytes | _Refusal"]


class Api3:
    """API 3.0 ``live`` 2018-08-01 on top of a :class:`World`."""

    def __init__(
        self,
        world: World,
        secrets: Mapping[str, str],
        *,
        clock: Clock = time.time,
        qps_limits: Mapping[str, int] | None = None,
    ) -> None:
        """Serve ``world`` to clients holding one of ``secrets``.

        Args:
            world: the stream model the actions read and change.
            secrets: SecretId to SecretKey.
            clock: the gateway's clock, for X-TC-Timestamp and rate limits.
            qps_limits: requests per second by action, over the defaults
                (:data:`DEFAULT_QPS`, :data:`OTHER_QPS` for the rest).

        Raises:
            ValueError: a QPS limit is not valid (see :meth:`set_qps_limits`).
        """
        self._world = world
        self._secrets = dict(secrets)
        self._clock = clock
        self._limiter = _RateLimiter(DEFAULT_QPS)
        self.set_qps_limits(qps_limits or {})
        self._faults = _Faults()
        self._online = _OnlineCache(world)
        self._signing_keys: dict[tuple[str, str], bytes] = {}
        self._handlers: dict[str, _Handler] = {
            "DescribeLiveStreamState": self._state,
            "DescribeLiveStreamOnlineList": self._online_list,
            "DescribeLiveStreamEventList": self._event_list,
            "DropLiveStream": self._drop,
            "ForbidLiveStream": self._forbid,
            "ResumeLiveStream": self._resume,
        }

    def handle(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one API 3.0 request.

        Args:
            method: the HTTP method.
            path: the request path without the query.
            query: the raw query string, exactly as received.
            headers: the request headers; names in any case.
            body: the raw request body.

        Returns:
            HTTP status (always 200), response headers and the JSON body.
        """
        lowered = {name.lower(): value for name, value in headers.items()}
        request = _Request(method.upper(), path, query, lowered, body)
        try:
            outcome = self._answer(request)
        except Exception as exc:
            logger.error("api3 %s failed: %s", _shown(request.action), describe(exc))
            outcome = _Refusal("InternalError")
        request_id = str(uuid.uuid4())
        if isinstance(outcome, _Refusal):
            logger.debug("api3 %s refused: %s", _shown(request.action), outcome.code)
            outcome = _error_members(outcome)
        return 200, {"Content-Type": JSON_CONTENT_TYPE}, _envelope(outcome, request_id)

    def set_qps_limits(self, limits: Mapping[str, object]) -> None:
        """Change how many requests a second some actions take, all or none.

        Args:
            limits: requests per second by action name.

        Raises:
            ValueError: an action is not served, or a limit is not an integer
                of at least 1; no limit changes then.
        """
        checked: dict[str, int] = {}
        for action, limit in limits.items():
            if action not in ACTIONS:
                raise ValueError(
                    f"{_shown(action)} is not an action of live 2018-08-01"
                )
            if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
                raise ValueError(f"the QPS limit of {action} must be an integer >= 1")
            checked[action] = limit
        self._limiter.update(checked)

    def force_error(
        self, code: str = "InternalError", count: int = 1, *, action: str | None = None
    ) -> None:
        """Make the next ``count`` valid requests fail with ``code``.

        A request that is refused earlier (signature, rate limit, parameters)
        does not use up a forced failure.

        Args:
            code: Tencent's error code to answer, such as ``InternalError`` or
                ``FailedOperation.HasNotLivingStream``.
            count: how many requests fail.
            action: only requests of this action fail; any action when None.

        Raises:
            ValueError: the code is not shaped like Tencent's, the count is
                below 1, or the action is not served.
        """
        if not _CODE.fullmatch(code):
            raise ValueError("an error code looks like InternalError.Something")
        if count < 1:
            raise ValueError("count must be at least 1")
        if action is not None and action not in ACTIONS:
            raise ValueError("the action is not one the emulator serves")
        self._faults.arm(code, count, action)

    def _answer(self, request: _Request) -> bytes | _Refusal:
        refusal = _check_common(request) or self._authenticate(request)
        if refusal is not None:
            return refusal

        refusal = _check_route(request) or self._limiter.admit(
            request.action, self._clock()
        )
        if refusal is not None:
            return refusal

        args = _read_args(request)
        if isinstance(args, _Refusal):
            return args

        forced = self._faults.take(request.action)
        if forced is not None:
            return forced
        return self._handlers[request.action](args)

    # Signature ------------------------------------------------------------

    def _authenticate(self, request: _Request) -> _Refusal | None:
        auth = _parse_authorization(request.headers["authorization"])
        if isinstance(auth, _Refusal):
            return auth

        timestamp = int(request.headers["x-tc-timestamp"])
        if abs(self._clock() - timestamp) > MAX_CLOCK_SKEW:
            return _Refusal("AuthFailure.SignatureExpire")

        secret_key = self._secrets.get(auth.secret_id)
        if secret_key is None:
            return _Refusal("AuthFailure.SecretIdNotFound")

        date = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
        expected = _signature(
            self._signing_key(auth.secret_id, secret_key, date),
            _string_to_sign(request, auth, date),
        )
        if not hmac.compare_digest(expected.encode(), auth.signature.encode()):
            return _Refusal("AuthFailure.SignatureFailure")
        return None

    def _signing_key(self, secret_id: str, secret_key: str, date: str) -> bytes:
        # Deriving the key takes three HMACs; one per SecretId and day is enough.
        key = self._signing_keys.get((secret_id, date))
        if key is None:
            if len(self._signing_keys) >= _MAX_SIGNING_KEYS:
                self._signing_keys.clear()
            key = _derive_key(secret_key, date)
            self._signing_keys[(secret_id, date)] = key
        return key

    # Actions --------------------------------------------------------------

    def _state(self, args: _Args) -> bytes | _Refusal:
        truth = self._world.get(
            args["StreamName"], app=args["AppName"], domain=args["DomainName"]
        )
        state = INACTIVE if truth is None else truth.state
        return _members({"StreamState": state})

    def _online_list(self, args: _Args) -> bytes | _Refusal:
        page_num = 1 if args["PageNum"] is None else args["PageNum"]
        page_size = 10 if args["PageSize"] is None else args["PageSize"]
        refusal = _check_range("PageNum", page_num, 1, None) or _check_range(
            "PageSize", page_size, *_ONLINE_PAGE_SIZES
        )
        if refusal is not None:
            return refusal

        entries = self._online.select(
            args["DomainName"], args["AppName"], args["StreamName"]
        )
        start = (page_num - 1) * page_size
        head = b'"OnlineInfo":[' + b",".join(entries[start : start + page_size])
        tail = _members(
            {
                "TotalNum": len(entries),
                "TotalPage": math.ceil(len(entries) / page_size),
                "PageNum": page_num,
                "PageSize": page_size,
            }
        )
        return head + b"]," + tail

    def _event_list(self, args: _Args) -> bytes | _Refusal:
        window = self._event_window(args["StartTime"], args["EndTime"])
        if isinstance(window, _Refusal):
            return window

        paging = _event_paging(args)
        if isinstance(paging, _Refusal):
            return paging
        page_num, page_size = paging

        events = _select_events(self._world.history(), window, args)
        start = (page_num - 1) * page_size
        return _members(
            {
                "EventList": [
                    _event_info(e) for e in events[start : start + page_size]
                ],
                "PageNum": page_num,
                "PageSize": page_size,
                "TotalNum": len(events),
                "TotalPage": math.ceil(len(events) / page_size),
            }
        )

    def _event_window(
        self, start_text: str, end_text: str
    ) -> tuple[int, int] | _Refusal:
        start = _parse_time("StartTime", start_text)
        end = _parse_time("EndTime", end_text)
        if isinstance(start, _Refusal):
            return start
        if isinstance(end, _Refusal):
            return end

        now = self._world.now()
        rules = (
            (start <= end, "`StartTime` must not be after `EndTime`"),
            (end - start <= _EVENT_SPAN, "the time span must not exceed one month"),
            (end <= now, "`EndTime` must not be in the future"),
            (now - start <= _EVENT_LOOKBACK, "`StartTime` must be within two months"),
        )
        for holds, why in rules:
            if not holds:
                return _Refusal("InvalidParameterValue", why)
        return start, end

    def _drop(self, args: _Args) -> bytes | _Refusal:
        self._world.drop(
            args["StreamName"], app=args["AppName"], domain=args["DomainName"]
        )
        return b""

    def _forbid(self, args: _Args) -> bytes | _Refusal:
        resume_time = self._resume_time(args["ResumeTime"])
        if isinstance(resume_time, _Refusal):
            return resume_time

        reason = args["Reason"] or ""
        if len(reason.encode()) > _MAX_REASON_BYTES:
            return _Refusal("InvalidParameterValue", "`Reason` exceeds 2048 bytes")

        self._world.forbid(
            args["StreamName"],
            app=args["AppName"],
            domain=args["DomainName"],
            resume_time=resume_time,
            reason=reason,
        )
        return b""

    def _resume_time(self, text: str | None) -> int | _Refusal | None:
        if text is None:
            return None

        when = _parse_time("ResumeTime", text)
        if isinstance(when, _Refusal):
            return when

        now = self._world.now()
        if not now < when <= now + _MAX_FORBID:
            return _Refusal(
                "InvalidParameterValue",
                "`ResumeTime` must be in the future and at most 90 days away",
            )
        return when

    def _resume(self, args: _Args) -> bytes | _Refusal:
        self._world.resume(
            args["StreamName"], app=args["AppName"], domain=args["DomainName"]
        )
        return b""


class _RateLimiter:
    """Counts requests per action in the current second of the clock."""

    def __init__(self, limits: Mapping[str, int]) -> None:
        self._limits = dict(limits)
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}

    def update(self, limits: Mapping[str, int]) -> None:
        """Replace the limits of the actions named; the others keep theirs."""
        with self._lock:
            self._limits.update(limits)

    def admit(self, action: str, now: float) -> _Refusal | None:
        """Count one request of ``action``, or refuse it if over the limit."""
        limit = self._limits.get(action, OTHER_QPS)
        second = int(now)
        with self._lock:
            window, count = self._windows.get(action, (second, 0))
            if window != second:
                count = 0
            if count >= limit:
                return _Refusal("RequestLimitExceeded", str(limit))
            self._windows[action] = (second, count + 1)
        return None


@dataclass
class _Armed:
    """One armed failure: the code, how many requests remain, which action."""

    code: str
    remaining: int
    action: str | None


class _Faults:
    """Failures armed by the control API, used up one request at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[_Armed] = []

    def arm(self, code: str, count: int, action: str | None) -> None:
        """Fail the next ``count`` requests (of ``action``) with ``code``."""
        with self._lock:
            self._armed.append(_Armed(code, count, action))

    def take(self, action: str) -> _Refusal | None:
        """Use up one armed failure that applies to ``action``, if any."""
        with self._lock:
            for armed in self._armed:
                if armed.action is None or armed.action == action:
                    armed.remaining -= 1
                    if armed.remaining == 0:
                        self._armed.remove(armed)
                    return _Refusal(armed.code)
        return None


class _OnlineCache:
    """The online list, each stream pre-encoded, rebuilt only when it changes.

    A poller pages through thousands of live streams a hundred at a time;
    reading and encoding the whole list for every page would cost a full pass
    over the world per request. The cache keeps the encoded entries of the
    last list read and each filtered view of it, and starts over whenever the
    world's ``generation`` (a counter its mutators bump) moves on.
    """

    _MAX_VIEWS = 64

    def __init__(self, world: World) -> None:
        self._world = world
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._views: dict[tuple[str | None, str | None, str | None], list[bytes]] = {}

    def select(
        self, domain: str | None, app: str | None, stream: str | None
    ) -> list[bytes]:
        """Return the encoded entries matching the filters, oldest push first."""
        with self._lock:
            generation = self._world.generation
            if generation != self._generation:
                self._generation = generation
                self._views = {}

            view = self._views.get((domain, app, stream))
            if view is None:
                if len(self._views) >= self._MAX_VIEWS:
                    self._views = {}
                online = self._world.online(domain=domain, app=app, stream=stream)
                view = [_online_entry(truth) for truth in online]
                self._views[(domain, app, stream)] = view
            return view


# Checks ---------------------------------------------------------------------


def _check_common(request: _Request) -> _Refusal | None:
    """The method and the common parameters every request carries."""
    if request.method not in ("GET", "POST"):
        return _Refusal("UnsupportedProtocol")

    required = (
        ("x-tc-action", "Action"),
        ("x-tc-version", "Version"),
        ("x-tc-timestamp", "Timestamp"),
        ("authorization", "Authorization"),
    )
    for header, name in required:
        if not request.headers.get(header, "").strip():
            return _Refusal("MissingParameter", name)

    if not _TIMESTAMP.fullmatch(request.headers["x-tc-timestamp"].strip()):
        return _Refusal("InvalidParameterValue", "`Timestamp` must be UNIX seconds")
    return None


def _check_route(request: _Request) -> _Refusal | None:
    """The version and the action name."""
    version = request.headers["x-tc-version"]
    if version != API_VERSION:
        return _Refusal("NoSuchVersion", _shown(version))
    if request.action not in ACTIONS:
        return _Refusal("InvalidAction", _shown(request.action))
    return None


def _parse_authorization(header: str) -> _Authorization | _Refusal:
    """Split a TC3 Authorization header and check its fixed parts."""
    match = _AUTHORIZATION.fullmatch(header.strip())
    if match is None:
        return _Refusal("AuthFailure.InvalidAuthorization", "unreadable header")
    if match["algorithm"] != ALGORITHM:
        return _Refusal("AuthFailure.InvalidAuthorization", "unsupported algorithm")

    scope = match["credential"].split("/")
    if len(scope) != 4 or scope[3] != "tc3_request":
        return _Refusal("AuthFailure.InvalidAuthorization", "bad `Credential`")
    if scope[2] != SERVICE:
        return _Refusal("AuthFailure.InvalidAuthorization", "`Service` is not live")
    if not scope[0]:
        return _Refusal("MissingParameter", "SecretId")

    signed = match["signed"].split(";")
    if "content-type" not in signed or "host" not in signed:
        return _Refusal(
            "AuthFailure.InvalidAuthorization", "content-type and host must be signed"
        )
    return _Authorization(scope[0], match["signed"], match["signature"])


def _string_to_sign(request: _Request, auth: _Authorization, date: str) -> str:
    """Rebuild the string the client signed, from the request as received."""
    names = auth.signed_headers.split(";")
    canonical_headers = "".join(
        f"{name}:{request.headers.get(name, '').strip().lower()}\n" for name in names
    )
    if request.method == "GET":
        query, payload = request.query, b""
    else:
        query, payload = "", request.body
    if request.headers.get("x-tc-content-sha256") == "UNSIGNED-PAYLOAD":
        payload = b"UNSIGNED-PAYLOAD"

    canonical_request = "\n".join(
        (
            request.method,
            request.path,
            query,
            canonical_headers,
            auth.signed_headers,
            hashlib.sha256(payload).hexdigest(),
        )
    )
    return "\n".join(
        (
            ALGORITHM,
            request.headers["x-tc-timestamp"].strip(),
            f"{date}/{SERVICE}/tc3_request",
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        )
    )


def _derive_key(secret_key: str, date: str) -> bytes:
    """The TC3 signing key for one day of one SecretKey."""
    key = _hmac(("TC3" + secret_key).encode(), date)
    return _hmac(_hmac(key, SERVICE), "tc3_request")


def _signature(signing_key: bytes, string_to_sign: str) -> str:
    return hmac.new(signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


# Parameters -----------------------------------------------------------------


def _read_args(request: _Request) -> _Args | _Refusal:
    """The action's parameters from the query (GET) or JSON body (POST)."""
    raw = _raw_params(request)
    if isinstance(raw, _Refusal):
        return raw

    spec = ACTIONS[request.action]
    known = {param.name for param in spec}
    for name in raw:
        if name not in known:
            return _Refusal("UnknownParameter", _shown(name))

    args: _Args = {}
    for param in spec:
        value = _typed(param, raw.get(param.name))
        if isinstance(value, _Refusal):
            return value
        args[param.name] = value
    return args


def _raw_params(request: _Request) -> dict[str, Any] | _Refusal:
    if request.method == "GET":
        return dict(parse_qsl(request.query, keep_blank_values=True))

    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type.lower() != JSON_CONTENT_TYPE:
        return _Refusal("InvalidParameter", "a POST body must be application/json")
    try:
        params = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):
        # ValueError also covers an integer too long to convert, and
        # RecursionError a nesting too deep to parse.
        return _Refusal("InvalidParameter", "the body is not JSON the server can read")
    if not isinstance(params, dict):
        return _Refusal("InvalidParameter", "the body is not a JSON object")
    return params


def _typed(param: _Param, value: Any) -> Any:
    """Check one parameter's presence and type; a GET sends numbers as text."""
    if value is None:
        if param.required:
            return _Refusal("MissingParameter", param.name)
        return None

    if param.kind is int:
        return _integer(param.name, value)

    if not isinstance(value, str) or not _is_text(value):
        return _Refusal("InvalidParameter", f"`{param.name}` must be a string")
    if param.required and not value:
        return _Refusal("InvalidParameterValue", f"`{param.name}` must not be empty")
    return value


def _integer(name: str, value: Any) -> int | _Refusal:
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    is_number = isinstance(value, int) and not isinstance(value, bool)
    if is_number and abs(value) <= _MAX_INTEGER:
        return int(value)
    return _Refusal("InvalidParameter", f"`{name}` must be an integer")


def _is_text(value: str) -> bool:
    # A lone surrogate from JSON is no text: it cannot be encoded or answered.
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _check_range(name: str, value: int, low: int, high: int | None) -> _Refusal | None:
    if value < low or (high is not None and value > high):
        upper = "" if high is None else f" and {high}"
        return _Refusal(
            "InvalidParameterValue", f"`{name}` must be between {low}{upper}"
        )
    return None


def _parse_time(name: str, text: str) -> int | _Refusal:
    """UNIX seconds of an ISO 8601 time with a zone, such as 2019-01-04T12:00:00Z."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        return _Refusal(
            "InvalidParameterValue", f"`{name}` must look like 2019-01-04T12:00:00Z"
        )
    return int(when.timestamp())


# Event list -----------------------------------------------------------------


def _event_paging(args: _Args) -> tuple[int, int] | _Refusal:
    page_num = 1 if args["PageNum"] is None else args["PageNum"]
    page_size = 10 if args["PageSize"] is None else args["PageSize"]
    checks = [
        _check_range("PageNum", page_num, 1, None),
        _check_range("PageSize", page_size, *_EVENT_PAGE_SIZES),
    ]
    checks += [
        _check_range(f, args[f], 0, 1)
        for f in ("IsFilter", "IsStrict", "IsAsc")
        if args[f] is not None
    ]
    for refusal in checks:
        if refusal is not None:
            return refusal
    if page_num * page_size > _EVENT_REACH:
        return _Refusal(
            "InvalidParameterValue", "only the first 10000 records can be reached"
        )
    return page_num, page_size


def _select_events(
    history: list[dict[str, Any]], window: tuple[int, int], args: _Args
) -> list[dict[str, Any]]:
    """The sessions that ended in the window and match the filters, sorted."""
    start, end = window
    name = args["StreamName"]
    strict = args["IsStrict"] == 1

    def wanted(entry: dict[str, Any]) -> bool:
        rules = (
            start <= entry["end_time"] <= end,
            args["AppName"] is None or entry["app"] == args["AppName"],
            args["DomainName"] is None or entry["domain"] == args["DomainName"],
            args["IsFilter"] != 1 or entry["succeeded"],
            not name
            or (entry["stream"] == name if strict else name in entry["stream"]),
        )
        return all(rules)

    selected = [entry for entry in history if wanted(entry)]
    selected.sort(key=lambda entry: entry["end_time"])
    if args["IsAsc"] != 1:
        # Reversing, rather than sorting in reverse, keeps sessions that ended
        # in the same second in exactly the opposite order of IsAsc=1.
        selected.reverse()
    return selected


def _event_info(entry: dict[str, Any]) -> dict[str, Any]:
    """One StreamEventInfo from one World history entry."""
    return {
        "AppName": entry["app"],
        "DomainName": entry["domain"],
        "StreamName": entry["stream"],
        "StreamStartTime": _iso(entry["start_time"]),
        "StreamEndTime": _iso(entry["end_time"]),
        "StopReason": _stop_reason(entry["errcode"], entry["sub_errcode"]),
        "Duration": entry["duration"],
        "ClientIp": entry["client_ip"] or "-",
        "Resolution": f"{entry['width']}*{entry['height']}",
    }


def _stop_reason(errcode: int, sub_errcode: int | None) -> str:
    reason = STOP_REASONS.get((errcode, sub_errcode))
    if reason is None:
        reason = STOP_REASONS.get((errcode, None), _UNKNOWN_STOP_REASON)
    return reason


# Encoding -------------------------------------------------------------------


def _online_entry(truth: StreamTruth) -> bytes:
    """One StreamOnlineInfo, encoded once and reused for every page."""
    return _encode(
        {
            "StreamName": truth.name,
            "AppName": truth.app,
            "DomainName": truth.domain,
            "PublishTimeList": [{"PublishTime": _iso(truth.publish_time or 0)}],
            "PushToDelay": 0,
        }
    )


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error_members(refusal: _Refusal) -> bytes:
    return _members({"Error": {"Code": refusal.code, "Message": refusal.message}})


def _members(fields: dict[str, Any]) -> bytes:
    """The members of a JSON object, without its braces."""
    return _encode(fields)[1:-1]


def _encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _envelope(members: bytes, request_id: str) -> bytes:
    """Wrap an answer's members in ``{"Response": {..., "RequestId": ...}}``."""
    separator = b"," if members else b""
    return (
        b'{"Response":{'
        + members
        + separator
        + b'"RequestId":"'
        + request_id.encode()
        + b'"}}'
    )


def _shown(value: str) -> str:
    """A client-supplied name, fit to quote in a message, or a placeholder."""
    return value if _SHOWN.fullmatch(value) else "?"
