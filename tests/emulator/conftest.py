"""Fixtures that run a real emulator, and a real callback receiver, on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from emulator import config
from emulator.config import Settings
from emulator.scenarios import FakeClock
from emulator.sender import RetryPolicy
from emulator.server import Emulator, build, start_in_thread

#: The start of every fake clock: 2023-12-28 02:44:38 UTC, the default push
#: body's event_time.
START = 1703731478.0


@dataclass
class Running:
    """An emulator serving on an ephemeral loopback port.

    Attributes:
        url: the base URL, without a trailing slash.
        port: the bound port.
        emulator: the assembled parts (world, legacy, api3, sender).
        clock: the clock every part reads.
        settings: the account and keys it was built with.
    """

    url: str
    port: int
    emulator: Emulator
    clock: FakeClock
    settings: Settings


@dataclass
class Receiver:
    """A callback receiver that answers every POST with a chosen status.

    Attributes:
        url: where to POST.
        bodies: every JSON body received, in order.
        status: the HTTP status answered.
    """

    url: str
    bodies: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200


def _receiver_handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            receiver.bodies.append(json.loads(self.rfile.read(length)))
            self.send_response(receiver.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def loopback_server() -> Iterator[ThreadingHTTPServer]:
    """A threading HTTP server on an ephemeral loopback port until the block ends.

    Its handler is set by the caller, who needs the port to build it; no request
    can arrive before the caller has handed the address out.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP callback receiver on an ephemeral port."""
    with loopback_server() as server:
        found = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/callback")
        server.RequestHandlerClass = _receiver_handler(found)
        yield found


@pytest.fixture
def clock() -> FakeClock:
    """A clock that moves only when told to."""
    return FakeClock(START)


@pytest.fixture
def settings() -> Settings:
    """The emulator's demo settings, whatever the environment says."""
    return config.load({})


StartEmulator = Callable[..., Running]


@pytest.fixture
def start_emulator(clock: FakeClock, settings: Settings) -> Iterator[StartEmulator]:
    """Start emulators on demand; every one is stopped after the test."""
    stops: list[Callable[[], None]] = []

    def start(
        *,
        with_settings: Settings | None = None,
        callback_url: str | None = None,
        legacy_rate_limit: int = 100,
        **build_options: Any,
    ) -> Running:
        chosen = with_settings or settings
        emulator = build(
            chosen,
            clock=clock,
            callback_url=callback_url,
            policy=RetryPolicy.fast(),
            legacy_rate_limit=legacy_rate_limit,
            **build_options,
        )
        port, stop = start_in_thread(
            0,
            world=emulator.world,
            api3=emulator.api3,
            legacy=emulator.legacy,
            sender=emulator.sender,
        )
        stops.append(stop)
        if emulator.sender is not None:
            stops.append(emulator.sender.close)
        return Running(f"http://127.0.0.1:{port}", port, emulator, clock, chosen)

    yield start
    for stop in reversed(stops):
        stop()


@pytest.fixture
def running(start_emulator: StartEmulator) -> Running:
    """One emulator with the demo settings and no callback URL."""
    return start_emulator()
