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
        StoreError,
        StoreUnavailable,
        TencentError,
        TimestampInFuture,
        TimestampMalformed,
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
    "SignatureError": "shared.errors",
    "SignatureExpired": "shared.errors",
    "SignatureMismatch": "shared.errors",
    "StoreError": "shared.errors",
    "StoreUnavailable": "shared.errors",
    "TencentError": "shared.errors",
    "TimestampInFuture": "shared.errors",
    "TimestampMalformed": "shared.errors",
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

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'shared' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
