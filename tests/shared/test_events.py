"""Specification of the callback event models in shared.events."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from shared.errors import PayloadError
from shared.events import (
    EVENT_NAMES,
    EVENT_TYPES,
    ImageAuditEvent,
    LiveSummaryEvent,
    MonitorEvent,
    PushEvent,
    PushExceptionEvent,
    RecordEvent,
    RecordExceptionEvent,
    RecordStatusEvent,
    RelayEvent,
    SnapshotEvent,
    StopEvent,
    UnknownEvent,
    event_code,
    event_name,
    parse_event,
)
from shared.signing import make_sign
from tests.fixtures.loader import SAMPLE_KEY, event_names, load_event
from tests.fresh import modules_loaded_by

EXPECTED_MODEL: dict[str, type[BaseModel]] = {
    "image_audit": ImageAuditEvent,
    "live_summary": LiveSummaryEvent,
    "monitor": MonitorEvent,
    "push": PushEvent,
    "push_exception": PushExceptionEvent,
    "push_extra_fields": PushEvent,
    "push_no_record": PushEvent,
    "push_sequence_int": PushEvent,
    "push_t_string": PushEvent,
    "record": RecordEvent,
    "record_2017": RecordEvent,
    "record_exception": RecordExceptionEvent,
    "record_legacy": RecordEvent,
    "record_status": RecordStatusEvent,
    "relay": RelayEvent,
    "snapshot": SnapshotEvent,
    "snapshot_with_appid": SnapshotEvent,
    "stop": StopEvent,
    "stop_close_stream": StopEvent,
    "stop_sub_errcode": StopEvent,
    "unknown_event": UnknownEvent,
}

# Samples whose values arrive in a form the models normalise (t, sequence or
# push_duration sent with the other JSON type).
NORMALISED = {
    "push_t_string",
    "push_sequence_int",
    "stop_close_stream",
    "record_legacy",
}

STREAM_KEYS: dict[str, tuple[str, str, str] | None] = {
    "image_audit": ("push.example.com", "live", "room_42"),
    "live_summary": ("push.example.com", "live", "room_42"),
    "monitor": ("", "", "room_42"),
    "push": ("push.example.com", "live", "room_42"),
    "push_exception": ("push.example.com", "live", "room_42"),
    "push_extra_fields": ("push.example.com", "live", "room_42"),
    "push_no_record": ("push.example.com", "live", "room_43"),
    "push_sequence_int": ("push.example.com", "live", "room_42"),
    "push_t_string": ("push.example.com", "live", "room_42"),
    "record": ("push.example.com", "live", "room_42"),
    "record_2017": ("", "", "room_43"),
    "record_exception": ("", "", "room_42"),
    "record_legacy": ("", "", "room_44"),
    "record_status": ("push.example.com", "live", "room_42"),
    "relay": ("", "", "room_42_relay"),
    "snapshot": ("push.example.com", "live", "room_42"),
    "snapshot_with_appid": ("push.example.com", "live", "room_42"),
    "stop": ("push.example.com", "live", "room_42"),
    "stop_close_stream": ("push.example.com", "live", "room_43"),
    "stop_sub_errcode": ("push.example.com", "live", "room_42"),
    "unknown_event": None,
}

EVENT_SECONDS: dict[str, int | None] = {
    "image_audit": 1703731920,
    "live_summary": 1703732100,
    "monitor": 1703731700,
    "push": 1703731478,
    "push_exception": 1703731600,
    "push_extra_fields": 1703731500,
    "push_no_record": 1506308400,
    "push_sequence_int": 1703731478,
    "push_t_string": 1703731478,
    "record": 1703735098,
    "record_2017": 1506308486,
    "record_exception": 1703732400,
    "record_legacy": 1490001800,
    "record_status": 1703731480,
    "relay": None,
    "snapshot": 1703731800,
    "snapshot_with_appid": 1703731800,
    "stop": 1703735100,
    "stop_close_stream": 1506308486,
    "stop_sub_errcode": 1703734000,
    "unknown_event": None,
}

SAMPLES = sorted(EXPECTED_MODEL)


def resigned(body: dict[str, Any], later: int = 60) -> dict[str, Any]:
    """Return the body as a retry would carry it: same fields, a new t and sign."""
    t = int(body.get("t", 1703732078)) + later
    return {**body, "t": t, "sign": make_sign(SAMPLE_KEY, t)}


def refusal(body: Any) -> PayloadError:
    """Parse a body that must be refused and return the error."""
    with pytest.raises(PayloadError) as caught:
        parse_event(body)
    return caught.value


# Samples and dispatch


def test_every_sample_has_expectations() -> None:
    """Each sample file is listed in every expectation table, and nothing else is."""
    names = set(event_names())
    assert names == set(EXPECTED_MODEL) == set(STREAM_KEYS) == set(EVENT_SECONDS)


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_parses_to_its_model(name: str) -> None:
    """Each sample becomes the model its event_type names."""
    assert type(parse_event(load_event(name))) is EXPECTED_MODEL[name]


@pytest.mark.parametrize("name", [n for n in SAMPLES if n != "relay"])
def test_sample_sign_matches_the_sample_key(name: str) -> None:
    """Every signed sample carries MD5(key + t) for the sample key."""
    body = load_event(name)
    assert body["sign"] == make_sign(SAMPLE_KEY, body["t"])


def test_relay_sample_is_unsigned_like_tencent_examples() -> None:
    """The 314 sample has no t or sign, and parses all the same."""
    body = load_event("relay")
    event = parse_event(body)
    assert "t" not in body
    assert "sign" not in body
    assert event.t is None
    assert event.sign is None


def test_every_event_type_dispatches_to_its_model() -> None:
    """A bare body of each documented event_type gives that type's model."""
    for code, model in EVENT_TYPES.items():
        assert type(parse_event({"event_type": code})) is model


