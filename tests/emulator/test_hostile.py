"""Hostile parameters through the real HTTP server get Tencent's own answers.

Every request here is correctly signed, so it reaches the parameter checks;
what it carries is what a broken or hostile client might send. API 3.0 must
answer each with its error envelope (HTTP 200, ``Content-Type:
application/json``, a RequestId), the legacy API with its ``ret`` envelope,
and neither with the server's bare HTTP 500.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.api3 import ACTIONS, Api3
from emulator.legacy import ERRORS, LegacyApi
from emulator.server import start_in_thread
from emulator.world import World

SECRET_ID = "AKIDhostileTEST0001"
SECRET_KEY = "hostile-test-secret-key"
API_KEY = "hostile-legacy-key"
APPID = 1250000001
DOMAIN = "push.example.com"
ONLINE = "DescribeLiveStreamOnlineList"

#: Integers too long for Python's default conversion limit (4,300 digits).
HUGE = "9" * 5000

#: The parameter errors a hostile value may earn; never InternalError.
PARAMETER_ERRORS = {"InvalidParameter", "InvalidParameterValue"}


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, read whole."""

    status: int
    content_type: str | None
    body: bytes

    def json(self) -> dict[str, Any]:
        payload: dict[str, Any] = json.loads(self.body)
        return payload


@dataclass(frozen=True)
class Served:
    """A running emulator: its port and its world."""

    port: int
    world: World

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"


def unlimited() -> dict[str, int]:
    """Rate limits high enough never to interfere with a test."""
    return dict.fromkeys(ACTIONS, 10**9)


def serve(clock: Callable[[], float] = time.time) -> tuple[Served, Callable[[], None]]:
    """Start both APIs over one world, on the given clock."""
    world = World(push_domain=DOMAIN)
    world.push("room_1")
    api3 = Api3(world, {SECRET_ID: SECRET_KEY}, clock=clock, qps_limits=unlimited())
    legacy = LegacyApi(world, appid=APPID, key=API_KEY, clock=clock, rate_limit=10**9)
    port, stop = start_in_thread(world=world, api3=api3, legacy=legacy)
    return Served(port, world), stop


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """One emulator for the whole module, on the real clock."""
    running, stop = serve()
    yield running
    stop()


