"""One HTTP port serving the legacy API, API 3.0 and the control API.

Requests are routed by what they carry:

* ``/common_access`` goes to the legacy API (:class:`emulator.legacy.LegacyApi`);
* ``/``, Tencent's API 3.0 endpoint, and any request with an ``X-TC-Action``
  header go to API 3.0 (:class:`emulator.api3.Api3`), which answers a missing
  action, or a method other than GET and POST, in Tencent's error envelope;
* ``/_emulator/...`` is the control API, JSON in and out:

  ========================  ====================================================
  ``POST push``             ``{"stream", "app", "domain", "stream_param",
                            "user_ip", "width", "height", "viewers", "fps",
                            "bitrate"}``
  ``POST stop``             ``{"stream", "app", "domain", "errcode",
                            "sub_errcode", "errmsg"}``
  ``POST drop``             ``{"stream", "app", "domain"}``
  ``POST forbid``           ``{"stream", "app", "domain", "resume_time",
                            "reason"}``
  ``POST resume``           ``{"stream", "app", "domain"}``
  ``POST record``           ``{"stream", "app", "domain", "file_format",
                            "duration"}``
  ``POST snapshot``         ``{"stream", "app", "domain"}``
  ``GET streams``           the ground truth of every stream
  ``GET history``           every ended or refused publishing session
  ``GET callbacks``         the bodies emitted and the sender's deliveries;
                            ``?wait=N`` first waits up to N seconds (at most
                            120) for the sender's queue to empty and says in
                            ``drained`` whether it did
  ``POST faults``           ``{"legacy_error": "1001", "count": 1}``,
                            ``{"legacy_rate_limit": 5}``,
                            ``{"callbacks": "drop=0.1,duplicate=0.2"}``,
                            ``{"api3_error": "InternalError", "count": 1,
                            "action": "DropLiveStream"}``,
                            ``{"api3_qps": {"DropLiveStream": 5}}``
  ``POST scenario``         a timeline or workload for
                            :func:`emulator.scenarios.run_spec`; add
                            ``"sleep": false`` to run it without waiting
  ========================  ====================================================

  A mutating call answers ``{"emitted": [bodies]}``: the callback bodies it
  caused, without ``t`` and ``sign``. The deliveries under ``GET callbacks``
  carry the bodies as last sent with their ``t`` but without their ``sign``,
  and each attempt says which key signed it (``key_index``: 0 for the primary
  key, null for a key that is not configured). Keys and signs never appear.

  Every field is checked against the World's table of arguments
  (:data:`emulator.world.ARGUMENTS`): a wrong type, a value out of range or an
  unknown field answers 400 and changes nothing.

Anything else gets a JSON error: 404 for a path nothing serves, and a status
with ``{"error": ...}`` for a request http.server itself refuses.

The server speaks HTTP/1.1 with keep-alive, one daemon thread per connection.
It logs each request at DEBUG by method, path (never the query string, which
may carry a legacy ``sign``) and status, and an unexpected failure at ERROR by
its exception's type and place only. Given TLS files it speaks HTTPS instead;
the TLS handshake runs on the connection's thread, so a slow client holds only
itself.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, urlsplit

from emulator import scenarios
from emulator.api3 import Api3
from emulator.config import Settings
from emulator.failure import describe
from emulator.legacy import PATH as LEGACY_PATH
from emulator.legacy import LegacyApi
from emulator.sender import (
    CURRENT_POLICY,
    NO_FAULTS,
    CallbackSender,
    Faults,
    RetryPolicy,
)
from emulator.world import MUTATORS, Clock, World, clean_arguments

if TYPE_CHECKING:
    from emulator.tls import TlsFiles

__all__ = [
    "CONTROL_PREFIX",
    "Emulator",
    "Handler",
    "build",
    "serve",
    "start_in_thread",
]

logger = logging.getLogger(__name__)

CONTROL_PREFIX = "/_emulator/"

Response = tuple[int, dict[str, str], bytes]
_POLL_SECONDS = 0.02
_MAX_WAIT_SECONDS = 120.0
_JSON = {"Content-Type": "application/json"}

_CONTENT_LENGTH = re.compile(r"[0-9]{1,18}")
_API3_PATH = "/"


class Handler(Protocol):
    """Anything that answers a raw HTTP request: the legacy API, API 3.0."""

    def handle(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> Response:
        """Answer one request with (status, headers, body)."""
        ...


class _BadRequest(Exception):
    """Raised inside a control call to answer it with HTTP 400."""


@dataclass
class Emulator:
    """Everything one port serves, and the routing between them.

    Attributes:
        world: the streams behind every API.
        legacy: the legacy API, or None to answer it with 501.
        api3: API 3.0, or None to answer it with 501.
        sender: the callback sender whose deliveries the control API shows.
    """

    world: World
    legacy: Handler | None = None
    api3: Handler | None = None
    sender: CallbackSender | None = None

    def handle(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> Response:
        """Route one request and answer it.

        Args:
            method: the HTTP method.
            path: the path, without the query.
            query: the raw query string.
            headers: the request headers, as received.
            body: the raw request body.

        Returns:
            The HTTP status, response headers and response body.
        """
        lowered = {name.lower() for name in headers}
        if path == LEGACY_PATH:
            return _delegate(
                self.legacy, "the legacy API", method, path, query, headers, body
            )
        if path.startswith(CONTROL_PREFIX):
            return self._control(method, path[len(CONTROL_PREFIX) :], query, body)
        if path == _API3_PATH or "x-tc-action" in lowered:
            return _delegate(self.api3, "API 3.0", method, path, query, headers, body)
        return _json(404, {"error": "nothing is served at this path"})

    # Control API ----------------------------------------------------------

    def _control(self, method: str, name: str, query: str, body: bytes) -> Response:
        try:
            if method == "GET":
                return self._control_get(name, parse_qs(query))
            if method == "POST":
                return self._control_post(name, _json_object(body))
        except _BadRequest as exc:
            return _json(400, {"error": str(exc)})
        return _json(405, {"error": "the control API takes GET and POST"})

    def _control_get(self, name: str, query: Mapping[str, list[str]]) -> Response:
        readers: dict[str, Callable[[], object]] = {
            "streams": lambda: {
                "streams": [dataclasses.asdict(t) for t in self.world.streams()]
            },
            "history": lambda: {"history": self.world.history()},
            "callbacks": lambda: self._callbacks(query),
        }
        reader = readers.get(name)
        if reader is None:
            return _json(404, {"error": f"no control call GET {name}"})
        return _json(200, reader())

    def _control_post(self, name: str, payload: dict[str, Any]) -> Response:
        if name in MUTATORS:
            return _json(200, {"emitted": self._act(name, payload)})
        if name == "faults":
            return _json(200, self._faults(payload))
        if name == "scenario":
            return _json(200, self._scenario(payload))
        return _json(404, {"error": f"no control call POST {name}"})

    def _act(self, action: str, payload: Mapping[str, Any]) -> list[dict[str, Any]]:
        try:
            arguments = clean_arguments(action, payload)
        except ValueError as exc:
            raise _BadRequest(str(exc)) from None

        stream = arguments.pop("stream")
        method: Callable[..., list[dict[str, Any]]] = getattr(self.world, action)
        return method(stream, **arguments)

    def _callbacks(self, query: Mapping[str, list[str]]) -> dict[str, Any]:
        wait = query.get("wait", ["0"])[0]
        try:
            seconds = min(float(wait), _MAX_WAIT_SECONDS)
        except ValueError:
            raise _BadRequest("wait is a number of seconds") from None
        if self.sender is None:
            return {"emitted": self.world.emitted, "deliveries": [], "drained": True}

        # Draining also releases bodies held back for reordering, so it
        # happens only when the caller asks to wait.
        drained = self.sender.drain(timeout=seconds) if seconds > 0 else None
        deliveries = [delivery.as_dict() for delivery in self.sender.deliveries]
        return {
            "emitted": self.world.emitted,
            "deliveries": deliveries,
            "drained": drained,
        }

    def _faults(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        known = {
            "legacy_error",
            "count",
            "legacy_rate_limit",
            "callbacks",
            "api3_error",
            "action",
            "api3_qps",
        }
        unknown = sorted(set(payload) - known)
        if unknown:
            raise _BadRequest(f"faults does not take {', '.join(unknown)}")

        answer: dict[str, Any] = {}
        if "legacy_error" in payload or "legacy_rate_limit" in payload:
            answer.update(self._legacy_faults(payload))
        if "callbacks" in payload:
            answer["callbacks"] = self._callback_faults(payload["callbacks"])
        if "api3_error" in payload:
            answer["api3_error"] = self._api3_faults(payload)
        if "api3_qps" in payload:
            answer["api3_qps"] = self._api3_qps(payload["api3_qps"])
        return answer

    def _served_api3(self) -> Api3:
        if not isinstance(self.api3, Api3):
            raise _BadRequest("API 3.0 is not served")
        return self.api3

    def _api3_faults(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        api3 = self._served_api3()
        count = payload.get("count", 1)
        _check_positive("count", count)
        action = payload.get("action")
        try:
            api3.force_error(str(payload["api3_error"]), count, action=action)
        except ValueError as exc:
            raise _BadRequest(str(exc)) from None
        return {"error": str(payload["api3_error"]), "count": count, "action": action}

    def _api3_qps(self, limits: object) -> dict[str, Any]:
        api3 = self._served_api3()
        if not isinstance(limits, Mapping) or not limits:
            raise _BadRequest("api3_qps is an object of action names to limits")
        try:
            api3.set_qps_limits(limits)
        except ValueError as exc:
            raise _BadRequest(str(exc)) from None
        return dict(limits)

    def _legacy_faults(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(self.legacy, LegacyApi):
            raise _BadRequest("the legacy API is not served")
        answer: dict[str, Any] = {}

        limit = payload.get("legacy_rate_limit")
        if limit is not None:
            _check_positive("legacy_rate_limit", limit)
            self.legacy.rate_limit = limit
            answer["legacy_rate_limit"] = limit

        error = payload.get("legacy_error")
        if error is not None:
            count = payload.get("count", 1)
            _check_positive("count", count)
            try:
                self.legacy.force_error(str(error), count)
            except ValueError as exc:
                raise _BadRequest(str(exc)) from None
            answer["legacy_error"] = {"error": str(error), "count": count}
        return answer

    def _callback_faults(self, spec: object) -> dict[str, float]:
        if self.sender is None:
            raise _BadRequest("no callback URL is configured")
        text = spec if isinstance(spec, str) else None
        if isinstance(spec, Mapping):
            text = ",".join(f"{name}={value}" for name, value in spec.items())
        if text is None:
            raise _BadRequest("callbacks is text like 'drop=0.1' or an object")
        try:
            faults = Faults.parse(text)
        except ValueError as exc:
            raise _BadRequest(str(exc)) from None
        self.sender.faults = faults
        return faults.as_dict()

    def _scenario(self, payload: dict[str, Any]) -> dict[str, Any]:
        wait = payload.pop("sleep", True)
        if not isinstance(wait, bool):
            raise _BadRequest("sleep is true or false")
        sleep = time.sleep if wait else _no_sleep
        try:
            summary = scenarios.run_spec(self.world, payload, sleep=sleep)
        except ValueError as exc:
            raise _BadRequest(str(exc)) from None
        return summary.as_dict()


def _no_sleep(seconds: float) -> None:
    """Let no time pass between scenario steps."""


def _delegate(
    target: Handler | None,
    name: str,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
) -> Response:
    if target is None:
        return _json(501, {"error": f"{name} is not served by this emulator"})
    return target.handle(method, path, query, headers, body)


def _json(status: int, payload: object) -> Response:
    return status, dict(_JSON), json.dumps(payload).encode()


def _json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        # ValueError also covers an integer too long to convert, and
        # RecursionError a nesting too deep to parse.
        raise _BadRequest("the body is not JSON the emulator can read") from None
    if not isinstance(payload, dict):
        raise _BadRequest("the body is not a JSON object")
    return payload


def _check_positive(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _BadRequest(f"{name} must be a positive integer")


# HTTP machinery -------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    """A threading server that knows its emulator and stays quiet."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        emulator: Emulator,
        context: ssl.SSLContext | None,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _RequestHandler)
        self.emulator = emulator
        self.tls = context is not None
        if context is not None:
            self.socket = context.wrap_socket(
                self.socket, server_side=True, do_handshake_on_connect=False
            )

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("connection from %s ended with an error", client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    """Turns one HTTP request into an :meth:`Emulator.handle` call."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY each
    # keep-alive answer waits for the client's delayed ACK (about 40 ms).
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_OPTIONS(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = self.headers.get("Content-Length", "0").strip()
        if not _CONTENT_LENGTH.fullmatch(length):
            # The body's end is unknown, so the connection cannot be reused.
            self.close_connection = True
            self._reply(*_json(400, {"error": "Content-Length is not a number"}))
            return
        body = self.rfile.read(int(length)) if int(length) else b""
        parts = urlsplit(self.path)
        headers = dict(self.headers.items())
        try:
            status, extra, payload = self.server.emulator.handle(
                self.command, parts.path, parts.query, headers, body
            )
        except Exception as exc:
            logger.error(
                "the emulator failed on %s %s: %s",
                self.command,
                parts.path,
                describe(exc),
            )
            status, extra, payload = _json(500, {"error": "internal error"})
        self._reply(status, extra, payload)

    def _reply(self, status: int, headers: Mapping[str, str], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        # An answer to HEAD has the headers of the answer to GET and no body.
        if self.command != "HEAD":
            self.wfile.write(payload)

    def send_error(
        self, code: int, message: str | None = None, explain: str | None = None
    ) -> None:
        """Answer a request http.server refused before routing, in JSON.

        http.server's own page quotes the request line, whose query string may
        carry a legacy ``sign``; this answer names only the status.
        """
        logger.debug("http.server refused a request with %d", code)
        self.close_connection = True
        # An unreadable version leaves HTTP/0.9, whose answers have no status
        # line; the refusal is clearer with one.
        if self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.0"
        self._reply(*_json(code, {"error": HTTPStatus(code).phrase}))

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log one answered request by method, path and status, without its query."""
        path = urlsplit(getattr(self, "path", "")).path or "-"
        logger.debug("%s %s %s", self.command or "-", path, code)

    def log_error(self, format: str, *args: Any) -> None:
        """Log http.server's own trouble without its text, which may quote a sign."""
        logger.debug("http.server reported a connection error")


def _context(tls: TlsFiles | None) -> ssl.SSLContext | None:
    if tls is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls.cert, tls.key)
    return context