def test_undocumented_event_type_keeps_the_body() -> None:
    """An unknown event_type gives an UnknownEvent holding every field."""
    body = load_event("unknown_event")
    event = parse_event(body)
    assert isinstance(event, UnknownEvent)
    assert event.event_type == 999
    assert event.body() == body


def test_event_type_as_digit_string_is_accepted() -> None:
    """A digit-string event_type, as legacy documents show it, dispatches."""
    event = parse_event({**load_event("push"), "event_type": "1"})
    assert isinstance(event, PushEvent)
    assert event.event_type == 1


def test_model_refuses_another_event_type() -> None:
    """A model validated directly refuses a body of another event_type."""
    with pytest.raises(ValidationError):
        PushEvent.model_validate(load_event("stop"))


def test_validating_an_event_again_keeps_its_body() -> None:
    """Validating an existing event returns it with its body intact."""
    event = parse_event(load_event("push"))
    assert PushEvent.model_validate(event).body() == load_event("push")


# Names


def test_every_event_type_has_a_unique_name() -> None:
    """The name table covers exactly the documented types, each name once."""
    assert set(EVENT_NAMES) == set(EVENT_TYPES)
    assert len(set(EVENT_NAMES.values())) == len(EVENT_NAMES)


def test_event_name_of_push_and_of_unknown() -> None:
    """event_name gives the short name, and ``unknown`` for other codes."""
    assert event_name(1) == "push"
    assert event_name(0) == "stop"
    assert event_name(999) == "unknown"


# Wire names, extras and the raw body


@pytest.mark.parametrize("name", SAMPLES)
def test_wire_names_round_trip(name: str) -> None:
    """Dumping an event gives back exactly the keys Tencent sent."""
    body = load_event(name)
    assert set(parse_event(body).model_dump(exclude_unset=True)) == set(body)


@pytest.mark.parametrize("name", sorted(set(SAMPLES) - NORMALISED))
def test_dump_equals_the_body_when_nothing_was_normalised(name: str) -> None:
    """With every value already in its usual type, the dump is the body."""
    body = load_event(name)
    assert parse_event(body).model_dump(exclude_unset=True) == body


