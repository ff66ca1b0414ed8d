"""The rule that keeps stream state right when events come out of order."""

from __future__ import annotations

from shared import StreamKey, StreamState, Transition
from shared.state import decide, state_after_stop

KEY = StreamKey("d", "live", "s")


def push(seq: str | None, at: int, source: str = "callback") -> Transition:
    """A push of session seq at time at."""
    return Transition("push", seq, at, source=source)


def stop(
    seq: str | None, at: int, errcode: int = 1, sub: int | None = None
) -> Transition:
    """A stop of session seq at time at."""
    return Transition("stop", seq, at, errcode=errcode, sub_errcode=sub)


def run(*changes: Transition) -> StreamState | None:
    """Apply changes in arrival order, as the store does."""
    state: StreamState | None = None
    for change in changes:
        state = decide(state, change, KEY) or state
    return state


def test_first_push_goes_live() -> None:
    """A stream never seen goes live with the push's session."""
    state = run(push("1", 10))
    assert state is not None
    assert (state.state, state.sequence, state.since) == ("live", "1", 10)


def test_stop_ends_its_session_even_with_an_earlier_clock() -> None:
    """Nothing in a session comes after its stop, whatever event_time says."""
    state = run(push("1", 10), stop("1", 9))
    assert state is not None
    assert (state.state, state.last_event_time) == ("offline", 10)


def test_push_after_its_own_stop_is_stale() -> None:
    """A push that arrives after the stop of the same session changes nothing."""
    first = run(stop("1", 20))
    assert decide(first, push("1", 10), KEY) is None


def test_repeated_push_is_stale() -> None:
    """A second push of the live session adds nothing."""
    assert decide(run(push("1", 10)), push("1", 11), KEY) is None


def test_repeated_stop_is_stale() -> None:
    """A second stop of the same session adds nothing."""
    assert decide(run(push("1", 10), stop("1", 20)), stop("1", 21), KEY) is None


def test_older_event_of_another_session_is_stale() -> None:
    """An event older than the stored state does not move it back."""
    assert decide(run(push("2", 30)), stop("1", 20), KEY) is None
    assert decide(run(push("2", 30)), push("1", 20), KEY) is None


def test_same_second_stop_of_another_session_keeps_the_live_one() -> None:
    """A replaced session's stop stamped in the same second is stale."""
    assert decide(run(push("2", 30)), stop("1", 30, 21, 102), KEY) is None


def test_refused_push_of_another_session_keeps_the_live_one() -> None:
    """A publisher turned away at admission (18/503, a bad txSecret) never went
    live: its stop leaves the session that is streaming live."""
    live = run(push("1", 10))

    assert decide(live, stop("2", 20, errcode=18, sub=503), KEY) is None


def test_refused_push_while_offline_records_the_refusal() -> None:
    """With no session live, a refused push's stop applies and keeps its code,
    so the store shows why the last attempt failed."""
    state = run(push("1", 10), stop("1", 20), stop("2", 30, errcode=18, sub=503))

    assert state is not None
    assert (state.state, state.sequence, state.last_sub_errcode) == (
        "offline",
        "2",
        503,
    )


def test_push_refused_for_a_forbid_ends_the_live_session() -> None:
    """18/305 means the stream is forbidden, so the forbid's own stop of the live
    session was lost or is late: the stream is forbidden now."""
    state = run(push("1", 10), stop("2", 20, errcode=18, sub=305))

    assert state is not None
    assert state.state == "forbidden"


def test_newer_session_replaces_the_old() -> None:
    """A push of a new session, later in time, takes over."""
    state = run(push("1", 10), push("2", 20))
    assert state is not None
    assert (state.state, state.sequence) == ("live", "2")


def test_newer_push_after_forbid_goes_live() -> None:
    """A later push means the stream was resumed."""
    state = run(push("1", 10), stop("1", 20, 21, 101), push("2", 30))
    assert state is not None
    assert state.state == "live"


def test_forbidding_stops() -> None:
    """21/101 and 18/305 forbid; every other stop leaves the stream offline."""
    assert state_after_stop(21, 101) == "forbidden"
    assert state_after_stop(18, 305) == "forbidden"
    assert state_after_stop(21, 100) == "offline"
    assert state_after_stop(None, None) == "offline"


def test_poll_that_agrees_changes_nothing() -> None:
    """An observation without a session that matches the store is no change."""
    assert decide(run(push("1", 10)), push(None, 50, "poll"), KEY) is None
    assert decide(run(push("1", 10), stop("1", 20)), stop(None, 50), KEY) is None


def test_poll_that_disagrees_applies() -> None:
    """A newer observation that the stream went offline ends the session."""
    state = run(push("1", 10), Transition("stop", None, 50, source="poll"))
    assert state is not None
    assert (state.state, state.source) == ("offline", "poll")