def send(
    served: Served, method: str, target: str, headers: dict[str, Any], body: bytes
) -> Answer:
    """Send one request over a fresh connection and read the answer."""
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    try:
        connection.putrequest(method, target, skip_host=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return Answer(
            response.status, response.getheader("Content-Type"), response.read()
        )
    finally:
        connection.close()


def tc3_headers(
    served: Served,
    method: str,
    action: str,
    *,
    query: str = "",
    body: bytes = b"",
    timestamp: str | None = None,
) -> dict[str, Any]:
    """Headers of a request signed with TC3-HMAC-SHA256, computed from scratch."""
    now = int(time.time())
    content_type = (
        "application/json"
        if method == "POST"
        else ("application/x-www-form-urlencoded")
    )
    canonical = "\n".join(
        [
            method,
            "/",
            query,
            f"content-type:{content_type}\nhost:{served.host}\n",
            "content-type;host",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    date = datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%d")
    scope = f"{date}/live/tc3_request"
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    to_sign = f"TC3-HMAC-SHA256\n{now}\n{scope}\n{digest}"
    key = ("TC3" + SECRET_KEY).encode()
    for part in (date, "live", "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "Host": served.host,
        "Content-Type": content_type,
        "X-TC-Action": action,
        "X-TC-Version": "2018-08-01",
        "X-TC-Timestamp": str(now) if timestamp is None else timestamp,
        "Authorization": (
            f"TC3-HMAC-SHA256 Credential={SECRET_ID}/{scope}, "
            f"SignedHeaders=content-type;host, Signature={signature}"
        ),
    }


def api3_get(served: Served, action: str, query: str) -> dict[str, Any]:
    """A signed GET with the raw query given; returns the checked envelope."""
    headers = tc3_headers(served, "GET", action, query=query)
    return envelope(send(served, "GET", f"/?{query}", headers, b""))


def api3_post(served: Served, action: str, body: bytes) -> dict[str, Any]:
    """A signed POST with the raw body given; returns the checked envelope."""
    headers = tc3_headers(served, "POST", action, body=body)
    return envelope(send(served, "POST", "/", headers, body))


def envelope(answer: Answer) -> dict[str, Any]:
    """Check an API 3.0 answer is Tencent's envelope; return its Response."""
    assert answer.status == 200
    assert answer.content_type == "application/json"
    response: dict[str, Any] = answer.json()["Response"]
    assert len(response["RequestId"]) == 36
    if "Error" in response:
        assert response["Error"]["Message"]
    return response


def code(response: dict[str, Any]) -> str | None:
    """The error code of a Response, or None for a success."""
    error = response.get("Error")
    return None if error is None else str(error["Code"])


# API 3.0: integers in a GET query -------------------------------------------


@pytest.mark.parametrize(
    ("page_num", "expected"),
    [
        ("--5", "InvalidParameter"),
        ("-", "InvalidParameter"),
        ("5-", "InvalidParameter"),
        ("+5", "InvalidParameter"),
        ("0x10", "InvalidParameter"),
        ("1e3", "InvalidParameter"),
        ("5.0", "InvalidParameter"),
        ("", "InvalidParameter"),
        ("٥", "InvalidParameter"),
        ("²", "InvalidParameter"),
        (HUGE, "InvalidParameter"),
        ("9" * 19, "InvalidParameter"),
        ("-5", "InvalidParameterValue"),
        ("9" * 18, None),
        (" 2 ", None),
    ],
    ids=[
        "double-minus",
        "minus-alone",
        "trailing-minus",
        "plus",
        "hex",
        "exponent",
        "decimal-point",
        "empty",
        "arabic-indic-digit",
        "superscript",
        "5000-digits",
        "19-digits",
        "negative",
        "18-digits",
        "spaces",
    ],
)
def test_page_num_in_a_get_query(
    served: Served, page_num: str, expected: str | None
) -> None:
    """Only -?[0-9]{1,18} is an integer; anything else is InvalidParameter."""
    query = urlencode({"PageNum": page_num, "PageSize": "10"}, quote_via=quote)

    assert code(api3_get(served, ONLINE, query)) == expected


@settings(max_examples=80, deadline=None)
@given(
    page_num=st.text(max_size=30)
    | st.integers().map(str)
    | st.from_regex(r"[-+ ]{0,3}[0-9]{0,25}[-.e]?[0-9]{0,3}", fullmatch=True)
)
def test_any_page_num_in_a_get_query_gets_an_envelope(
    served: Served, page_num: str
) -> None:
    """Whatever PageNum text arrives, the answer is a success or a parameter error."""
    query = urlencode({"PageNum": page_num}, quote_via=quote)

    assert code(api3_get(served, ONLINE, query)) in {None, *PARAMETER_ERRORS}


# API 3.0: JSON bodies ---------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"PageNum": ' + HUGE.encode() + b"}", "InvalidParameter"),
        (b'{"PageNum": -' + HUGE.encode() + b"}", "InvalidParameter"),
        (b'{"PageNum": 10000000000000000000}', "InvalidParameter"),
        (b'{"PageNum": "--5"}', "InvalidParameter"),
        (b'{"PageNum": "' + HUGE.encode() + b'"}', "InvalidParameter"),
        (b'{"PageNum": 1.5}', "InvalidParameter"),
        (b'{"PageNum": true}', "InvalidParameter"),
        (b'{"PageNum": NaN}', "InvalidParameter"),
        (b'{"PageNum": [1]}', "InvalidParameter"),
        (b"[" * 100_000 + b"]" * 100_000, "InvalidParameter"),
        (b'{"StreamName": "\\ud800"}', "InvalidParameter"),
        (b'{"PageNum": "\xff"}', "InvalidParameter"),
        (b'{"PageNum": 2}', None),
    ],
    ids=[
        "5000-digit-integer",
        "5000-digit-negative",
        "beyond-18-digits",
        "double-minus-text",
        "5000-digit-text",
        "float",
        "boolean",
        "nan",
        "list",
        "nested-100000-deep",
        "lone-surrogate",
        "not-utf-8",
        "plain",
    ],
)
def test_hostile_json_bodies(served: Served, body: bytes, expected: str | None) -> None:
    """A body the parser cannot read, or a value of the wrong kind, is refused."""
    assert code(api3_post(served, ONLINE, body)) == expected


# Integers past 4,300 digits cannot be encoded here; the table above sends them.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner),
    max_leaves=8,
)


@settings(max_examples=80, deadline=None)
@given(page_size=json_values)
def test_any_json_page_size_gets_an_envelope(served: Served, page_size: object) -> None:
    """Whatever JSON value PageSize holds, the answer is Tencent's envelope."""
    body = json.dumps({"PageSize": page_size}).encode()

    assert code(api3_post(served, ONLINE, body)) in {None, *PARAMETER_ERRORS}