@pytest.mark.parametrize("name", SAMPLES)
def test_dump_validates_back_to_the_same_fields(name: str) -> None:
    """A dumped event validates back to an event with the same fields."""
    event = parse_event(load_event(name))
    again = parse_event(event.model_dump(exclude_unset=True))
    assert again.model_dump() == event.model_dump()


@pytest.mark.parametrize("name", SAMPLES)
def test_body_returns_the_body_as_received(name: str) -> None:
    """body() returns the received dict, before normalisation."""
    body = load_event(name)
    assert parse_event(body).body() == body


def test_body_is_a_copy() -> None:
    """Changing what body() returned, or the dict parsed, leaves the event alone."""
    received = load_event("push_exception")
    event = parse_event(received)
    received["abnormal_event"].clear()
    event.body()["abnormal_event"].clear()
    assert event.body() == load_event("push_exception")


def test_unknown_fields_are_kept_as_extras() -> None:
    """Fields no model declares stay on the event as extras."""
    event = parse_event(load_event("push_extra_fields"))
    assert event.model_extra == {
        "client_version": "obs-29.1",
        "network": {"rtt_ms": 42, "loss": [0, 1]},
        "new_flag": True,
    }


def test_fields_of_unconfirmed_shape_stay_extras() -> None:
    """The 341 exception, 317 scores and 348 summary stay as received."""
    exception = parse_event(load_event("record_exception")).model_extra or {}
    audit = parse_event(load_event("image_audit")).model_extra or {}
    summary = parse_event(load_event("live_summary")).model_extra or {}
    assert exception["exception"]["type"] == -17
    assert audit["socre"] == 99
    assert summary["key_words"] == ["bedding", "cotton", "discount"]


def test_events_are_frozen() -> None:
    """An event cannot be changed after parsing."""
    event = parse_event(load_event("push"))
    assert isinstance(event, PushEvent)
    with pytest.raises(ValidationError):
        event.stream_id = "other"


# Tolerance


def test_t_as_digit_string_becomes_an_int() -> None:
    """A digit-string t is read as the same int."""
    event = parse_event(load_event("push_t_string"))
    assert event.t == 1703732078


def test_sequence_as_int_becomes_its_decimal_string() -> None:
    """An int sequence is kept as its exact decimal string."""
    event = parse_event(load_event("push_sequence_int"))
    assert isinstance(event, PushEvent)
    assert event.sequence == "2210464508206756938"


def test_push_duration_as_int_becomes_text() -> None:
    """An int push_duration is kept as milliseconds in text."""
    event = parse_event(load_event("stop_close_stream"))
    assert isinstance(event, StopEvent)
    assert event.push_duration == "86000"


def test_seq_as_int_becomes_text() -> None:
    """An int seq on a recording status is kept as text."""
    event = parse_event({**load_event("record_status"), "seq": 7})
    assert isinstance(event, RecordStatusEvent)
    assert event.seq == "7"


def test_errmsg_is_free_text() -> None:
    """errmsg variants seen in real payloads are kept verbatim."""
    stop = parse_event(load_event("stop_close_stream"))
    push = parse_event(load_event("push_no_record"))
    assert isinstance(stop, StopEvent)
    assert isinstance(push, PushEvent)
    assert stop.errmsg == "recv rtmpcloseStream"
    assert push.errmsg == "Maybe Error return Data no record!"
    assert push.errcode == 0


def test_sub_errcode_is_read_when_sent() -> None:
    """A stop carrying sub_errcode exposes it."""
    event = parse_event(load_event("stop_sub_errcode"))
    assert isinstance(event, StopEvent)
    assert (event.errcode, event.sub_errcode) == (21, 100)


def test_old_record_without_app_and_with_video_id() -> None:
    """A 2017-era record has no app/appname and carries video_id."""
    event = parse_event(load_event("record_2017"))
    assert isinstance(event, RecordEvent)
    assert event.app is None
    assert event.appname is None
    assert event.video_id == "5158_0c5d1e2f3a4b4c5d6e7f8091a2b3c4d5"


