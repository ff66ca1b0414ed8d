"""API 3.0 as Tencent's own Python SDK sees it, through the emulator's server.

Every test drives the real HTTP server on 127.0.0.1 with
``tencentcloud.live.v20180801.live_client.LiveClient``, except the raw-HTTP
tests of the signature check, which need to control every byte.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.live.v20180801 import models
from tencentcloud.live.v20180801.live_client import LiveClient as Client

from emulator.api3 import (
    ACTIONS,
    DEFAULT_QPS,
    MESSAGES,
    OTHER_QPS,
    STOP_REASONS,
    Api3,
)
from emulator.server import start_in_thread
from emulator.tls import make_ca_and_cert
from emulator.world import World

SECRET_ID = "AKIDemulatorTEST0001"
SECRET_KEY = "emulator-test-secret-key"
DOMAIN = "push.example.com"

# The reference's published live example (protocol reference, section 3.2).
VECTOR_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
VECTOR_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
VECTOR_TIME = 1700000000
VECTOR_BODY = (
    b'{"AppName": "live", "DomainName": "5000.livepush.myqcloud.com", '
    b'"StreamName": "stream1"}'
)
VECTOR_AUTHORIZATION = (
    "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2023-11-14/"
    "live/tc3_request, SignedHeaders=content-type;host, "
    "Signature=7bd3b6cb50f25569b01573207998997d3c66ca03a9bc338472055236001e2fb6"
)

Serve = Callable[..., int]


@pytest.fixture
def world() -> World:
    """An empty world on the real clock."""
    return World(push_domain=DOMAIN)


@pytest.fixture(scope="module")
def stops() -> Iterator[list[Callable[[], None]]]:
    """Stop every server of the module at its end, all at once.

    Stopping a server waits for its polling loop; doing that for all of them
    together rather than one per test saves half a second a test.
    """
    pending: list[Callable[[], None]] = []
    yield pending
    threads = [threading.Thread(target=stop) for stop in pending]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.fixture
def serve(world: World, stops: list[Callable[[], None]]) -> Serve:
    """Start the real server for an Api3 built with the given options."""

    def start(**options: Any) -> int:
        secrets = options.pop("secrets", {SECRET_ID: SECRET_KEY})
        tls = options.pop("tls", None)
        api3 = options.pop("api3", None) or Api3(world, secrets, **options)
        port, stop = start_in_thread(world=world, api3=api3, tls=tls)
        stops.append(stop)
        return port

    return start


@pytest.fixture
def port(serve: Serve) -> int:
    """The port of a server with default limits and the test secret."""
    return serve()


def make_client(
    port: int,
    *,
    secret_id: str = SECRET_ID,
    secret_key: str = SECRET_KEY,
    method: str = "POST",
    protocol: str = "http",
    certification: str | None = None,
) -> Client:
    """A LiveClient pointed at the emulator, as the README tells people to."""
    profile = HttpProfile(
        endpoint=f"127.0.0.1:{port}",
        protocol=protocol,
        reqMethod=method,
        reqTimeout=10,
        certification=certification,
    )
    cred = credential.Credential(secret_id, secret_key)
    return Client(cred, "", ClientProfile(httpProfile=profile))


@pytest.fixture
def client(port: int) -> Client:
    """A correctly configured SDK client."""
    return make_client(port)


def state(client: Client, stream: str, *, domain: str = DOMAIN) -> str:
    request = models.DescribeLiveStreamStateRequest()
    request.AppName, request.DomainName, request.StreamName = "live", domain, stream
    answer: str = client.DescribeLiveStreamState(request).StreamState
    return answer


def online(
    client: Client, **fields: Any
) -> models.DescribeLiveStreamOnlineListResponse:
    request = models.DescribeLiveStreamOnlineListRequest()
    request._deserialize(fields)
    return client.DescribeLiveStreamOnlineList(request)


def events(client: Client, **fields: Any) -> models.DescribeLiveStreamEventListResponse:
    hour_ago, now = time.time() - 3600, time.time()
    request = models.DescribeLiveStreamEventListRequest()
    request._deserialize({"StartTime": iso(hour_ago), "EndTime": iso(now), **fields})
    return client.DescribeLiveStreamEventList(request)


def stream_request(cls: type, stream: str, **fields: Any) -> Any:
    request = cls()
    request._deserialize(
        {"AppName": "live", "DomainName": DOMAIN, "StreamName": stream, **fields}
    )
    return request


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def error_code(call: Callable[[], object]) -> str:
    with pytest.raises(TencentCloudSDKException) as caught:
        call()
    assert caught.value.get_request_id()
    code: str = caught.value.get_code()
    return code


# DescribeLiveStreamState ------------------------------------------------------


def test_state_of_a_pushing_stream_is_active(world: World, client: Client) -> None:
    """A stream being pushed answers active."""
    world.push("room_1")
    assert state(client, "room_1") == "active"


def test_state_of_a_stream_never_seen_is_inactive(client: Client) -> None:
    """Tencent answers inactive, not an error, for an unknown stream."""
    assert state(client, "nobody_here") == "inactive"


def test_state_of_a_stream_on_another_domain_is_inactive(
    world: World, client: Client
) -> None:
    """Streams are told apart by push domain as well as by name."""
    world.push("room_1")
    assert state(client, "room_1", domain="other.example.com") == "inactive"


def test_state_without_a_stream_name_is_a_missing_parameter(client: Client) -> None:
    """The SDK leaves unset fields out; the gateway names the missing one."""
    request = models.DescribeLiveStreamStateRequest()
    request.AppName, request.DomainName = "live", DOMAIN
    assert error_code(lambda: client.DescribeLiveStreamState(request)) == (
        "MissingParameter"
    )


# Forbid, Resume, Drop -------------------------------------------------------


def test_forbid_then_resume_is_visible_in_the_state(
    world: World, client: Client
) -> None:
    """Forbid makes the state forbid; Resume makes it inactive again."""
    world.push("room_1")

    client.ForbidLiveStream(stream_request(models.ForbidLiveStreamRequest, "room_1"))
    assert state(client, "room_1") == "forbid"

    client.ResumeLiveStream(stream_request(models.ResumeLiveStreamRequest, "room_1"))
    assert state(client, "room_1") == "inactive"


def test_forbidding_a_live_stream_ends_it_with_stop_21_101(
    world: World, client: Client
) -> None:
    """The World emits the stop callback Tencent sends for a forbid."""
    world.push("room_1")

    client.ForbidLiveStream(stream_request(models.ForbidLiveStreamRequest, "room_1"))

    stop = world.emitted[-1]
    assert (stop["event_type"], stop["errcode"]) == (0, 21)
    assert stop.get("sub_errcode") == 101
    assert online(client).TotalNum == 0


def test_forbid_without_resume_time_lasts_seven_days(
    world: World, client: Client
) -> None:
    """The default forbid is seven days long."""
    before = time.time()
    client.ForbidLiveStream(stream_request(models.ForbidLiveStreamRequest, "room_1"))

    truth = world.get("room_1")
    assert truth is not None
    assert truth.forbid_until is not None
    assert truth.forbid_until - before == pytest.approx(7 * 86400, abs=5)


def test_forbid_until_a_resume_time_keeps_that_time(
    world: World, client: Client
) -> None:
    """ResumeTime, an ISO UTC time, becomes the end of the forbid."""
    resume_at = int(time.time()) + 3600
    request = stream_request(
        models.ForbidLiveStreamRequest, "room_1", ResumeTime=iso(resume_at), Reason="x"
    )

    client.ForbidLiveStream(request)

    truth = world.get("room_1")
    assert truth is not None
    assert (truth.state, truth.forbid_until) == ("forbid", resume_at)


@pytest.mark.parametrize(
    "resume_time",
    [iso(time.time() - 60), iso(time.time() + 91 * 86400), "tomorrow"],
    ids=["past", "beyond-90-days", "not-a-time"],
)
def test_forbid_with_a_bad_resume_time_is_refused(
    client: Client, resume_time: str
) -> None:
    """ResumeTime must be a time in the next 90 days."""
    request = stream_request(
        models.ForbidLiveStreamRequest, "room_1", ResumeTime=resume_time
    )
    assert error_code(lambda: client.ForbidLiveStream(request)) == (
        "InvalidParameterValue"
    )


def test_drop_ends_a_live_stream_with_stop_21_100(world: World, client: Client) -> None:
    """Drop disconnects the publisher; the stream may push again."""
    world.push("room_1")

    client.DropLiveStream(stream_request(models.DropLiveStreamRequest, "room_1"))

    assert state(client, "room_1") == "inactive"
    stop = world.emitted[-1]
    assert (stop["errcode"], stop.get("sub_errcode")) == (21, 100)
    world.push("room_1")
    assert state(client, "room_1") == "active"


def test_drop_of_a_stream_that_is_not_live_succeeds(
    world: World, client: Client
) -> None:
    """Tencent accepts a drop of an inactive stream and nothing is emitted."""
    answer = client.DropLiveStream(stream_request(models.DropLiveStreamRequest, "x"))
    assert answer.RequestId
    assert world.emitted == []


def test_stream_not_alive_reaches_the_sdk_only_when_armed(
    world: World, serve: Serve
) -> None:
    """Dropping an offline stream succeeds; armed, the drop is StreamNotAlive."""
    api3 = Api3(world, {SECRET_ID: SECRET_KEY})
    client = make_client(serve(api3=api3))
    drop = stream_request(models.DropLiveStreamRequest, "offline")
    assert client.DropLiveStream(drop).RequestId

    api3.force_error("ResourceNotFound.StreamNotAlive", 1, action="DropLiveStream")

    assert error_code(lambda: client.DropLiveStream(drop)) == (
        "ResourceNotFound.StreamNotAlive"
    )
    assert client.DropLiveStream(drop).RequestId


# DescribeLiveStreamOnlineList -----------------------------------------------


def push_many(world: World, count: int) -> list[str]:
    names = [f"room_{index:03d}" for index in range(count)]
    for name in names:
        world.push(name)
    return names


def test_online_list_pages_cover_every_live_stream_once(
    world: World, client: Client
) -> None:
    """Paging by 10 through 25 streams gives 3 pages and every stream once."""
    names = push_many(world, 25)

    pages = [online(client, PageNum=n, PageSize=10) for n in (1, 2, 3)]

    assert [(p.TotalNum, p.TotalPage, p.PageNum) for p in pages] == [
        (25, 3, 1),
        (25, 3, 2),
        (25, 3, 3),
    ]
    seen = [info.StreamName for page in pages for info in page.OnlineInfo]
    assert sorted(seen) == names
    assert [len(page.OnlineInfo) for page in pages] == [10, 10, 5]


def test_online_list_page_past_the_end_is_empty(world: World, client: Client) -> None:
    """A page beyond TotalPage has no entries but still the totals."""
    push_many(world, 3)
    page = online(client, PageNum=2, PageSize=10)
    assert (page.TotalNum, page.TotalPage, page.OnlineInfo) == (3, 1, [])


def test_online_list_defaults_to_page_one_of_ten(world: World, client: Client) -> None:
    """Without PageNum and PageSize Tencent serves page 1 of 10 entries."""
    push_many(world, 12)
    page = online(client)
    assert (page.PageNum, page.PageSize, len(page.OnlineInfo)) == (1, 10, 10)


def test_online_list_entry_has_tencents_fields(world: World, client: Client) -> None:
    """Each entry names the stream, its place and its push time in UTC ISO form."""
    world.push("room_1", app="live")
    truth = world.get("room_1")
    assert truth is not None
    assert truth.publish_time is not None

    (info,) = online(client).OnlineInfo

    assert (info.StreamName, info.AppName, info.DomainName) == (
        "room_1",
        "live",
        DOMAIN,
    )
    assert [t.PublishTime for t in info.PublishTimeList] == [iso(truth.publish_time)]
    assert info.PushToDelay == 0


def test_online_list_when_nothing_is_live_is_empty(client: Client) -> None:
    """No live stream gives TotalNum 0 and no entries, not an error."""
    page = online(client, PageSize=100)
    assert (page.TotalNum, page.TotalPage, page.OnlineInfo) == (0, 0, [])


def test_online_list_sees_a_push_made_after_a_page_was_served(
    world: World, client: Client
) -> None:
    """A cached list gives way to the world's change."""
    push_many(world, 2)
    assert online(client).TotalNum == 2

    world.push("late_room")
    world.stop("room_000")

    names = [info.StreamName for info in online(client).OnlineInfo]
    assert sorted(names) == ["late_room", "room_001"]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"StreamName": "room_b"}, ["room_b"]),
        ({"DomainName": "other.example.com"}, ["room_c"]),
        ({"AppName": "live", "DomainName": DOMAIN}, ["room_a", "room_b"]),
        ({"StreamName": "room"}, []),
    ],
    ids=["exact-name", "domain", "app-and-domain", "name-is-not-fuzzy"],
)
def test_online_list_filters(
    world: World, client: Client, fields: dict[str, str], expected: list[str]
) -> None:
    """DomainName, AppName and StreamName (exact) narrow the list."""
    world.push("room_a")
    world.push("room_b")
    world.push("room_c", domain="other.example.com")

    names = [info.StreamName for info in online(client, **fields).OnlineInfo]

    assert sorted(names) == expected


