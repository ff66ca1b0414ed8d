"""Every sample event through every front door, and generated bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared import EventStatus, Store, parse_event
from tests.fixtures.loader import event_names, load_event
from tests.functions.callback.conftest import KEY, Callback, signed


@pytest.mark.parametrize("name", event_names())
def test_every_sample_is_stored_through_every_door(
    callback: Callback, reader: Store, door: str, name: str
) -> None:
    """Each sample, freshly signed, is answered 200 and stored once as applied."""
    body = signed(load_event(name))

    first = callback.deliver(door, body)
    again = callback.deliver(door, signed(load_event(name)))

    assert (first.status, first.json) == (200, {"code": 0})
    assert again.status == 200
    [stored] = reader.events()
    assert stored.record.status is EventStatus.APPLIED
    assert stored.record.dedup_key == parse_event(body).dedup_key()
    assert json.loads(stored.record.body) == body


def test_push_exception_queues_an_alert(callback: Callback, reader: Store) -> None:
    """A 321 push exception event puts an alert in the outbox."""
    callback.http(signed(load_event("push_exception")))

    [alert] = reader.pending_alerts()
    assert alert.kind == "push_exception"
    assert alert.detail["types"]


def test_record_exception_queues_an_alert(callback: Callback, reader: Store) -> None:
    """A 341 recording exception event puts an alert in the outbox."""
    callback.http(signed(load_event("record_exception")))

    [alert] = reader.pending_alerts()
    assert alert.kind == "record_exception"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner),
    max_leaves=10,
)

_FIELDS = st.sampled_from(
    ["event_type", "stream_id", "sequence", "event_time", "errcode", "app", "t"]
)


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    """Sample-like bodies with some fields replaced by arbitrary JSON."""
    body = load_event(draw(st.sampled_from(event_names())))
    for field in draw(st.lists(_FIELDS, max_size=3)):
        body[field] = draw(_JSON)
    if draw(st.booleans()):
        return signed(body) if draw(st.booleans()) else body
    return body


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=bodies())
def test_generated_bodies_never_get_a_server_error(
    callback: Callback, body: dict[str, Any]
) -> None:
    """Whatever the body holds, the answer is a JSON 2xx or 4xx, never a 5xx."""
    answer = callback.http(body)

    assert answer.status < 500, answer.json
    assert KEY not in answer.text
