"""Timelines and seeded workloads drive a World repeatably."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from emulator.scenarios import (
    ABNORMAL_STOP_CODES,
    MAX_AT,
    NORMAL_STOP_CODES,
    FakeClock,
    ScenarioError,
    Step,
    Summary,
    Workload,
    load_timeline,
    run_spec,
    run_timeline,
    run_workload,
)
from emulator.world import World

START = 1_703_731_478.0
TIMELINE: list[dict[str, Any]] = [
    {"at": 0, "do": "push", "stream": "a"},
    {"at": 5, "do": "push", "stream": "b"},
    {"at": 30, "do": "snapshot", "stream": "a"},
    {"at": 90, "do": "stop", "stream": "a", "errcode": 3},
    {"at": 95, "do": "forbid", "stream": "b", "reason": "test"},
]


def fast_world(seed: int = 0) -> tuple[World, FakeClock]:
    clock = FakeClock(START)
    return World(clock=clock, seed=seed), clock


def run_seeded(seed: int, steps: int = 200) -> Summary:
    world, clock = fast_world(seed)
    return run_workload(world, Workload(seed=seed, steps=steps), sleep=clock.sleep)


def where(stream: str) -> str:
    return f"push.example.com/live/{stream}"


# Timelines ------------------------------------------------------------------------


def test_timeline_loads_from_json_text_a_file_or_python(tmp_path: Path) -> None:
    """JSON text, a JSON file and a Python list give the same steps."""
    path = tmp_path / "timeline.json"
    path.write_text(json.dumps(TIMELINE), encoding="utf-8")

    from_text = load_timeline(json.dumps(TIMELINE))

    assert from_text == load_timeline(path) == load_timeline(TIMELINE)
    assert from_text[3] == Step(at=90.0, do="stop", stream="a", options={"errcode": 3})


def test_timeline_is_sorted_by_time_keeping_ties_in_order() -> None:
    """Steps run by their time; steps at the same time keep their order."""
    steps = load_timeline(
        [
            {"at": 9, "do": "stop", "stream": "a"},
            {"at": 1, "do": "push", "stream": "a"},
            {"at": 1, "do": "push", "stream": "b"},
        ]
    )

    assert [(step.at, step.stream) for step in steps] == [(1, "a"), (1, "b"), (9, "a")]


@pytest.mark.parametrize(
    "bad",
    [
        '{"at": 0, "do": "push", "stream": "a"}',
        "[{",
        [["push", "a"]],
        [{"do": "push", "stream": "a"}],
        [{"at": -1, "do": "push", "stream": "a"}],
        [{"at": True, "do": "push", "stream": "a"}],
        [{"at": 0, "do": "explode", "stream": "a"}],
        [{"at": 0, "do": "push"}],
        [{"at": 0, "do": "push", "stream": ""}],
        [{"at": 0, "do": "stop", "stream": "a", "file_format": "hls"}],
        [{"at": 0, "do": "forbid", "stream": "a", "resume_time": "soon"}],
        [{"at": 0, "do": "stop", "stream": "a", "errcode": "1"}],
        [{"at": 0, "do": "record", "stream": "a", "duration": -5}],
        [{"at": 0, "do": "record", "stream": "a", "file_format": "avi"}],
        [{"at": 0, "do": "push", "stream": "a", "width": -1}],
        [{"at": 0, "do": "push", "stream": 7}],
        [{"at": 0, "do": ["push"], "stream": "a"}],
        [{"at": float("nan"), "do": "push", "stream": "a"}],
        [{"at": float("inf"), "do": "push", "stream": "a"}],
        [{"at": MAX_AT + 1, "do": "push", "stream": "a"}],
        '[{"at": 10' + "0" * 400 + ', "do": "push", "stream": "a"}]',
        '[{"at": 10' + "0" * 5000 + ', "do": "push", "stream": "a"}]',
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=[
        "not-a-list",
        "bad-json",
        "step-not-object",
        "no-at",
        "negative-at",
        "boolean-at",
        "unknown-action",
        "no-stream",
        "empty-stream",
        "option-not-accepted",
        "text-resume-time",
        "text-errcode",
        "negative-duration",
        "unknown-file-format",
        "negative-width",
        "number-stream",
        "unhashable-action",
        "nan-at",
        "infinite-at",
        "at-beyond-a-year",
        "at-of-400-digits",
        "at-of-5000-digits",
        "nested-100000-deep",
    ],
)
def test_malformed_timelines_are_refused(bad: Any) -> None:
    """A timeline that is not a list of well-formed steps is refused."""
    with pytest.raises(ScenarioError):
        load_timeline(bad)


def test_a_bad_step_anywhere_refuses_the_timeline_before_any_step_runs() -> None:
    """A timeline whose last step is malformed makes no call at all."""
    world, clock = fast_world()
    timeline = [
        {"at": 0, "do": "push", "stream": "a"},
        {"at": 5, "do": "forbid", "stream": "a", "resume_time": "soon"},
    ]

    with pytest.raises(ScenarioError, match="resume_time"):
        run_spec(world, {"timeline": timeline}, sleep=clock.sleep)

    assert (world.emitted, world.streams(), clock()) == ([], [], START)


def test_a_null_option_means_the_default() -> None:
    """A step option given as null is left out, like a control field."""
    (step,) = load_timeline([{"at": 0, "do": "stop", "stream": "a", "errcode": None}])

    assert step.options == {}


def test_a_step_built_in_python_is_checked_too() -> None:
    """Step() itself refuses what the World could not take."""
    with pytest.raises(ScenarioError, match="duration"):
        Step(at=0, do="record", stream="a", options={"duration": -5})


def test_timeline_waits_between_steps() -> None:
    """The runner sleeps the gap between consecutive step times."""
    waits: list[float] = []
    world, _ = fast_world()

    run_timeline(world, load_timeline(TIMELINE), sleep=waits.append)

    assert waits == [5.0, 25.0, 60.0, 5.0]


def test_timeline_on_a_fake_clock_moves_event_times() -> None:
    """With a fake clock, event times follow the timeline without waiting."""
    world, clock = fast_world()

    summary = run_timeline(world, load_timeline(TIMELINE), sleep=clock.sleep)

    push_a, _, snapshot, stop_a, _ = summary.emitted
    assert stop_a["event_time"] - push_a["event_time"] == 90
    assert stop_a["push_duration"] == "90000"
    assert snapshot["create_time"] == int(START) + 30
    assert clock() == START + 95


def test_timeline_passes_step_options_to_the_world() -> None:
    """Extra keys of a step reach the World call."""
    world, clock = fast_world()

    summary = run_timeline(world, load_timeline(TIMELINE), sleep=clock.sleep)

    stop_a, stop_b = summary.emitted[3:]
    assert (stop_a["event_type"], stop_a["errcode"]) == (0, 3)
    assert (stop_b["errcode"], stop_b["sub_errcode"]) == (21, 101)
    truth = world.get("b")
    assert truth is not None
    assert truth.forbid_reason == "test"


def test_timeline_summary_holds_the_ground_truth() -> None:
    """The summary names live and forbidden streams and counts events."""
    world, clock = fast_world()
    timeline = [*TIMELINE, {"at": 99, "do": "push", "stream": "c"}]

    summary = run_timeline(world, load_timeline(timeline), sleep=clock.sleep)

    assert summary.live == (where("c"),)
    assert summary.forbidden == (where("b"),)
    assert summary.event_counts() == {0: 2, 1: 3, 200: 1}


# Workloads ------------------------------------------------------------------------


def test_the_same_seed_makes_the_same_calls_and_bodies() -> None:
    """Two runs with one seed make identical calls and emit identical bodies."""
    first, second = run_seeded(11), run_seeded(11)

    assert first.steps == second.steps
    assert first.emitted == second.emitted
    assert len(first.steps) == 200


def test_another_seed_makes_other_calls() -> None:
    """A different seed gives a different sequence of calls."""
    assert run_seeded(11).steps != run_seeded(12).steps


def test_workload_exercises_every_kind_of_move() -> None:
    """A workload pushes, stops normally and abnormally, drops, forbids, resumes,
    records and snapshots."""
    moves = set()
    for step in run_seeded(3, steps=400).steps:
        code = step.options.get("errcode")
        kind = "normal" if code in NORMAL_STOP_CODES else "abnormal"
        moves.add(f"{kind} stop" if step.do == "stop" else step.do)

    assert moves == {
        "push",
        "normal stop",
        "abnormal stop",
        "drop",
        "forbid",
        "resume",
        "record",
        "snapshot",
    }


def test_workload_stop_codes_come_from_the_stop_tables() -> None:
    """Every stop a workload asks for uses a normal or an abnormal code."""
    codes = {s.options["errcode"] for s in run_seeded(5).steps if s.do == "stop"}

    assert codes <= {*NORMAL_STOP_CODES, *ABNORMAL_STOP_CODES}


def test_workload_ground_truth_agrees_with_its_bodies() -> None:
    """Streams whose last push or stop body is a push are exactly the live ones."""
    summary = run_seeded(21)

    last: dict[str, int] = {}
    for body in summary.emitted:
        if body["event_type"] in (0, 1):
            last[where(body["stream_id"])] = body["event_type"]

    assert summary.live == tuple(sorted(k for k, event in last.items() if event == 1))
    assert summary.live


def test_workload_stops_carry_their_push_sequence() -> None:
    """Each session's stop carries the sequence of the push that began it."""
    open_sessions: dict[str, str] = {}
    for body in run_seeded(21).emitted:
        stream = body["stream_id"]
        if body["event_type"] == 1:
            open_sessions[stream] = body["sequence"]
        elif body["event_type"] == 0 and body["errcode"] != 18:
            assert body["sequence"] == open_sessions.pop(stream)