@pytest.mark.parametrize(
    "fields", [{"PageSize": 9}, {"PageSize": 300001}, {"PageNum": 0}]
)
def test_online_list_refuses_page_numbers_out_of_range(
    client: Client, fields: dict[str, int]
) -> None:
    """PageSize must lie in 10..300000 and PageNum be positive."""
    assert error_code(lambda: online(client, **fields)) == "InvalidParameterValue"


# DescribeLiveStreamEventList ------------------------------------------------


def test_event_list_reports_ended_sessions(world: World, client: Client) -> None:
    """A dropped session is listed with its reason, place and resolution."""
    world.push("room_1", width=640, height=352, user_ip="198.51.100.9")
    world.drop("room_1")

    (event,) = events(client).EventList

    assert (event.StreamName, event.AppName, event.DomainName) == (
        "room_1",
        "live",
        DOMAIN,
    )
    assert (event.ClientIp, event.Resolution) == ("198.51.100.9", "640*352")
    assert event.StopReason == STOP_REASONS[(21, 100)]
    assert event.Duration >= 0
    assert event.StreamStartTime <= event.StreamEndTime


def test_event_list_is_newest_first_unless_ascending(
    world: World, client: Client
) -> None:
    """Tencent sorts by end time, descending by default and ascending on IsAsc=1."""
    for name in ("first", "second"):
        world.push(name)
        world.stop(name)

    newest_first = [e.StreamName for e in events(client).EventList]
    oldest_first = [e.StreamName for e in events(client, IsAsc=1).EventList]

    assert [newest_first, oldest_first] in (
        [["second", "first"], ["first", "second"]],
        # Both ended in the same second: the order is then unspecified,
        # but ascending must still be the reverse of descending.
        [["first", "second"], ["second", "first"]],
    )


