"""Tencent's side of the event callbacks: sign, POST, retry, and misbehave.

A :class:`CallbackSender` takes callback bodies (without ``t`` and ``sign``),
stamps each attempt with ``t = now + ttl`` and ``sign = MD5(key + t)``, and POSTs
the JSON to one URL. An attempt succeeds only on HTTP 200 received within the
policy's timeout; the response body is ignored. Anything else is retried on
Tencent's schedule: snapshots (event_type 200) five times two minutes apart,
every other event twelve times a minute apart. ``tries`` counts every attempt,
the first included; Tencent's text ("up to 12 retries") could also be read as
one more attempt, which only moves the final failure a minute later.

Whether Tencent recomputes ``t`` on a retry is not documented. The sender does
by default (:attr:`RetryPolicy.recompute_t`): with a fixed ``t`` the last of
twelve attempts a minute apart would carry an expired ``t`` under a 600-second
validity, which a correct receiver must refuse.

Faults are injected on purpose, from ``random.Random(seed)``, one draw per
submitted body, so the same seed and the same bodies give the same faults. At
most one fault applies to a body; the probabilities are exclusive and must sum
to at most 1:

* ``drop``: never sent, logged as dropped;
* ``duplicate``: delivered twice, as two independent deliveries;
* ``reorder``: held back and released right after the next body;
* ``delay``: sent ``delay_seconds`` late, so later bodies overtake it;
* ``expired``: signed correctly but with ``t = now - 60``;
* ``wrong_key``: signed with a key that is not configured.

Deliveries run on one background thread, one attempt at a time, in order of
their due time, so a body that waits for its retry does not hold back the
others. A receiver that hangs holds the thread for up to the timeout.
Redirects are not followed: a 3xx is not a 200.

Bad settings raise ``ValueError``: the emulator plays Tencent and takes nothing
from the project's error tree beyond the signing errors.
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import json
import logging
import math
import random
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal
from urllib.parse import urlsplit

from emulator import bodies
from emulator.world import Clock
from shared.signing import make_sign

__all__ = [
    "CURRENT_POLICY",
    "FAULT_KINDS",
    "KINDS",
    "NO_FAULTS",
    "POLICIES",
    "SINGLE_TRY",
    "Attempt",
    "CallbackSender",
    "Delivery",
    "DeliveryStatus",
    "Faults",
    "RetryPolicy",
    "send_one",
]

logger = logging.getLogger(__name__)

Sleep = Callable[[float], None]
DeliveryStatus = Literal["pending", "delivered", "failed", "dropped"]

SNAPSHOT_EVENT = 200
DEFAULT_TTL = 600
EXPIRED_BY_SECONDS = 60
FAULT_KINDS = ("drop", "duplicate", "reorder", "delay", "expired", "wrong_key")
SIGNING_FAULTS = ("expired", "wrong_key")

#: How much of a receiver's answer is read; Tencent ignores it anyway.
_ANSWER_READ_LIMIT = 65536
_HEADERS = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class RetryPolicy:
    """How many times, how far apart and how patiently a callback is sent.

    The defaults are Tencent's current policy.

    Attributes:
        tries: attempts for push, stop, record and audit events, the first
            included.
        interval: seconds between two attempts of those events.
        snapshot_tries: attempts for snapshot events (event_type 200).
        snapshot_interval: seconds between two snapshot attempts.
        timeout: an attempt succeeds only on HTTP 200 within this many seconds.
        recompute_t: stamp every attempt with a fresh ``t``; when false, every
            retry repeats the first attempt's ``t`` and ``sign``.
    """

    tries: int = 12
    interval: float = 60.0
    snapshot_tries: int = 5
    snapshot_interval: float = 120.0
    timeout: float = 20.0
    recompute_t: bool = True

    def __post_init__(self) -> None:
        if min(self.tries, self.snapshot_tries) < 1:
            raise ValueError("a retry policy needs at least one try")
        if not _finite_at_least(0.0, self.interval, self.snapshot_interval):
            raise ValueError("retry intervals must be finite and not negative")
        if not _finite_at_least(0.0, self.timeout) or self.timeout == 0:
            raise ValueError("the timeout must be finite and positive")

    @classmethod
    def fast(
        cls, *, tries: int = 3, interval: float = 0.05, timeout: float = 2.0
    ) -> RetryPolicy:
        """Return a policy for tests: few tries, short waits, both event classes.

        Args:
            tries: attempts per body, the first included.
            interval: seconds between attempts.
            timeout: seconds an attempt may take.
        """
        return cls(
            tries=tries,
            interval=interval,
            snapshot_tries=tries,
            snapshot_interval=interval,
            timeout=timeout,
        )

    def with_retries(self, retries: int) -> RetryPolicy:
        """Return this policy with ``retries`` retries after the first try.

        Args:
            retries: how many times a failed body is sent again, for every
                event class.
        """
        return replace(self, tries=retries + 1, snapshot_tries=retries + 1)

    def schedule(self, event_type: object) -> tuple[int, float]:
        """Return (tries, interval) for a body of the given event_type."""
        if event_type == SNAPSHOT_EVENT:
            return self.snapshot_tries, self.snapshot_interval
        return self.tries, self.interval


def _finite_at_least(floor: float, *values: float) -> bool:
    return all(math.isfinite(value) and value >= floor for value in values)


#: Tencent's current policy: 12 tries a minute apart, snapshots 5 two minutes apart.
CURRENT_POLICY = RetryPolicy()

#: One try and no retry: what ``python -m emulator send`` does unless told more.
SINGLE_TRY = RetryPolicy(tries=1, snapshot_tries=1)

#: Tencent's policy in each era of its documentation, for ``serve
#: --retry-policy``: the current one; the older text's three tries a minute
#: apart; the live-code era's three tries three seconds apart. The older eras
#: treat snapshots like every other event.
POLICIES: dict[str, RetryPolicy] = {
    "current": CURRENT_POLICY,
    "older": RetryPolicy(
        tries=3, interval=60.0, snapshot_tries=3, snapshot_interval=60.0
    ),
    "legacy": RetryPolicy(
        tries=3, interval=3.0, snapshot_tries=3, snapshot_interval=3.0
    ),
}


@dataclass(frozen=True)
class Faults:
    """Probabilities (0 to 1, summing to at most 1) of each injected fault.

    Attributes:
        drop: the body is never sent.
        duplicate: the body is delivered twice.
        reorder: the body is held back until the next body has been queued.
        delay: the body is sent ``delay_seconds`` late.
        expired: the body is signed with a ``t`` a minute in the past.
        wrong_key: the body is signed with a key that is not configured.
        delay_seconds: how late a delayed body is sent.
    """

    drop: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    delay: float = 0.0
    expired: float = 0.0
    wrong_key: float = 0.0
    delay_seconds: float = 5.0

    def __post_init__(self) -> None:
        chances = [getattr(self, kind) for kind in FAULT_KINDS]
        if not all(0.0 <= chance <= 1.0 for chance in chances):
            raise ValueError("fault probabilities must lie between 0 and 1")
        if math.fsum(chances) > 1.0:
            raise ValueError("fault probabilities must sum to at most 1")
        if not _finite_at_least(0.0, self.delay_seconds):
            raise ValueError("delay_seconds must be finite and not negative")

    @classmethod
    def parse(cls, text: str) -> Faults:
        """Read faults from text such as ``"drop=0.1,duplicate=0.2"``.

        Args:
            text: comma-separated ``name=number`` pairs; an empty text means
                no faults. Names are the fields of this class.

        Returns:
            The parsed faults.

        Raises:
            ValueError: a pair is malformed, a name is unknown, or a value is
                out of range.
        """
        known = {item.name for item in fields(cls)}
        values: dict[str, float] = {}
        for pair in filter(None, (part.strip() for part in text.split(","))):
            name, equals, number = (piece.strip() for piece in pair.partition("="))
            if not equals or name not in known:
                raise ValueError(f"expected name=number with a name in {sorted(known)}")
            values[name] = float(number)
        return cls(**values)

    def pick(self, rng: random.Random) -> str | None:
        """Draw the fault for one body: a name from FAULT_KINDS, or None.

        Exactly one number is drawn per call, whatever the probabilities, so a
        seeded generator yields the same faults for the same bodies.
        """
        draw = rng.random()
        bound = 0.0
        for kind in FAULT_KINDS:
            bound += getattr(self, kind)
            if draw < bound:
                return kind
        return None

    def as_dict(self) -> dict[str, float]:
        """Return the faults as a JSON-ready mapping."""
        return {item.name: getattr(self, item.name) for item in fields(self)}


NO_FAULTS = Faults()


@dataclass(frozen=True)
class Attempt:
    """One POST of one body.

    Attributes:
        at: the sender's clock when the attempt started (UNIX seconds).
        t: the ``t`` the body carried.
        status: the HTTP status received, or None when no answer came.
        error: why the attempt failed, or None when it succeeded.
        key_index: which configured key signed the body: 0, the primary; None
            for a key that is not configured (the ``wrong_key`` fault, or no
            key configured at all).
    """

    at: float
    t: int
    status: int | None
    error: str | None
    key_index: int | None


@dataclass(frozen=True)
class Delivery:
    """The sender's log entry for one body.

    Attributes:
        id: the entry's position in the sender's log.
        body: the body as last sent, ``t`` and ``sign`` included; before the
            first attempt, the body as submitted.
        fault: the injected fault, or None.
        status: ``pending``, ``delivered``, ``failed`` or ``dropped``.
        attempts: every attempt so far, oldest first.
    """

    id: int
    body: Mapping[str, Any]
    fault: str | None
    status: DeliveryStatus
    attempts: tuple[Attempt, ...] = field(default=())

    @property
    def event_type(self) -> object:
        """The body's event_type."""
        return self.body.get("event_type")

    def as_dict(self) -> dict[str, Any]:
        """Return the entry as a JSON-ready mapping, without the body's sign.

        The mapping is what the control API shows, so the sign stays out of
        every answer and log; each attempt's ``key_index`` says which key
        signed it.
        """
        return {
            "id": self.id,
            "event_type": self.event_type,
            "status": self.status,
            "fault": self.fault,
            "attempts": [vars(attempt) for attempt in self.attempts],
            "body": {k: v for k, v in self.body.items() if k != "sign"},
        }


