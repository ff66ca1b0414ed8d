"""The package every cloud function imports: signing, errors, events, store.

Functions use only the names listed in ``__all__``; the modules behind them are
implementation. Names resolve lazily (PEP 562), so ``import shared`` costs
nothing and a function pays only for what it touches: the signing and error
modules load the standard library alone, while events pull in pydantic and the
store loads its database driver on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.codes import (
        describe,
        from_api3,
        from_http_status,
        from_legacy,
    )
    from shared.errors import (
        Category,
        ConfigError,
        ErrorInfo,
        KeyNotConfigured,
        LiveError,
        PayloadError,
        Severity,
        SignatureError,
        SignatureExpired,
        SignatureMismatch,
        SignFieldMissing,
        SignMalformed,
        StoreError,
        StoreUnavailable,
        TencentError,
        TimestampInFuture,
        TimestampMalformed,
        UnstorableValue,
    )
    from shared.events import (
        EVENT_NAMES,
        EVENT_TYPES,
        BaseEvent,
        Event,
        PushEvent,
        PushExceptionEvent,
        RecordExceptionEvent,
        StopEvent,
        body_digest,
        event_code,
        event_name,
        parse_event,
    )
    from shared.http import (
        Request,
        Response,
        is_timer_event,
        json_response,
        request_from_flask,
        request_from_scf,
        response_to_flask,
        response_to_scf,
    )
    from shared.log import Invocation, configure_logging
    from shared.settings import ENV_NAMES, Settings, load_settings
    from shared.signing import (
        SignedPair,
        Verification,
        Verifier,
        make_sign,
        play_urls,
        push_url,
        signed_pair,
        tx_secret,
        tx_time,
        verify_push_url,
    )
    from shared.state import StreamKey, StreamState, Transition
    from shared.stops import StopKind, StopReason, stop_reason
    from shared.store import (
        Alert,
        EventRecord,
        EventStatus,
        RecordResult,
        Store,
        StoredEvent,
        open_store,
    )

_EXPORTS: dict[str, str] = {
    # errors
    "Category": "shared.errors",
    "ConfigError": "shared.errors",
    "ErrorInfo": "shared.errors",
    "KeyNotConfigured": "shared.errors",
    "LiveError": "shared.errors",
    "PayloadError": "shared.errors",
    "Severity": "shared.errors",
    "SignFieldMissing": "shared.errors",
    "SignMalformed": "shared.errors",
    "SignatureError": "shared.errors",
    "SignatureExpired": "shared.errors",
    "SignatureMismatch": "shared.errors",
    "StoreError": "shared.errors",
    "StoreUnavailable": "shared.errors",
    "TencentError": "shared.errors",
    "TimestampInFuture": "shared.errors",
    "TimestampMalformed": "shared.errors",
    # error tables
    "StopKind": "shared.stops",
    "StopReason": "shared.stops",
    "describe": "shared.codes",
    "from_api3": "shared.codes",
    "from_http_status": "shared.codes",
    "from_legacy": "shared.codes",
    "stop_reason": "shared.stops",
    # events
    "BaseEvent": "shared.events",
    "body_digest": "shared.events",
    "EVENT_NAMES": "shared.events",
    "EVENT_TYPES": "shared.events",
    "Event": "shared.events",
    "PushEvent": "shared.events",
    "PushExceptionEvent": "shared.events",
    "RecordExceptionEvent": "shared.events",
    "StopEvent": "shared.events",
    "event_code": "shared.events",
    "event_name": "shared.events",
    "parse_event": "shared.events",
    # front doors
    "Request": "shared.http",
    "Response": "shared.http",
    "is_timer_event": "shared.http",
    "json_response": "shared.http",
    "request_from_flask": "shared.http",
    "request_from_scf": "shared.http",
    "response_to_flask": "shared.http",
    "response_to_scf": "shared.http",
    # log
    "Invocation": "shared.log",
    "configure_logging": "shared.log",
    # settings
    "ENV_NAMES": "shared.settings",
    "Settings": "shared.settings",
    "load_settings": "shared.settings",
    # state and store
    "StreamKey": "shared.state",
    "StreamState": "shared.state",
    "Transition": "shared.state",
    "Alert": "shared.store",
    "EventRecord": "shared.store",
    "EventStatus": "shared.store",
    "RecordResult": "shared.store",
    "Store": "shared.store",
    "StoredEvent": "shared.store",
    "UnstorableValue": "shared.errors",
    "open_store": "shared.store",
    # signing
    "SignedPair": "shared.signing",
    "Verification": "shared.signing",
    "Verifier": "shared.signing",
    "make_sign": "shared.signing",
    "play_urls": "shared.signing",
    "push_url": "shared.signing",
    "signed_pair": "shared.signing",
    "tx_secret": "shared.signing",
    "tx_time": "shared.signing",
    "verify_push_url": "shared.signing",
}

# Spelled out so type checkers see the re-exports; a test keeps it equal to
# the keys of _EXPORTS.
__all__ = [
    "ENV_NAMES",
    "EVENT_NAMES",
    "EVENT_TYPES",
    "Alert",
    "BaseEvent",
    "Category",
    "ConfigError",
    "ErrorInfo",
    "Event",
    "EventRecord",
    "EventStatus",
    "Invocation",
    "KeyNotConfigured",
    "LiveError",
    "PayloadError",
    "PushEvent",
    "PushExceptionEvent",
    "RecordExceptionEvent",
    "RecordResult",
    "Request",
    "Response",
    "Settings",
    "Severity",
    "SignFieldMissing",
    "SignMalformed",
    "SignatureError",
    "SignatureExpired",
    "SignatureMismatch",
    "SignedPair",
    "StopEvent",
    "StopKind",
    "StopReason",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "StoredEvent",
    "StreamKey",
    "StreamState",
    "TencentError",
    "TimestampInFuture",
    "TimestampMalformed",
    "Transition",
    "UnstorableValue",
    "Verification",
    "Verifier",
    "body_digest",
    "configure_logging",
    "describe",
    "event_code",
    "event_name",
    "from_api3",
    "from_http_status",
    "from_legacy",
    "is_timer_event",
    "json_response",
    "load_settings",
    "make_sign",
    "open_store",
    "parse_event",
    "play_urls",
    "push_url",
    "request_from_flask",
    "request_from_scf",
    "response_to_flask",
    "response_to_scf",
    "signed_pair",
    "stop_reason",
    "tx_secret",
    "tx_time",
    "verify_push_url",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'shared' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
