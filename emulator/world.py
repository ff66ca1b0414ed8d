"""The emulator's one stream model, shared by both APIs and the callbacks.

A :class:`World` holds the ground truth of every stream it has heard of, keyed
by (push domain, AppName, stream name). Its mutators (push, stop, drop, forbid,
resume, record, snapshot) change that truth the way Tencent's ingest would and
return the callback bodies the change causes, without ``t`` and ``sign``; the
same bodies go to an optional sink, usually a callback sender.

Publishing sessions get a ``sequence``: a large decimal string drawn from a
random generator seeded at construction, so a run is repeatable. A push and the
stop that ends it share the sequence. A stop reports ``push_duration`` in
milliseconds as a string, and its reason as ``errcode`` plus ``sub_errcode``
from Tencent's stop-reason table (see :mod:`emulator.bodies` for why
``sub_errcode`` is an extra field).

A push is checked the way Tencent's ingest checks it, and a refused push
emits one stop with errcode 18 and the sub-code of the first check it fails:

1. the stream name and the AppName hold only ASCII letters, digits, ``_``,
   ``-`` and ``.`` (18/308 for the stream name, 18/309 for the AppName: the
   stop-reason table gives 308-309 to illegal characters in "stream/app name",
   in that order, and lists no legal characters, so the set is the
   emulator's choice);
2. with push keys configured, the push URL's query (``stream_param``) carries
   ``txTime`` (18/500) and ``txSecret`` (18/502), ``txSecret`` is
   ``MD5(key + stream name + txTime)`` in lowercase hex for the primary or the
   backup key and ``txTime`` is hexadecimal (18/503), and ``txTime`` plus the
   AuthDelta has not passed (18/501). Tencent also allows a decimal txTime,
   but decimal digits read as hex too, so the emulator reads hex, as Tencent's
   samples write it. The stream name signed is the World's own name for the
   stream: the World is told the name, so there is no URL path, AppName or
   extension to strip;
3. the stream name is not forbidden (18/305).

A forbid matches by stream name only, as Tencent's ForbidLiveStream does by
default: it ends every live session of that name, whatever its push domain and
AppName, refuses their pushes until it lifts, and a resume of the name lifts it
everywhere.

Calls from outside Python (the control API, scenario files) pass their
keyword arguments through :func:`clean_arguments`, which checks each against
:data:`ARGUMENTS` and refuses what a mutator cannot take.

Every public method takes one lock, so the World can be driven from many
request threads at once.
"""

from __future__ import annotations

import dataclasses
import hmac
import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from emulator import bodies
from shared.signing import tx_secret

__all__ = [
    "ACTIVE",
    "ARGUMENTS",
    "DEFAULT_FORBID_SECONDS",
    "FORBID",
    "INACTIVE",
    "MUTATORS",
    "RECORD_FORMATS",
    "Argument",
    "ArgumentError",
    "Clock",
    "Sink",
    "StreamTruth",
    "World",
    "clean_arguments",
]

Clock = Callable[[], float]
Sink = Callable[[dict[str, Any]], None]

ACTIVE = "active"
INACTIVE = "inactive"
FORBID = "forbid"

#: How long a forbid lasts when no resume time is given (API 3.0's default).
DEFAULT_FORBID_SECONDS = 7 * 86_400

#: How long the signed push URL made for a push without stream_param stays valid.
_DEFAULT_URL_TTL = 86_400

_NODES = ("42.81.194.37", "198.51.100.21", "198.51.100.22")
_SEQUENCE_RANGE = (10**18, 10**19)

# Stop reasons for pushes the ingest refuses (errcode 18) and for control
# actions (errcode 21), as (errcode, sub_errcode).
_REPLACED = (21, 102)
_DROPPED = (21, 100)
_FORBIDDEN_WHILE_LIVE = (21, 101)
_PUSH_FORBIDDEN = (18, 305)
_ILLEGAL_STREAM_NAME = (18, 308)
_ILLEGAL_APP_NAME = (18, 309)
_NO_TX_TIME = (18, 500)
_TX_TIME_EXPIRED = (18, 501)
_NO_TX_SECRET = (18, 502)
_BAD_TX_SECRET = (18, 503)

_LEGAL_NAME = re.compile(r"[A-Za-z0-9_.\-]+")
_HEX_TX_TIME = re.compile(r"[0-9A-Fa-f]{1,16}")