def test_event_list_pages(world: World, client: Client) -> None:
    """PageSize and PageNum slice the list; the totals count all of it."""
    for index in range(5):
        world.push(f"room_{index}")
        world.stop(f"room_{index}")

    page = events(client, PageSize=2, PageNum=3)

    assert (page.TotalNum, page.TotalPage, len(page.EventList)) == (5, 3, 1)


def test_event_list_matches_names_loosely_unless_strict(
    world: World, client: Client
) -> None:
    """StreamName is a fuzzy match; IsStrict=1 makes it exact."""
    for name in ("room_1", "room_10"):
        world.push(name)
        world.stop(name)

    loose = {e.StreamName for e in events(client, StreamName="room_1").EventList}
    strict = [
        e.StreamName for e in events(client, StreamName="room_1", IsStrict=1).EventList
    ]

    assert (loose, strict) == ({"room_1", "room_10"}, ["room_1"])


def test_event_list_filter_keeps_only_successful_sessions(
    client: Client, world: World
) -> None:
    """IsFilter=1 drops pushes the ingest refused."""
    world.push("good")
    world.stop("good")
    world.forbid("bad")
    world.push("bad")

    everything = {e.StreamName for e in events(client).EventList}
    filtered = [e.StreamName for e in events(client, IsFilter=1).EventList]

    assert (everything, filtered) == ({"good", "bad"}, ["good"])


