"""Front doors: one plain request and response type for every trigger.

A function's logic takes a :class:`Request` (method, headers, body bytes) and
returns a :class:`Response`. Thin adapters turn a functions-framework (Flask)
request, an SCF API Gateway event or a Function URL event into a Request, and
the Response back into what each runtime expects. Flask is imported only by the
Flask adapter's caller, never here, so the SCF path stays light.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from shared.errors import PayloadError

__all__ = [
    "Request",
    "Response",
    "is_timer_event",
    "json_response",
    "request_from_flask",
    "request_from_scf",
    "response_to_flask",
    "response_to_scf",
]


@dataclass(frozen=True)
class Request:
    """An HTTP request as the functions see it.

    Attributes:
        method: upper-case HTTP method.
        path: the request path.
        headers: header names in lower case.
        body: the raw body bytes, at most the reader's limit plus one byte.
        query: query-string parameters (the last value wins).
        request_id: the platform's request id, when it gave one.
        too_large: True when the body was longer than the reader's limit.
    """

    method: str
    path: str = "/"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    query: Mapping[str, str] = field(default_factory=dict)
    request_id: str | None = None
    too_large: bool = False


@dataclass(frozen=True)
class Response:
    """An HTTP response as the functions produce it."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Mapping[str, Any]) -> Response:
    """Build a JSON response with a compact body."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(status, body, {"Content-Type": "application/json"})


def is_timer_event(event: object) -> bool:
    """Tell whether an SCF event comes from a Timer trigger."""
    return isinstance(event, Mapping) and event.get("Type") == "Timer"


def request_from_scf(event: object, limit: int) -> Request:
    """Turn an API Gateway or Function URL event into a Request.

    Both shapes carry ``httpMethod``, ``path``, ``headers`` and a string
    ``body``; API Gateway adds ``requestContext`` and may base64-encode the
    body. Header names are lower-cased because their case varies. A plain
    body holding lone surrogates gives bytes that are not UTF-8.

    Args:
        event: the event dict SCF passed to the handler.
        limit: the largest body accepted; longer bodies set ``too_large``.

    Raises:
        PayloadError: the event is not an HTTP trigger event.
    """
    if not isinstance(event, Mapping):
        raise PayloadError("the event is not an object")

    body = _scf_body(event)
    context = event.get("requestContext")
    request_id = context.get("requestId") if isinstance(context, Mapping) else None
    return Request(
        method=str(event.get("httpMethod") or "POST").upper(),
        path=str(event.get("path") or "/"),
        headers=_lower_headers(event.get("headers")),
        body=body[: limit + 1],
        query=_string_map(event.get("queryString")),
        request_id=request_id if isinstance(request_id, str) else None,
        too_large=len(body) > limit,
    )


def _scf_body(event: Mapping[str, Any]) -> bytes:
    raw = event.get("body")
    if raw is None:
        return b""
    if not isinstance(raw, str):
        raise PayloadError("the event body is not a string")
    if not event.get("isBase64Encoded"):
        return _text_bytes(raw)
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise PayloadError("the event body is not valid base64") from None


def _text_bytes(text: str) -> bytes:
    # A runtime that met bytes outside UTF-8 hands them over as lone surrogates
    # U+DC80..U+DCFF, which surrogateescape turns back into those bytes. Other
    # lone surrogates have no bytes behind them; surrogatepass still gives
    # bytes, never valid UTF-8, so the body is refused as not UTF-8 downstream.
    try:
        return text.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="surrogatepass")


def _lower_headers(headers: object) -> dict[str, str]:
    if not isinstance(headers, Mapping):
        return {}
    return {str(name).lower(): str(value) for name, value in headers.items()}


def _string_map(values: object) -> dict[str, str]:
    if not isinstance(values, Mapping):
        return {}
    return {str(name): str(value) for name, value in values.items()}


def response_to_scf(response: Response) -> dict[str, Any]:
    """Turn a Response into SCF's integration response."""
    return {
        "isBase64Encoded": False,
        "statusCode": response.status,
        "headers": dict(response.headers),
        "body": response.body.decode("utf-8", errors="replace"),
    }


class FlaskLikeRequest(Protocol):
    """The part of ``flask.Request`` the adapter reads."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def headers(self) -> Any: ...
    @property
    def args(self) -> Any: ...
    @property
    def content_length(self) -> int | None: ...
    @property
    def stream(self) -> Any: ...


def request_from_flask(request: FlaskLikeRequest, limit: int) -> Request:
    """Turn a functions-framework (Flask) request into a Request.

    The body is read from the stream up to one byte past the limit, so an
    oversized body is refused without being held in memory.
    """
    declared = request.content_length
    if declared is not None and declared > limit:
        body, too_large = b"", True
    else:
        body = request.stream.read(limit + 1)
        too_large = len(body) > limit
    return Request(
        method=request.method.upper(),
        path=request.path,
        headers={name.lower(): value for name, value in request.headers.items()},
        body=body,
        query={name: values[-1] for name, values in request.args.lists()},
        request_id=request.headers.get("X-Request-Id"),
        too_large=too_large,
    )


def response_to_flask(response: Response) -> tuple[bytes, int, dict[str, str]]:
    """Turn a Response into the (body, status, headers) tuple Flask accepts."""
    return response.body, response.status, dict(response.headers)
