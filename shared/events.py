"""Models of the events Tencent Cloud Live posts to a callback URL.

:func:`parse_event` is the one way in: it picks the model by ``event_type`` and
turns every refusal into :class:`~shared.errors.PayloadError`, whose message
names the bad fields and never their values.

Field names are Tencent's wire names, so ``model_dump()`` gives back the keys
Tencent sent (camelCase ``streamId``/``channelId`` on 317 included). Unknown
fields are kept as extras and the body as received stays available through
:meth:`BaseEvent.body`. Fields whose shape no example confirms (the 341
``exception``, the 332 ``record_detail``, the 317 scores) stay extras too, so a
shape we did not foresee never costs an event.

Tolerance and strictness, in one place:

* ``t`` follows :func:`shared.signing.parse_t`: an int or a string of digits.
* ``event_type`` is an int or a string of ASCII digits (``"1"``); the legacy
  documents show every field as text, so a digit string is accepted rather
  than losing a real event. Floats, bools, lists and the like are refused.
* ``sequence``, ``seq`` and ``push_duration`` are text; an int is turned into
  its decimal string so a push and its stop compare equal either way.
* Every other int is strict (a bool never passes as 1, a digit string never
  passes as an int) and every text field must be a JSON string.
* Codes (``event_type``, ``errcode``, ``sub_errcode``) lie in the signed
  32-bit range and UNIX times (seconds or milliseconds) in 0..2**53. The store
  keeps them in integer columns, so a value outside would fail at the database
  instead; refused here, it names its field and the event is kept as invalid.
* Every field except ``event_type`` may be absent: fields come and go across
  eras (``app``/``appname`` on old records, ``appid`` on snapshots, ``file_id``
  versus ``record_file_id``, ``video_id``, ``vod2Flag``, ``sub_errcode``).

Import cost matters on a cold start, so the models build their validators on
first use (``defer_build``): a function that only sees push events never pays
for the others.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, TypeAlias

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from shared.errors import PayloadError, SignatureError
from shared.signing import parse_t

__all__ = [
    "EVENT_NAMES",
    "EVENT_TYPES",
    "AbnormalDetail",
    "AbnormalEvent",
    "BaseEvent",
    "Event",
    "ImageAuditEvent",
    "LiveSummaryEvent",
    "MonitorEvent",
    "PushEvent",
    "PushExceptionEvent",
    "RecordEvent",
    "RecordExceptionEvent",
    "RecordStatusEvent",
    "RelayEvent",
    "SnapshotEvent",
    "StopEvent",
    "UnknownEvent",
    "body_digest",
    "event_code",
    "event_name",
    "parse_event",
]

# Same bound as parse_t: twelve digits reach far past any UNIX time or code.
_MAX_DIGITS = 12

# The store's INTEGER columns hold signed 32-bit values.
_CODE_MIN = -(2**31)
_CODE_MAX = 2**31 - 1

# The largest integer a double holds exactly, so JSON readers in any language
# agree on the value; as milliseconds it is still past the year 200000, and
# it fits the store's 64-bit columns with room to spare.
_TIME_MAX = 2**53

# Fields left out of the body hash: a retry may carry a fresh pair.
_SIGNATURE_FIELDS = frozenset({"t", "sign"})

_CONFIG = ConfigDict(extra="allow", frozen=True, strict=True, defer_build=True)


def _digits_to_int(value: object) -> object:
    """Turn a string of ASCII digits into an int; leave the rest to strict checks."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value) if len(value) <= _MAX_DIGITS else value
    return value


