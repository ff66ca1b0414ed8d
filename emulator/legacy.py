"""The legacy live-code API, ``GET /common_access``, as Tencent answered it.

Two hosts shared one path. ``fcgi.video.qcloud.com`` served the management
interfaces and named the account with ``appid``; ``statcgi.video.qcloud.com``
served the statistics interfaces and named it with ``cmd``. Here the role comes
from the Host header when it names one of those hosts, and otherwise (a test
talking to 127.0.0.1) from whichever of ``appid`` and ``cmd`` the request
carries. Every parameter travels in the URL; business parameters are typed by
prefix, ``Param.s.`` for strings and ``Param.n.`` for integers.

Checks run in the order a request would meet them:

1. HTTP: no Host header is 404; a Cookie header without an ``skey`` cookie is
   403 (Tencent's hint for the 403 is a browser cookie lacking ``skey``;
   server-side clients send no cookie at all, so they pass).
2. Access: a wrong ``appid`` is ``appid is invalid``; a wrong ``cmd``, or an
   interface the role does not serve (a statistics interface asked of fcgi, an
   unknown name), is ``cmd is invalid``; a ``sign`` other than ``MD5(key + t)``
   in lowercase hex, or a ``t`` that is not 1 to 18 ASCII digits, is
   ``sign invalid``; a correct sign with ``t`` in the past is ``time expired``.
3. Backend: more than ``rate_limit`` requests in one second is 1202; a bad or
   missing ``Param.*`` (a ``Param.n.*`` is 1 to 18 ASCII digits) is 1204; a
   real-time statistics query with nothing live
   is 1301; a history query with no data in range is 10003; the status of a
   stream never pushed is 20601.

The statistics interfaces accept ``Param.s.pull_domain`` and ignore it: the
emulator models push domains only.

Codes 1000, 1001 and 1201 (statistics not enabled, stopped, internal error)
have no natural trigger; :meth:`LegacyApi.force_error` answers the next
requests with any error of the table instead, the HTTP ones included.

Tencent never published an error response. Every API-level error is HTTP 200
with the envelope ``{ret, retcode, errmsg, message, output}``; the access-layer
strings, which have no number, carry ``ret = -1``. A failure the checks did not
foresee is answered with the backend's own internal error, 1201, in the same
envelope; the log names the exception's type and place, never the URL, which
carries the ``sign``.

Success carries ``ret = 0`` and an empty ``errmsg`` and ``message`` from both
hosts. The one success response Tencent published verbatim (Live_Set_Delay's)
has them empty, and so do Tencent's examples of the statistics interfaces; the
backend table's ``0 query data successfully`` is read as what code 0 means, not
as text sent. Any method but GET is HTTP 405 with a JSON error, since Tencent
documents GET only.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs

from emulator.failure import describe
from emulator.world import ACTIVE, FORBID, INACTIVE, Clock, StreamTruth, World
from shared.signing import make_sign

__all__ = [
    "ERRORS",
    "FCGI_HOST",
    "FCGI_INTERFACES",
    "FORBID_SECONDS",
    "PATH",
    "STATCGI_HOST",
    "STATCGI_INTERFACES",
    "LegacyApi",
    "LegacyError",
]

logger = logging.getLogger(__name__)

PATH = "/common_access"
FCGI_HOST = "fcgi.video.qcloud.com"
STATCGI_HOST = "statcgi.video.qcloud.com"

#: A forbid set through Live_Channel_SetStatus lasts the documented maximum.
FORBID_SECONDS = 90 * 86_400

#: How far back and over how long a span play history may be asked for.
_PLAY_HISTORY_LOOKBACK = 15 * 86_400
_PLAY_HISTORY_SPAN = 2 * 3_600

_BEIJING = timezone(timedelta(hours=8))
_JSON = {"Content-Type": "application/json"}
_DIGITS = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True)
class LegacyError:
    """One refusal the legacy API can answer with.

    Attributes:
        http_status: the HTTP status; 200 for API-level errors.
        ret: the envelope's ``ret``; None for the HTTP-level refusals.
        message: the envelope's ``message`` and ``errmsg``, or the HTTP body.
    """

    http_status: int
    ret: int | None
    message: str


#: Every refusal, keyed by what a test or the fault switch names it.
ERRORS: dict[str, LegacyError] = {
    "403": LegacyError(403, None, "Forbidden"),
    "404": LegacyError(404, None, "Not Found"),
    "appid is invalid": LegacyError(200, -1, "appid is invalid"),
    "cmd is invalid": LegacyError(200, -1, "cmd is invalid"),
    "sign invalid": LegacyError(200, -1, "sign invalid"),
    "time expired": LegacyError(200, -1, "time expired"),
    "1000": LegacyError(200, 1000, "user is not registered for statapi"),
    "1001": LegacyError(200, 1001, "user service for statapi was stopped"),
    "1201": LegacyError(200, 1201, "internel/system error"),
    "1202": LegacyError(200, 1202, "invalid request/request frequency exceeds limit"),
    "1204": LegacyError(200, 1204, "invalid input param"),
    "1301": LegacyError(200, 1301, "has not live stream"),
    "10003": LegacyError(200, 10003, "query data is empty"),
    "20601": LegacyError(200, 20601, "channel has never been pushed"),
}

#: Live_Channel_GetStatus's ``status``: 0 stopped, 1 live, 3 forbidden.
_CHANNEL_STATUS = {INACTIVE: 0, ACTIVE: 1, FORBID: 3}

FCGI_INTERFACES = (
    "Live_Channel_GetStatus",
    "Live_Channel_SetStatus",
    "Live_Channel_GetLiveChannelList",
)
STATCGI_INTERFACES = ("Get_LiveStat", "Get_LivePushStat", "Get_LivePlayStatHistory")

_HOST_ROLES = {FCGI_HOST: "appid", STATCGI_HOST: "cmd"}
_ROLE_INTERFACES = {"appid": FCGI_INTERFACES, "cmd": STATCGI_INTERFACES}
_INTERNAL_ERROR = "1201"

Output = dict[str, Any] | list[dict[str, Any]]
Response = tuple[int, dict[str, str], bytes]


class _Refused(Exception):
    """Raised inside a request to answer it with one entry of ERRORS."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class _Params:
    """The typed ``Param.s.*`` / ``Param.n.*`` parameters of one request."""

    def __init__(self, query: Mapping[str, str]) -> None:
        self._query = query

    def string(self, name: str, *, required: bool = False) -> str | None:
        value = self._query.get(f"Param.s.{name}")
        if required and not value:
            raise _Refused("1204")
        return value or None

    def number(
        self, name: str, *, default: int | None = None, low: int = 0, high: int = 2**62
    ) -> int:
        raw = self._query.get(f"Param.n.{name}")
        if raw is None or raw == "":
            if default is None:
                raise _Refused("1204")
            return default
        if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
            raise _Refused("1204")
        return int(raw)


