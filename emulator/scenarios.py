"""Scripted timelines and seeded random workloads that drive a World.

A timeline is a list of steps, each a World call at a given second from the
start::

    [{"at": 0, "do": "push", "stream": "a"},
     {"at": 5, "do": "stop", "stream": "a", "errcode": 1}]

Any other key of a step is passed to the World method as a keyword argument;
:data:`ACTIONS` lists which ones each method accepts, and every step of a
timeline is checked (types and ranges, with the World's own table) before the
first one runs, so a bad step changes nothing. A workload draws such
steps from ``random.Random(seed)``: which stream, what happens to it given its
current state, and how many seconds pass before. The same seed against the
same starting World gives the same calls and the same emitted bodies, and the
steps a workload made replay as a timeline.

Time passes through an injected ``sleep``. Share a :class:`FakeClock` between
the World (as its clock) and the runner (its ``sleep``) to run a long scenario
at once with event times that still move forward.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from emulator.world import (
    ACTIVE,
    FORBID,
    INACTIVE,
    MUTATORS,
    ArgumentError,
    StreamTruth,
    World,
    clean_arguments,
)

__all__ = [
    "ABNORMAL_STOP_CODES",
    "ACTIONS",
    "NORMAL_STOP_CODES",
    "FakeClock",
    "ScenarioError",
    "Step",
    "Summary",
    "Workload",
    "load_timeline",
    "run_spec",
    "run_timeline",
    "run_workload",
]

Sleep = Callable[[float], None]

#: The World methods a step may call, with the keyword arguments each accepts
#: (``stream`` among them).
ACTIONS = MUTATORS

#: The latest second a step may be scheduled at: a scenario spans a year.
MAX_AT = 366 * 86_400

#: Stop reasons of a publisher closing normally (Tencent's errcode table).
NORMAL_STOP_CODES = (1, 2, 3)

#: Stop reasons of a session that broke: TCP error, protocol error, oversized
#: frame, idle stream, network error, AMF error.
ABNORMAL_STOP_CODES = (4, 6, 7, 8, 12, 20, 33)

_RECORD_FORMATS = ("hls", "flv", "mp4")


class ScenarioError(ValueError):
    """Raised when a timeline step or a workload description is malformed."""


class FakeClock:
    """A UNIX clock that moves only when slept on.

    Give the instance to a World as its clock and its :meth:`sleep` to a runner:
    the scenario then runs without waiting while event times advance.
    """

    def __init__(self, start: float | None = None) -> None:
        """Start the clock.

        Args:
            start: the first reading; the real time when None, so that ``t``
                values signed from this clock are fresh for a real receiver.
        """
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        """Return the current reading."""
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        """Move the clock forward instead of waiting.

        Args:
            seconds: how far to move; negative values are ignored.
        """
        with self._lock:
            self._now += max(seconds, 0.0)


@dataclass(frozen=True)
class Step:
    """One World call, ``at`` seconds after the scenario began.

    Attributes:
        at: seconds from the start of the scenario.
        do: the World method, a key of :data:`ACTIONS`.
        stream: the stream name.
        options: keyword arguments for the method.
    """

    at: float
    do: str
    stream: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Refuse a step the World could not take.

        Raises:
            ScenarioError: ``at`` is not a number of seconds from 0 to
                :data:`MAX_AT`, ``do`` is not an action, or the stream or an
                option is missing, unknown, of the wrong type or out of range.
        """
        at = self.at
        if isinstance(at, bool) or not isinstance(at, (int, float)):
            raise ScenarioError(f"step 'at' must be a number of seconds, got {at!r}")
        # NaN and infinities fail this comparison too.
        if not 0 <= at <= MAX_AT:
            raise ScenarioError(f"step 'at' must be seconds from 0 to {MAX_AT}")
        if not isinstance(self.do, str) or self.do not in ACTIONS:
            raise ScenarioError(f"step 'do' must be one of {sorted(ACTIONS)}")
        if "stream" in self.options:
            raise ScenarioError("a step names its stream once, in 'stream'")
        try:
            clean_arguments(self.do, {**self.options, "stream": self.stream})
        except ArgumentError as exc:
            raise ScenarioError(f"{self.do}: {exc}") from None

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Step:
        """Read a step from its JSON form; a null option means not given.

        Args:
            raw: a mapping with ``at``, ``do``, ``stream`` and options.

        Raises:
            ScenarioError: a field is missing, has the wrong type or is out of
                range, or is not accepted by the action.
        """
        options = {
            k: v
            for k, v in raw.items()
            if k not in ("at", "do", "stream") and v is not None
        }
        # Whatever the JSON holds goes in: __post_init__ refuses what is wrong.
        at: Any = raw.get("at")
        do: Any = raw.get("do")
        stream: Any = raw.get("stream")
        return cls(at=at, do=do, stream=stream, options=options)

    def apply(self, world: World) -> list[dict[str, Any]]:
        """Make the call; return the bodies the World emitted."""
        method: Callable[..., list[dict[str, Any]]] = getattr(world, self.do)
        return method(self.stream, **self.options)

    def as_dict(self) -> dict[str, Any]:
        """Return the step in its JSON form."""
        return {"at": self.at, "do": self.do, "stream": self.stream, **self.options}


