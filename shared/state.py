"""Stream state and the rule that keeps it right when events come out of order.

Tencent delivers push (1) and stop (0) callbacks at least once and in no
guaranteed order; the poller adds observations of its own. Every source
proposes a :class:`Transition`, and :func:`decide` says whether it moves the
stream, using two facts Tencent gives us: the ``sequence`` shared by the push
and the stop of one publishing session, and the ``event_time`` of each event.

The rule, in order:

1. A stop of the session the stream is in always ends it, whatever the clock
   says: nothing in a session comes after its stop.
2. A push of a session that has already stopped is stale: the stop won.
3. A push refused at admission (errcode 18) never went live, so its stop does
   not end another session that is live, unless it says the stream is
   forbidden (18/305): a forbid has then ended that session too.
4. Otherwise an event older than the last one applied is stale, and so is an
   event of the same age from another session when the stream is live in its
   own session (a late stop of the previous session must not end the new one).
5. Everything else applies.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

__all__ = ["StreamKey", "StreamState", "Transition", "decide", "state_after_stop"]

State = Literal["live", "offline", "forbidden"]


@dataclass(frozen=True, order=True)
class StreamKey:
    """Identifies a stream: push domain, AppName and stream name."""

    domain: str
    app: str
    name: str

    def __str__(self) -> str:
        return f"{self.domain}/{self.app}/{self.name}"


@dataclass(frozen=True)
class Transition:
    """A change one event or observation proposes for a stream.

    Attributes:
        kind: ``push`` starts a session, ``stop`` ends one.
        sequence: the publishing session's id, when the source knows it.
        event_time: UNIX seconds at which the change happened.
        source: ``callback`` or ``poll``.
        errcode: the stop's errcode (None for a push).
        sub_errcode: the stop's sub_errcode, when Tencent sent one.
    """

    kind: Literal["push", "stop"]
    sequence: str | None
    event_time: int
    source: str = "callback"
    errcode: int | None = None
    sub_errcode: int | None = None


@dataclass(frozen=True)
class StreamState:
    """What the store believes about one stream.

    Attributes:
        key: the stream.
        state: live, offline or forbidden.
        sequence: the session the state belongs to.
        since: UNIX seconds at which the stream entered this state.
        last_event_time: event_time of the last change applied.
        source: where the last applied change came from.
        last_errcode: errcode of the last stop, if any.
        last_sub_errcode: sub_errcode of the last stop, if any.
        stopped: True when the session in ``sequence`` has seen its stop.
    """

    key: StreamKey
    state: State
    sequence: str | None
    since: int
    last_event_time: int
    source: str
    last_errcode: int | None = None
    last_sub_errcode: int | None = None
    stopped: bool = False


#: Stops that leave the stream forbidden rather than merely offline:
#: ForbidLiveStream (21/101) and a push refused because of it (18/305).
_FORBIDDING = frozenset({(21, 101), (18, 305)})

#: The errcode of a push that Tencent refused before it went live.
_REFUSED_AT_ADMISSION = 18


def state_after_stop(errcode: int | None, sub_errcode: int | None) -> State:
    """Return the state a stop leaves the stream in."""
    return "forbidden" if (errcode, sub_errcode) in _FORBIDDING else "offline"


def decide(
    current: StreamState | None, change: Transition, key: StreamKey
) -> StreamState | None:
    """Apply one proposed change, or return None when it is stale.

    Args:
        current: the stored state, or None for a stream never seen.
        change: what the event or observation proposes.
        key: the stream the change is for.

    Returns:
        The new state to store, or None when the change must not move it.
    """
    if current is None:
        return _applied(key, change, since=change.event_time)

    if change.sequence is None and current.state == _target(change):
        # An observation without a session id that agrees with the store adds
        # nothing, and must not reset ``since`` or forget the session.
        return None

    same_session = change.sequence is not None and change.sequence == current.sequence
    if same_session and change.kind == "stop":
        if current.stopped:
            return None
        # The clock may disagree with the session; the store never goes back.
        latest = max(change.event_time, current.last_event_time)
        return replace(_applied(key, change, since=latest), last_event_time=latest)
    if same_session:
        # A push of a stopped session is late; a push of the live one repeats it.
        return None

    if _refused_beside_live(current, change) or _is_older(current, change):
        return None
    return _applied(key, change, since=change.event_time)


def _target(change: Transition) -> State:
    if change.kind == "push":
        return "live"
    return state_after_stop(change.errcode, change.sub_errcode)


def _refused_beside_live(current: StreamState, change: Transition) -> bool:
    # A second publisher with a bad push URL is turned away while the first
    # one goes on streaming; only a forbid ends the first one as well.
    return (
        change.kind == "stop"
        and change.errcode == _REFUSED_AT_ADMISSION
        and _target(change) != "forbidden"
        and current.state == "live"
        and not current.stopped
    )


def _is_older(current: StreamState, change: Transition) -> bool:
    if change.event_time < current.last_event_time:
        return True
    # Same second, another session: a live session keeps the stream.
    return (
        change.event_time == current.last_event_time
        and current.state == "live"
        and not current.stopped
        and change.kind == "stop"
    )


def _applied(key: StreamKey, change: Transition, *, since: int) -> StreamState:
    if change.kind == "push":
        return StreamState(
            key=key,
            state="live",
            sequence=change.sequence,
            since=since,
            last_event_time=change.event_time,
            source=change.source,
        )
    return StreamState(
        key=key,
        state=_target(change),
        sequence=change.sequence,
        since=since,
        last_event_time=change.event_time,
        source=change.source,
        last_errcode=change.errcode,
        last_sub_errcode=change.sub_errcode,
        stopped=True,
    )