def test_event_list_outside_the_window_is_empty(world: World, client: Client) -> None:
    """Only sessions ending between StartTime and EndTime are listed."""
    world.push("room_1")
    world.stop("room_1")
    two_hours_ago = time.time() - 7200

    page = events(client, StartTime=iso(two_hours_ago), EndTime=iso(two_hours_ago + 60))

    assert page.TotalNum == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"StartTime": "2019-01-04 12:00:00"},
        {"EndTime": iso(time.time() + 3600)},
        {"StartTime": iso(time.time() - 40 * 86400)},
        {"StartTime": iso(time.time()), "EndTime": iso(time.time() - 60)},
        {"PageSize": 101},
        {"PageNum": 101, "PageSize": 100},
        {"IsAsc": 2},
    ],
    ids=[
        "not-iso",
        "end-in-future",
        "span-over-a-month",
        "start-after-end",
        "page-size",
        "beyond-10000",
        "flag",
    ],
)
def test_event_list_refuses_bad_values(client: Client, fields: dict[str, Any]) -> None:
    """Out-of-range times, spans, pages and flags are InvalidParameterValue."""
    assert error_code(lambda: events(client, **fields)) == "InvalidParameterValue"


def test_event_list_without_times_is_a_missing_parameter(client: Client) -> None:
    """StartTime and EndTime are required."""
    request = models.DescribeLiveStreamEventListRequest()
    request.StartTime = iso(time.time() - 60)
    assert error_code(lambda: client.DescribeLiveStreamEventList(request)) == (
        "MissingParameter"
    )


