"""The HTTP endpoint Tencent Cloud Live posts its event callbacks to.

Two front doors lead to one handler:

* ``callback(request)``: the functions-framework HTTP target, for local runs
  and SCF web functions;
* ``main_handler(event, context)``: the SCF event handler for API Gateway and
  Function URL triggers.

For every delivery the handler verifies ``t + sign``, parses the event, and in
one store transaction records it once (by its dedup key), moves the stream's
state unless the event is stale, and queues any alert. Only then does it answer
200 ``{"code":0}``, so Tencent retries anything that was not durably kept. An
authentic but expired event is kept in quarantine and answered 200 so Tencent
stops retrying; the poller confirms it later, and its alerts are queued at once,
marked late. Refused requests are counted in memory and written to the store at
most once every few seconds. The schema is created or migrated with the first
write. The handler never calls the network and never echoes the body, the
headers or a key.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from shared import (
    Alert,
    ConfigError,
    Event,
    EventRecord,
    EventStatus,
    Invocation,
    LiveError,
    PayloadError,
    PushEvent,
    PushExceptionEvent,
    RecordExceptionEvent,
    Request,
    Response,
    Settings,
    SignatureError,
    SignatureExpired,
    StopEvent,
    Store,
    StoreError,
    StoreUnavailable,
    StreamKey,
    Transition,
    UnstorableValue,
    Verifier,
    body_digest,
    configure_logging,
    event_code,
    json_response,
    load_settings,
    open_store,
    parse_event,
    request_from_flask,
    request_from_scf,
    response_to_flask,
    response_to_scf,
    stop_reason,
)

#: Tencent's bodies are a few hundred bytes; anything this large is not one.
MAX_BODY_BYTES = 64 * 1024

#: Tencent's deepest bodies nest five levels (a 321's anomaly details). A body
#: nesting deeper than this is no event; refused up front like an oversized
#: one, it never brings hashing or validation near Python's recursion limit.
MAX_DEPTH = 32

#: Seconds a delivery waits for another thread's migration of the schema.
MIGRATION_WAIT_SECONDS = 5.0

#: Seconds between two writes of the refusal counts, per process.
REFUSAL_FLUSH_SECONDS = 5.0

_OK = {"code": 0}

_UNSTORABLE = "the event holds a value the store cannot keep"

#: The recording exception levels Tencent documents; others count as warning.
_LEVELS = frozenset({"info", "warning", "error"})


def _error(status: int, code: str, message: str) -> Response:
    return json_response(status, {"code": code, "message": message})


class _Delivery(NamedTuple):
    """An authentic delivery on its way into the store.

    A named tuple rather than a dataclass: SCF and the benchmarks load this file
    without registering it in ``sys.modules``, where dataclasses look up their
    string annotations.

    Attributes:
        body: the decoded body.
        raw: the body bytes exactly as received.
        received_at: UNIX time of receipt.
        key_index: which configured key verified it.
        late: the signature was right but t had passed (quarantine).
    """

    body: dict[str, Any]
    raw: bytes
    received_at: float
    key_index: int | None
    late: bool


class _Refusals:
    """Refused requests, counted in memory and written to the store now and then.

    A flood of forged requests must not become a flood of writes to the store
    every instance shares, nor a flood of 503s while that store is down. So
    each process tallies its refusals and writes the counts, with one sample
    per reason, at most once every :data:`REFUSAL_FLUSH_SECONDS`. The counts
    are for diagnosis: when an instance dies, what it tallied since its last
    write is lost.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._samples: dict[str, bytes] = {}
        # The first refusal of a process is written at once.
        self._next_write = float("-inf")

    def add(self, reason: str, body: Mapping[str, Any]) -> None:
        """Count one refusal; the first body of each reason becomes its sample."""
        with self._lock:
            self._counts[f"verify.{reason}"] += 1
            if reason not in self._samples:
                self._samples[reason] = _redacted_sample(body)

    def take_due(self, now: float) -> tuple[dict[str, int], dict[str, bytes]] | None:
        """Hand over the tally when a write is due, and start a new one."""
        with self._lock:
            if not self._counts or now < self._next_write:
                return None
            counts, samples = dict(self._counts), self._samples
            self._counts, self._samples = Counter(), {}
            self._next_write = now + REFUSAL_FLUSH_SECONDS
            return counts, samples

    def put_back(self, counts: Mapping[str, int], samples: Mapping[str, bytes]) -> None:
        """Return a tally that could not be written, for the next write."""
        with self._lock:
            self._counts.update(counts)
            for reason, sample in samples.items():
                self._samples.setdefault(reason, sample)


