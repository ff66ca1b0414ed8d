"""The legacy ``/common_access`` API over real HTTP: answers and every refusal."""

from __future__ import annotations

import hashlib
import socket
from typing import Any

import pytest
import requests

from emulator import config
from emulator.legacy import (
    ERRORS,
    FCGI_HOST,
    FORBID_SECONDS,
    STATCGI_HOST,
    LegacyApi,
)
from emulator.scenarios import FakeClock
from emulator.world import FORBID, INACTIVE, World
from tests.emulator.conftest import START, Running, StartEmulator

#: Tencent's worked example of the legacy signature.
DOC_KEY = "5d41402abc4b2a76b9719d911017c592"
DOC_T = 1471850187
DOC_SIGN = "b17971b51ba0fe5916ddcd96692e9fb3"

#: The same key's later worked example: t for 2021-07-21 11:47:00 (UTC+8).
LATER_T = 1626839220
LATER_SIGN = "5ee8ca6c28cbe415b40352969cdf8249"


def md5_sign(key: str, t: int | str) -> str:
    """Sign independently of the emulator: MD5 of key and t, lowercase hex."""
    return hashlib.md5(f"{key}{t}".encode()).hexdigest()


def call(
    running: Running,
    interface: str,
    params: dict[str, str] | None = None,
    *,
    role: str = "appid",
    host: str | None = None,
    t: int | str | None = None,
    sign: str | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """GET /common_access with a fresh, correct signature unless told otherwise."""
    when = int(running.clock()) + 60 if t is None else t
    query: dict[str, Any] = {
        role: str(running.settings.appid),
        "interface": interface,
        **(params or {}),
        "t": str(when),
        "sign": md5_sign(running.settings.api_key, when) if sign is None else sign,
    }
    sent = dict(headers or {})
    if host is not None:
        sent["Host"] = host
    return requests.get(
        f"{running.url}/common_access", params=query, headers=sent, timeout=10
    )


def answer(response: requests.Response) -> dict[str, Any]:
    """Check the envelope and return it."""
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert set(body) == {"ret", "retcode", "errmsg", "message", "output"}
    assert body["ret"] == body["retcode"]
    assert body["errmsg"] == body["message"]
    return body


def refused_with(response: requests.Response, name: str) -> None:
    """Assert the response is the ERRORS entry ``name``."""
    error = ERRORS[name]
    body = answer(response)
    assert (body["ret"], body["message"], body["output"]) == (
        error.ret,
        error.message,
        {},
    )


def channel(name: str) -> dict[str, str]:
    return {"Param.s.channel_id": name}


# Tencent's worked example --------------------------------------------------


class TestTencentVector:
    """Tencent's example key, t and sign, with a clock before that t."""

    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock(DOC_T - 60)

    @pytest.fixture
    def doc(self, start_emulator: StartEmulator) -> Running:
        environment = {"LIVE_APPID": "1234", "LIVE_API_KEY": DOC_KEY}
        return start_emulator(with_settings=config.load(environment))

    def test_example_signs_are_md5_of_key_and_t(self) -> None:
        """Both examples' signs are MD5(key + t)."""
        assert md5_sign(DOC_KEY, DOC_T) == DOC_SIGN
        assert md5_sign(DOC_KEY, LATER_T) == LATER_SIGN

    def test_later_example_pair_is_accepted(self, doc: Running) -> None:
        """The later example's t and sign pass the access checks."""
        response = call(
            doc, "Live_Channel_GetLiveChannelList", t=LATER_T, sign=LATER_SIGN
        )

        assert answer(response)["ret"] == 0

    def test_example_fcgi_url_is_accepted(self, doc: Running) -> None:
        """Tencent's example GetStatus URL, sent verbatim, is answered."""
        doc.emulator.world.push("8888_test123")
        query = (
            "appid=1234&interface=Live_Channel_GetStatus"
            f"&Param.s.channel_id=8888_test123&t={DOC_T}&sign={DOC_SIGN}"
        )
        response = requests.get(
            f"{doc.url}/common_access?{query}",
            headers={"Host": FCGI_HOST},
            timeout=10,
        )

        body = answer(response)
        assert body["ret"] == 0
        assert body["output"][0]["status"] == 1

    def test_example_statcgi_url_is_accepted(self, doc: Running) -> None:
        """Tencent's example Get_LiveStat URL, sent verbatim, is answered."""
        doc.emulator.world.push("8888_test123", viewers=340)
        query = (
            "cmd=1234&interface=Get_LiveStat&Param.n.page_no=1&Param.n.page_size=20"
            f"&t={DOC_T}&sign={DOC_SIGN}"
        )
        response = requests.get(
            f"{doc.url}/common_access?{query}",
            headers={"Host": STATCGI_HOST},
            timeout=10,
        )

        body = answer(response)
        assert body["ret"] == 0
        assert body["output"]["total_online"] == 340

    def test_example_sign_expires_after_t(self, doc: Running) -> None:
        """Once the clock passes the example's t, the same URL is time expired."""
        doc.clock.sleep(61)

        response = call(doc, "Live_Channel_GetStatus", t=DOC_T, sign=DOC_SIGN)
        refused_with(response, "time expired")


# Management interfaces ------------------------------------------------------


def test_get_status_of_a_live_stream(running: Running) -> None:
    """A live stream is status 1 with its video size."""
    running.emulator.world.push("room_42", width=1920, height=1080)

    body = answer(call(running, "Live_Channel_GetStatus", channel("room_42")))
    assert body["ret"] == 0
    assert body["message"] == ""
    assert body["output"] == [
        {"rate_type": 0, "recv_type": 1, "status": 1, "width": 1920, "height": 1080}
    ]


def test_get_status_of_a_stopped_stream(running: Running) -> None:
    """A stream that pushed and stopped is status 0."""
    running.emulator.world.push("room_42")
    running.emulator.world.stop("room_42")

    body = answer(call(running, "Live_Channel_GetStatus", channel("room_42")))
    assert body["output"][0]["status"] == 0


def test_get_status_of_a_forbidden_stream(running: Running) -> None:
    """A forbidden stream is status 3, even one that never pushed."""
    running.emulator.world.forbid("room_42")

    body = answer(call(running, "Live_Channel_GetStatus", channel("room_42")))
    assert body["output"][0]["status"] == 3


def test_get_status_of_a_stream_never_pushed_is_20601(running: Running) -> None:
    """A stream id that never pushed answers 20601."""
    response = call(running, "Live_Channel_GetStatus", channel("nobody"))
    refused_with(response, "20601")


def test_set_status_0_forbids_and_stops_a_live_stream(running: Running) -> None:
    """Status 0 forbids for the maximum and ends a live session with 21/101."""
    world = running.emulator.world
    world.push("room_42")
    params = {**channel("room_42"), "Param.n.status": "0"}

    assert answer(call(running, "Live_Channel_SetStatus", params))["ret"] == 0
    truth = world.get("room_42")
    assert truth is not None
    assert truth.state == FORBID
    assert truth.forbid_until == int(START) + FORBID_SECONDS
    last = world.emitted[-1]
    assert (last["errcode"], last["sub_errcode"]) == (21, 101)


def test_set_status_1_resumes_a_forbidden_stream(running: Running) -> None:
    """Status 1 lifts a forbid."""
    running.emulator.world.forbid("room_42")
    params = {**channel("room_42"), "Param.n.status": "1"}

    assert answer(call(running, "Live_Channel_SetStatus", params))["ret"] == 0
    truth = running.emulator.world.get("room_42")
    assert truth is not None
    assert truth.state == INACTIVE


def test_set_status_2_drops_a_live_stream(running: Running) -> None:
    """Status 2 disconnects the publisher with 21/100."""
    world = running.emulator.world
    world.push("room_42", app="other", domain="b.example.com")
    params = {**channel("room_42"), "Param.n.status": "2"}

    assert answer(call(running, "Live_Channel_SetStatus", params))["ret"] == 0
    last = world.emitted[-1]
    assert (last["errcode"], last["sub_errcode"], last["app"]) == (
        21,
        100,
        "b.example.com",
    )


def test_live_channel_list_names_only_live_streams(running: Running) -> None:
    """GetLiveChannelList counts and lists the streams publishing now."""
    world = running.emulator.world
    world.push("a")
    world.push("b")
    world.push("c")
    world.stop("c")

    body = answer(call(running, "Live_Channel_GetLiveChannelList"))
    assert body["output"] == {
        "all_count": 2,
        "channel_list": [{"channel_id": "a"}, {"channel_id": "b"}],
    }


@pytest.mark.parametrize(
    ("interface", "role"),
    [("Live_Channel_GetLiveChannelList", "appid"), ("Get_LiveStat", "cmd")],
    ids=["fcgi", "statcgi"],
)
def test_success_has_an_empty_message_on_both_hosts(
    running: Running, interface: str, role: str
) -> None:
    """Both hosts answer success with ret 0 and empty errmsg and message."""
    running.emulator.world.push("a")

    body = answer(call(running, interface, role=role))

    assert (body["ret"], body["errmsg"], body["message"]) == (0, "", "")


# Statistics interfaces ------------------------------------------------------


def test_live_stat_totals_every_live_stream_and_pages(running: Running) -> None:
    """Get_LiveStat sums every live stream and lists the asked page."""
    world = running.emulator.world
    world.push("a", viewers=10, bitrate=1_000_000)
    world.push("b", viewers=30, bitrate=2_000_000)
    params = {"Param.n.page_no": "2", "Param.n.page_size": "1"}

    body = answer(call(running, "Get_LiveStat", params, role="cmd"))
    output = body["output"]
    assert (output["stream_count"], output["total_online"]) == (2, 40)
    assert output["total_bandwidth"] == pytest.approx(70.0)
    (info,) = output["stream_info"]
    assert info["stream_name"] == "b"
    assert info["bandwidth"] == pytest.approx(60.0)
    assert set(info) == {
        "stream_name",
        "bandwidth",
        "online",
        "client_ip",
        "server_ip",
        "fps",
        "speed",
    }


def test_live_stat_of_one_stream(running: Running) -> None:
    """Param.s.stream_id narrows Get_LiveStat to that stream."""
    world = running.emulator.world
    world.push("a")
    world.push("b")

    params = {"Param.s.stream_id": "b"}
    body = answer(call(running, "Get_LiveStat", params, role="cmd"))
    assert [i["stream_name"] for i in body["output"]["stream_info"]] == ["b"]


def test_push_stat_reports_the_publishers(running: Running) -> None:
    """Get_LivePushStat lists each publisher's IP, frame rate and bitrate."""
    running.emulator.world.push("a", user_ip="198.51.100.9", fps=30, bitrate=800)

    body = answer(call(running, "Get_LivePushStat", role="cmd"))
    (info,) = body["output"]["stream_info"]
    assert body["output"]["stream_count"] == 1
    assert (info["client_ip"], info["fps"], info["speed"]) == ("198.51.100.9", 30, 800)


def test_play_stat_history_has_one_point_per_minute(running: Running) -> None:
    """Get_LivePlayStatHistory reports each minute a session was live."""
    world = running.emulator.world
    world.push("a", viewers=8, bitrate=1_000_000)
    running.clock.sleep(180)
    world.stop("a")
    running.clock.sleep(600)
    params = {
        "Param.n.start_time": str(int(START)),
        "Param.n.end_time": str(int(START) + 600),
        "Param.s.stream_id": "a",
    }

    body = answer(call(running, "Get_LivePlayStatHistory", params, role="cmd"))
    output = body["output"]
    assert len(output["stat_info"]) == 4
    assert {point["online"] for point in output["stat_info"]} == {8}
    assert output["sum_info"]["sum_flux"] == pytest.approx(4 * 8 * 60 / 8)
    assert output["stream_id"] == "a"


# Access-layer refusals ------------------------------------------------------


def test_no_host_header_is_404(running: Running) -> None:
    """A request without Host is HTTP 404 (http.client always sends one)."""
    query = f"appid=1250000001&interface=Live_Channel_GetStatus&t={int(START) + 60}"
    request = f"GET /common_access?{query} HTTP/1.1\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
        sock.sendall(request.encode())
        status_line = sock.makefile("rb").readline()

    assert status_line.split()[1] == b"404"


def test_cookie_without_skey_is_403(running: Running) -> None:
    """A browser-style Cookie lacking skey is HTTP 403."""
    response = call(
        running, "Live_Channel_GetLiveChannelList", headers={"Cookie": "uin=1"}
    )

    assert response.status_code == 403


def test_cookie_with_skey_passes(running: Running) -> None:
    """A Cookie carrying skey among others passes the security check."""
    response = call(
        running,
        "Live_Channel_GetLiveChannelList",
        headers={"Cookie": "uin=1; skey=abc"},
    )

    assert answer(response)["ret"] == 0


def test_cookie_with_empty_skey_is_403(running: Running) -> None:
    """An skey cookie without a value does not pass."""
    response = call(
        running, "Live_Channel_GetLiveChannelList", headers={"Cookie": "skey="}
    )

    assert response.status_code == 403


def test_unknown_appid_is_appid_invalid(running: Running) -> None:
    """An appid other than the account's is refused."""
    response = call(running, "Live_Channel_GetStatus", {"appid": "999"})
    refused_with(response, "appid is invalid")


def test_no_account_parameter_is_appid_invalid(running: Running) -> None:
    """A request naming neither appid nor cmd is refused."""
    response = requests.get(
        f"{running.url}/common_access",
        params={"interface": "Live_Channel_GetStatus"},
        timeout=10,
    )
    refused_with(response, "appid is invalid")


def test_unknown_cmd_is_cmd_invalid(running: Running) -> None:
    """A cmd other than the account's is refused."""
    response = call(running, "Get_LiveStat", {"cmd": "999"}, role="cmd")
    refused_with(response, "cmd is invalid")


def test_stats_interface_on_fcgi_is_cmd_invalid(running: Running) -> None:
    """A statistics interface asked of the management host is refused."""
    response = call(running, "Get_LiveStat", host=FCGI_HOST)
    refused_with(response, "cmd is invalid")


def test_management_interface_on_statcgi_is_cmd_invalid(running: Running) -> None:
    """A management interface asked of the statistics host is refused."""
    response = call(running, "Live_Channel_GetStatus", role="cmd", host=STATCGI_HOST)
    refused_with(response, "cmd is invalid")


def test_statcgi_host_needs_cmd(running: Running) -> None:
    """The statistics host names the account with cmd, not appid."""
    response = call(running, "Get_LiveStat", host=STATCGI_HOST)
    refused_with(response, "cmd is invalid")


def test_unknown_interface_is_cmd_invalid(running: Running) -> None:
    """An interface the emulator does not know is refused."""
    response = call(running, "Live_Nothing")
    refused_with(response, "cmd is invalid")


def test_host_with_port_still_selects_the_role(running: Running) -> None:
    """fcgi.video.qcloud.com:80 is the management host."""
    response = call(running, "Get_LiveStat", host=f"{FCGI_HOST}:80")
    refused_with(response, "cmd is invalid")


def test_wrong_sign_is_sign_invalid(running: Running) -> None:
    """A sign made with another key is refused."""
    response = call(running, "Live_Channel_GetLiveChannelList", sign="0" * 32)
    refused_with(response, "sign invalid")


def test_uppercase_sign_is_sign_invalid(running: Running) -> None:
    """The sign is lowercase hex; the same digits in upper case are refused."""
    when = int(START) + 60
    upper = md5_sign(running.settings.api_key, when).upper()
    response = call(running, "Live_Channel_GetLiveChannelList", t=when, sign=upper)
    refused_with(response, "sign invalid")


def test_hex_t_is_sign_invalid(running: Running) -> None:
    """t is decimal; a hexadecimal t is refused even if signed."""
    response = call(running, "Live_Channel_GetLiveChannelList", t="658D5080")
    refused_with(response, "sign invalid")


def test_missing_t_is_sign_invalid(running: Running) -> None:
    """A request without t cannot be checked and is refused."""
    response = call(running, "Live_Channel_GetLiveChannelList", t="", sign="")
    refused_with(response, "sign invalid")


def test_past_t_with_good_sign_is_time_expired(running: Running) -> None:
    """A correct sign whose t has passed is time expired."""
    response = call(running, "Live_Channel_GetLiveChannelList", t=int(START) - 1)
    refused_with(response, "time expired")


def test_sign_is_checked_before_the_time(running: Running) -> None:
    """A wrong sign with a past t is sign invalid, not time expired."""
    when = int(START) - 1
    response = call(running, "Live_Channel_GetLiveChannelList", t=when, sign="0" * 32)
    refused_with(response, "sign invalid")


def test_t_equal_to_now_is_still_valid(running: Running) -> None:
    """A t equal to the current second has not expired yet."""
    response = call(running, "Live_Channel_GetLiveChannelList", t=int(START))
    assert answer(response)["ret"] == 0


def test_post_is_not_served(running: Running) -> None:
    """Only GET is served: every parameter travels in the URL."""
    response = requests.post(f"{running.url}/common_access", timeout=10)

    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    assert response.json()["error"]


# Backend refusals -----------------------------------------------------------


def test_more_requests_than_the_rate_limit_is_1202(
    start_emulator: StartEmulator,
) -> None:
    """The request past the per-second limit is 1202; the next second is fine."""
    running = start_emulator(legacy_rate_limit=3)
    for _ in range(3):
        assert answer(call(running, "Live_Channel_GetLiveChannelList"))["ret"] == 0

    refused_with(call(running, "Live_Channel_GetLiveChannelList"), "1202")
    running.clock.sleep(1)
    assert answer(call(running, "Live_Channel_GetLiveChannelList"))["ret"] == 0


@pytest.mark.parametrize(
    ("interface", "params"),
    [
        ("Live_Channel_GetStatus", {}),
        ("Live_Channel_SetStatus", {"Param.s.channel_id": "a"}),
        ("Live_Channel_SetStatus", {"Param.s.channel_id": "a", "Param.n.status": "3"}),
        ("Live_Channel_SetStatus", {"Param.s.channel_id": "a", "Param.n.status": "x"}),
        ("Get_LiveStat", {"Param.n.page_size": "301"}),
        ("Get_LiveStat", {"Param.n.page_no": "0"}),
        ("Get_LivePlayStatHistory", {"Param.n.end_time": "1703731478"}),
        (
            "Get_LivePlayStatHistory",
            {"Param.n.start_time": "1703731478", "Param.n.end_time": "1703731400"},
        ),
        (
            "Get_LivePlayStatHistory",
            {"Param.n.start_time": "1703731478", "Param.n.end_time": "1703738679"},
        ),
        (
            "Get_LivePlayStatHistory",
            {"Param.n.start_time": "1702000000", "Param.n.end_time": "1702000060"},
        ),
    ],
    ids=[
        "status-no-channel",
        "set-no-status",
        "set-status-3",
        "set-status-text",
        "page-size-301",
        "page-no-0",
        "history-no-start",
        "history-end-before-start",
        "history-span-over-2h",
        "history-older-than-15-days",
    ],
)
def test_bad_or_missing_param_is_1204(
    running: Running, interface: str, params: dict[str, str]
) -> None:
    """Each malformed or missing Param.* answers 1204."""
    running.emulator.world.push("a")
    role = "cmd" if interface.startswith("Get_") else "appid"

    refused_with(call(running, interface, params, role=role), "1204")


@pytest.mark.parametrize("interface", ["Get_LiveStat", "Get_LivePushStat"])
def test_real_time_stats_with_nothing_live_is_1301(
    running: Running, interface: str
) -> None:
    """A real-time statistics query with no live stream answers 1301."""
    running.emulator.world.push("a")
    running.emulator.world.stop("a")

    refused_with(call(running, interface, role="cmd"), "1301")


def test_real_time_stats_of_a_stream_not_live_is_1301(running: Running) -> None:
    """Asking for one stream that is not live answers 1301."""
    running.emulator.world.push("a")

    params = {"Param.s.stream_id": "b"}
    refused_with(call(running, "Get_LiveStat", params, role="cmd"), "1301")


def test_play_history_with_no_data_in_range_is_10003(running: Running) -> None:
    """A play history range in which nothing published answers 10003."""
    running.emulator.world.push("a")
    running.emulator.world.stop("a")
    running.clock.sleep(3600)
    params = {
        "Param.n.start_time": str(int(START) + 1800),
        "Param.n.end_time": str(int(START) + 3000),
    }

    response = call(running, "Get_LivePlayStatHistory", params, role="cmd")
    refused_with(response, "10003")


# Forced errors --------------------------------------------------------------


def test_every_error_has_a_status_and_a_message() -> None:
    """The refusal table has data for every entry, and numbers where it should."""
    for name, error in ERRORS.items():
        assert error.message
        if error.http_status != 200:
            assert error.ret is None
            assert str(error.http_status) == name
        elif name.isdigit():
            assert error.ret == int(name)
        else:
            assert error.ret == -1


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_fault_switch_forces_every_error(running: Running, name: str) -> None:
    """The control API can force each refusal onto an otherwise valid request."""
    forced = requests.post(
        f"{running.url}/_emulator/faults",
        json={"legacy_error": name, "count": 1},
        timeout=10,
    )
    assert forced.status_code == 200

    response = call(running, "Live_Channel_GetLiveChannelList")
    error = ERRORS[name]
    if error.ret is None:
        assert response.status_code == error.http_status
    else:
        refused_with(response, name)
    assert answer(call(running, "Live_Channel_GetLiveChannelList"))["ret"] == 0


@pytest.mark.parametrize(("name", "count"), [("9999", 1), ("1001", 0)])
def test_force_error_refuses_what_it_cannot_force(name: str, count: int) -> None:
    """Only a named refusal, at least once, can be forced."""
    legacy = LegacyApi(World(), appid=1, key="k")

    with pytest.raises(ValueError, match=r"legacy error|at least 1"):
        legacy.force_error(name, count)


def test_fault_switch_counts_requests(running: Running) -> None:
    """A forced error lasts exactly ``count`` requests."""
    requests.post(
        f"{running.url}/_emulator/faults",
        json={"legacy_error": "1001", "count": 2},
        timeout=10,
    )

    refused_with(call(running, "Get_LiveStat", role="cmd"), "1001")
    refused_with(call(running, "Get_LiveStat", role="cmd"), "1001")
    refused_with(call(running, "Get_LiveStat", role="cmd"), "1301")