# Authentication ---------------------------------------------------------------


def test_wrong_secret_key_fails_the_signature(port: int) -> None:
    """A request signed with another SecretKey is AuthFailure.SignatureFailure."""
    bad = make_client(port, secret_key="not-the-key")
    assert error_code(lambda: state(bad, "room_1")) == "AuthFailure.SignatureFailure"


def test_unknown_secret_id_is_not_found(port: int) -> None:
    """A SecretId the emulator does not hold is AuthFailure.SecretIdNotFound."""
    stranger = make_client(port, secret_id="AKIDnobody")
    assert error_code(lambda: state(stranger, "room_1")) == (
        "AuthFailure.SecretIdNotFound"
    )


def test_timestamp_ten_minutes_old_has_expired(serve: Serve) -> None:
    """A server clock 10 minutes ahead of the client's sees an expired signature."""
    port = serve(clock=lambda: time.time() + 600)
    assert error_code(lambda: state(make_client(port), "room_1")) == (
        "AuthFailure.SignatureExpire"
    )


def test_timestamp_four_minutes_off_is_still_accepted(serve: Serve) -> None:
    """Up to 300 seconds of skew is tolerated."""
    port = serve(clock=lambda: time.time() + 240)
    assert state(make_client(port), "room_1") == "inactive"


def test_get_requests_are_signed_over_the_raw_query(world: World, port: int) -> None:
    """The SDK's GET mode, with characters that need escaping, is accepted."""
    world.push("room_1")
    client = make_client(port, method="GET")

    # No stream can carry this name, but the escaped query must still verify.
    assert state(client, "room 1/é&x=1") == "inactive"
    assert state(client, "room_1") == "active"
    assert [i.StreamName for i in online(client, PageSize=10).OnlineInfo] == ["room_1"]


def test_wrong_key_over_get_fails_the_signature(port: int) -> None:
    """The GET canonical request is checked too."""
    bad = make_client(port, method="GET", secret_key="not-the-key")
    assert error_code(lambda: state(bad, "room_1")) == "AuthFailure.SignatureFailure"


# Rate limits and faults -----------------------------------------------------


def test_burst_over_the_action_limit_is_rate_limited(serve: Serve) -> None:
    """Within one second of the server's clock, the 4th call of a 3/s action fails."""
    second = float(int(time.time()))
    port = serve(clock=lambda: second, qps_limits={"DescribeLiveStreamState": 3})
    client = make_client(port)

    for _ in range(3):
        assert state(client, "room_1") == "inactive"
    assert error_code(lambda: state(client, "room_1")) == "RequestLimitExceeded"


def test_rate_limit_is_per_action_and_per_second(serve: Serve) -> None:
    """Another action still passes, and the next second starts a fresh count."""
    now = [float(int(time.time()))]
    port = serve(clock=lambda: now[0], qps_limits={"DescribeLiveStreamState": 1})
    client = make_client(port)
    state(client, "room_1")

    assert online(client).TotalNum == 0
    now[0] += 1
    assert state(client, "room_1") == "inactive"


@pytest.mark.parametrize(
    "limits",
    [{"DescribeEverything": 1}, {"DropLiveStream": 0}, {"DropLiveStream": True}],
    ids=["unknown-action", "zero", "bool"],
)
def test_qps_limits_must_be_positive_for_an_action_served(
    world: World, limits: dict[str, Any]
) -> None:
    """A limit for an unknown action, or below 1, is a ValueError."""
    with pytest.raises(ValueError, match=r"action|limit"):
        Api3(world, {SECRET_ID: SECRET_KEY}, qps_limits=limits)