def _bind(port: int, host: str, emulator: Emulator, tls: TlsFiles | None) -> _Server:
    return _Server((host, port), emulator, _context(tls))


def serve(
    port: int,
    *,
    world: World,
    api3: Handler | None = None,
    legacy: Handler | None = None,
    sender: CallbackSender | None = None,
    tls: TlsFiles | None = None,
    host: str = "127.0.0.1",
    ready: Callable[[int], None] | None = None,
) -> None:
    """Serve until interrupted.

    Args:
        port: the port to listen on; 0 picks a free one.
        world: the streams behind every API.
        api3: the API 3.0 handler, or None.
        legacy: the legacy API handler, or None.
        sender: the callback sender shown by the control API, or None.
        tls: certificate and key for HTTPS; plain HTTP when None.
        host: the address to listen on.
        ready: called with the bound port once the server listens.
    """
    emulator = Emulator(world=world, legacy=legacy, api3=api3, sender=sender)
    with _bind(port, host, emulator, tls) as server:
        if ready is not None:
            ready(server.server_address[1])
        server.serve_forever()


def start_in_thread(
    port: int = 0,
    *,
    world: World,
    api3: Handler | None = None,
    legacy: Handler | None = None,
    sender: CallbackSender | None = None,
    tls: TlsFiles | None = None,
    host: str = "127.0.0.1",
) -> tuple[int, Callable[[], None]]:
    """Serve on a background thread, for tests.

    Args:
        port: the port to listen on; 0 picks a free one.
        world: the streams behind every API.
        api3: the API 3.0 handler, or None.
        legacy: the legacy API handler, or None.
        sender: the callback sender shown by the control API, or None.
        tls: certificate and key for HTTPS; plain HTTP when None.
        host: the address to listen on.

    Returns:
        The bound port and a function that stops the server and frees it.
    """
    emulator = Emulator(world=world, legacy=legacy, api3=api3, sender=sender)
    server = _bind(port, host, emulator, tls)
    # A short poll lets stop() return at once; tests start and stop many.
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": _POLL_SECONDS},
        name=f"emulator:{port}",
        daemon=True,
    )
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join()

    return server.server_address[1], stop