def _int_to_text(value: object) -> object:
    """Turn an int (never a bool) into its decimal string; leave the rest alone."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _expiry(value: object) -> int:
    """Parse ``t`` exactly as the signature check does."""
    try:
        return parse_t(value)
    except SignatureError:
        raise ValueError("t must be a decimal integer") from None


#: A code Tencent sends as an int (errcode, sub_errcode), in 32-bit range.
Code = Annotated[int, Field(ge=_CODE_MIN, le=_CODE_MAX)]

#: event_type: a code, or a string of ASCII digits read as one.
EventCode = Annotated[
    int, BeforeValidator(_digits_to_int), Field(ge=_CODE_MIN, le=_CODE_MAX)
]

#: A UNIX time, in seconds or milliseconds as each field says.
UnixTime = Annotated[int, Field(ge=0, le=_TIME_MAX)]

#: Decimal text; an int is accepted and turned into its string.
DecimalText = Annotated[str, BeforeValidator(_int_to_text)]

#: The expiry time ``t``, as strict as :func:`shared.signing.parse_t`.
Expiry = Annotated[int, BeforeValidator(_expiry)]


class BaseEvent(BaseModel):
    """Fields and helpers every callback shares.

    Subclasses describe where their stream and time live through class
    attributes, so the helpers below stay one implementation.

    Attributes:
        event_type: Tencent's event code.
        t: the UNIX time at which the signature expires.
        sign: ``MD5(key + t)`` in hex.
    """

    model_config = _CONFIG

    event_type: EventCode
    t: Expiry | None = None
    sign: str | None = None

    #: The event_type this model stands for; None accepts any.
    _code: ClassVar[int | None] = None
    #: Fields holding the push domain, the AppName and the stream, best first.
    _domain_fields: ClassVar[tuple[str, ...]] = ()
    _app_fields: ClassVar[tuple[str, ...]] = ()
    _stream_fields: ClassVar[tuple[str, ...]] = ()
    #: The field holding the time of the event, and its units per second.
    _time_field: ClassVar[str | None] = None
    _time_units: ClassVar[int] = 1

    _body: dict[str, Any] = PrivateAttr(default_factory=dict)

    @field_validator("event_type")
    @classmethod
    def _matches_model(cls, value: int) -> int:
        if cls._code is not None and value != cls._code:
            raise ValueError("event_type belongs to another model")
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _keep_body(
        cls, data: Any, handler: ModelWrapValidatorHandler[BaseEvent]
    ) -> BaseEvent:
        event = handler(data)
        if isinstance(data, Mapping):
            event._body = _json_copy(data)
        return event

    def body(self) -> dict[str, Any]:
        """Return the body as received, before any normalisation.

        Returns:
            A fresh copy; changing it leaves the event untouched.
        """
        return copy.deepcopy(self._body)

    def stream_key(self) -> tuple[str, str, str] | None:
        """Return (push domain, AppName, stream name), or None without a stream.

        A missing domain or AppName becomes an empty string. Surrounding
        spaces are dropped: real payloads carried ``app`` with a trailing
        space on a push and without it on the matching stop.
        """
        stream = self._first_text(self._stream_fields)
        if not stream:
            return None
        domain = self._first_text(self._domain_fields)
        return (domain, self._first_text(self._app_fields), stream)

    def dedup_key(self) -> str:
        """Return a key equal for every delivery of the same event.

        This default hashes the body without ``t`` and ``sign``, so a retry
        signed again is still recognised; subclasses use a natural id instead.
        """
        return f"{self.event_type}:sha256:{self._body_digest()}"

    def event_time_seconds(self) -> int | None:
        """Return when the event happened, in UNIX seconds, or None if unknown."""
        if self._time_field is None:
            return None
        value: int | None = getattr(self, self._time_field)
        if value is None:
            return None
        return value // self._time_units

    def _first_text(self, names: tuple[str, ...]) -> str:
        for name in names:
            value = getattr(self, name, None)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return ""

    def _body_digest(self) -> str:
        return body_digest(self._body)


def body_digest(body: Mapping[str, Any]) -> str:
    """Return the SHA-256 of a body's canonical JSON without ``t`` and ``sign``.

    Two deliveries of one event differ only in ``t`` and ``sign``, so they get
    the same digest. Values that are not JSON are rendered with ``str``.
    """
    unsigned = {
        key: value for key, value in body.items() if key not in _SIGNATURE_FIELDS
    }
    text = json.dumps(unsigned, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _json_copy(data: Mapping[Any, Any]) -> dict[str, Any]:
    """Copy a body through JSON, which also proves the hash can be computed."""
    try:
        copied: dict[str, Any] = json.loads(json.dumps(dict(data)))
    except (TypeError, ValueError, RecursionError):
        raise ValueError("the body is not JSON data") from None
    return copied


class _TencentEvent(BaseEvent):
    """Fields every documented event may carry.

    Attributes:
        appid: the Tencent account's APPID (absent on some snapshots).
        interface: ``general_callback`` on the newer event families.
    """

    appid: int | None = None
    interface: str | None = None


class _PublishEvent(_TencentEvent):
    """Fields shared by a push (1) and a stop (0).

    Attributes:
        app: the push domain.
        appname: the AppName (push path), e.g. ``live``.
        stream_id: the stream name; ``channel_id`` is its historical alias.
        event_time: UNIX seconds when the push started or stopped.
        sequence: one publishing session; its push and its stop share it.
        errcode: the stop reason (0 on a push); ``errmsg`` is free text.
        sub_errcode: the finer reason some stops carry.
    """

    _domain_fields = ("app",)
    _app_fields = ("appname",)
    _stream_fields = ("stream_id", "channel_id")
    _time_field = "event_time"

    app: str | None = None
    appname: str | None = None
    stream_id: str | None = None
    channel_id: str | None = None
    event_time: UnixTime | None = None
    sequence: DecimalText | None = None
    node: str | None = None
    user_ip: str | None = None
    stream_param: str | None = None
    errcode: Code | None = None
    errmsg: str | None = None
    sub_errcode: Code | None = None
    set_id: int | None = None
    width: int | None = None
    height: int | None = None
    idc_id: int | None = None

    def dedup_key(self) -> str:
        """Return ``type:domain/app/stream:sequence``, or the body hash without one."""
        if not self.sequence:
            return super().dedup_key()
        domain, app, stream = self.stream_key() or ("", "", "")
        return f"{self.event_type}:{domain}/{app}/{stream}:{self.sequence}"


class PushEvent(_PublishEvent):
    """A stream started publishing (event_type 1).

    ``errmsg`` is not reliable on a push: real ones carry errcode 0 with
    ``"Maybe Error return Data no record!"``.
    """

    _code = 1


class StopEvent(_PublishEvent):
    """A stream stopped publishing (event_type 0).

    Attributes:
        push_duration: how long the push lasted, in milliseconds, as text.
    """

    _code = 0

    push_duration: DecimalText | None = None


class RecordEvent(_TencentEvent):
    """A recording file is ready (event_type 100).

    Attributes:
        file_id: the VOD file id; older bodies may carry only
            ``record_file_id``, which holds the same value.
        start_time: UNIX seconds of the file's first frame.
        end_time: UNIX seconds of the file's last frame.
        video_id: the VOD 1.0 id, legacy bodies only; ``vod2Flag`` likewise.
    """

    _code = 100
    _domain_fields = ("app",)
    _app_fields = ("appname",)
    _stream_fields = ("stream_id", "channel_id")
    _time_field = "end_time"

    app: str | None = None
    appname: str | None = None
    stream_id: str | None = None
    channel_id: str | None = None
    file_id: str | None = None
    record_file_id: str | None = None
    file_format: str | None = None
    task_id: str | None = None
    record_temp_id: str | None = None
    start_time: UnixTime | None = None
    end_time: UnixTime | None = None
    start_time_usec: int | None = None
    end_time_usec: int | None = None
    duration: int | None = None
    file_size: int | None = None
    stream_param: str | None = None
    video_url: str | None = None
    media_start_time: int | None = None
    record_bps: int | None = None
    callback_ext: str | None = None
    video_id: str | None = None
    vod2Flag: int | None = None  # noqa: N815 - Tencent's wire name

    def dedup_key(self) -> str:
        """Return ``100:file_id``, or the body hash when the file has no id."""
        file_id = self.file_id or self.record_file_id
        if not file_id:
            return super().dedup_key()
        return f"{self.event_type}:{file_id}"


class SnapshotEvent(_TencentEvent):
    """A snapshot was taken (event_type 200).

    Attributes:
        create_time: UNIX seconds of the snapshot.
        pic_url: the object path, ``/path/name.jpg``; ``pic_full_url`` adds
            the host.
    """

    _code = 200
    _domain_fields = ("app",)
    _app_fields = ("appname",)
    _stream_fields = ("stream_id", "channel_id")
    _time_field = "create_time"

    app: str | None = None
    appname: str | None = None
    stream_id: str | None = None
    channel_id: str | None = None
    stream_param: str | None = None
    create_time: UnixTime | None = None
    file_size: int | None = None
    width: int | None = None
    height: int | None = None
    pic_url: str | None = None
    pic_full_url: str | None = None

    def dedup_key(self) -> str:
        """Return ``200:pic_url``, or the body hash when there is no picture."""
        if not self.pic_url:
            return super().dedup_key()
        return f"{self.event_type}:{self.pic_url}"


class RelayEvent(_TencentEvent):
    """A pull-and-relay task changed state (event_type 314).

    Documented examples carry no ``t``/``sign``.

    Attributes:
        callback_event: ``TaskStart``, ``VodSourceFileStart``,
            ``VodSourceFileFinish`` or ``TaskExit``.
        msg: details as JSON text; ``source_urls`` is JSON text too.
    """

    _code = 314
    _stream_fields = ("stream_id",)

    callback_event: str | None = None
    msg: str | None = None
    product_name: str | None = None
    source_urls: str | None = None
    to_url: str | None = None
    stream_id: str | None = None
    task_id: str | None = None


class ImageAuditEvent(_TencentEvent):
    """An image audit (porn detection) flagged a stream (event_type 317).

    Modelled on the newer form; the scores stay extras.

    Attributes:
        streamId: the stream name, camelCase on this event only.
        type: the categories found; 0 is normal.
        screenshotTime: UNIX seconds of the audited frame.
    """

    _code = 317
    _domain_fields = ("app",)
    _app_fields = ("appname",)
    _stream_fields = ("streamId", "channelId")
    _time_field = "screenshotTime"

    app: str | None = None
    appname: str | None = None
    streamId: str | None = None  # noqa: N815 - Tencent's wire name
    channelId: str | None = None  # noqa: N815 - Tencent's wire name
    stream_param: str | None = None
    img: str | None = None
    type: list[int] | None = None
    suggestion: str | None = None
    label: str | None = None
    subLabel: str | None = None  # noqa: N815 - Tencent's wire name
    tid: int | None = None
    screenshotTime: UnixTime | None = None  # noqa: N815 - Tencent's wire name
    sendTime: UnixTime | None = None  # noqa: N815 - Tencent's wire name


class AbnormalDetail(BaseModel):
    """One occurrence inside a push exception.

    Attributes:
        occur_time: UNIX milliseconds of the occurrence.
    """

    model_config = _CONFIG

    desc: str | None = None
    occur_time: UnixTime | None = None


class AbnormalEvent(BaseModel):
    """One kind of push anomaly and how often it occurred in the interval."""

    model_config = _CONFIG

    type: int | None = None
    count: int | None = None
    detail: list[AbnormalDetail] | None = None
    type_desc_cn: str | None = None
    type_desc_en: str | None = None
    event_key: str | None = None


class PushExceptionEvent(_TencentEvent):
    """A push showed anomalies during the last interval (event_type 321).

    Attributes:
        domain: the push domain; ``path`` is the AppName.
        data_time: UNIX milliseconds of the report.
        report_interval: milliseconds between reports; ``timeout`` likewise
            in milliseconds.
    """

    _code = 321
    _domain_fields = ("domain",)
    _app_fields = ("path", "appname")
    _stream_fields = ("stream_id",)
    _time_field = "data_time"
    _time_units = 1000

    domain: str | None = None
    path: str | None = None
    appname: str | None = None
    stream_id: str | None = None
    stream_param: str | None = None
    sequence: DecimalText | None = None
    user_ip: str | None = None
    data_time: UnixTime | None = None
    report_interval: int | None = None
    timeout: int | None = None
    abnormal_event: list[AbnormalEvent] | None = None


class MonitorEvent(_TencentEvent):
    """A stream-monitoring notice (event_type 328).

    Attributes:
        event_time: UNIX **milliseconds** here, unlike every other event.
    """

    _code = 328
    _stream_fields = ("stream_id",)
    _time_field = "event_time"
    _time_units = 1000

    stream_id: str | None = None
    event_name: str | None = None
    event_time: UnixTime | None = None


class RecordStatusEvent(_TencentEvent):
    """A recording task changed state (event_type 332).

    Attributes:
        record_event: ``record_start_succeeded``, ``record_start_failed``,
            ``record_paused``, ``record_resumed``, ``record_error`` or
            ``record_ended``.
        event_time: UNIX seconds of the change.
        seq: the message's sequence number, as text.
    """

    _code = 332
    _domain_fields = ("domain",)
    _app_fields = ("appname",)
    _stream_fields = ("stream_id",)
    _time_field = "event_time"

    domain: str | None = None
    appname: str | None = None
    stream_id: str | None = None
    event_time: UnixTime | None = None
    record_event: str | None = None
    task_id: str | None = None
    seq: DecimalText | None = None
    session_id: str | None = None


class RecordExceptionEvent(_TencentEvent):
    """A recording ran into trouble (event_type 341).

    The ``exception`` object (type, occurs, desc) stays an extra.

    Attributes:
        timestamp: UNIX seconds of the report.
        exception_level: ``info``, ``warning`` or ``error``.
    """

    _code = 341
    _stream_fields = ("stream_id",)
    _time_field = "timestamp"

    stream_id: str | None = None
    session_id: str | None = None
    file_format: str | None = None
    timestamp: UnixTime | None = None
    exception_level: str | None = None


class LiveSummaryEvent(_TencentEvent):
    """An AI summary of a stretch of a live stream (event_type 348).

    Only the envelope is modelled; the summary text and keywords are extras.

    Attributes:
        begin_time: UNIX seconds where the summarised stretch starts.
        end_time: UNIX seconds where it ends.
    """

    _code = 348
    _domain_fields = ("domain",)
    _app_fields = ("path",)
    _stream_fields = ("stream_id",)
    _time_field = "end_time"

    domain: str | None = None
    path: str | None = None
    stream_id: str | None = None
    begin_time: UnixTime | None = None
    end_time: UnixTime | None = None


class UnknownEvent(BaseEvent):
    """Any other event_type: kept whole, with no stream and no time."""


Event: TypeAlias = (
    PushEvent
    | StopEvent
    | RecordEvent
    | SnapshotEvent
    | RelayEvent
    | ImageAuditEvent
    | PushExceptionEvent
    | MonitorEvent
    | RecordStatusEvent
    | RecordExceptionEvent
    | LiveSummaryEvent
    | UnknownEvent
)

#: The model for each documented event_type.
EVENT_TYPES: Mapping[int, type[Event]] = MappingProxyType(
    {
        0: StopEvent,
        1: PushEvent,
        100: RecordEvent,
        200: SnapshotEvent,
        314: RelayEvent,
        317: ImageAuditEvent,
        321: PushExceptionEvent,
        328: MonitorEvent,
        332: RecordStatusEvent,
        341: RecordExceptionEvent,
        348: LiveSummaryEvent,
    }
)

#: A short name for each documented event_type, for logs and metrics.
EVENT_NAMES: Mapping[int, str] = MappingProxyType(
    {
        0: "stop",
        1: "push",
        100: "record",
        200: "snapshot",
        314: "relay",
        317: "image_audit",
        321: "push_exception",
        328: "monitor",
        332: "record_status",
        341: "record_exception",
        348: "live_summary",
    }
)


def event_name(event_type: int) -> str:
    """Return the short name of an event_type, ``unknown`` when undocumented."""
    return EVENT_NAMES.get(event_type, "unknown")


def parse_event(body: Mapping[str, Any]) -> Event:
    """Read a decoded callback body as the model its event_type calls for.

    Args:
        body: the JSON object Tencent posted, as decoded.

    Returns:
        The event; an undocumented event_type gives an :class:`UnknownEvent`.

    Raises:
        PayloadError: the body is not an object with string keys, has no
            event_type, or a field has the wrong type. The message names the
            fields, never their values.
    """
    code = _event_type(body)
    model = EVENT_TYPES.get(code, UnknownEvent)
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        message = _refusal(code, exc)
    # Raised outside the handler so the ValidationError, which quotes the
    # received values, is neither the cause nor the context of the error.
    raise PayloadError(message)


def event_code(body: Mapping[str, Any]) -> int | None:
    """Return a body's event_type as a code the store can hold, or None.

    It is read as :func:`parse_event` reads it (an int or a string of ASCII
    digits), so a body kept as invalid still records a usable type.

    Args:
        body: the JSON object Tencent posted, as decoded.

    Returns:
        The code, or None when event_type is absent, not an integer or
        outside the signed 32-bit range.
    """
    code = _whole(body.get("event_type"))
    if code is None or not _CODE_MIN <= code <= _CODE_MAX:
        return None
    return code


def _event_type(body: object) -> int:
    """Find the event_type of a body, refusing what cannot be dispatched."""
    if not isinstance(body, Mapping):
        raise PayloadError("the body must be a JSON object")
    if not all(isinstance(key, str) for key in body):
        raise PayloadError("every key of the body must be a string")
    if "event_type" not in body:
        raise PayloadError("the body has no event_type")

    code = _whole(body["event_type"])
    if code is None:
        raise PayloadError("event_type must be an integer or a string of digits")
    return code


def _whole(value: object) -> int | None:
    """Read an int or a digit string as an int; None for anything else."""
    code = _digits_to_int(value)
    if isinstance(code, bool) or not isinstance(code, int):
        return None
    return code


def _refusal(code: int, exc: ValidationError) -> str:
    """Describe a validation failure by field and error type, without values."""
    problems = sorted(
        {
            f"{_location(error['loc'])} ({error['type']})"
            for error in exc.errors(include_url=False, include_input=False)
        }
    )
    return f"{event_name(code)} event has invalid fields: {', '.join(problems)}"


def _location(loc: tuple[int | str, ...]) -> str:
    """Join a pydantic location; the body itself when it is empty."""
    return ".".join(str(part) for part in loc) or "body"