def test_legacy_record_with_only_record_file_id() -> None:
    """A live-code era record carries record_file_id, vod2Flag and a text t."""
    event = parse_event(load_event("record_legacy"))
    assert isinstance(event, RecordEvent)
    assert event.file_id is None
    assert event.record_file_id == "9031868223267100002"
    assert event.vod2Flag == 1
    assert event.t == 1490002400


def test_snapshot_without_appid() -> None:
    """The documented snapshot has no appid; one that has it is read too."""
    bare = parse_event(load_event("snapshot"))
    full = parse_event(load_event("snapshot_with_appid"))
    assert isinstance(bare, SnapshotEvent)
    assert isinstance(full, SnapshotEvent)
    assert bare.appid is None
    assert full.appid == 1250000001


def test_image_audit_keeps_camel_case_wire_names() -> None:
    """317 exposes streamId and channelId under Tencent's own names."""
    event = parse_event(load_event("image_audit"))
    assert isinstance(event, ImageAuditEvent)
    assert (event.streamId, event.channelId, event.type) == ("room_42", "room_42", [1])


def test_push_exception_details_are_typed() -> None:
    """321 anomalies are read as typed entries with their occurrences."""
    event = parse_event(load_event("push_exception"))
    assert isinstance(event, PushExceptionEvent)
    assert event.abnormal_event is not None
    first = event.abnormal_event[0]
    assert (first.type, first.count) == (6, 2)
    assert first.detail is not None
    assert first.detail[0].occur_time == 1703731570569


def test_null_t_counts_as_absent() -> None:
    """A null t is read as no t; the signature check decides what that means."""
    assert parse_event({**load_event("push"), "t": None}).t is None


# Refusals: each names the field and never the value


def test_missing_event_type_is_refused() -> None:
    """A body without event_type is refused."""
    body = load_event("push")
    del body["event_type"]
    assert "event_type" in str(refusal(body))


@pytest.mark.parametrize(
    "value",
    [1.0, True, False, [1], None, {"code": 1}, "1.0", "-1", " 1", "１", "9" * 13],
    ids=repr,
)
def test_event_type_that_is_not_an_integer_is_refused(value: object) -> None:
    """event_type must be an int or ASCII digits; nothing else dispatches."""
    message = str(refusal({**load_event("push"), "event_type": value}))
    assert "event_type" in message
    assert repr(value) not in message


def test_body_that_is_not_an_object_is_refused() -> None:
    """A JSON array or text is not a callback body."""
    assert "object" in str(refusal([{"event_type": 1}]))
    assert "object" in str(refusal("event_type=1"))


def test_body_with_a_non_string_key_is_refused() -> None:
    """Keys must be strings, as in any JSON object."""
    assert "key" in str(refusal({"event_type": 1, 5: "x"}))


def test_stream_id_that_is_not_a_string_is_refused() -> None:
    """A numeric stream_id is refused, naming the field only."""
    message = str(refusal({**load_event("push"), "stream_id": 918273645}))
    assert "stream_id" in message
    assert "918273645" not in message


def test_errcode_bool_is_refused() -> None:
    """A bool never passes as an int errcode."""
    message = str(refusal({**load_event("stop"), "errcode": True}))
    assert "errcode" in message
    assert "True" not in message


def test_errcode_digit_string_is_refused() -> None:
    """Only t and event_type accept digits as text; errcode must be an int."""
    assert "errcode" in str(refusal({**load_event("stop"), "errcode": "7"}))


def test_t_float_is_refused() -> None:
    """A float t is refused, as the signature check would refuse it."""
    message = str(refusal({**load_event("push"), "t": 1703732078.5}))
    assert "t (" in message
    assert "1703732078" not in message


@pytest.mark.parametrize("value", ["", "-5", "17037x", True, -1], ids=repr)
def test_t_that_parse_t_refuses_is_refused(value: object) -> None:
    """t is as strict here as in shared.signing.parse_t."""
    assert "t (" in str(refusal({**load_event("push"), "t": value}))


def test_sequence_float_is_refused() -> None:
    """A float sequence could lose digits, so it is refused."""
    message = str(refusal({**load_event("push"), "sequence": 2.5}))
    assert "sequence" in message
    assert "2.5" not in message