def build(
    settings: Settings,
    *,
    seed: int = 0,
    clock: Clock = time.time,
    callback_url: str | None = None,
    policy: RetryPolicy | None = None,
    faults: Faults | None = None,
    legacy_rate_limit: int = 100,
    callback_context: ssl.SSLContext | None = None,
    qps_limits: Mapping[str, int] | None = None,
) -> Emulator:
    """Put a world, both APIs and an optional callback sender together.

    Args:
        settings: the account and its keys.
        seed: seeds the world's sequences and the sender's faults.
        clock: returns the current UNIX time, shared by every part.
        callback_url: where callbacks go; no sender (bodies are only recorded)
            when None.
        policy: the sender's retry policy; Tencent's current one when None.
        faults: the sender's injected faults; none when None.
        legacy_rate_limit: legacy requests accepted per second.
        callback_context: TLS settings for an https callback URL.
        qps_limits: API 3.0 requests per second by action, over Tencent's.

    Returns:
        The assembled emulator, ready for :func:`serve` or
        :func:`start_in_thread`.

    Raises:
        ValueError: a QPS limit names an action not served or is below 1.
    """
    sender = None
    if callback_url is not None:
        sender = CallbackSender(
            callback_url,
            settings.callback_keys,
            policy=policy or CURRENT_POLICY,
            faults=faults or NO_FAULTS,
            seed=seed,
            clock=clock,
            context=callback_context,
        )
    world = World(
        appid=settings.appid,
        push_domain=settings.push_domain,
        push_keys=settings.push_keys,
        clock=clock,
        seed=seed,
        sink=None if sender is None else sender.submit,
    )
    legacy = LegacyApi(
        world,
        appid=settings.appid,
        key=settings.api_key,
        clock=clock,
        rate_limit=legacy_rate_limit,
    )
    api3 = Api3(world, settings.secrets, clock=clock, qps_limits=qps_limits)
    return Emulator(world=world, legacy=legacy, api3=api3, sender=sender)