class CallbackApp:
    """The callback's logic, built once per process from its settings."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Callable[[], float] = time.time,
        *,
        migration_wait: float = MIGRATION_WAIT_SECONDS,
    ) -> None:
        """Build the handler; the store's schema is migrated on first use.

        Args:
            settings: the callback keys and the signature's time limits.
            store: where events, stream states, alerts and refusals go.
            clock: returns the current UNIX time.
            migration_wait: seconds a delivery waits for another thread that
                is migrating the schema.
        """
        self._migration_wait = migration_wait
        self._store = store
        self._clock = clock
        self._verifier = Verifier(
            settings.key_values(),
            grace_seconds=settings.sign_grace_seconds,
            max_future_seconds=settings.sign_max_future_seconds,
            clock=clock,
            allow_unsigned=settings.allow_unsigned,
        )
        self._migrated = False
        self._migrating = threading.Lock()
        self._refusals = _Refusals()

    def handle(self, request: Request, log: Invocation) -> Response:
        """Answer one delivery; every outcome is a JSON response.

        Args:
            request: the delivery, from either front door.
            log: the invocation's log line, which gains the outcome.

        Returns:
            The response, once any refusal counts that were due are written.

        Raises:
            StoreError: the store failed while keeping an authentic event.
        """
        response = self._answer(request, log)
        self._write_refusals(log)
        return response

    def _answer(self, request: Request, log: Invocation) -> Response:
        if request.method != "POST":
            return _rejected(log, 405, "method_not_allowed", "callbacks must be POSTed")
        if request.too_large:
            return _rejected(log, 413, "body_too_large", "the body exceeds 64 KiB")

        body = _decode(request.body)
        if body is None:
            return _rejected(
                log, 400, "not_json_object", "the body must be a UTF-8 JSON object"
            )
        if _too_deep(request.body, body):
            return _rejected(log, 400, "body_too_deep", "the body nests too deeply")
        return self._verified(request, body, log)

    def _verified(
        self, request: Request, body: dict[str, Any], log: Invocation
    ) -> Response:
        received_at = self._clock()
        key_index: int | None
        try:
            check = self._verifier.verify(body.get("t"), body.get("sign"))
        except SignatureExpired as exc:
            key_index, late = exc.key_index, True
        except SignatureError as exc:
            return self._refuse(exc, body, log)
        else:
            key_index, late = check.key_index, False

        log.add(verified_by=key_index)
        delivery = _Delivery(
            body=body,
            raw=request.body,
            received_at=received_at,
            key_index=key_index,
            late=late,
        )
        return self._keep(delivery, log)

    def _refuse(
        self, exc: SignatureError, body: Mapping[str, Any], log: Invocation
    ) -> Response:
        log.add(outcome="refused", reason=exc.code)
        self._refusals.add(exc.code, body)
        if exc.code == "key_not_configured":
            # Our misconfiguration, not the sender's: make Tencent retry.
            return _error(503, exc.code, "no callback key is configured")
        return _error(401, exc.code, "the signature was refused")

    def _write_refusals(self, log: Invocation) -> None:
        now = self._clock()
        due = self._refusals.take_due(now)
        if due is None:
            return

        counts, samples = due
        try:
            self._ready_store().record_refusals(counts, samples, now)
        except StoreError as exc:
            # The counts wait for the next write; the request still gets the
            # answer it earned, a 401 included.
            self._refusals.put_back(counts, samples)
            log.add(refusals_unsaved=exc.code)

    def _ready_store(self) -> Store:
        # Migrated on first use rather than at construction, so that a process
        # started while the store is down still answers forged requests 401.
        if self._migrated:
            return self._store
        # Bounded: with the store down, threads queued here would otherwise
        # each wait out the one ahead of them retrying the migration.
        if not self._migrating.acquire(timeout=self._migration_wait):
            raise StoreUnavailable("the store's schema is still being migrated")
        try:
            if not self._migrated:
                self._store.migrate()
                self._migrated = True
        finally:
            self._migrating.release()
        return self._store

    def _keep(self, delivery: _Delivery, log: Invocation) -> Response:
        try:
            event = parse_event(delivery.body)
        except PayloadError as exc:
            return self._keep_invalid(delivery, log, exc.code, str(exc))

        record = _record(event, delivery)
        change = None if delivery.late else _transition(record, event)
        alerts = _alerts(record, event, late=delivery.late)
        try:
            result = self._ready_store().record_event(record, change, alerts)
        except UnstorableValue as exc:
            # Text the database cannot hold (a NUL in PostgreSQL, say) passes
            # the model but not the write. Writing it again can never succeed,
            # so a 503 would leave nothing kept however often Tencent retried.
            # Kept as invalid, the event waits for a person; the 400 shows in
            # Tencent's delivery records, and each retry Tencent still makes
            # (it retries any answer but 200) is recognised as a duplicate.
            return self._keep_invalid(delivery, log, exc.code, _UNSTORABLE)

        log.add(
            event_type=record.event_type,
            stream=str(record.stream) if record.stream else None,
            sequence=record.sequence,
            outcome=_outcome(record.status, result.duplicate, result.stale),
            alerts=result.alerts,
        )
        return json_response(200, _OK)

    def _keep_invalid(
        self, delivery: _Delivery, log: Invocation, code: str, message: str
    ) -> Response:
        # Authentic but malformed: keep it for a person, and say what is wrong.
        record = EventRecord(
            dedup_key="invalid:" + body_digest(delivery.body),
            event_type=event_code(delivery.body),
            stream=None,
            sequence=None,
            event_time=None,
            received_at=delivery.received_at,
            status=EventStatus.INVALID,
            body=delivery.raw,
            key_index=delivery.key_index,
        )
        self._ready_store().record_event(record)
        log.add(outcome="invalid", event_type=record.event_type)
        return _error(400, code, message)


def _rejected(log: Invocation, status: int, code: str, message: str) -> Response:
    # Turned away before the signature could be read: nothing is kept.
    log.add(outcome="rejected", reason=code)
    return _error(status, code, message)


def _decode(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _too_deep(raw: bytes, body: dict[str, Any]) -> bool:
    # A body cannot nest deeper than the brackets it holds, and real bodies
    # hold far fewer than the limit: only the others are walked.
    if raw.count(b"{") + raw.count(b"[") <= MAX_DEPTH:
        return False

    pending: list[tuple[dict[str, Any] | list[Any], int]] = [(body, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            return True
        children = value.values() if isinstance(value, dict) else value
        pending.extend(
            (child, depth + 1) for child in children if isinstance(child, (dict, list))
        )
    return False


def _redacted_sample(body: Mapping[str, Any]) -> bytes:
    # A refused body may carry someone's valid sign: drop t and sign first.
    rest = {name: value for name, value in body.items() if name not in {"t", "sign"}}
    text = json.dumps(rest, ensure_ascii=False, sort_keys=True)
    # A lone surrogate has no UTF-8 form; it is kept as its escape.
    return text.encode("utf-8", errors="backslashreplace")


def _record(event: Event, delivery: _Delivery) -> EventRecord:
    return EventRecord(
        dedup_key=event.dedup_key(),
        event_type=event.event_type,
        stream=_stream(event.stream_key()),
        sequence=_text(getattr(event, "sequence", None)),
        event_time=event.event_time_seconds(),
        received_at=delivery.received_at,
        status=EventStatus.QUARANTINED if delivery.late else EventStatus.APPLIED,
        body=delivery.raw,
        key_index=delivery.key_index,
    )


def _stream(key: tuple[str, str, str] | None) -> StreamKey | None:
    return None if key is None else StreamKey(*key)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _transition(record: EventRecord, event: Event) -> Transition | None:
    if record.event_time is None or not isinstance(event, (PushEvent, StopEvent)):
        return None
    stop = isinstance(event, StopEvent)
    return Transition(
        kind="stop" if stop else "push",
        sequence=record.sequence,
        event_time=record.event_time,
        errcode=event.errcode if stop else None,
        sub_errcode=event.sub_errcode,
    )


def _alerts(record: EventRecord, event: Event, *, late: bool) -> list[Alert]:
    # Expired events alert too, marked late. The poller confirms quarantined
    # pushes and stops to settle the stream's state, and nothing confirms a
    # 321 or a 341: held back here, these alerts would never be sent. The
    # signature was right, and a replay carries the event's dedup key, so it
    # cannot queue a second alert; the event time in the detail tells a person
    # how old the news is.
    if isinstance(event, StopEvent):
        return _stop_alerts(record, event, late)
    if isinstance(event, PushExceptionEvent):
        return [_push_exception_alert(record, event, late)]
    if isinstance(event, RecordExceptionEvent):
        return [_record_exception_alert(record, event, late)]
    return []


def _stop_alerts(record: EventRecord, event: StopEvent, late: bool) -> list[Alert]:
    errcode, sub_errcode = event.errcode, event.sub_errcode
    reason = stop_reason(errcode, sub_errcode, event.errmsg)
    if not reason.alert:
        return []
    return [
        Alert(
            fingerprint=f"abnormal_stop:{record.stream}:{errcode}/{sub_errcode}",
            kind="abnormal_stop",
            severity=reason.severity.value,
            title=f"{record.stream} stopped: {reason.description}",
            detail={
                "errcode": errcode,
                "sub_errcode": sub_errcode,
                "reason": reason.kind,
                "remedy": reason.remedy,
                "sequence": record.sequence,
                "event_time": record.event_time,
                "late": late,
            },
            stream=record.stream,
            created_at=record.received_at,
        )
    ]


def _push_exception_alert(
    record: EventRecord, event: PushExceptionEvent, late: bool
) -> Alert:
    kinds = sorted({item.type for item in event.abnormal_event or ()}, key=str)
    return Alert(
        fingerprint=f"push_exception:{record.stream}",
        kind="push_exception",
        severity="warning",
        title=f"{record.stream} reported push exceptions",
        detail={"types": kinds, "sequence": record.sequence, "late": late},
        stream=record.stream,
        created_at=record.received_at,
    )


def _record_exception_alert(
    record: EventRecord, event: RecordExceptionEvent, late: bool
) -> Alert:
    level = event.exception_level or ""
    severity = level if level in _LEVELS else "warning"
    exception = (event.model_extra or {}).get("exception")
    kind = exception.get("type") if isinstance(exception, dict) else None
    return Alert(
        fingerprint=f"record_exception:{record.stream}:{kind}",
        kind="record_exception",
        severity=severity,
        title=f"{record.stream} recording exception {kind}",
        detail={"type": kind, "level": severity, "late": late},
        stream=record.stream,
        created_at=record.received_at,
    )


def _outcome(status: EventStatus, duplicate: bool, stale: bool) -> str:
    if duplicate:
        return "duplicate"
    if status is EventStatus.QUARANTINED:
        return "quarantined"
    return "stale" if stale else "applied"


_app: CallbackApp | None = None
_app_lock = threading.Lock()
_logging_ready = False


def _ready_logging() -> None:
    # Before anything can emit, on either door: the first line of a process
    # (cold_start true) must not vanish because no handler was attached yet.
    global _logging_ready
    if _logging_ready:
        return
    with _app_lock:
        if not _logging_ready:
            configure_logging()
            _logging_ready = True


def _get_app() -> CallbackApp:
    global _app
    if _app is not None:
        return _app
    with _app_lock:
        if _app is None:
            settings = load_settings()
            configure_logging(settings.log_level)
            _app = CallbackApp(settings, open_store(settings.resolved_store_url))
    return _app


def serve(request: Request, app: CallbackApp | None = None) -> Response:
    """Run one delivery through the handler and write its log line.

    Args:
        request: the delivery, from either front door.
        app: the handler to run; by default the process's own, built from
            the environment on first use.

    Returns:
        The response; a failure below the handler becomes a JSON 5xx.
    """
    _ready_logging()
    log = Invocation("callback", request_id=request.request_id)
    try:
        response = (_get_app() if app is None else app).handle(request, log)
    except StoreUnavailable as exc:
        log.add(outcome="store_unavailable", error=exc.code)
        response = _error(503, exc.code, "the store is unavailable; retry later")
    except ConfigError as exc:
        # Its message names the variable and never repeats the value.
        log.add(outcome="config_error", error=exc.code, detail=str(exc))
        response = _error(503, exc.code, "the callback is misconfigured")
    except LiveError as exc:
        log.add(outcome="error", error=exc.code)
        response = _error(503, exc.code, "the callback cannot serve right now")
    except Exception as exc:
        # Only the type: a message could quote the body. Tencent will retry.
        log.add(outcome="internal_error", error=type(exc).__name__)
        response = _error(500, "internal_error", "unexpected failure; retry later")
    log.add(status=response.status)
    log.emit()
    return response


def callback(request: Any) -> tuple[bytes, int, dict[str, str]]:
    """functions-framework HTTP target."""
    return response_to_flask(serve(request_from_flask(request, MAX_BODY_BYTES)))


def main_handler(event: Any, context: Any = None) -> dict[str, Any]:
    """SCF entry point for API Gateway and Function URL events."""
    try:
        request = request_from_scf(event, MAX_BODY_BYTES)
    except PayloadError as exc:
        _ready_logging()
        log = Invocation("callback", outcome="bad_trigger_event", status=400)
        log.emit()
        return response_to_scf(_error(400, exc.code, str(exc)))
    return response_to_scf(serve(request))
