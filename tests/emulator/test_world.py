"""The World: one stream model whose changes emit Tencent's callback bodies."""

from __future__ import annotations

import hashlib
import inspect
import threading
from typing import Any

import pytest

from emulator import bodies
from emulator.scenarios import FakeClock
from emulator.world import (
    ACTIVE,
    ARGUMENTS,
    DEFAULT_FORBID_SECONDS,
    FORBID,
    INACTIVE,
    MUTATORS,
    ArgumentError,
    World,
    clean_arguments,
)

START = 1703731478.0
PRIMARY = "primarykey123"
BACKUP = "backupkey456"

#: Tencent's worked push URL example: stream1 until 1703760000 (txTime
#: 658D5080), signed with the primary and with the backup key.
EXAMPLE_TX_TIME = "658D5080"
EXAMPLE_BY_PRIMARY = "1e36d253d3ae7ebbd62aac2d9c6fde38"
EXAMPLE_BY_BACKUP = "a92d4a6a19723e236878330f0a00b1b7"

#: Tencent's documented push URL vector: stream test until 1546064025.
DOC_KEY = "e12c46f2612d5106e2034781ab261ca3"
DOC_PARAM = "txSecret=f85a2ab363fe4deaffef9754d79da6fe&txTime=5C271099"
DOC_EXPIRY = 1546064025


def signed(key: str, stream: str, expiry: int) -> str:
    """Sign a push URL query independently: MD5(key + stream + hex expiry)."""
    when = format(expiry, "X")
    secret = hashlib.md5(f"{key}{stream}{when}".encode()).hexdigest()
    return f"txSecret={secret}&txTime={when}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def world(clock: FakeClock) -> World:
    return World(clock=clock, seed=7)


@pytest.fixture
def guarded(clock: FakeClock) -> World:
    """A world whose pushes must carry a signed URL."""
    return World(clock=clock, seed=7, push_keys=(PRIMARY, BACKUP))


def test_now_reads_the_injected_clock(world: World, clock: FakeClock) -> None:
    """The world's time is the clock it was given."""
    clock.sleep(5)

    assert world.now() == START + 5


def test_push_emits_one_push_body_and_makes_the_stream_active(world: World) -> None:
    """A push emits event_type 1 with errcode 0 and the stream turns active."""
    (body,) = world.push("room_42")

    assert body["event_type"] == 1
    assert body["errcode"] == 0
    assert body["stream_id"] == body["channel_id"] == "room_42"
    assert body["event_time"] == int(START)
    truth = world.get("room_42")
    assert truth is not None
    assert truth.state == ACTIVE
    assert truth.publish_time == int(START)
    assert truth.sequence == body["sequence"]


def test_sequence_is_a_large_decimal_string(world: World) -> None:
    """The session id is a decimal string too large for a 32-bit integer."""
    (body,) = world.push("room_42")

    assert isinstance(body["sequence"], str)
    assert body["sequence"].isdigit()
    assert int(body["sequence"]) >= 10**18


def test_same_seed_gives_same_sequences(clock: FakeClock) -> None:
    """Two worlds with one seed number their sessions alike."""
    first = World(clock=clock, seed=3).push("a")[0]["sequence"]
    second = World(clock=clock, seed=3).push("a")[0]["sequence"]
    other = World(clock=clock, seed=4).push("a")[0]["sequence"]

    assert first == second
    assert first != other


def test_stop_shares_the_sequence_and_reports_milliseconds(
    world: World, clock: FakeClock
) -> None:
    """A stop repeats the push's sequence and gives push_duration in ms as text."""
    (push,) = world.push("room_42")
    clock.sleep(3622)
    (stop,) = world.stop("room_42")

    assert stop["event_type"] == 0
    assert stop["sequence"] == push["sequence"]
    assert stop["push_duration"] == "3622000"
    assert stop["errcode"] == 1
    assert stop["errmsg"] == "recv rtmp deleteStream"
    assert world.get("room_42").state == INACTIVE  # type: ignore[union-attr]


def test_stop_without_sub_errcode_leaves_the_field_out(world: World) -> None:
    """sub_errcode is sent only when the stop names one."""
    world.push("room_42")
    (stop,) = world.stop("room_42", errcode=3)

    assert "sub_errcode" not in stop
    assert stop["errmsg"] == "recv() return 0"


def test_stop_with_sub_errcode_carries_it_as_an_extra_field(world: World) -> None:
    """A given sub_errcode is an integer field of the stop body."""
    world.push("room_42")
    (stop,) = world.stop("room_42", errcode=18, sub_errcode=200, errmsg="custom")

    assert stop["sub_errcode"] == 200
    assert stop["errmsg"] == "custom"