#: The file formats Tencent records: FLV, HLS, MP4 and AAC.
RECORD_FORMATS = ("flv", "hls", "mp4", "aac")

_INT32_MAX = 2**31 - 1
#: 9999-12-31T23:59:59Z, the last second an ISO 8601 date can name.
_LAST_SECOND = 253_402_300_799
#: A recording file covers at most one day.
_MAX_RECORD_SECONDS = 86_400


class ArgumentError(ValueError):
    """Raised when an argument from outside Python cannot go to a mutator."""


@dataclass(frozen=True)
class Argument:
    """What one keyword argument of the mutators must be.

    Attributes:
        kind: the JSON type, ``str`` or ``int``.
        low: the smallest integer allowed.
        high: the largest integer allowed.
        choices: the only strings allowed; any string when empty.
    """

    kind: type
    low: int = 0
    high: int = _INT32_MAX
    choices: tuple[str, ...] = ()


_TEXT = Argument(str)

#: Every keyword argument the mutators take, with its type and range.
ARGUMENTS: dict[str, Argument] = {
    "stream": _TEXT,
    "app": _TEXT,
    "domain": _TEXT,
    "stream_param": _TEXT,
    "user_ip": _TEXT,
    "width": Argument(int, 0, 65_535),
    "height": Argument(int, 0, 65_535),
    "viewers": Argument(int, 0, 10**9),
    "fps": Argument(int, 0, 1_000),
    "bitrate": Argument(int, 0, 10**11),
    "errcode": Argument(int),
    "sub_errcode": Argument(int),
    "errmsg": _TEXT,
    "resume_time": Argument(int, 0, _LAST_SECOND),
    "reason": _TEXT,
    "file_format": Argument(str, choices=RECORD_FORMATS),
    "duration": Argument(int, 1, _MAX_RECORD_SECONDS),
}

_PLACE = frozenset({"stream", "app", "domain"})

#: The keyword arguments each mutator takes, the stream name included.
MUTATORS: dict[str, frozenset[str]] = {
    "push": _PLACE
    | {"stream_param", "user_ip", "width", "height", "viewers", "fps", "bitrate"},
    "stop": _PLACE | {"errcode", "sub_errcode", "errmsg"},
    "drop": _PLACE,
    "forbid": _PLACE | {"resume_time", "reason"},
    "resume": _PLACE,
    "record": _PLACE | {"file_format", "duration"},
    "snapshot": _PLACE,
}

_JSON_NAMES = {str: "string", int: "integer"}


def clean_arguments(action: str, raw: Mapping[str, object]) -> dict[str, Any]:
    """Check the arguments of one mutator call that came from outside Python.

    A null value means the argument was not given.

    Args:
        action: the mutator, a key of :data:`MUTATORS`.
        raw: the arguments by name, the stream name among them.

    Returns:
        The arguments given, without the null ones.

    Raises:
        ArgumentError: the action is unknown, an argument is not one it
            takes, has the wrong type or is out of range, or the stream
            name is missing or empty.
    """
    accepted = MUTATORS.get(action)
    if accepted is None:
        raise ArgumentError(f"the action must be one of {sorted(MUTATORS)}")
    given = {name: value for name, value in raw.items() if value is not None}
    unknown = sorted(set(given) - accepted)
    if unknown:
        raise ArgumentError(f"{action} does not take {', '.join(unknown)}")

    for name, value in given.items():
        _check_argument(name, ARGUMENTS[name], value)
    if not given.get("stream"):
        raise ArgumentError("stream is required")
    return given


def _check_argument(name: str, argument: Argument, value: object) -> None:
    # bool is an int in Python; JSON true is not a number.
    if not isinstance(value, argument.kind) or isinstance(value, bool):
        raise ArgumentError(f"{name} must be a JSON {_JSON_NAMES[argument.kind]}")
    if isinstance(value, int) and not argument.low <= value <= argument.high:
        raise ArgumentError(
            f"{name} must be an integer from {argument.low} to {argument.high}"
        )
    if isinstance(value, str):
        _check_text(name, argument, value)