def test_sign_that_is_not_a_string_is_refused() -> None:
    """A non-string sign is refused without echoing it."""
    message = str(refusal({**load_event("push"), "sign": 31415926}))
    assert "sign" in message
    assert "31415926" not in message


def test_nested_field_is_named_by_its_path() -> None:
    """A bad value deep in a 321 body is named by its path, not its value."""
    body = load_event("push_exception")
    body["abnormal_event"][1]["detail"][0]["occur_time"] = "SECRET-TEXT"
    message = str(refusal(body))
    assert "abnormal_event.1.detail.0.occur_time" in message
    assert "SECRET-TEXT" not in message


def test_body_that_is_not_json_data_is_refused() -> None:
    """A value JSON cannot hold (bytes) is refused as a whole-body problem."""
    message = str(refusal({**load_event("push"), "blob": b"secret-bytes"}))
    assert "body" in message
    assert "secret-bytes" not in message


@pytest.mark.parametrize(
    ("sample", "field", "value"),
    [
        ("push", "event_type", 2**31),
        ("push", "event_type", -(2**31) - 1),
        ("push", "event_type", "999999999999"),
        ("stop", "errcode", 2**31),
        ("stop", "errcode", -(2**31) - 1),
        ("stop_sub_errcode", "sub_errcode", 2**40),
        ("push", "event_time", 2**63),
        ("push", "event_time", -1),
        ("monitor", "event_time", 2**53 + 1),
        ("record", "end_time", 10**30),
        ("push_exception", "data_time", 2**64),
        ("record_exception", "timestamp", -5),
    ],
    ids=repr,
)
def test_integer_outside_its_column_is_refused(
    sample: str, field: str, value: object
) -> None:
    """Codes past 32 bits and times outside 0..2**53 are refused by name, as a
    wrong type is, before they could fail at the store's integer columns."""
    message = str(refusal({**load_event(sample), field: value}))

    assert field in message
    assert str(value) not in message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("event_type", 2**31 - 1),
        ("event_type", -(2**31)),
        ("errcode", -(2**31)),
        ("sub_errcode", 2**31 - 1),
        ("event_time", 0),
        ("event_time", 2**53),
    ],
)
def test_integer_at_the_edge_of_its_range_is_accepted(field: str, value: int) -> None:
    """The bounds themselves are inside the range."""
    body = {**load_event("stop"), field: value}

    assert parse_event(body).model_dump()[field] == value


def test_nested_time_out_of_range_is_named_by_its_path() -> None:
    """A 321 occurrence time past the range names its path."""
    body = load_event("push_exception")
    body["abnormal_event"][0]["detail"][1]["occur_time"] = 2**60
    assert "abnormal_event.0.detail.1.occur_time" in str(refusal(body))


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (1, 1),
        ("321", 321),
        (-7, -7),
        (2**31 - 1, 2**31 - 1),
        (2**31, None),
        (10**30, None),
        ("999999999999", None),
        ("9" * 13, None),
        (True, None),
        (1.0, None),
        (None, None),
    ],
    ids=repr,
)
def test_event_code_reads_what_dispatch_reads_within_range(
    value: object, code: int | None
) -> None:
    """event_code gives the type a store column can hold, or None."""
    assert event_code({"event_type": value}) == code


def test_event_code_of_a_body_without_event_type_is_none() -> None:
    """No event_type, no code."""
    assert event_code({"stream_id": "s"}) is None


def test_refusal_never_shows_the_sign_or_carries_the_validation_error() -> None:
    """The error hides the sign and keeps no link to pydantic's error."""
    body = {**load_event("push"), "errcode": "x"}
    error = refusal(body)
    assert body["sign"] not in str(error)
    assert error.__cause__ is None
    assert error.__context__ is None
    assert error.code == "bad_payload"


# Deduplication