def test_stop_of_a_stream_not_live_emits_nothing(world: World) -> None:
    """Stopping a stream that is not publishing changes nothing."""
    assert world.stop("never") == []
    assert world.get("never") is None


def test_push_to_a_live_stream_replaces_the_old_session(
    world: World, clock: FakeClock
) -> None:
    """A second push ends the first session with 21/102, then starts a new one."""
    (first,) = world.push("room_42")
    clock.sleep(10)
    stop, push = world.push("room_42")

    assert (stop["errcode"], stop["sub_errcode"]) == (21, 102)
    assert stop["sequence"] == first["sequence"]
    assert push["event_type"] == 1
    assert push["sequence"] != first["sequence"]


def test_drop_stops_with_21_100_and_allows_a_new_push(world: World) -> None:
    """A drop ends the session with 21/100; the publisher may come back."""
    world.push("room_42")
    (stop,) = world.drop("room_42")

    assert (stop["errcode"], stop["sub_errcode"]) == (21, 100)
    assert world.push("room_42")[0]["event_type"] == 1


def test_forbid_of_a_live_stream_stops_it_with_21_101(world: World) -> None:
    """Forbidding a live stream ends its session with 21/101."""
    world.push("room_42")
    (stop,) = world.forbid("room_42", reason="spam")

    assert (stop["errcode"], stop["sub_errcode"]) == (21, 101)
    truth = world.get("room_42")
    assert truth is not None
    assert truth.state == FORBID
    assert truth.forbid_reason == "spam"


def test_forbid_lasts_seven_days_by_default(world: World) -> None:
    """Without a resume time a forbid lifts after seven days."""
    world.forbid("room_42")

    truth = world.get("room_42")
    assert truth is not None
    assert truth.forbid_until == int(START) + DEFAULT_FORBID_SECONDS


def test_push_to_a_forbidden_stream_is_refused_with_18_305(world: World) -> None:
    """A forbidden stream's push emits only a stop 18/305."""
    world.forbid("room_42")
    (stop,) = world.push("room_42")

    assert stop["event_type"] == 0
    assert (stop["errcode"], stop["sub_errcode"]) == (18, 305)
    assert stop["errmsg"] == "push url maybe invalid"
    assert stop["push_duration"] == "0"
    assert world.get("room_42").state == FORBID  # type: ignore[union-attr]


def test_resume_lifts_a_forbid(world: World) -> None:
    """After resume the stream may push again; resume emits nothing."""
    world.forbid("room_42")

    assert world.resume("room_42") == []
    assert world.push("room_42")[0]["event_type"] == 1


def test_forbid_lifts_by_itself_at_its_resume_time(
    world: World, clock: FakeClock
) -> None:
    """A forbid past its resume time no longer refuses pushes."""
    world.forbid("room_42", resume_time=int(START) + 60)
    clock.sleep(60)

    assert world.get("room_42").state == INACTIVE  # type: ignore[union-attr]
    assert world.push("room_42")[0]["event_type"] == 1


def test_unsigned_world_accepts_any_push_url(world: World) -> None:
    """Without push keys the URL is not checked."""
    (body,) = world.push("room_42", stream_param="whatever=1")

    assert body["event_type"] == 1
    assert body["stream_param"] == "whatever=1"


def test_signed_world_accepts_the_primary_and_the_backup_key(guarded: World) -> None:
    """A URL signed with either configured key starts a session."""
    expiry = int(START) + 600
    by_primary = guarded.push("a", stream_param=signed(PRIMARY, "a", expiry))
    by_backup = guarded.push("b", stream_param=signed(BACKUP, "b", expiry))

    assert by_primary[0]["event_type"] == 1
    assert by_backup[0]["event_type"] == 1


def test_signed_world_signs_a_push_given_no_url(guarded: World) -> None:
    """A push with no stream_param stands for a correctly signed publisher."""
    (body,) = guarded.push("room_42")

    assert body["event_type"] == 1
    assert "txSecret=" in body["stream_param"]