def _check_text(name: str, argument: Argument, value: str) -> None:
    if argument.choices and value not in argument.choices:
        raise ArgumentError(f"{name} must be one of {', '.join(argument.choices)}")
    try:
        value.encode()
    except UnicodeEncodeError:
        # A lone surrogate from JSON would break every body that carries it.
        raise ArgumentError(f"{name} must be valid Unicode text") from None


_Key = tuple[str, str, str]


@dataclass
class StreamTruth:
    """The ground truth of one stream.

    Attributes:
        domain: the push domain.
        app: the AppName.
        name: the stream name.
        state: ``active``, ``inactive`` or ``forbid``.
        sequence: the current or last publishing session id.
        publish_time: UNIX seconds at which the current push started.
        client_ip: the publisher's IP of the current or last session.
        width: video width of the current or last session.
        height: video height of the current or last session.
        forbid_until: UNIX seconds at which a forbid lifts by itself.
        ever_pushed: whether a push of this stream ever succeeded.
        stream_param: the push URL query of the current or last session.
        node: the ingest node of the current or last session.
        online: viewers of the current or last session.
        fps: frame rate of the current or last session.
        speed: bitrate in bits per second of the current or last session.
        forbid_reason: the reason given with the forbid.
    """

    domain: str
    app: str
    name: str
    state: str = INACTIVE
    sequence: str | None = None
    publish_time: int | None = None
    client_ip: str | None = None
    width: int = 0
    height: int = 0
    forbid_until: int | None = None
    ever_pushed: bool = False
    stream_param: str = ""
    node: str = _NODES[0]
    online: int = 0
    fps: int = 0
    speed: int = 0
    forbid_reason: str = ""


@dataclass(frozen=True)
class _Publisher:
    """What a publisher brings to a push."""

    stream_param: str
    user_ip: str
    width: int
    height: int
    viewers: int
    fps: int
    bitrate: int