def test_qps_limits_change_at_run_time(serve: Serve, world: World) -> None:
    """set_qps_limits tightens an action's limit on a running server."""
    second = float(int(time.time()))
    api3 = Api3(world, {SECRET_ID: SECRET_KEY}, clock=lambda: second)
    client = make_client(serve(api3=api3))
    assert state(client, "room_1") == "inactive"

    api3.set_qps_limits({"DescribeLiveStreamState": 1})

    assert error_code(lambda: state(client, "room_1")) == "RequestLimitExceeded"


def test_default_limits_follow_tencents_documentation() -> None:
    """State 300/s, OnlineList 80/s, Drop 100/s, everything else 100/s."""
    assert DEFAULT_QPS == {
        "DescribeLiveStreamState": 300,
        "DescribeLiveStreamOnlineList": 80,
        "DropLiveStream": 100,
    }
    assert OTHER_QPS == 100


def test_forced_error_fails_the_next_calls_then_clears(
    world: World, serve: Serve
) -> None:
    """force_error(code, count) fails exactly count requests."""
    api3 = Api3(world, {SECRET_ID: SECRET_KEY})
    client = make_client(serve(api3=api3))

    api3.force_error("InternalError", 2)

    assert error_code(lambda: state(client, "room_1")) == "InternalError"
    assert error_code(lambda: online(client)) == "InternalError"
    assert state(client, "room_1") == "inactive"


def test_forced_error_can_target_one_action(world: World, serve: Serve) -> None:
    """An action-scoped fault leaves other actions alone."""
    api3 = Api3(world, {SECRET_ID: SECRET_KEY})
    client = make_client(serve(api3=api3))

    api3.force_error(
        "FailedOperation.HasNotLivingStream", 1, action="DescribeLiveStreamOnlineList"
    )

    assert state(client, "room_1") == "inactive"
    assert error_code(lambda: online(client)) == "FailedOperation.HasNotLivingStream"
    assert online(client).TotalNum == 0


@pytest.mark.parametrize(
    ("code", "count", "action"),
    [
        ("not a code", 1, None),
        ("InternalError", 0, None),
        ("InternalError", 1, "DescribeEverything"),
    ],
    ids=["code", "count", "action"],
)
def test_force_error_refuses_what_it_cannot_arm(
    world: World, code: str, count: int, action: str | None
) -> None:
    """A malformed code, a count below one or an unknown action is a ValueError."""
    api3 = Api3(world, {SECRET_ID: SECRET_KEY})
    with pytest.raises(ValueError, match=r"code|count|action"):
        api3.force_error(code, count, action=action)


# HTTPS ------------------------------------------------------------------------


@pytest.fixture
def https_client(world: World, serve: Serve, tmp_path: Path) -> Client:
    """An SDK client over HTTPS trusting the emulator's CA."""
    tls = make_ca_and_cert(tmp_path)
    port = serve(tls=tls)
    return make_client(port, protocol="https", certification=str(tls.ca))


def test_every_action_works_over_https(world: World, https_client: Client) -> None:
    """The six actions answer over TLS as over plain HTTP."""
    world.push("room_1")
    client = https_client

    assert state(client, "room_1") == "active"
    assert online(client).TotalNum == 1
    client.DropLiveStream(stream_request(models.DropLiveStreamRequest, "room_1"))
    assert events(client).TotalNum == 1
    client.ForbidLiveStream(stream_request(models.ForbidLiveStreamRequest, "room_1"))
    assert state(client, "room_1") == "forbid"
    client.ResumeLiveStream(stream_request(models.ResumeLiveStreamRequest, "room_1"))
    assert state(client, "room_1") == "inactive"


# Raw HTTP: the signature check byte for byte --------------------------------