@pytest.mark.parametrize(
    ("stream_param", "sub_errcode"),
    [
        ("txSecret=1e36d253d3ae7ebbd62aac2d9c6fde38", 500),
        ("txTime=658D5080", 502),
        ("txSecret=00000000000000000000000000000000&txTime=658D5080", 503),
        ("txSecret=1e36d253d3ae7ebbd62aac2d9c6fde38&txTime=XYZ", 503),
    ],
    ids=["no-txTime", "no-txSecret", "mismatch", "malformed-txTime"],
)
def test_bad_push_url_is_refused_with_18_5xx(
    guarded: World, stream_param: str, sub_errcode: int
) -> None:
    """Each push URL fault has its own sub_errcode and starts no session."""
    (stop,) = guarded.push("a", stream_param=stream_param)

    assert (stop["errcode"], stop["sub_errcode"]) == (18, sub_errcode)
    assert guarded.get("a").ever_pushed is False  # type: ignore[union-attr]


def test_expired_push_url_is_refused_with_18_501(guarded: World) -> None:
    """A correctly signed URL past its txTime is refused with 18/501."""
    (stop,) = guarded.push("a", stream_param=signed(PRIMARY, "a", int(START) - 1))

    assert (stop["errcode"], stop["sub_errcode"]) == (18, 501)


def test_refused_push_leaves_the_running_session_alone(guarded: World) -> None:
    """A bad second publisher does not end the first one's session."""
    (push,) = guarded.push("a")
    guarded.push("a", stream_param="txTime=1")

    truth = guarded.get("a")
    assert truth is not None
    assert truth.state == ACTIVE
    assert truth.sequence == push["sequence"]


@pytest.mark.parametrize(
    ("secret", "key"),
    [(EXAMPLE_BY_PRIMARY, PRIMARY), (EXAMPLE_BY_BACKUP, BACKUP)],
    ids=["primary", "backup"],
)
def test_tencents_example_urls_are_accepted(
    clock: FakeClock, secret: str, key: str
) -> None:
    """The example URL signed with the primary or the backup key starts a session."""
    world = World(clock=clock, push_keys=(PRIMARY, BACKUP))
    param = f"txSecret={secret}&txTime={EXAMPLE_TX_TIME}"

    (body,) = world.push("stream1", stream_param=param)

    assert body["event_type"] == 1


def test_tencents_documented_vector_is_accepted_until_its_time() -> None:
    """The documented URL for stream test is good up to its txTime, then 18/501."""
    clock = FakeClock(DOC_EXPIRY)
    world = World(clock=clock, push_keys=(DOC_KEY,))

    assert world.push("test", stream_param=DOC_PARAM)[0]["event_type"] == 1
    world.stop("test")
    clock.sleep(1)
    (stop,) = world.push("test", stream_param=DOC_PARAM)
    assert (stop["errcode"], stop["sub_errcode"]) == (18, 501)


@pytest.mark.parametrize("stream", ["room.1", "room-1", "Room_1"])
def test_legal_names_signed_correctly_start_a_session(
    guarded: World, stream: str
) -> None:
    """A dot, a hyphen or an underscore is part of the signed stream name."""
    param = signed(PRIMARY, stream, int(START) + 600)

    (body,) = guarded.push(stream, stream_param=param)

    assert body["event_type"] == 1


@pytest.mark.parametrize("stream", ["a/b", "room 1", "rôom", "a?b", "a&b"])
def test_stream_name_with_illegal_characters_is_refused_with_18_308(
    guarded: World, stream: str
) -> None:
    """Even a correctly signed URL cannot push a stream name Tencent refuses."""
    (stop,) = guarded.push(stream, stream_param=signed(PRIMARY, stream, int(START)))

    assert (stop["errcode"], stop["sub_errcode"]) == (18, 308)


def test_illegal_stream_name_is_refused_without_push_keys(world: World) -> None:
    """The name check does not depend on push authentication."""
    (stop,) = world.push("a/b")

    assert (stop["errcode"], stop["sub_errcode"]) == (18, 308)


def test_app_name_with_illegal_characters_is_refused_with_18_309(
    world: World,
) -> None:
    """An AppName outside letters, digits, _ - and . is refused with 18/309."""
    (stop,) = world.push("room_42", app="live/x")

    assert (stop["errcode"], stop["sub_errcode"]) == (18, 309)


def test_uppercase_tx_secret_is_refused_with_18_503(guarded: World) -> None:
    """txSecret is lowercase hex; the same digits in upper case do not match."""
    secret, when = signed(PRIMARY, "a", int(START) + 600).split("&")
    name, _, digits = secret.partition("=")

    (stop,) = guarded.push("a", stream_param=f"{name}={digits.upper()}&{when}")

    assert (stop["errcode"], stop["sub_errcode"]) == (18, 503)


def test_tx_secret_of_another_stream_is_refused_with_18_503(guarded: World) -> None:
    """The secret covers the stream name: one stream's URL does not push another."""
    (stop,) = guarded.push("b", stream_param=signed(PRIMARY, "a", int(START) + 600))

    assert (stop["errcode"], stop["sub_errcode"]) == (18, 503)