class World:
    """Every stream's state, changed by ingest events and control actions."""

    def __init__(
        self,
        *,
        appid: int = 1250000001,
        push_domain: str = "push.example.com",
        push_keys: Sequence[str] = (),
        clock: Clock = time.time,
        seed: int = 0,
        sink: Sink | None = None,
        auth_delta: int = 0,
    ) -> None:
        """Build an empty world.

        Args:
            appid: the account APPID written into callback bodies.
            push_domain: the domain used when a call names none.
            push_keys: push authentication keys, primary first; empty means
                pushes are not authenticated.
            clock: returns the current UNIX time.
            seed: seeds the generator of sequences, file ids and nodes.
            sink: receives a copy of every emitted body, in order. It runs
                outside the world's lock but must not call back into the world.
            auth_delta: Tencent's AuthDelta, seconds a push URL stays valid
                after its txTime.

        Raises:
            ValueError: auth_delta is negative.
        """
        if auth_delta < 0:
            raise ValueError("auth_delta must not be negative")
        self.appid = appid
        self.push_domain = push_domain
        self._push_keys = tuple(key for key in push_keys if key)
        self._auth_delta = auth_delta
        self._clock = clock
        self._sink = sink
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._sink_lock = threading.Lock()
        self._streams: dict[_Key, StreamTruth] = {}
        self._started: dict[_Key, float] = {}
        self._forbids: dict[str, _Forbid] = {}
        self._history: list[dict[str, Any]] = []
        self._emitted: list[dict[str, Any]] = []
        #: Bumped by every mutator, so readers can cache what they derive.
        self.generation = 0

    def now(self) -> float:
        """Return the world's current UNIX time."""
        return self._clock()

    # Mutators -------------------------------------------------------------

    def push(
        self,
        stream: str,
        *,
        app: str = "live",
        domain: str | None = None,
        stream_param: str | None = None,
        user_ip: str = "203.0.113.7",
        width: int = 1280,
        height: int = 720,
        viewers: int = 0,
        fps: int = 25,
        bitrate: int = 1_450_000,
    ) -> list[dict[str, Any]]:
        """A publisher connects.

        The push passes the ingest's checks (see the module docstring) or is
        refused: a refused push emits one stop with errcode 18 and leaves any
        running session alone. A push to an active stream first ends the old
        session with 21/102 (replaced by a new push).

        Args:
            stream: the stream name.
            app: the AppName.
            domain: the push domain; the world's default when None.
            stream_param: the push URL's query string. None means a correctly
                signed URL (or an empty query when pushes are not signed).
            user_ip: the publisher's IP.
            width: the video width the publisher sends.
            height: the video height the publisher sends.
            viewers: how many people watch, for the statistics interfaces.
            fps: the frame rate the publisher sends.
            bitrate: the bitrate the publisher sends, in bits per second.

        Returns:
            The callback bodies emitted, in order.
        """
        key = self._key(stream, app, domain)
        param = self._signed_param(stream) if stream_param is None else stream_param
        publisher = _Publisher(param, user_ip, width, height, viewers, fps, bitrate)
        return self._run(lambda now: self._push(key, publisher, now))

    def stop(
        self,
        stream: str,
        *,
        app: str = "live",
        domain: str | None = None,
        errcode: int = 1,
        sub_errcode: int | None = None,
        errmsg: str | None = None,
    ) -> list[dict[str, Any]]:
        """The current session ends; nothing happens if the stream is not live.

        Args:
            stream: the stream name.
            app: the AppName.
            domain: the push domain; the world's default when None.
            errcode: the stop reason code; 1 is a publisher's normal close.
            sub_errcode: the finer reason, sent as an extra field when given.
            errmsg: the reason text; Tencent's text for ``errcode`` when None.

        Returns:
            The callback bodies emitted: one stop, or none.
        """
        key = self._key(stream, app, domain)
        reason = (errcode, sub_errcode)
        return self._run(lambda now: self._stop_if_live(key, reason, errmsg, now))

    def drop(
        self, stream: str, *, app: str = "live", domain: str | None = None
    ) -> list[dict[str, Any]]:
        """The customer disconnects the publisher (stop 21/100); it may push again.

        Args:
            stream: the stream name.
            app: the AppName.
            domain: the push domain; the world's default when None.

        Returns:
            The callback bodies emitted: one stop, or none if not live.
        """
        key = self._key(stream, app, domain)
        return self._run(lambda now: self._stop_if_live(key, _DROPPED, None, now))

    def forbid(
        self,
        stream: str,
        *,
        app: str = "live",
        domain: str | None = None,
        resume_time: int | None = None,
        reason: str = "",
    ) -> list[dict[str, Any]]:
        """The customer forbids the stream name; live sessions end with 21/101.

        The forbid covers the name on every push domain and AppName; the
        place given only decides where the stream is listed if it is new.

        Args:
            stream: the stream name.
            app: the AppName.
            domain: the push domain; the world's default when None.
            resume_time: UNIX seconds at which the forbid lifts; seven days
                from now when None.
            reason: the customer's reason, kept with the truth.

        Returns:
            The callback bodies emitted: one stop, or none if not live.
        """
        key = self._key(stream, app, domain)
        return self._run(lambda now: self._forbid(key, resume_time, reason, now))

    def resume(
        self, stream: str, *, app: str = "live", domain: str | None = None
    ) -> list[dict[str, Any]]:
        """The customer lifts the forbid of the stream name; emits nothing.

        Args:
            stream: the stream name.
            app: the AppName.
            domain: the push domain; the world's default when None.

        Returns:
            An empty list.
        """
        key = self._key(stream, app, domain)
        return self._run(lambda now: self._resume(key, now))

    def record(
        self,
        stream: str,
        *,
        app: str = "live",
        domain: str | None = None,
        file_format: str = "hls",
        duration: int = 60,
    ) -> list[dict[str, Any]]:
        """A recording file of the last ``duration`` seconds is ready.

        Args:
            stream: the stream name.
            app: the AppName.
            domain: the push domain; the world's default when None.
            file_format: ``flv``, ``hls``, ``mp4`` or ``aac``.
            duration: the file's length in seconds.

        Returns:
            The callback bodies emitted: one recording event.
        """
        key = self._key(stream, app, domain)
        return self._run(lambda now: [self._record(key, file_format, duration, now)])

    def snapshot(
        self, stream: str, *, app: str = "live", domain: str | None = None
    ) -> list[dict[str, Any]]:
        """A snapshot of the stream is stored.

        Args:
            stream: the stream name.
            app: the AppName.
            domain: the push domain; the world's default when None.

        Returns:
            The callback bodies emitted: one snapshot event.
        """
        key = self._key(stream, app, domain)
        return self._run(lambda now: [self._snapshot(key, now)])

    # Readers --------------------------------------------------------------

    def get(
        self, stream: str, *, app: str = "live", domain: str | None = None
    ) -> StreamTruth | None:
        """Return a copy of one stream's truth, or None if it was never seen.

        A stream never seen whose name is forbidden is reported forbidden.

        Args:
            stream: the stream name.
            app: the AppName.
            domain: the push domain; the world's default when None.
        """
        key = self._key(stream, app, domain)
        with self._lock:
            truth = self._streams.get(key)
            now = self._clock()
            if truth is None:
                return self._unseen_namesake(key, now)
            self._sync_forbid(truth, now)
            return dataclasses.replace(truth)

    def streams(self) -> list[StreamTruth]:
        """Return copies of every known stream, sorted by (domain, app, name)."""
        with self._lock:
            now = self._clock()
            for truth in self._streams.values():
                self._sync_forbid(truth, now)
            ordered = sorted(self._streams.items())
            return [dataclasses.replace(truth) for _, truth in ordered]

    def online(
        self,
        *,
        domain: str | None = None,
        app: str | None = None,
        stream: str | None = None,
    ) -> list[StreamTruth]:
        """Return the active streams, sorted by (publish_time, name).

        Args:
            domain: only streams of this push domain, when given.
            app: only streams of this AppName, when given.
            stream: only the stream of this exact name, when given.
        """
        wanted = {"domain": domain, "app": app, "name": stream}
        live = [
            truth
            for truth in self.streams()
            if truth.state == ACTIVE
            and all(v is None or getattr(truth, k) == v for k, v in wanted.items())
        ]
        return sorted(live, key=lambda truth: (truth.publish_time or 0, truth.name))

    def history(self) -> list[dict[str, Any]]:
        """Return every ended or refused publishing session, oldest first.

        Each entry has ``domain``, ``app``, ``stream``, ``sequence``,
        ``start_time``, ``end_time``, ``duration`` (seconds), ``errcode``,
        ``sub_errcode``, ``errmsg``, ``client_ip``, ``width``, ``height``,
        ``online``, ``fps``, ``speed`` and ``succeeded`` (False for a push the
        ingest refused, whose start and end times are equal).
        """
        with self._lock:
            return [dict(entry) for entry in self._history]

    @property
    def emitted(self) -> list[dict[str, Any]]:
        """Every callback body emitted so far, in order, without t and sign."""
        with self._lock:
            return [dict(body) for body in self._emitted]

    # Machinery ------------------------------------------------------------

    def _key(self, stream: str, app: str, domain: str | None) -> _Key:
        return (domain or self.push_domain, app, stream)

    def _signed_param(self, stream: str) -> str:
        if not self._push_keys:
            return ""
        when = format(int(self._clock()) + _DEFAULT_URL_TTL, "X")
        return f"txSecret={tx_secret(self._push_keys[0], stream, when)}&txTime={when}"

    def _run(
        self, action: Callable[[float], list[dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        with self._lock:
            emitted = action(self._clock())
            self._emitted.extend(emitted)
            self.generation += 1
            # Taking the sink lock before releasing the world lock hands the
            # bodies to the sink in the order they were emitted.
            self._sink_lock.acquire()
        try:
            if self._sink is not None:
                for body in emitted:
                    self._sink(dict(body))
        finally:
            self._sink_lock.release()
        return [dict(body) for body in emitted]

    def _truth(self, key: _Key) -> StreamTruth:
        truth = self._streams.get(key)
        if truth is None:
            truth = StreamTruth(domain=key[0], app=key[1], name=key[2])
            self._streams[key] = truth
        return truth

    def _sync_forbid(self, truth: StreamTruth, now: float) -> None:
        """Make a stream's state agree with the forbid of its name, if any."""
        forbid = self._current_forbid(truth.name, now)
        if forbid is None:
            if truth.state == FORBID:
                truth.state = INACTIVE
                truth.forbid_until = None
            return
        if truth.state != ACTIVE:
            truth.state = FORBID
            truth.forbid_until = forbid.until
            truth.forbid_reason = forbid.reason

    def _current_forbid(self, name: str, now: float) -> _Forbid | None:
        forbid = self._forbids.get(name)
        if forbid is not None and forbid.until <= now:
            del self._forbids[name]
            return None
        return forbid

    def _unseen_namesake(self, key: _Key, now: float) -> StreamTruth | None:
        forbid = self._current_forbid(key[2], now)
        if forbid is None:
            return None
        return StreamTruth(
            *key,
            state=FORBID,
            forbid_until=forbid.until,
            forbid_reason=forbid.reason,
        )

    def _namesakes(self, name: str) -> list[StreamTruth]:
        return [truth for key, truth in sorted(self._streams.items()) if key[2] == name]

    def _new_sequence(self) -> str:
        return str(self._rng.randrange(*_SEQUENCE_RANGE))

    def _push(
        self, key: _Key, publisher: _Publisher, now: float
    ) -> list[dict[str, Any]]:
        truth = self._truth(key)
        self._sync_forbid(truth, now)

        refusal = _name_refusal(key) or self._url_refusal(
            key[2], publisher.stream_param, now
        )
        if refusal is None and truth.state == FORBID:
            refusal = _PUSH_FORBIDDEN
        if refusal is not None:
            return [self._refuse(truth, publisher, refusal, now)]

        emitted = []
        if truth.state == ACTIVE:
            emitted.append(self._end(truth, _REPLACED, None, now))
        emitted.append(self._begin(truth, publisher, now))
        return emitted

    def _url_refusal(
        self, stream: str, stream_param: str, now: float
    ) -> tuple[int, int] | None:
        if not self._push_keys:
            return None

        query = parse_qs(stream_param)
        when = query.get("txTime", [""])[0]
        secret = query.get("txSecret", [""])[0]
        if not when:
            return _NO_TX_TIME
        if not secret:
            return _NO_TX_SECRET

        # Every key is tried, so the time taken does not tell which matched.
        matches = [
            _same(tx_secret(key, stream, when), secret) for key in self._push_keys
        ]
        if not any(matches) or not _HEX_TX_TIME.fullmatch(when):
            return _BAD_TX_SECRET
        if int(when, 16) + self._auth_delta < now:
            return _TX_TIME_EXPIRED
        return None

    def _refuse(
        self,
        truth: StreamTruth,
        publisher: _Publisher,
        reason: tuple[int, int],
        now: float,
    ) -> dict[str, Any]:
        errcode, sub_errcode = reason
        body = bodies.stop_body(
            **self._identity(truth),
            event_time=int(now),
            sequence=self._new_sequence(),
            node=self._rng.choice(_NODES),
            user_ip=publisher.user_ip,
            stream_param=publisher.stream_param,
            width=0,
            height=0,
            errcode=errcode,
            push_duration_ms=0,
            sub_errcode=sub_errcode,
        )
        self._history.append(_session_entry(body, int(now), succeeded=False))
        return body

    def _begin(
        self, truth: StreamTruth, publisher: _Publisher, now: float
    ) -> dict[str, Any]:
        truth.state = ACTIVE
        truth.sequence = self._new_sequence()
        truth.publish_time = int(now)
        truth.client_ip = publisher.user_ip
        truth.width, truth.height = publisher.width, publisher.height
        truth.ever_pushed = True
        truth.stream_param = publisher.stream_param
        truth.node = self._rng.choice(_NODES)
        truth.online, truth.fps = publisher.viewers, publisher.fps
        truth.speed = publisher.bitrate
        self._started[(truth.domain, truth.app, truth.name)] = now

        # The push event usually precedes the video headers, so it reports 0x0.
        return bodies.push_body(
            **self._identity(truth),
            **self._session(truth),
            event_time=int(now),
            width=0,
            height=0,
        )

    def _end(
        self,
        truth: StreamTruth,
        reason: tuple[int, int | None],
        errmsg: str | None,
        now: float,
    ) -> dict[str, Any]:
        started = self._started.pop((truth.domain, truth.app, truth.name), now)
        errcode, sub_errcode = reason
        body = bodies.stop_body(
            **self._identity(truth),
            **self._session(truth),
            event_time=int(now),
            width=truth.width,
            height=truth.height,
            errcode=errcode,
            errmsg=errmsg,
            push_duration_ms=round((now - started) * 1000),
            sub_errcode=sub_errcode,
        )
        entry = _session_entry(body, int(started), succeeded=True)
        entry.update(online=truth.online, fps=truth.fps, speed=truth.speed)
        self._history.append(entry)
        truth.state = INACTIVE
        truth.publish_time = None
        return body

    def _identity(self, truth: StreamTruth) -> dict[str, Any]:
        return {
            "appid": self.appid,
            "domain": truth.domain,
            "app": truth.app,
            "stream": truth.name,
        }

    def _session(self, truth: StreamTruth) -> dict[str, Any]:
        return {
            "sequence": truth.sequence or "",
            "node": truth.node,
            "user_ip": truth.client_ip or "",
            "stream_param": truth.stream_param,
        }

    def _stop_if_live(
        self,
        key: _Key,
        reason: tuple[int, int | None],
        errmsg: str | None,
        now: float,
    ) -> list[dict[str, Any]]:
        truth = self._streams.get(key)
        if truth is None or truth.state != ACTIVE:
            return []
        return [self._end(truth, reason, errmsg, now)]

    def _forbid(
        self, key: _Key, resume_time: int | None, reason: str, now: float
    ) -> list[dict[str, Any]]:
        until = (
            int(now) + DEFAULT_FORBID_SECONDS if resume_time is None else resume_time
        )
        self._forbids[key[2]] = _Forbid(until, reason)
        self._truth(key)

        emitted = []
        for truth in self._namesakes(key[2]):
            if truth.state == ACTIVE:
                emitted.append(self._end(truth, _FORBIDDEN_WHILE_LIVE, None, now))
            self._sync_forbid(truth, now)
        return emitted

    def _resume(self, key: _Key, now: float) -> list[dict[str, Any]]:
        self._forbids.pop(key[2], None)
        for truth in self._namesakes(key[2]):
            self._sync_forbid(truth, now)
        return []

    def _record(
        self, key: _Key, file_format: str, duration: int, now: float
    ) -> dict[str, Any]:
        truth = self._streams.get(key) or StreamTruth(*key, width=1280, height=720)
        end = int(now)
        bitrate = truth.speed or 1_450_000
        return bodies.record_body(
            **self._identity(truth),
            stream_param=truth.stream_param,
            file_id=self._new_sequence(),
            file_format=file_format,
            start_time=end - duration,
            start_time_usec=self._rng.randrange(1_000_000),
            end_time=end,
            end_time_usec=self._rng.randrange(1_000_000),
            duration=duration,
            file_size=duration * bitrate // 8,
            media_start_time=self._rng.randrange(10_000),
            width=truth.width,
            height=truth.height,
            session_id=truth.sequence or "",
        )

    def _snapshot(self, key: _Key, now: float) -> dict[str, Any]:
        truth = self._streams.get(key) or StreamTruth(*key, width=1280, height=720)
        return bodies.snapshot_body(
            appid=self.appid,
            domain=truth.domain,
            app=truth.app,
            stream=truth.name,
            stream_param=truth.stream_param,
            create_time=int(now),
            file_size=self._rng.randrange(20_000, 80_000),
            width=truth.width,
            height=truth.height,
        )


@dataclass(frozen=True)
class _Forbid:
    """A forbid of one stream name: when it lifts and why it was set."""

    until: int
    reason: str


def _name_refusal(key: _Key) -> tuple[int, int] | None:
    _, app, stream = key
    if not _LEGAL_NAME.fullmatch(stream):
        return _ILLEGAL_STREAM_NAME
    if not _LEGAL_NAME.fullmatch(app):
        return _ILLEGAL_APP_NAME
    return None


def _same(expected: str, received: str) -> bool:
    # Bytes, because compare_digest refuses text outside ASCII.
    return hmac.compare_digest(expected.encode(), received.encode())


def _session_entry(
    stop: dict[str, Any], start_time: int, *, succeeded: bool
) -> dict[str, Any]:
    end_time = int(stop["event_time"])
    return {
        "domain": stop["app"],
        "app": stop["appname"],
        "stream": stop["stream_id"],
        "sequence": stop["sequence"],
        "start_time": start_time,
        "end_time": end_time,
        "duration": end_time - start_time,
        "errcode": stop["errcode"],
        "sub_errcode": stop.get("sub_errcode"),
        "errmsg": stop["errmsg"],
        "client_ip": stop["user_ip"],
        "width": stop["width"],
        "height": stop["height"],
        "online": 0,
        "fps": 0,
        "speed": 0,
        "succeeded": succeeded,
    }