def raw_post(
    port: int, body: bytes, headers: dict[str, str]
) -> tuple[http.client.HTTPResponse, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        response = conn.getresponse()
        payload = json.loads(response.read())
    finally:
        conn.close()
    return response, payload["Response"]


def vector_headers(**changes: str) -> dict[str, str]:
    headers = {
        "Host": "live.tencentcloudapi.com",
        "Content-Type": "application/json",
        "X-TC-Action": "DescribeLiveStreamState",
        "X-TC-Version": "2018-08-01",
        "X-TC-Timestamp": str(VECTOR_TIME),
        "Authorization": VECTOR_AUTHORIZATION,
    }
    headers.update(changes)
    return headers


@pytest.fixture
def vector_port(serve: Serve) -> int:
    """A server whose clock reads the example's timestamp and holds its keys."""
    return serve(secrets={VECTOR_ID: VECTOR_KEY}, clock=lambda: VECTOR_TIME)


def test_published_live_example_is_accepted(vector_port: int) -> None:
    """The reference's example request, byte for byte, passes the TC3 check."""
    response, answer = raw_post(vector_port, VECTOR_BODY, vector_headers())

    assert response.status == 200
    assert response.getheader("Content-Type") == "application/json"
    assert answer["StreamState"] == "inactive"
    assert len(answer["RequestId"]) == 36


def test_same_json_with_other_spacing_fails(vector_port: int) -> None:
    """The raw body is hashed: a compact re-serialisation no longer matches."""
    compact = json.dumps(json.loads(VECTOR_BODY), separators=(",", ":")).encode()
    _, answer = raw_post(vector_port, compact, vector_headers())
    assert answer["Error"]["Code"] == "AuthFailure.SignatureFailure"


def test_another_host_header_fails(vector_port: int) -> None:
    """The received Host header takes part in the signature."""
    _, answer = raw_post(vector_port, VECTOR_BODY, vector_headers(Host="127.0.0.1"))
    assert answer["Error"]["Code"] == "AuthFailure.SignatureFailure"


def tc3_authorization(
    headers: dict[str, str], body: bytes, *, signed: tuple[str, ...]
) -> str:
    """Sign a POST the way the reference describes, over ``signed`` headers."""
    lowered = {name.lower(): value for name, value in headers.items()}
    canonical_headers = "".join(f"{n}:{lowered[n].lower()}\n" for n in signed)
    signed_list = ";".join(signed)
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            canonical_headers,
            signed_list,
            hashlib.sha256(body).hexdigest(),
        ]
    )
    timestamp = int(lowered["x-tc-timestamp"])
    date = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
    scope = f"{date}/live/tc3_request"
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    key = ("TC3" + VECTOR_KEY).encode()
    for part in (date, "live", "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={VECTOR_ID}/{scope}, "
        f"SignedHeaders={signed_list}, Signature={signature}"
    )


def test_extra_signed_headers_declared_by_the_client_are_checked(
    vector_port: int,
) -> None:
    """A client may sign x-tc-action too; changing it then breaks the signature."""
    headers = vector_headers()
    signed = ("content-type", "host", "x-tc-action")
    headers["Authorization"] = tc3_authorization(headers, VECTOR_BODY, signed=signed)

    _, accepted = raw_post(vector_port, VECTOR_BODY, headers)
    headers["X-TC-Action"] = "DropLiveStream"
    _, refused = raw_post(vector_port, VECTOR_BODY, headers)

    assert accepted["StreamState"] == "inactive"
    assert refused["Error"]["Code"] == "AuthFailure.SignatureFailure"