@pytest.mark.parametrize("name", SAMPLES)
def test_dedup_key_ignores_a_new_t_and_sign(name: str) -> None:
    """A retry signed again has the same dedup key as the first delivery."""
    body = load_event(name)
    first = parse_event(body).dedup_key()
    assert parse_event(resigned(body)).dedup_key() == first


def test_push_dedup_key_is_type_stream_and_sequence() -> None:
    """A push is identified by its type, domain/app/stream and sequence."""
    key = parse_event(load_event("push")).dedup_key()
    assert key == "1:push.example.com/live/room_42:2210464508206756938"


def test_push_and_stop_of_one_session_differ() -> None:
    """The push and the stop of one session share a sequence, not a key."""
    push = parse_event(load_event("push")).dedup_key()
    stop = parse_event(load_event("stop")).dedup_key()
    assert push != stop


def test_pushes_with_different_sequences_differ() -> None:
    """Two publishing sessions of one stream have different keys."""
    body = load_event("push")
    other = parse_event({**body, "sequence": "2210464508206756939"})
    assert parse_event(body).dedup_key() != other.dedup_key()


def test_same_sequence_on_another_domain_differs() -> None:
    """A sequence repeated on another push domain is another event."""
    body = load_event("push")
    other = parse_event({**body, "app": "push.other.com"})
    assert parse_event(body).dedup_key() != other.dedup_key()


def test_sequence_as_int_or_text_gives_one_key() -> None:
    """The same push with an int or a text sequence is one event."""
    text = parse_event(load_event("push")).dedup_key()
    number = parse_event(load_event("push_sequence_int")).dedup_key()
    assert text == number


def test_push_without_sequence_falls_back_to_the_body_hash() -> None:
    """Without a sequence, a push is identified by its body minus t and sign."""
    body = load_event("push")
    del body["sequence"]
    key = parse_event(body).dedup_key()
    assert key.startswith("1:sha256:")
    assert parse_event(resigned(body)).dedup_key() == key
    assert parse_event({**body, "event_time": 1}).dedup_key() != key


def test_push_with_empty_sequence_falls_back_to_the_body_hash() -> None:
    """An empty sequence identifies nothing, so the body hash is used."""
    key = parse_event({**load_event("push"), "sequence": ""}).dedup_key()
    assert key.startswith("1:sha256:")


def test_record_dedup_key_is_the_file_id() -> None:
    """A recording file is identified by file_id."""
    key = parse_event(load_event("record")).dedup_key()
    assert key == "100:5285890812345678901"


def test_record_falls_back_to_record_file_id() -> None:
    """A record with only record_file_id is identified by it."""
    key = parse_event(load_event("record_legacy")).dedup_key()
    assert key == "100:9031868223267100002"


def test_record_without_any_file_id_uses_the_body_hash() -> None:
    """A record naming no file is identified by its body."""
    body = load_event("record")
    del body["file_id"], body["record_file_id"]
    assert parse_event(body).dedup_key().startswith("100:sha256:")


def test_snapshot_dedup_key_is_the_pic_url() -> None:
    """A snapshot is identified by its picture path."""
    key = parse_event(load_event("snapshot")).dedup_key()
    assert key == "200:/room_42/room_42-screenshot-10-10-00-1280x720.jpg"


def test_snapshot_without_pic_url_uses_the_body_hash() -> None:
    """A snapshot naming no picture is identified by its body."""
    body = load_event("snapshot")
    del body["pic_url"]
    assert parse_event(body).dedup_key().startswith("200:sha256:")


def test_other_events_differ_when_a_field_differs() -> None:
    """The body hash of a 321 changes with any field other than t and sign."""
    body = load_event("push_exception")
    key = parse_event(body).dedup_key()
    assert key.startswith("321:sha256:")
    assert len(key) == len("321:sha256:") + 64
    assert parse_event({**body, "data_time": 1703731660123}).dedup_key() != key


def test_body_hash_ignores_key_order() -> None:
    """The same fields in another order hash the same."""
    body = load_event("record_status")
    reordered = dict(reversed(list(body.items())))
    assert parse_event(reordered).dedup_key() == parse_event(body).dedup_key()


# Streams and times


