"""The package's exceptions: one root, a small tree.

Every error raised by ``shared`` (and by the functions built on it) derives from
:class:`LiveError`, so a caller can catch one class and be sure nothing else
escapes. Errors carry context (a code, a request id, a stream), never a key, a
sign or a request body.

::

    LiveError
    ├── SignatureError              a (t, sign) pair or a signed URL was refused
    │   ├── SignFieldMissing        t or sign is absent or empty
    │   ├── TimestampMalformed      t is not a decimal integer
    │   ├── SignMalformed           sign is not a string
    │   ├── SignatureMismatch       no configured key produces the sign
    │   ├── SignatureExpired        the sign is right but t has passed
    │   ├── TimestampInFuture       t lies further ahead than allowed
    │   └── KeyNotConfigured        no key to check against, and no opt-out
    ├── ConfigError                 a setting is missing or has a bad value
    ├── PayloadError                a request body cannot be read as an event
    ├── StoreError                  the store refused or failed an operation
    │   ├── StoreUnavailable        the store cannot be reached right now
    │   └── UnstorableValue         a value does not fit the database; no retry helps
    └── TencentError                Tencent answered with an error code
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = [
    "Category",
    "ConfigError",
    "ErrorInfo",
    "KeyNotConfigured",
    "LiveError",
    "PayloadError",
    "Severity",
    "SignFieldMissing",
    "SignMalformed",
    "SignatureError",
    "SignatureExpired",
    "SignatureMismatch",
    "StoreError",
    "StoreUnavailable",
    "TencentError",
    "TimestampInFuture",
    "TimestampMalformed",
    "UnstorableValue",
]


class LiveError(Exception):
    """Root of every error this package raises."""

    #: A stable, machine-readable code; error responses and logs carry it.
    code: str = "live_error"


class SignatureError(LiveError):
    """A (t, sign) pair or a signed URL was refused."""

    code = "signature_error"


class SignFieldMissing(SignatureError):
    """Raised when t or sign is absent or empty."""

    code = "sign_missing"


class TimestampMalformed(SignatureError):
    """Raised when t is not a decimal integer (a JSON number or digit string)."""

    code = "t_malformed"


class SignMalformed(SignatureError):
    """Raised when sign is present but not a string."""

    code = "sign_malformed"


class SignatureMismatch(SignatureError):
    """Raised when no configured key produces the received sign."""

    code = "sign_mismatch"


class SignatureExpired(SignatureError):
    """Raised when the sign matches a key but t (plus grace) has passed.

    The signature was authentic, so the caller may still keep the message aside
    (quarantine) rather than drop it.
    """

    code = "sign_expired"

    def __init__(self, message: str, *, key_index: int, t: int) -> None:
        super().__init__(message)
        self.key_index = key_index
        self.t = t


class TimestampInFuture(SignatureError):
    """Raised when t lies further in the future than the configured bound."""

    code = "t_in_future"


class KeyNotConfigured(SignatureError):
    """Raised when no key is configured and unsigned input was not allowed."""

    code = "key_not_configured"


class ConfigError(LiveError):
    """Raised when a setting is missing or has a bad value."""

    code = "config_error"


class PayloadError(LiveError):
    """Raised when a request body cannot be read as an event."""

    code = "bad_payload"


class StoreError(LiveError):
    """Raised when the store refuses or fails an operation."""

    code = "store_error"


class StoreUnavailable(StoreError):
    """Raised when the store cannot be reached; the caller should retry later."""

    code = "store_unavailable"


class UnstorableValue(StoreError):
    """Raised when a value cannot be written as it stands: a number too large
    for its column, or text the database cannot hold (NUL, lone surrogates).

    Writing it again can never succeed, so unlike StoreUnavailable it is no
    reason to retry.
    """

    code = "unstorable_value"


class Category(str, Enum):
    """What kind of problem an upstream error code stands for."""

    AUTH = "auth"
    CONFIG = "config"
    NOT_ENABLED = "not_enabled"
    RATE_LIMITED = "rate_limited"
    TRANSIENT = "transient"
    INVALID_INPUT = "invalid_input"
    NOT_LIVE = "not_live"
    EMPTY = "empty"
    UNKNOWN = "unknown"


class Severity(str, Enum):
    """How urgently a person should look at an error."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


@dataclass(frozen=True)
class ErrorInfo:
    """What one upstream code means and what a person can do about it."""

    category: Category
    retryable: bool
    severity: Severity
    remedy: str
    #: True when the code describes a state (no stream live, no data) rather
    #: than a failure; callers treat it as an answer, not an error.
    is_state: bool = False


class TencentError(LiveError):
    """Raised when Tencent answers with an error code.

    Attributes:
        upstream_code: Tencent's code or message exactly as received.
        layer: where the code came from (``http``, ``legacy_access``,
            ``legacy_backend``, ``api3``, ``stop``).
        info: the mapped category, severity, retryability and remedy.
        request_id: Tencent's RequestId when the answer carried one.
    """

    code = "tencent_error"

    def __init__(
        self,
        message: str,
        *,
        upstream_code: str,
        layer: str,
        info: ErrorInfo,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.upstream_code = upstream_code
        self.layer = layer
        self.info = info
        self.request_id = request_id

    @property
    def category(self) -> Category:
        """The mapped category of the upstream code."""
        return self.info.category

    @property
    def retryable(self) -> bool:
        """Whether trying the same call again later may succeed."""
        return self.info.retryable