# API 3.0: the timestamp -------------------------------------------------------


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        ("1" * 5000, "InvalidParameterValue"),
        ("1" * 19, "InvalidParameterValue"),
        ("-1700000000", "InvalidParameterValue"),
        ("1700000000.5", "InvalidParameterValue"),
        ("0x6553F100", "InvalidParameterValue"),
        ("１７００", "InvalidParameterValue"),
        ("1" * 18, "AuthFailure.SignatureExpire"),
    ],
    ids=["5000-digits", "19-digits", "negative", "fraction", "hex", "wide", "far"],
)
def test_hostile_timestamps(served: Served, timestamp: str, expected: str) -> None:
    """X-TC-Timestamp is 1 to 18 ASCII digits, then within 300 s of the server."""
    body = b'{"PageNum": 1}'
    headers = tc3_headers(served, "POST", ONLINE, body=body)
    headers["X-TC-Timestamp"] = timestamp.encode()

    answer = envelope(send(served, "POST", "/", headers, body))

    assert code(answer) == expected


# Failures nobody foresaw ------------------------------------------------------


def failing_clock() -> float:
    """A clock whose failure message must never reach a client or a log."""
    raise RuntimeError("secret detail of the failure")


@pytest.fixture
def broken() -> Iterator[Served]:
    """An emulator whose clock fails on every reading."""
    running, stop = serve(clock=failing_clock)
    yield running
    stop()


def test_an_unexpected_failure_is_api3s_internal_error(
    broken: Served, caplog: pytest.LogCaptureFixture
) -> None:
    """API 3.0 answers InternalError in its envelope, HTTP 200, and logs no detail."""
    caplog.set_level(logging.DEBUG, logger="emulator")

    answer = api3_post(broken, ONLINE, b"{}")

    assert code(answer) == "InternalError"
    assert "secret detail" not in json.dumps(answer)
    assert "RuntimeError" in caplog.text
    assert "secret detail" not in caplog.text


def test_an_unexpected_failure_is_the_legacy_internal_error(
    broken: Served, caplog: pytest.LogCaptureFixture
) -> None:
    """The legacy API answers 1201 in its envelope, HTTP 200, and logs no detail."""
    caplog.set_level(logging.DEBUG, logger="emulator")

    body = legacy(broken, "Live_Channel_GetLiveChannelList", {}, t=str(2**31))

    assert (body["ret"], body["message"]) == (1201, ERRORS["1201"].message)
    assert "RuntimeError" in caplog.text
    assert "secret detail" not in caplog.text


# The legacy API -----------------------------------------------------------------


def legacy(
    served: Served, interface: str, params: dict[str, str], *, t: str | None = None
) -> dict[str, Any]:
    """A correctly signed legacy request; returns the checked envelope."""
    when = str(int(time.time()) + 60) if t is None else t
    query = {
        "cmd" if interface.startswith("Get_") else "appid": str(APPID),
        "interface": interface,
        **params,
        "t": when,
        "sign": hashlib.md5(f"{API_KEY}{when}".encode()).hexdigest(),
    }
    target = "/common_access?" + urlencode(query, quote_via=quote)
    answer = send(served, "GET", target, {"Host": served.host}, b"")
    assert answer.status == 200
    assert answer.content_type == "application/json"
    body = answer.json()
    assert set(body) == {"ret", "retcode", "errmsg", "message", "output"}
    return body


@pytest.mark.parametrize(
    "page_no", [HUGE, "9" * 19, "--5", "-5", "+5", "²", "٥", "5.0", " 5"]
)
def test_hostile_page_numbers_are_1204(served: Served, page_no: str) -> None:
    """Param.n.page_no is 1 to 18 ASCII digits; anything else is 1204."""
    body = legacy(served, "Get_LiveStat", {"Param.n.page_no": page_no})

    assert body["ret"] == 1204


@settings(max_examples=60, deadline=None)
@given(
    page_no=st.text(max_size=30)
    | st.from_regex(r"[-+ ]{0,3}[0-9]{0,25}", fullmatch=True)
)
def test_any_page_number_gets_the_legacy_envelope(served: Served, page_no: str) -> None:
    """Whatever page_no text arrives, the answer is success or 1204."""
    body = legacy(served, "Get_LiveStat", {"Param.n.page_no": page_no})

    assert body["ret"] in (0, 1204)


@pytest.mark.parametrize("t", [HUGE, "9" * 19, "²", "٥"])
def test_a_correctly_signed_t_that_is_no_timestamp_is_sign_invalid(
    served: Served, t: str
) -> None:
    """t is 1 to 18 ASCII digits; a signed t of another shape is sign invalid."""
    body = legacy(served, "Live_Channel_GetLiveChannelList", {}, t=t)

    assert body["message"] == "sign invalid"