class LegacyApi:
    """Answers ``/common_access`` requests from the world's streams."""

    def __init__(
        self,
        world: World,
        *,
        appid: int,
        key: str,
        clock: Clock = time.time,
        rate_limit: int = 100,
    ) -> None:
        """Build the API.

        Args:
            world: the streams to report on and act upon.
            appid: the one account that exists, as ``appid`` and ``cmd``.
            key: the API key that signs requests.
            clock: returns the current UNIX time.
            rate_limit: requests accepted per second; more answer 1202.
        """
        self._world = world
        self._appid = str(appid)
        self._key = key
        self._clock = clock
        self._rate_limit = rate_limit
        self._lock = threading.Lock()
        self._window = (0, 0)
        self._forced: list[str] = []
        self._interfaces: dict[str, Callable[[_Params], Output]] = {
            "Live_Channel_GetStatus": self._get_status,
            "Live_Channel_SetStatus": self._set_status,
            "Live_Channel_GetLiveChannelList": self._live_channel_list,
            "Get_LiveStat": self._live_stat,
            "Get_LivePushStat": self._push_stat,
            "Get_LivePlayStatHistory": self._play_stat_history,
        }

    @property
    def rate_limit(self) -> int:
        """Requests accepted per second."""
        return self._rate_limit

    @rate_limit.setter
    def rate_limit(self, value: int) -> None:
        self._rate_limit = value

    def force_error(self, name: str, count: int = 1) -> None:
        """Answer the next ``count`` requests with one error, whatever they carry.

        Args:
            name: a key of :data:`ERRORS`, such as ``"1001"`` or ``"403"``.
            count: how many requests get it.

        Raises:
            ValueError: the name is not in :data:`ERRORS` or count is below 1.
        """
        if name not in ERRORS:
            raise ValueError(f"unknown legacy error {name!r}")
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._forced.extend([name] * count)

    def handle(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> Response:
        """Answer one HTTP request.

        Args:
            method: the HTTP method; only GET is served.
            path: the request path, without the query.
            query: the raw query string.
            headers: the request headers.
            body: the request body, ignored.

        Returns:
            The HTTP status, response headers and response body.
        """
        if method != "GET":
            error = json.dumps({"error": "the legacy API takes GET only"}).encode()
            return 405, {"Allow": "GET", **_JSON}, error
        lowered = {name.lower(): value for name, value in headers.items()}
        params = {name: values[0] for name, values in _parse(query).items()}
        try:
            output = self._answer(path, params, lowered)
        except _Refused as refusal:
            return _refusal_response(ERRORS[refusal.name])
        except Exception as exc:
            logger.error("legacy %s failed: %s", path, describe(exc))
            return _refusal_response(ERRORS[_INTERNAL_ERROR])
        return _envelope(0, "", output)

    # Checks ---------------------------------------------------------------

    def _answer(
        self, path: str, params: Mapping[str, str], headers: Mapping[str, str]
    ) -> Output:
        self._raise_forced()
        self._check_http(path, headers)

        role = self._role(params, headers["host"])
        interface = params.get("interface", "")
        if interface not in _ROLE_INTERFACES[role]:
            raise _Refused("cmd is invalid")
        self._check_sign(params)

        self._count_request()
        return self._interfaces[interface](_Params(params))

    def _raise_forced(self) -> None:
        with self._lock:
            name = self._forced.pop(0) if self._forced else None
        if name is not None:
            raise _Refused(name)

    def _check_http(self, path: str, headers: Mapping[str, str]) -> None:
        if path != PATH or not headers.get("host"):
            raise _Refused("404")
        cookie = headers.get("cookie")
        if cookie is not None and not _has_skey(cookie):
            raise _Refused("403")

    def _role(self, params: Mapping[str, str], host: str) -> str:
        role = _HOST_ROLES.get(host.rsplit(":", 1)[0].lower())
        if role is None:
            role = "cmd" if "cmd" in params and "appid" not in params else "appid"
        if params.get(role) != self._appid:
            raise _Refused(f"{role} is invalid")
        return role

    def _check_sign(self, params: Mapping[str, str]) -> None:
        t = params.get("t", "")
        sign = params.get("sign", "")
        if not _DIGITS.fullmatch(t):
            raise _Refused("sign invalid")
        expected = make_sign(self._key, t).encode()
        if not hmac.compare_digest(expected, sign.encode()):
            raise _Refused("sign invalid")

        if int(t) < self._clock():
            raise _Refused("time expired")

    def _count_request(self) -> None:
        second = int(self._clock())
        with self._lock:
            start, count = self._window
            count = count + 1 if start == second else 1
            self._window = (second, count)
        if count > self._rate_limit:
            raise _Refused("1202")

    # Interfaces -----------------------------------------------------------

    def _find(self, name: str) -> StreamTruth | None:
        matches = [truth for truth in self._world.streams() if truth.name == name]
        matches.sort(key=lambda truth: truth.state != ACTIVE)
        return matches[0] if matches else None

    def _get_status(self, params: _Params) -> Output:
        name = params.string("channel_id", required=True) or ""
        truth = self._find(name)
        if truth is None or not (truth.ever_pushed or truth.state == FORBID):
            raise _Refused("20601")
        return [
            {
                "rate_type": 0,
                "recv_type": 1,
                "status": _CHANNEL_STATUS[truth.state],
                "width": truth.width,
                "height": truth.height,
            }
        ]

    def _set_status(self, params: _Params) -> Output:
        name = params.string("channel_id", required=True) or ""
        status = params.number("status", high=2)
        truth = self._find(name)
        place = {"domain": truth.domain, "app": truth.app} if truth else {}

        if status == 0:
            until = int(self._clock()) + FORBID_SECONDS
            self._world.forbid(name, resume_time=until, **place)
        elif status == 1:
            self._world.resume(name, **place)
        else:
            self._world.drop(name, **place)
        return {}

    def _live_channel_list(self, params: _Params) -> Output:
        live = self._world.online()
        return {
            "all_count": len(live),
            "channel_list": [{"channel_id": truth.name} for truth in live],
        }

    def _live_streams(self, params: _Params) -> tuple[list[StreamTruth], list[int]]:
        stream = params.string("stream_id")
        page_no = params.number("page_no", default=1, low=1)
        page_size = params.number("page_size", default=300, low=1, high=300)

        live = self._world.online(stream=stream)
        if not live:
            raise _Refused("1301")
        first = (page_no - 1) * page_size
        return live, list(range(first, min(first + page_size, len(live))))

    def _live_stat(self, params: _Params) -> Output:
        live, page = self._live_streams(params)
        return {
            "stream_count": len(live),
            "total_bandwidth": round(sum(_bandwidth(truth) for truth in live), 3),
            "total_online": sum(truth.online for truth in live),
            "stream_info": [
                {
                    "stream_name": live[i].name,
                    "bandwidth": _bandwidth(live[i]),
                    "online": live[i].online,
                    "client_ip": live[i].client_ip,
                    "server_ip": live[i].node,
                    "fps": live[i].fps,
                    "speed": live[i].speed,
                }
                for i in page
            ],
        }

    def _push_stat(self, params: _Params) -> Output:
        live, page = self._live_streams(params)
        return {
            "stream_count": len(live),
            "stream_info": [
                {
                    "stream_name": live[i].name,
                    "client_ip": live[i].client_ip,
                    "server_ip": live[i].node,
                    "fps": live[i].fps,
                    "speed": live[i].speed,
                }
                for i in page
            ],
        }

    def _play_stat_history(self, params: _Params) -> Output:
        start = params.number("start_time")
        end = params.number("end_time")
        stream = params.string("stream_id")
        domain = params.string("domain")
        now = int(self._clock())
        too_old = start < now - _PLAY_HISTORY_LOOKBACK
        if end < start or end - start > _PLAY_HISTORY_SPAN or too_old:
            raise _Refused("1204")

        points = _play_points(self._sessions(stream, now), start, end)
        if not points:
            raise _Refused("10003")
        return {
            "stat_info": points,
            "sum_info": {"sum_flux": round(sum(p["flux"] for p in points), 3)},
            "domain": domain or "",
            "stream_id": stream or "",
        }

    def _sessions(self, stream: str | None, now: int) -> list[_Session]:
        ended = [
            _Session(e["start_time"], e["end_time"], e["online"], e["speed"])
            for e in self._world.history()
            if e["succeeded"] and stream in (None, e["stream"])
        ]
        live = [
            _Session(truth.publish_time or now, now + 1, truth.online, truth.speed)
            for truth in self._world.online(stream=stream)
        ]
        return ended + live


@dataclass(frozen=True)
class _Session:
    """When a session published and what it served, for play history."""

    start: int
    end: int
    online: int
    speed: int


def _play_points(sessions: list[_Session], start: int, end: int) -> list[Any]:
    points = []
    for minute in range(start - start % 60, end + 1, 60):
        live = [s for s in sessions if s.start < minute + 60 and s.end > minute]
        if not live:
            continue
        bandwidth = sum(s.online * s.speed for s in live) / 1e6
        points.append(
            {
                "time": datetime.fromtimestamp(minute, _BEIJING).strftime(
                    "%Y-%m-%d %H:%M:%S"
                ),
                "bandwidth": round(bandwidth, 3),
                "online": sum(s.online for s in live),
                "flux": round(bandwidth * 60 / 8, 3),
            }
        )
    return points


def _bandwidth(truth: StreamTruth) -> float:
    """Megabits per second served to the stream's viewers."""
    return round(truth.online * truth.speed / 1e6, 3)


def _parse(query: str) -> dict[str, list[str]]:
    return parse_qs(query, keep_blank_values=True)


def _has_skey(cookie: str) -> bool:
    for pair in cookie.split(";"):
        name, _, value = pair.partition("=")
        if name.strip() == "skey" and value.strip():
            return True
    return False


def _envelope(ret: int, message: str, output: Output) -> Response:
    payload = {
        "ret": ret,
        "retcode": ret,
        "errmsg": message,
        "message": message,
        "output": output,
    }
    return 200, dict(_JSON), json.dumps(payload).encode()


def _refusal_response(error: LegacyError) -> Response:
    if error.ret is None:
        text = {"Content-Type": "text/plain"}
        return error.http_status, text, error.message.encode()
    return _envelope(error.ret, error.message, {})
