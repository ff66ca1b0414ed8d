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
stops retrying; the poller confirms it later. The handler never calls the
network and never echoes the body, the headers or a key.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from shared import (
    Alert,
    ConfigError,
    Event,
    EventRecord,
    EventStatus,
    Invocation,
    LiveError,
    PayloadError,
    Request,
    Response,
    Settings,
    SignatureError,
    SignatureExpired,
    Store,
    StoreUnavailable,
    StreamKey,
    Transition,
    Verifier,
    body_digest,
    configure_logging,
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

_OK = {"code": 0}


def _error(status: int, code: str, message: str) -> Response:
    return json_response(status, {"code": code, "message": message})


class CallbackApp:
    """The callback's logic, built once per process from its settings."""

    def __init__(
        self, settings: Settings, store: Store, clock: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self._clock = clock
        self._verifier = Verifier(
            settings.key_values(),
            grace_seconds=settings.sign_grace_seconds,
            max_future_seconds=settings.sign_max_future_seconds,
            clock=clock,
            allow_unsigned=settings.allow_unsigned,
        )

    def handle(self, request: Request, log: Invocation) -> Response:
        """Answer one delivery; every outcome is a JSON response."""
        if request.method != "POST":
            return _error(405, "method_not_allowed", "callbacks must be POSTed")
        if request.too_large:
            return _error(413, "body_too_large", "the body exceeds 64 KiB")

        body = _decode(request.body)
        if body is None:
            return _error(
                400, "not_json_object", "the body must be a UTF-8 JSON object"
            )
        return self._verified(request, body, log)

    def _verified(
        self, request: Request, body: dict[str, Any], log: Invocation
    ) -> Response:
        received_at = self._clock()
        try:
            check = self._verifier.verify(body.get("t"), body.get("sign"))
        except SignatureExpired as exc:
            log.add(verified_by=exc.key_index)
            return self._keep(body, request.body, received_at, log, exc.key_index, True)
        except SignatureError as exc:
            return self._refuse(exc, body, received_at, log)

        log.add(verified_by=check.key_index)
        return self._keep(body, request.body, received_at, log, check.key_index, False)

    def _refuse(
        self,
        exc: SignatureError,
        body: Mapping[str, Any],
        received_at: float,
        log: Invocation,
    ) -> Response:
        log.add(outcome="refused", reason=exc.code)
        sample = _redacted_sample(body)
        self._store.record_refusal(f"verify.{exc.code}", exc.code, sample, received_at)
        if exc.code == "key_not_configured":
            # Our misconfiguration, not the sender's: make Tencent retry.
            return _error(503, exc.code, "no callback key is configured")
        return _error(401, exc.code, "the signature was refused")

    def _keep(
        self,
        body: dict[str, Any],
        raw: bytes,
        received_at: float,
        log: Invocation,
        key_index: int | None,
        expired: bool,
    ) -> Response:
        try:
            event = parse_event(body)
        except PayloadError as exc:
            return self._keep_invalid(body, raw, received_at, log, key_index, exc)

        status = EventStatus.QUARANTINED if expired else EventStatus.APPLIED
        record = EventRecord(
            dedup_key=event.dedup_key(),
            event_type=event.event_type,
            stream=_stream(event.stream_key()),
            sequence=_text(getattr(event, "sequence", None)),
            event_time=event.event_time_seconds(),
            received_at=received_at,
            status=status,
            body=raw,
            key_index=key_index,
        )
        change = None if expired else _transition(record, event)
        alerts = () if expired else _alerts(record, event, body)
        result = self._store.record_event(record, change, alerts)

        log.add(
            event_type=record.event_type,
            stream=str(record.stream) if record.stream else None,
            sequence=record.sequence,
            outcome=_outcome(status, result.duplicate, result.stale),
            alerts=result.alerts,
        )
        return json_response(200, _OK)

    def _keep_invalid(
        self,
        body: dict[str, Any],
        raw: bytes,
        received_at: float,
        log: Invocation,
        key_index: int | None,
        exc: PayloadError,
    ) -> Response:
        # Authentic but malformed: keep it for a person, and say what is wrong.
        event_type = body.get("event_type")
        record = EventRecord(
            dedup_key="invalid:" + body_digest(body),
            event_type=event_type if type(event_type) is int else None,
            stream=None,
            sequence=None,
            event_time=None,
            received_at=received_at,
            status=EventStatus.INVALID,
            body=raw,
            key_index=key_index,
        )
        self._store.record_event(record)
        log.add(outcome="invalid", event_type=record.event_type)
        return _error(400, exc.code, str(exc))


def _decode(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _redacted_sample(body: Mapping[str, Any]) -> bytes:
    # A refused body may carry someone's valid sign: drop t and sign first.
    rest = {name: value for name, value in body.items() if name not in {"t", "sign"}}
    return json.dumps(rest, ensure_ascii=False, sort_keys=True).encode()


def _stream(key: tuple[str, str, str] | None) -> StreamKey | None:
    return None if key is None else StreamKey(*key)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _transition(record: EventRecord, event: Any) -> Transition | None:
    if record.event_type not in (0, 1) or record.event_time is None:
        return None
    return Transition(
        kind="push" if record.event_type == 1 else "stop",
        sequence=record.sequence,
        event_time=record.event_time,
        errcode=getattr(event, "errcode", None) if record.event_type == 0 else None,
        sub_errcode=getattr(event, "sub_errcode", None),
    )


def _alerts(record: EventRecord, event: Event, body: Mapping[str, Any]) -> list[Alert]:
    builder = _ALERT_BUILDERS.get(event.event_type)
    return [] if builder is None else builder(record, event, body)


def _stop_alerts(
    record: EventRecord, event: Any, body: Mapping[str, Any]
) -> list[Alert]:
    errcode = getattr(event, "errcode", None)
    sub_errcode = getattr(event, "sub_errcode", None)
    reason = stop_reason(errcode, sub_errcode, getattr(event, "errmsg", None))
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
            },
            stream=record.stream,
            created_at=record.received_at,
        )
    ]