def test_auth_delta_extends_a_push_urls_validity(clock: FakeClock) -> None:
    """A URL is good until txTime + AuthDelta, then refused with 18/501."""
    world = World(clock=clock, push_keys=(PRIMARY,), auth_delta=60)

    late = world.push("a", stream_param=signed(PRIMARY, "a", int(START) - 60))
    too_late = world.push("b", stream_param=signed(PRIMARY, "b", int(START) - 61))

    assert late[0]["event_type"] == 1
    assert (too_late[0]["errcode"], too_late[0]["sub_errcode"]) == (18, 501)


def test_negative_auth_delta_is_refused() -> None:
    """AuthDelta adds validity; a negative one is a mistake."""
    with pytest.raises(ValueError, match="auth_delta"):
        World(auth_delta=-1)


# Forbid matches the stream name ---------------------------------------------


def test_forbid_ends_every_live_session_of_the_name(world: World) -> None:
    """A forbid on one domain stops the same name on another domain and app."""
    world.push("room_42")
    world.push("room_42", domain="b.example.com", app="other")
    world.push("room_43")

    stops = world.forbid("room_42")

    assert [(s["app"], s["errcode"], s["sub_errcode"]) for s in stops] == [
        ("b.example.com", 21, 101),
        ("push.example.com", 21, 101),
    ]
    assert [t.name for t in world.online()] == ["room_43"]


def test_forbid_refuses_the_name_on_a_place_never_seen(world: World) -> None:
    """A push of the forbidden name on a new domain is refused with 18/305."""
    world.forbid("room_42")

    truth = world.get("room_42", domain="c.example.com")
    (stop,) = world.push("room_42", domain="c.example.com")

    assert truth is not None
    assert truth.state == FORBID
    assert (stop["errcode"], stop["sub_errcode"]) == (18, 305)


def test_resume_lifts_the_forbid_of_the_name_everywhere(world: World) -> None:
    """Resuming the name on one place lets it push on every place again."""
    world.push("room_42", domain="b.example.com")
    world.forbid("room_42")

    world.resume("room_42")

    truth = world.get("room_42", domain="b.example.com")
    assert truth is not None
    assert truth.state == INACTIVE
    assert world.push("room_42", domain="c.example.com")[0]["event_type"] == 1


def test_forbid_of_the_name_lifts_everywhere_at_its_time(
    world: World, clock: FakeClock
) -> None:
    """Past its resume time the forbid no longer holds on any place."""
    world.push("room_42", domain="b.example.com")
    world.forbid("room_42", resume_time=int(START) + 60)
    clock.sleep(60)

    assert {t.state for t in world.streams()} == {INACTIVE}
    assert world.get("room_42", domain="c.example.com") is None


# Arguments from outside Python ------------------------------------------------


@pytest.mark.parametrize(
    ("action", "raw", "message"),
    [
        ("record", {"stream": "a", "duration": -5}, "duration must be an integer"),
        ("record", {"stream": "a", "duration": 0}, "from 1 to 86400"),
        ("record", {"stream": "a", "duration": 86_401}, "from 1 to 86400"),
        ("record", {"stream": "a", "file_format": "avi"}, "flv, hls, mp4, aac"),
        ("push", {"stream": "a", "width": -1}, "width"),
        ("push", {"stream": "a", "viewers": 10**30}, "viewers"),
        ("forbid", {"stream": "a", "resume_time": "soon"}, "JSON integer"),
        ("forbid", {"stream": "a", "resume_time": -1}, "resume_time"),
        ("stop", {"stream": "a", "errcode": True}, "JSON integer"),
        ("stop", {"stream": "a", "errcode": -1}, "errcode"),
        ("stop", {"stream": "a", "errmsg": "\ud800"}, "valid Unicode"),
        ("drop", {"stream": "a", "errcode": 1}, "does not take errcode"),
        ("drop", {"stream": ""}, "stream is required"),
        ("drop", {"stream": 7}, "JSON string"),
        ("explode", {"stream": "a"}, "must be one of"),
    ],
)
def test_arguments_from_outside_are_refused_with_a_reason(
    action: str, raw: dict[str, Any], message: str
) -> None:
    """A wrong type, a value out of range or an unknown argument is refused."""
    with pytest.raises(ArgumentError, match=message):
        clean_arguments(action, raw)