@dataclass(frozen=True)
class _Target:
    """Where callbacks go, parsed once."""

    scheme: str
    host: str
    port: int | None
    path: str
    context: ssl.SSLContext | None

    @classmethod
    def parse(cls, url: str, context: ssl.SSLContext | None) -> _Target:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("the callback URL must be http:// or https:// with a host")
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        return cls(parts.scheme, parts.hostname, parts.port, path, context)

    def connect(self, timeout: float) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=timeout, context=self.context
            )
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)


def _post(
    target: _Target, payload: bytes, timeout: float
) -> tuple[int | None, str | None]:
    # http.client rather than urllib: no proxy from the environment and no
    # redirect following, since only a 200 acknowledges a callback.
    connection = target.connect(timeout)
    started = time.monotonic()
    try:
        connection.request("POST", target.path, body=payload, headers=_HEADERS)
        answer = connection.getresponse()
        answer.read(_ANSWER_READ_LIMIT)
        status = answer.status
    except (OSError, http.client.HTTPException) as exc:
        return None, f"no answer: {type(exc).__name__}"
    finally:
        connection.close()

    # The socket timeout bounds each read, not the whole exchange.
    if time.monotonic() - started > timeout:
        return status, f"answered after more than {timeout:g} s"
    if status != 200:
        return status, f"HTTP {status}"
    return status, None