@pytest.mark.parametrize("name", SAMPLES)
def test_stream_key_per_sample(name: str) -> None:
    """Each sample names its (domain, app, stream), or None without a stream."""
    assert parse_event(load_event(name)).stream_key() == STREAM_KEYS[name]


def test_stream_key_falls_back_to_channel_id() -> None:
    """Without stream_id, the historical channel_id names the stream."""
    body = load_event("push")
    del body["stream_id"]
    assert parse_event(body).stream_key() == ("push.example.com", "live", "room_42")


def test_push_exception_falls_back_to_appname() -> None:
    """A 321 without path takes the AppName from appname."""
    body = load_event("push_exception")
    del body["path"]
    event = parse_event({**body, "appname": "live2"})
    assert event.stream_key() == ("push.example.com", "live2", "room_42")


def test_event_without_a_stream_has_no_stream_key() -> None:
    """A push with no stream_id, or only spaces, has no stream key."""
    body = load_event("push")
    del body["stream_id"], body["channel_id"]
    assert parse_event(body).stream_key() is None
    assert parse_event({**body, "stream_id": "  "}).stream_key() is None


@pytest.mark.parametrize("name", SAMPLES)
def test_event_time_seconds_per_sample(name: str) -> None:
    """Each sample gives the time it happened, in UNIX seconds."""
    assert parse_event(load_event(name)).event_time_seconds() == EVENT_SECONDS[name]


def test_event_time_seconds_is_none_without_the_field() -> None:
    """A push without event_time has no known time."""
    body = load_event("push")
    del body["event_time"]
    assert parse_event(body).event_time_seconds() is None


# Import cost


def test_import_loads_no_http_or_web_library() -> None:
    """Importing shared.events pulls in pydantic and the stdlib, nothing heavier."""
    loaded = {name.split(".")[0] for name in modules_loaded_by("import shared.events")}

    heavy = {"requests", "flask", "functions_framework", "psycopg", "tencentcloud"}
    assert heavy.isdisjoint(loaded)
    assert "pydantic" in loaded


# Arbitrary input


FIELD_NAMES = sorted(
    {
        name
        for model in (*EVENT_TYPES.values(), UnknownEvent)
        for name in model.model_fields
    }
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
EVENT_TYPE_VALUES = (
    st.sampled_from(sorted(EVENT_TYPES))
    | st.from_regex(r"[0-9]{1,14}", fullmatch=True)
    | JSON_VALUES
)
ARBITRARY_BODIES = st.dictionaries(
    st.sampled_from(FIELD_NAMES) | st.text(max_size=10), JSON_VALUES, max_size=10
)
TYPED_BODIES = st.builds(
    lambda body, code: {**body, "event_type": code}, ARBITRARY_BODIES, EVENT_TYPE_VALUES
)
MUTATED_SAMPLES = st.builds(
    lambda name, field, value: {**load_event(name), field: value},
    st.sampled_from(SAMPLES),
    st.sampled_from(FIELD_NAMES),
    JSON_VALUES,
)


@settings(max_examples=400, deadline=None, database=None, derandomize=True)
@given(ARBITRARY_BODIES | TYPED_BODIES | MUTATED_SAMPLES)
@example({"event_type": 2**31})
@example({"event_type": 10**30})
@example({**load_event("push"), "event_time": 2**63})
@example({**load_event("stop"), "errcode": 2**31})
@example({**load_event("stop"), "sub_errcode": 2**40})
@example({**load_event("monitor"), "event_time": -1})
def test_arbitrary_json_never_raises_anything_but_payload_error(
    body: dict[str, Any],
) -> None:
    """Any JSON object is parsed or refused with PayloadError, and helpers hold."""
    try:
        event = parse_event(body)
    except PayloadError:
        return
    assert event.body() == json.loads(json.dumps(body))
    assert event.dedup_key()
    key = event.stream_key()
    assert key is None or all(isinstance(part, str) for part in key)
    seconds = event.event_time_seconds()
    assert seconds is None or 0 <= seconds <= 2**53
    assert event_code(body) == event.event_type