def signed_headers(body: bytes, **changes: str) -> dict[str, str]:
    headers = vector_headers(**changes)
    headers["Authorization"] = tc3_authorization(
        headers, body, signed=("content-type", "host")
    )
    return headers


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"X-TC-Version": "2017-03-12"}, "NoSuchVersion"),
        ({"X-TC-Action": "DescribeEverything"}, "InvalidAction"),
        ({"Authorization": ""}, "MissingParameter"),
        ({"X-TC-Timestamp": ""}, "MissingParameter"),
        ({"X-TC-Timestamp": "soon"}, "InvalidParameterValue"),
        ({"Authorization": "Bearer abc"}, "AuthFailure.InvalidAuthorization"),
        (
            {"Authorization": VECTOR_AUTHORIZATION.replace("TC3-", "HMAC-")},
            "AuthFailure.InvalidAuthorization",
        ),
        (
            {"Authorization": VECTOR_AUTHORIZATION.replace("/live/", "/cvm/")},
            "AuthFailure.InvalidAuthorization",
        ),
        (
            {
                "Authorization": VECTOR_AUTHORIZATION.replace(
                    "content-type;host", "host"
                )
            },
            "AuthFailure.InvalidAuthorization",
        ),
        (
            {"Authorization": VECTOR_AUTHORIZATION.replace(VECTOR_ID, "")},
            "MissingParameter",
        ),
    ],
    ids=[
        "version",
        "action",
        "no-authorization",
        "no-timestamp",
        "bad-timestamp",
        "not-tc3",
        "other-algorithm",
        "other-service",
        "content-type-unsigned",
        "no-secret-id",
    ],
)
def test_gateway_refusals(vector_port: int, changes: dict[str, str], code: str) -> None:
    """Each malformed common parameter gets Tencent's code."""
    # Only content-type and host are signed, so the example's signature
    # still holds for a changed action or version.
    _, answer = raw_post(vector_port, VECTOR_BODY, vector_headers(**changes))
    assert answer["Error"]["Code"] == code
    assert answer["Error"]["Message"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            b'{"AppName": "live", "DomainName": "d", "StreamName": "s", "X": 1}',
            "UnknownParameter",
        ),
        (
            b'{"AppName": "live", "DomainName": "d", "StreamName": 7}',
            "InvalidParameter",
        ),
        (
            b'{"AppName": "live", "DomainName": "d", "StreamName": ""}',
            "InvalidParameterValue",
        ),
        (b'{"AppName": "live", "DomainName": "d"', "InvalidParameter"),
        (b'["AppName"]', "InvalidParameter"),
    ],
    ids=["unknown", "wrong-type", "empty", "not-json", "not-an-object"],
)
def test_parameter_refusals(vector_port: int, body: bytes, code: str) -> None:
    """Well-signed requests with bad parameters get Tencent's parameter codes."""
    _, answer = raw_post(vector_port, body, signed_headers(body))
    assert answer["Error"]["Code"] == code


def test_messages_quote_no_client_text_outside_ascii(vector_port: int) -> None:
    """A name with a letter outside ASCII is shown as ? in the error message."""
    body = '{"AppName": "live", "DomainName": "d", "StreamName": "s", "Ünknown": 1}'
    _, unknown = raw_post(vector_port, body.encode(), signed_headers(body.encode()))
    headers = vector_headers(**{"X-TC-Action": "Dróp"})
    _, action = raw_post(vector_port, VECTOR_BODY, headers)

    assert (unknown["Error"]["Code"], action["Error"]["Code"]) == (
        "UnknownParameter",
        "InvalidAction",
    )
    assert "`?`" in unknown["Error"]["Message"]
    assert "`?`" in action["Error"]["Message"]


def test_non_ascii_signature_is_a_signature_failure(vector_port: int) -> None:
    """A signature with characters outside hex is refused, not a crash."""
    mangled = VECTOR_AUTHORIZATION[:-1] + "é"
    headers = vector_headers(Authorization=mangled)
    _, answer = raw_post(vector_port, VECTOR_BODY, headers)
    assert answer["Error"]["Code"] == "AuthFailure.SignatureFailure"


def test_every_answer_is_json_with_exactly_that_content_type(
    vector_port: int,
) -> None:
    """Errors too carry Content-Type application/json with no charset."""
    response, answer = raw_post(vector_port, b"{}", vector_headers())
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/json"
    assert set(answer) == {"Error", "RequestId"}


def test_request_ids_are_fresh_uuids(vector_port: int) -> None:
    """Each answer carries its own RequestId."""
    ids = {
        raw_post(vector_port, VECTOR_BODY, vector_headers())[1]["RequestId"]
        for _ in range(3)
    }
    assert len(ids) == 3


# Tables -----------------------------------------------------------------------


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_action_in_the_table_is_served(vector_port: int, action: str) -> None:
    """No listed action answers InvalidAction, and each has parameters."""
    body = b"{}"
    _, answer = raw_post(
        vector_port, body, signed_headers(body, **{"X-TC-Action": action})
    )
    assert answer.get("Error", {}).get("Code") in (None, "MissingParameter")
    assert ACTIONS[action]


def test_every_error_code_has_a_message() -> None:
    """Each code the emulator answers says something to a person."""
    for code, template in MESSAGES.items():
        assert template.format(detail="x").strip(), code
        assert code[0].isupper()


def test_every_stop_reason_has_text() -> None:
    """Each StopReason entry is non-empty Chinese text."""
    for key, text in STOP_REASONS.items():
        assert text, key
        assert not text.isascii(), key
