"""Callback bodies match the protocol reference's examples field by field.

The expected bodies below are the reference's examples for push and stop
(event_type 1 and 0), recording files (100) and snapshots (200), copied from
the protocol reference without ``t`` and ``sign``, which the sender adds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from emulator.bodies import (
    errmsg_for,
    push_body,
    record_body,
    snapshot_body,
    stop_body,
)
from emulator.world import World

STREAM_PARAM = "txSecret=1e36d253d3ae7ebbd62aac2d9c6fde38&txTime=658D5080"

PUSH_EXAMPLE: dict[str, Any] = {
    "app": "push.example.com",
    "appid": 1250000001,
    "appname": "live",
    "channel_id": "room_42",
    "errcode": 0,
    "errmsg": "ok",
    "event_time": 1703731478,
    "event_type": 1,
    "height": 0,
    "idc_id": 34,
    "node": "42.81.194.37",
    "sequence": "2210464508206756938",
    "set_id": 2,
    "stream_id": "room_42",
    "stream_param": STREAM_PARAM,
    "user_ip": "203.0.113.7",
    "width": 0,
}

STOP_EXAMPLE: dict[str, Any] = {
    "app": "push.example.com",
    "appid": 1250000001,
    "appname": "live",
    "channel_id": "room_42",
    "errcode": 1,
    "errmsg": "recv rtmp deleteStream",
    "event_time": 1703735100,
    "event_type": 0,
    "height": 720,
    "idc_id": 34,
    "node": "42.81.194.37",
    "push_duration": "3622000",
    "sequence": "2210464508206756938",
    "set_id": 2,
    "stream_id": "room_42",
    "stream_param": STREAM_PARAM,
    "user_ip": "203.0.113.7",
    "width": 1280,
}

RECORD_EXAMPLE: dict[str, Any] = {
    "app": "push.example.com",
    "appid": 1250000001,
    "appname": "live",
    "callback_ext": (
        '{"video_codec":"h264","resolution":"1280x720","session_id":"6300123456789"}'
    ),
    "channel_id": "room_42",
    "duration": 3620,
    "end_time": 1703735098,
    "end_time_usec": 412000,
    "event_type": 100,
    "file_format": "hls",
    "file_id": "5285890812345678901",
    "file_size": 277941079,
    "media_start_time": 2931,
    "record_bps": 0,
    "record_file_id": "5285890812345678901",
    "start_time": 1703731478,
    "start_time_usec": 120000,
    "stream_id": "room_42",
    "stream_param": STREAM_PARAM,
    "task_id": "",
    "video_url": (
        "http://1250000001.vod2.myqcloud.com/abcd1234vodcq1250000001"
        "/5285890812345678901/playlist.m3u8"
    ),
}

SNAPSHOT_EXAMPLE: dict[str, Any] = {
    "app": "push.example.com",
    "appname": "live",
    "channel_id": "room_42",
    "create_time": 1703731800,
    "event_type": 200,
    "file_size": 30670,
    "height": 720,
    "pic_full_url": (
        "http://snap-1250000001.cos.ap-guangzhou.myqcloud.com"
        "/room_42/room_42-screenshot-10-10-00-1280x720.jpg"
    ),
    "pic_url": "/room_42/room_42-screenshot-10-10-00-1280x720.jpg",
    "stream_id": "room_42",
    "stream_param": STREAM_PARAM,
    "width": 1280,
}

# The example's snapshot name was composed by hand; the name depends on the
# time of the picture, so only its pattern is compared.
NAMED_BY_TIME = {"pic_url", "pic_full_url"}
PIC_URL = re.compile(r"^/(\w+)/\1-screenshot-\d\d-\d\d-\d\d-\d+x\d+\.jpg$")

Builder = Callable[..., dict[str, Any]]
EXAMPLES: list[tuple[str, Builder, dict[str, Any]]] = [
    ("push", push_body, PUSH_EXAMPLE),
    ("stop", stop_body, STOP_EXAMPLE),
    ("record", record_body, RECORD_EXAMPLE),
    ("snapshot", snapshot_body, SNAPSHOT_EXAMPLE),
]
EXAMPLE_BY_KIND = {name: example for name, _, example in EXAMPLES}
CASES = pytest.mark.parametrize(
    ("builder", "example"),
    [(builder, example) for _, builder, example in EXAMPLES],
    ids=[name for name, _, _ in EXAMPLES],
)


def world_bodies() -> dict[str, dict[str, Any]]:
    world = World(clock=lambda: 1703731478.0)
    (push,) = world.push("room_42")
    (record,) = world.record("room_42")
    (snapshot,) = world.snapshot("room_42")
    (stop,) = world.stop("room_42")
    return {"push": push, "stop": stop, "record": record, "snapshot": snapshot}


@CASES
def test_builder_gives_exactly_the_examples_fields(
    builder: Builder, example: dict[str, Any]
) -> None:
    """A body has the example's fields, no more and no fewer."""
    assert set(builder()) == set(example)


@CASES
def test_every_field_has_the_examples_json_type(
    builder: Builder, example: dict[str, Any]
) -> None:
    """Each field has the JSON type the example shows (string, integer)."""
    body = json.loads(json.dumps(builder()))

    types = {name: type(value) for name, value in body.items()}
    assert types == {name: type(value) for name, value in example.items()}


@CASES
def test_defaults_reproduce_the_example(
    builder: Builder, example: dict[str, Any]
) -> None:
    """With no arguments a builder gives the example's values."""
    body = builder()

    for name in set(example) - NAMED_BY_TIME:
        assert body[name] == example[name], name