def _unconfigured_key(keys: Sequence[str]) -> str:
    candidate = "not-the-callback-key"
    while candidate in keys:
        candidate += "!"
    return candidate


class CallbackSender:
    """Delivers callback bodies to one URL as Tencent would, faults included.

    Use it as a World's sink (``World(sink=sender.submit)``), then
    :meth:`drain` before reading :attr:`deliveries`. It is a context manager
    that closes itself.
    """

    def __init__(
        self,
        url: str,
        keys: Sequence[str],
        *,
        policy: RetryPolicy = CURRENT_POLICY,
        faults: Faults = NO_FAULTS,
        seed: int = 0,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        ttl: int = DEFAULT_TTL,
        context: ssl.SSLContext | None = None,
    ) -> None:
        """Build a sender; no thread starts until the first :meth:`submit`.

        Args:
            url: where every callback is POSTed.
            keys: callback keys, primary first; bodies are signed with the
                primary. With no key, bodies are signed with the empty key,
                one guess at what Tencent does when none is configured.
            policy: tries, intervals and timeout.
            faults: probabilities of injected faults, for :meth:`submit`.
            seed: seeds the fault generator.
            clock: the UNIX time used for ``t``; injectable for tests.
            sleep: waits between the tries of :meth:`deliver_now`. The
                background thread waits on its own, on the monotonic clock, so
                that a submit can wake it.
            ttl: seconds of validity stamped into ``t``.
            context: TLS settings for an https URL.

        Raises:
            ValueError: the URL is not http or https.
        """
        self._key = keys[0] if keys else ""
        self._key_index = 0 if keys else None
        self._wrong_key = _unconfigured_key(keys)
        self._policy = policy
        self._faults = faults
        self._rng = random.Random(seed)
        self._clock = clock
        self._sleep = sleep
        self._ttl = ttl
        self._target = _Target.parse(url, context)

        self._lock = threading.Condition()
        self._log: list[Delivery] = []
        self._due: list[tuple[float, int, int]] = []
        self._held: list[int] = []
        self._order = itertools.count()
        self._busy = False
        self._closed = False
        self._worker: threading.Thread | None = None

    @property
    def policy(self) -> RetryPolicy:
        """The retry policy in force."""
        return self._policy

    @property
    def faults(self) -> Faults:
        """The fault probabilities applied to bodies submitted from now on."""
        with self._lock:
            return self._faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        with self._lock:
            self._faults = faults

    @property
    def deliveries(self) -> list[Delivery]:
        """A snapshot of the log: one entry per body sent or dropped, in order."""
        with self._lock:
            return list(self._log)

    def submit(self, body: Mapping[str, Any]) -> None:
        """Queue a body for delivery and return at once.

        Args:
            body: a callback body without ``t`` and ``sign``.

        Raises:
            RuntimeError: the sender is closed.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("the callback sender is closed")
            fault = self._faults.pick(self._rng)
            self._admit(dict(body), fault)
            self._lock.notify_all()
        self._start_worker()

    def deliver_now(
        self, body: Mapping[str, Any], *, fault: str | None = None
    ) -> Delivery:
        """Send one body on the calling thread, retrying per policy, and wait.

        Random faults do not apply here; a signing fault may be asked for.

        Args:
            body: a callback body without ``t`` and ``sign``.
            fault: ``expired``, ``wrong_key`` or None.

        Returns:
            The final log entry: delivered or failed.

        Raises:
            ValueError: the fault is not a signing fault.
        """
        if fault is not None and fault not in SIGNING_FAULTS:
            raise ValueError(f"deliver_now injects only {SIGNING_FAULTS}")
        with self._lock:
            delivery = self._record(dict(body), fault, "pending")

        _, interval = self._policy.schedule(delivery.event_type)
        while True:
            delivery = self._attempt(delivery.id)
            if delivery.status != "pending":
                return delivery
            self._sleep(interval)

    def drain(self, timeout: float = 30.0) -> bool:
        """Release held bodies and wait until nothing is left to send.

        Args:
            timeout: seconds to wait at most.

        Returns:
            True when every body reached a final status, False on timeout or
            when the sender was closed with bodies still queued.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            self._release_held(time.monotonic())
            self._lock.notify_all()
            while self._due or self._busy:
                remaining = deadline - time.monotonic()
                if self._closed or remaining <= 0:
                    return False
                self._lock.wait(remaining)
            return True

    def close(self) -> None:
        """Stop the background thread after its current attempt.

        Bodies not yet delivered stay ``pending`` in the log; call
        :meth:`drain` first to deliver them.
        """
        with self._lock:
            self._closed = True
            self._lock.notify_all()
            worker = self._worker
        if worker is not None:
            worker.join(self._policy.timeout + 1.0)

    def __enter__(self) -> CallbackSender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _record(
        self, body: dict[str, Any], fault: str | None, status: DeliveryStatus
    ) -> Delivery:
        delivery = Delivery(id=len(self._log), body=body, fault=fault, status=status)
        self._log.append(delivery)
        return delivery

    def _admit(self, body: dict[str, Any], fault: str | None) -> None:
        now = time.monotonic()
        if fault == "reorder":
            self._held.append(self._record(body, fault, "pending").id)
            return
        if fault == "drop":
            self._record(body, fault, "dropped")
            self._release_held(now)
            return

        due = now + (self._faults.delay_seconds if fault == "delay" else 0.0)
        for _ in range(2 if fault == "duplicate" else 1):
            self._schedule(self._record(body, fault, "pending").id, due)
        self._release_held(due)

    def _schedule(self, delivery_id: int, due: float) -> None:
        heapq.heappush(self._due, (due, next(self._order), delivery_id))

    def _release_held(self, due: float) -> None:
        # Held bodies take later places in the queue than the body just
        # admitted, so at the same due time they go out right after it.
        for delivery_id in self._held:
            self._schedule(delivery_id, due)
        self._held.clear()

    def _start_worker(self) -> None:
        with self._lock:
            if self._worker is not None:
                return
            worker = threading.Thread(
                target=self._run, name="callback-sender", daemon=True
            )
            self._worker = worker
        worker.start()

    def _run(self) -> None:
        while True:
            delivery_id = self._next_due()
            if delivery_id is None:
                return
            delivery = self._attempt(delivery_id)
            with self._lock:
                if delivery.status == "pending":
                    _, interval = self._policy.schedule(delivery.event_type)
                    self._schedule(delivery_id, time.monotonic() + interval)
                self._busy = False
                self._lock.notify_all()

    def _next_due(self) -> int | None:
        with self._lock:
            while not self._closed:
                if self._due and self._due[0][0] <= time.monotonic():
                    self._busy = True
                    return heapq.heappop(self._due)[2]
                wait = self._due[0][0] - time.monotonic() if self._due else None
                self._lock.wait(wait)
            return None

    def _attempt(self, delivery_id: int) -> Delivery:
        with self._lock:
            delivery = self._log[delivery_id]
        started = self._clock()
        t = self._stamp_time(delivery, started)
        key, key_index = self._key, self._key_index
        if delivery.fault == "wrong_key":
            key, key_index = self._wrong_key, None
        sent = {**delivery.body, "t": t, "sign": make_sign(key, t)}

        payload = json.dumps(sent, ensure_ascii=False).encode()
        status, error = _post(self._target, payload, self._policy.timeout)
        attempt = Attempt(started, t, status, error, key_index)
        return self._conclude(delivery, sent, attempt)

    def _stamp_time(self, delivery: Delivery, now: float) -> int:
        if delivery.fault == "expired":
            return int(now) - EXPIRED_BY_SECONDS
        if delivery.attempts and not self._policy.recompute_t:
            return delivery.attempts[0].t
        return int(now) + self._ttl

    def _conclude(
        self, delivery: Delivery, sent: dict[str, Any], attempt: Attempt
    ) -> Delivery:
        attempts = (*delivery.attempts, attempt)
        tries, _ = self._policy.schedule(delivery.event_type)
        status: DeliveryStatus = "pending"
        if attempt.error is None:
            status = "delivered"
        elif len(attempts) >= tries:
            status = "failed"

        logger.debug(
            "callback %s event_type=%s attempt %d: %s",
            delivery.id,
            delivery.event_type,
            len(attempts),
            attempt.error or "HTTP 200",
        )
        updated = replace(delivery, body=sent, status=status, attempts=attempts)
        with self._lock:
            self._log[delivery.id] = updated
        return updated