def test_null_arguments_mean_not_given() -> None:
    """A null value is left out, so the mutator's default applies."""
    assert clean_arguments("stop", {"stream": "a", "errcode": None}) == {"stream": "a"}


@pytest.mark.parametrize("action", sorted(MUTATORS))
def test_the_table_names_exactly_each_mutators_arguments(action: str) -> None:
    """MUTATORS lists each World method's parameters, and ARGUMENTS types them."""
    parameters = set(inspect.signature(getattr(World, action)).parameters) - {"self"}

    assert parameters == MUTATORS[action]
    assert MUTATORS[action] <= set(ARGUMENTS)


def test_every_stop_errcode_has_an_errmsg() -> None:
    """Tencent's stop reasons 0-39 each have a non-empty errmsg."""
    assert sorted(bodies.ERRMSG) == list(range(40))
    assert all(text.strip() for text in bodies.ERRMSG.values())


def test_record_describes_the_last_duration_seconds(
    world: World, clock: FakeClock
) -> None:
    """A recording event covers the given seconds up to now."""
    world.push("room_42")
    clock.sleep(120)
    (body,) = world.record("room_42", file_format="mp4", duration=100)

    assert body["event_type"] == 100
    assert body["end_time"] == int(START) + 120
    assert body["start_time"] == int(START) + 20
    assert body["duration"] == 100
    assert body["file_id"] == body["record_file_id"]
    assert body["video_url"].endswith(".mp4")


def test_snapshot_names_its_picture_by_stream(world: World) -> None:
    """A snapshot event's full URL ends with its object path."""
    world.push("room_42")
    (body,) = world.snapshot("room_42")

    assert body["event_type"] == 200
    assert body["pic_url"].startswith("/room_42/room_42-screenshot-")
    assert body["pic_full_url"].endswith(body["pic_url"])
    assert body["create_time"] == int(START)


def test_sink_receives_every_body_in_order(clock: FakeClock) -> None:
    """The sink sees exactly what emitted records, in the same order."""
    seen: list[dict[str, Any]] = []
    world = World(clock=clock, sink=seen.append)
    world.push("a")
    world.push("a")
    world.drop("a")

    assert seen == world.emitted
    assert [body["event_type"] for body in seen] == [1, 0, 1, 0]


def test_returned_bodies_are_copies(world: World) -> None:
    """Changing a returned body does not change the world's record."""
    (body,) = world.push("room_42")
    body["t"] = 1

    assert "t" not in world.emitted[0]


def test_online_is_sorted_by_publish_time_then_name(
    world: World, clock: FakeClock
) -> None:
    """Live streams come out oldest first, ties by name."""
    world.push("b")
    world.push("a")
    clock.sleep(5)
    world.push("0", app="other")
    world.push("c")
    world.push("d")
    world.stop("d")

    assert [t.name for t in world.online()] == ["a", "b", "0", "c"]
    assert [t.name for t in world.online(app="other")] == ["0"]
    assert [t.name for t in world.online(stream="c")] == ["c"]
    assert world.online(domain="elsewhere.example.com") == []


def test_history_lists_ended_and_refused_sessions(
    world: World, clock: FakeClock
) -> None:
    """Every ended session and every refused push is kept, oldest first."""
    world.push("a", viewers=5)
    clock.sleep(30)
    world.stop("a", errcode=2)
    world.forbid("a")
    world.push("a")

    ended, refused = world.history()
    assert ended["duration"] == 30
    assert (ended["errcode"], ended["online"], ended["succeeded"]) == (2, 5, True)
    assert (refused["sub_errcode"], refused["succeeded"]) == (305, False)


def test_streams_are_listed_in_a_stable_order(world: World) -> None:
    """streams() sorts by domain, app and name."""
    world.push("b")
    world.push("a", domain="a.example.com")
    world.forbid("c")

    assert [(t.domain, t.name) for t in world.streams()] == [
        ("a.example.com", "a"),
        ("push.example.com", "b"),
        ("push.example.com", "c"),
    ]


def test_concurrent_mutations_keep_sessions_whole(world: World) -> None:
    """Pushes and stops from many threads leave every session paired."""

    def churn(name: str) -> None:
        for _ in range(50):
            world.push(name)
            world.stop(name)

    threads = [threading.Thread(target=churn, args=(f"s{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    emitted = world.emitted
    pushes = [b["sequence"] for b in emitted if b["event_type"] == 1]
    stops = [b["sequence"] for b in emitted if b["event_type"] == 0]
    assert len(pushes) == len(set(pushes)) == 400
    assert sorted(pushes) == sorted(stops)
    assert world.online() == []