@pytest.mark.parametrize("kind", list(EXAMPLE_BY_KIND))
def test_world_bodies_have_the_examples_fields_and_types(kind: str) -> None:
    """Bodies the World emits keep the example's field set and JSON types."""
    example = EXAMPLE_BY_KIND[kind]
    body = json.loads(json.dumps(world_bodies()[kind]))

    assert set(body) == set(example)
    assert {k: type(v) for k, v in body.items()} == {
        k: type(v) for k, v in example.items()
    }


@CASES
def test_channel_id_repeats_stream_id(
    builder: Builder, example: dict[str, Any]
) -> None:
    """channel_id is the stream name, the same as stream_id."""
    body = builder(stream="desk_7")

    assert body["stream_id"] == body["channel_id"] == "desk_7"


def test_event_types_are_tencents_numbers() -> None:
    """push is 1, stop 0, record 100, snapshot 200, as integers."""
    types = [builder()["event_type"] for _, builder, _ in EXAMPLES]

    assert types == [1, 0, 100, 200]


def test_push_reports_errcode_0_and_ok() -> None:
    """A push carries errcode 0 (an int) and errmsg "ok"."""
    body = push_body()

    assert (body["errcode"], body["errmsg"]) == (0, "ok")


def test_sequence_is_a_decimal_string_shared_by_push_and_stop() -> None:
    """sequence is a string of digits, the same in a session's push and stop."""
    push = push_body(sequence="9007199254740993123")
    stop = stop_body(sequence="9007199254740993123")

    assert push["sequence"] == stop["sequence"] == "9007199254740993123"
    assert isinstance(push["sequence"], str)


def test_world_session_shares_one_decimal_sequence() -> None:
    """The World's push and stop of one session carry the same decimal string."""
    bodies = world_bodies()

    assert bodies["push"]["sequence"] == bodies["stop"]["sequence"]
    assert bodies["push"]["sequence"].isdigit()


def test_push_duration_is_a_string_of_milliseconds() -> None:
    """A stop reports push_duration as a decimal string of milliseconds."""
    body = stop_body(push_duration_ms=61_500)

    assert body["push_duration"] == "61500"


def test_world_push_duration_counts_milliseconds() -> None:
    """A World session of 90 seconds reports push_duration "90000"."""
    now = [1703731478.0]
    world = World(clock=lambda: now[0])
    world.push("room_42")
    now[0] += 90

    (stop,) = world.stop("room_42")

    assert stop["push_duration"] == "90000"


def test_stop_errcode_is_an_int_with_tencents_text() -> None:
    """errcode is an integer and errmsg Tencent's documented text for it."""
    body = stop_body(errcode=3)

    assert body["errcode"] == 3
    assert body["errmsg"] == "recv() return 0"


@pytest.mark.parametrize(
    ("errcode", "errmsg"),
    [
        (1, "recv rtmp deleteStream"),
        (2, "recv rtmp closeStream"),
        (3, "recv() return 0"),
        (4, "recv() return error"),
        (7, "rtmp message large than 1M"),
        (18, "push url maybe invalid"),
        (19, "3rdparty auth failed"),
    ],
)
def test_documented_stop_reasons_carry_their_documented_text(
    errcode: int, errmsg: str
) -> None:
    """Stop codes with published errmsg text send exactly that text."""
    assert errmsg_for(errcode) == errmsg


def test_sub_errcode_is_absent_unless_given() -> None:
    """sub_errcode is sent only when a reason has one, and then as an int."""
    assert "sub_errcode" not in stop_body()
    assert stop_body(errcode=21, sub_errcode=100)["sub_errcode"] == 100


def test_record_file_ids_agree() -> None:
    """record_file_id repeats file_id."""
    body = record_body(file_id="42")

    assert body["record_file_id"] == body["file_id"] == "42"


def test_record_callback_ext_is_json_text() -> None:
    """callback_ext is a JSON string naming codec, resolution and session."""
    body = record_body(width=640, height=360, session_id="77")

    assert json.loads(body["callback_ext"]) == {
        "video_codec": "h264",
        "resolution": "640x360",
        "session_id": "77",
    }


def test_snapshot_has_no_appid() -> None:
    """The snapshot body carries no appid, as the reference's field list."""
    assert "appid" not in snapshot_body()


def test_snapshot_pic_url_is_a_path_and_pic_full_url_its_download_url() -> None:
    """pic_url is the object path; pic_full_url is the storage host plus it."""
    body = snapshot_body(stream="desk_7", width=960, height=540)

    assert PIC_URL.match(body["pic_url"])
    assert body["pic_url"].endswith("-960x540.jpg")
    host = "http://snap-1250000001.cos.ap-guangzhou.myqcloud.com"
    assert body["pic_full_url"] == host + body["pic_url"]


def masked_time(text: str) -> str:
    """The text with a snapshot name's HH-MM-SS replaced by a placeholder."""
    return re.sub(r"-screenshot-\d\d-\d\d-\d\d-", "-screenshot-TIME-", text)


@pytest.mark.parametrize("source", ["builder", "world"])
def test_snapshot_names_are_the_examples_but_for_the_time(source: str) -> None:
    """pic_url and pic_full_url equal the example's once the picture time is masked."""
    body = snapshot_body() if source == "builder" else world_bodies()["snapshot"]

    for name in sorted(NAMED_BY_TIME):
        assert masked_time(body[name]) == masked_time(SNAPSHOT_EXAMPLE[name]), name