_BodyBuilder = Callable[..., dict[str, Any]]

#: What ``send_one`` can send, by name.
KINDS: dict[str, _BodyBuilder] = {
    "push": bodies.push_body,
    "stop": bodies.stop_body,
    "record": bodies.record_body,
    "snapshot": bodies.snapshot_body,
}

#: How long the recording file sent by ``send_one`` lasts, in seconds.
_RECORD_SECONDS = 3620


def _record_times(now: int) -> dict[str, int]:
    return {
        "start_time": now - _RECORD_SECONDS,
        "end_time": now,
        "duration": _RECORD_SECONDS,
    }


#: The time fields of each kind, set from the current time.
_TIMES: dict[str, Callable[[int], dict[str, int]]] = {
    "push": lambda now: {"event_time": now},
    "stop": lambda now: {"event_time": now},
    "record": _record_times,
    "snapshot": lambda now: {"create_time": now},
}


def _one_body(
    kind: str,
    now: int,
    *,
    stream: str,
    errcode: int | None,
    sub_errcode: int | None,
    options: Mapping[str, Any],
) -> dict[str, Any]:
    builder = KINDS.get(kind)
    if builder is None:
        raise ValueError(f"kind must be one of {sorted(KINDS)}")
    reasons = {"errcode": errcode, "sub_errcode": sub_errcode}
    given = {name: value for name, value in reasons.items() if value is not None}
    if given and kind != "stop":
        raise ValueError("errcode and sub_errcode apply to a stop only")

    return builder(**{"stream": stream, **_TIMES[kind](now), **given, **options})