def test_workload_steps_replay_as_a_timeline() -> None:
    """A workload's steps, run as a timeline on a fresh World, emit the same bodies."""
    recorded = run_seeded(8)
    world, clock = fast_world(8)

    replayed = run_timeline(world, recorded.steps, sleep=clock.sleep)

    assert replayed.emitted == recorded.emitted


def test_workload_without_sleep_makes_the_same_calls_at_one_time() -> None:
    """Without a sleep the calls are the same but the clock does not move."""
    world, clock = fast_world(4)

    summary = run_workload(world, Workload(seed=4, steps=200))

    assert summary.steps == run_seeded(4).steps
    assert clock() == START


def test_workload_feeds_the_worlds_sink() -> None:
    """Every body a workload makes the World emit reaches the sink, in order."""
    received: list[dict[str, Any]] = []
    clock = FakeClock(START)
    world = World(clock=clock, sink=received.append)

    summary = run_workload(world, Workload(seed=2, steps=50), sleep=clock.sleep)

    assert received == list(summary.emitted)


@pytest.mark.parametrize(
    "settings",
    [
        {"streams": 0},
        {"steps": -1},
        {"max_gap": 0},
        {"seed": "7"},
        {"streams": True},
        {"prefix": 3},
        {"steps": 50, "max_gap": 10**7},
        {"steps": 2, "max_gap": MAX_AT // 2 + 1},
    ],
    ids=[
        "no-streams",
        "negative-steps",
        "no-gap",
        "text-seed",
        "bool-streams",
        "prefix",
        "far-past-max-at",
        "just-past-max-at",
    ],
)
def test_malformed_workloads_are_refused(settings: dict[str, Any]) -> None:
    """A workload with a count out of range or of the wrong type is refused."""
    with pytest.raises(ScenarioError):
        Workload(**settings)


def test_a_workload_whose_longest_span_is_max_at_runs_to_its_end() -> None:
    """steps * max_gap equal to MAX_AT is allowed, and every call falls in time."""
    world, clock = fast_world()

    summary = run_workload(
        world, Workload(steps=2, max_gap=MAX_AT // 2), sleep=clock.sleep
    )

    assert len(summary.steps) == 2
    assert summary.steps[-1].at <= MAX_AT


def test_a_workload_that_could_pass_max_at_is_refused_before_any_call() -> None:
    """run_spec refuses such a workload with the bound, and the World hears nothing."""
    world, clock = fast_world()

    with pytest.raises(ScenarioError, match=f"steps \\* max_gap <= {MAX_AT}"):
        run_spec(
            world, {"workload": {"steps": 50, "max_gap": 10**7}}, sleep=clock.sleep
        )

    assert (world.emitted, world.streams(), clock()) == ([], [], START)


# Specs ------------------------------------------------------------------------------


def test_spec_runs_a_timeline() -> None:
    """{"timeline": [...]} runs the steps."""
    world, clock = fast_world()

    summary = run_spec(world, {"timeline": TIMELINE}, sleep=clock.sleep)

    assert summary.event_counts() == {0: 2, 1: 2, 200: 1}


def test_spec_runs_a_workload_and_reports_json() -> None:
    """{"workload": {...}} runs the workload; the digest is JSON-ready."""
    world, clock = fast_world(6)

    summary = run_spec(world, {"workload": {"seed": 6, "steps": 30}}, sleep=clock.sleep)

    digest = json.loads(json.dumps(summary.as_dict()))
    assert digest["steps"] == 30
    assert digest["emitted"] == len(summary.emitted)
    assert digest["live"] == list(summary.live)
    assert sum(digest["event_counts"].values()) == digest["emitted"]


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"timeline": [], "workload": {}},
        {"workload": [1]},
        {"workload": {"sed": 1}},
    ],
    ids=["neither", "both", "workload-not-object", "unknown-setting"],
)
def test_malformed_specs_are_refused(spec: dict[str, Any]) -> None:
    """A spec must name exactly one well-formed scenario."""
    world, clock = fast_world()

    with pytest.raises(ScenarioError):
        run_spec(world, spec, sleep=clock.sleep)