def _push_exception_alerts(
    record: EventRecord, event: Any, body: Mapping[str, Any]
) -> list[Alert]:
    abnormal = body.get("abnormal_event")
    kinds = sorted(
        {item.get("type") for item in abnormal if isinstance(item, dict)}
        if isinstance(abnormal, list)
        else set(),
        key=str,
    )
    return [
        Alert(
            fingerprint=f"push_exception:{record.stream}",
            kind="push_exception",
            severity="warning",
            title=f"{record.stream} reported push exceptions",
            detail={"types": kinds, "sequence": record.sequence},
            stream=record.stream,
            created_at=record.received_at,
        )
    ]


_LEVELS = {"info": "info", "warning": "warning", "error": "error"}


def _record_exception_alerts(
    record: EventRecord, event: Any, body: Mapping[str, Any]
) -> list[Alert]:
    level = _LEVELS.get(str(body.get("exception_level")), "warning")
    exception = body.get("exception")
    kind = exception.get("type") if isinstance(exception, dict) else None
    return [
        Alert(
            fingerprint=f"record_exception:{record.stream}:{kind}",
            kind="record_exception",
            severity=level,
            title=f"{record.stream} recording exception {kind}",
            detail={"type": kind, "level": level},
            stream=record.stream,
            created_at=record.received_at,
        )
    ]


_ALERT_BUILDERS: dict[
    int, Callable[[EventRecord, Any, Mapping[str, Any]], list[Alert]]
] = {
    0: _stop_alerts,
    321: _push_exception_alerts,
    341: _record_exception_alerts,
}


def _outcome(status: EventStatus, duplicate: bool, stale: bool) -> str:
    if duplicate:
        return "duplicate"
    if status is EventStatus.QUARANTINED:
        return "quarantined"
    return "stale" if stale else "applied"


_app: CallbackApp | None = None
_app_lock = threading.Lock()


def _get_app() -> CallbackApp:
    global _app
    if _app is not None:
        return _app
    with _app_lock:
        if _app is None:
            # Before the settings: a bad setting must still reach the log.
            configure_logging()
            settings = load_settings()
            configure_logging(settings.log_level)
            store = open_store(settings.resolved_store_url)
            store.migrate()
            _app = CallbackApp(settings, store)
    return _app


def serve(request: Request) -> Response:
    """Run one delivery through the handler and write its log line."""
    log = Invocation("callback", request_id=request.request_id)
    try:
        response = _get_app().handle(request, log)
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
        log = Invocation("callback", outcome="bad_trigger_event", status=400)
        log.emit()
        return response_to_scf(_error(400, exc.code, str(exc)))
    return response_to_scf(serve(request))