def send_one(
    kind: str,
    to: str,
    keys: Sequence[str],
    *,
    stream: str = "room_42",
    errcode: int | None = None,
    sub_errcode: int | None = None,
    fault: str | None = None,
    policy: RetryPolicy = SINGLE_TRY,
    clock: Clock = time.time,
    sleep: Sleep = time.sleep,
    ttl: int = DEFAULT_TTL,
    **options: Any,
) -> Delivery:
    """Build one push, stop, record or snapshot body and deliver it now.

    This is ``python -m emulator send``. A person at a terminal wants an answer
    at once, so the default is a single try: :data:`SINGLE_TRY`. Pass
    ``CURRENT_POLICY.with_retries(n)`` for retries on Tencent's intervals.
    Fields not given keep the protocol reference's example values; the event
    time is now.

    Args:
        kind: ``push``, ``stop``, ``record`` or ``snapshot``.
        to: the receiver's URL.
        keys: callback keys, primary first.
        stream: the stream name.
        errcode: the stop reason (stop only; 1 when omitted).
        sub_errcode: the finer stop reason (stop only; absent when omitted).
        fault: ``expired`` or ``wrong_key`` to sign the body wrongly on purpose.
        policy: tries, intervals and timeout.
        clock: the UNIX time used for the body's times and ``t``.
        sleep: waits between tries.
        ttl: seconds of validity stamped into ``t``.
        **options: further fields for the body builder, such as ``app``,
            ``domain``, ``appid`` or ``sequence``.

    Returns:
        The delivery: delivered or failed, with every attempt.

    Raises:
        ValueError: an unknown kind or fault, or a stop reason for another kind.
    """
    now = int(clock())
    body = _one_body(
        kind,
        now,
        stream=stream,
        errcode=errcode,
        sub_errcode=sub_errcode,
        options=options,
    )
    sender = CallbackSender(to, keys, policy=policy, clock=clock, sleep=sleep, ttl=ttl)
    return sender.deliver_now(body, fault=fault)