@dataclass(frozen=True)
class Summary:
    """What a scenario did and the ground truth it left.

    Attributes:
        steps: the World calls made, in order.
        emitted: the callback bodies those calls emitted, in order.
        live: ``domain/app/stream`` of every active stream at the end.
        forbidden: ``domain/app/stream`` of every forbidden stream at the end.
    """

    steps: tuple[Step, ...]
    emitted: tuple[dict[str, Any], ...]
    live: tuple[str, ...]
    forbidden: tuple[str, ...]

    def event_counts(self) -> dict[int, int]:
        """Return how many bodies of each event_type were emitted."""
        return dict(
            sorted(Counter(body["event_type"] for body in self.emitted).items())
        )

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready digest: counts and ground truth, not the bodies."""
        return {
            "steps": len(self.steps),
            "emitted": len(self.emitted),
            "event_counts": {str(k): v for k, v in self.event_counts().items()},
            "live": list(self.live),
            "forbidden": list(self.forbidden),
        }


def load_timeline(source: str | Path | Iterable[Mapping[str, Any]]) -> list[Step]:
    """Read a timeline and sort it by ``at``, keeping ties in their order.

    Args:
        source: a JSON file, JSON text holding a list of steps, or the steps.

    Returns:
        The parsed steps.

    Raises:
        ScenarioError: the JSON is invalid, not a list, or a step is malformed.
    """
    raw: object = source
    if isinstance(source, Path):
        raw = source.read_text(encoding="utf-8")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ScenarioError(f"the timeline is not valid JSON: {exc.msg}") from None
        except (ValueError, RecursionError):
            # An integer too long to convert, or a nesting too deep to parse.
            raise ScenarioError("the timeline is JSON too large to read") from None

    if isinstance(raw, Mapping) or not isinstance(raw, Iterable):
        raise ScenarioError("a timeline is a list of steps")
    steps = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise ScenarioError("every timeline step is a JSON object")
        steps.append(Step.parse(item))
    return sorted(steps, key=lambda step: step.at)


def run_timeline(
    world: World, steps: Iterable[Step], *, sleep: Sleep = time.sleep
) -> Summary:
    """Make each step's call at its time.

    Args:
        world: the World to drive.
        steps: steps sorted by ``at``, as :func:`load_timeline` returns them.
        sleep: waits until the next step; :meth:`FakeClock.sleep` for no wait.

    Returns:
        The calls made, the bodies emitted and the ground truth at the end.
    """
    made: list[Step] = []
    emitted: list[dict[str, Any]] = []
    elapsed = 0.0
    for step in steps:
        if step.at > elapsed:
            sleep(step.at - elapsed)
            elapsed = step.at
        emitted.extend(step.apply(world))
        made.append(step)
    return _summarize(world, made, emitted)


@dataclass(frozen=True)
class Workload:
    """A seeded random workload.

    Attributes:
        seed: seeds every choice.
        streams: how many streams take part.
        steps: how many World calls are made.
        max_gap: the longest pause between two calls, in whole seconds; each
            pause is drawn from 1 to this. ``steps * max_gap`` is at most
            :data:`MAX_AT`, so that every call falls within a scenario's span.
        prefix: stream names are this prefix and a three-digit number.
    """

    seed: int = 0
    streams: int = 5
    steps: int = 100
    max_gap: int = 30
    prefix: str = "room_"

    def __post_init__(self) -> None:
        """Refuse a workload that could not run to its end.

        Raises:
            ScenarioError: a count is not an integer or out of range, the
                prefix is not text, or the last call could fall after
                :data:`MAX_AT`.
        """
        counts = (self.seed, self.streams, self.steps, self.max_gap)
        if not all(_is_int(count) for count in counts):
            raise ScenarioError("seed, streams, steps and max_gap are integers")
        if not isinstance(self.prefix, str):
            raise ScenarioError("the stream name prefix is text")
        if self.streams < 1 or self.steps < 0 or self.max_gap < 1:
            raise ScenarioError(
                "a workload needs streams >= 1, steps >= 0, max_gap >= 1"
            )

        # Every pause may be the longest, and a call past MAX_AT would be
        # refused after the calls before it had already changed the World.
        if self.steps * self.max_gap > MAX_AT:
            raise ScenarioError(f"a workload needs steps * max_gap <= {MAX_AT}")


def _is_int(value: object) -> bool:
    # bool is an int subclass; JSON true must not pass as 1.
    return isinstance(value, int) and not isinstance(value, bool)


_Choice = Callable[[random.Random], tuple[str, dict[str, Any]]]


def _plain(do: str) -> _Choice:
    return lambda rng: (do, {})


def _normal_stop(rng: random.Random) -> tuple[str, dict[str, Any]]:
    return "stop", {"errcode": rng.choice(NORMAL_STOP_CODES)}


def _abnormal_stop(rng: random.Random) -> tuple[str, dict[str, Any]]:
    return "stop", {"errcode": rng.choice(ABNORMAL_STOP_CODES)}


def _record(rng: random.Random) -> tuple[str, dict[str, Any]]:
    return "record", {
        "file_format": rng.choice(_RECORD_FORMATS),
        "duration": rng.randint(30, 600),
    }


#: What may happen to a stream in each state, with relative weights. A push to
#: a live stream replaces the session; a push to a forbidden one is refused.
_MOVES: dict[str, tuple[tuple[_Choice, int], ...]] = {
    INACTIVE: ((_plain("push"), 8), (_plain("forbid"), 1)),
    ACTIVE: (
        (_normal_stop, 3),
        (_abnormal_stop, 1),
        (_plain("drop"), 1),
        (_plain("forbid"), 1),
        (_record, 2),
        (_plain("snapshot"), 2),
        (_plain("push"), 1),
    ),
    FORBID: ((_plain("resume"), 3), (_plain("push"), 1)),
}


def _next_step(rng: random.Random, world: World, workload: Workload, at: float) -> Step:
    stream = f"{workload.prefix}{rng.randrange(workload.streams):03d}"
    truth = world.get(stream)
    moves = _MOVES[INACTIVE if truth is None else truth.state]
    choose = rng.choices([move for move, _ in moves], [weight for _, weight in moves])[
        0
    ]
    do, options = choose(rng)
    return Step(at=at, do=do, stream=stream, options=options)


def run_workload(
    world: World, workload: Workload, *, sleep: Sleep | None = None
) -> Summary:
    """Drive the World with a seeded random sequence of calls.

    Args:
        world: the World to drive; the same starting World and seed give the
            same calls.
        workload: the seed and the size of the workload.
        sleep: receives each pause; :meth:`FakeClock.sleep` to move time
            without waiting, ``time.sleep`` to pace in real time. When None,
            pauses are drawn (so the calls stay the same) but not taken.

    Returns:
        The calls made, the bodies emitted and the ground truth at the end.
    """
    rng = random.Random(workload.seed)
    made: list[Step] = []
    emitted: list[dict[str, Any]] = []
    elapsed = 0.0
    for _ in range(workload.steps):
        gap = rng.randint(1, workload.max_gap)
        if sleep is not None:
            sleep(gap)
        elapsed += gap
        step = _next_step(rng, world, workload, elapsed)
        emitted.extend(step.apply(world))
        made.append(step)
    return _summarize(world, made, emitted)


def run_spec(
    world: World, spec: Mapping[str, Any], *, sleep: Sleep = time.sleep
) -> Summary:
    """Run a scenario described in JSON, as the control API receives it.

    Args:
        world: the World to drive.
        spec: ``{"timeline": [steps...]}`` or ``{"workload": {"seed": ...,
            "streams": ..., "steps": ..., "max_gap": ..., "prefix": ...}}``.
        sleep: how time passes between calls.

    Returns:
        The scenario's summary.

    Raises:
        ScenarioError: the spec names neither or both kinds, or is malformed.
    """
    kinds = {"timeline", "workload"} & set(spec)
    if len(kinds) != 1:
        raise ScenarioError("a scenario has exactly one of 'timeline' or 'workload'")
    if "timeline" in kinds:
        return run_timeline(world, load_timeline(spec["timeline"]), sleep=sleep)

    settings = spec["workload"]
    if not isinstance(settings, Mapping):
        raise ScenarioError("'workload' is an object")
    unknown = sorted(set(settings) - {item.name for item in fields(Workload)})
    if unknown:
        raise ScenarioError(f"a workload does not accept {unknown}")
    return run_workload(world, Workload(**settings), sleep=sleep)


def _summarize(
    world: World, steps: list[Step], emitted: list[dict[str, Any]]
) -> Summary:
    streams = world.streams()
    return Summary(
        steps=tuple(steps),
        emitted=tuple(emitted),
        live=tuple(_where(truth) for truth in streams if truth.state == ACTIVE),
        forbidden=tuple(_where(truth) for truth in streams if truth.state == FORBID),
    )


def _where(truth: StreamTruth) -> str:
    return f"{truth.domain}/{truth.app}/{truth.name}"
