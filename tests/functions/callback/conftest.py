"""Drives the callback through its two real front doors."""

from __future__ import annotations

import base64
import importlib.util
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from flask import Flask
from functions_framework import create_app

from shared import (
    Store,
    load_settings,
    make_sign,
    open_store,
    request_from_scf,
    response_to_scf,
)
from tests.conftest import pg_schema_url

MAIN = Path(__file__).resolve().parents[3] / "functions" / "callback" / "main.py"

#: The reference's example key; the second one stands for a rotated key.
KEY = "my_callback_key_123"
NEW_KEY = "rotated_key_456"


def signed(
    body: dict[str, Any], key: str = KEY, t: int | None = None, later: int = 0
) -> dict[str, Any]:
    """Return a copy of body with t and its sign.

    Args:
        body: the event.
        key: the key to sign with.
        t: the expiry to use; by default a fresh one, now + 600 + ``later``.
        later: seconds to push the default t back, as a retry signed again
            later would carry.
    """
    out = dict(body)
    out["t"] = int(time.time()) + 600 + later if t is None else t
    out["sign"] = make_sign(key, out["t"])
    return out


def apigw_event(raw: bytes, *, b64: bool = False) -> dict[str, Any]:
    """An API Gateway trigger event carrying raw, base64-encoded or as text."""
    return {
        "requestContext": {"requestId": "req-1", "httpMethod": "POST"},
        "httpMethod": "POST",
        "path": "/live/callback",
        "headers": {"Content-Type": "application/json"},
        "body": base64.b64encode(raw).decode() if b64 else raw.decode(),
        "isBase64Encoded": b64,
        "queryString": {},
    }


class Clock:
    """A clock the test moves by hand; it starts at the real time."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def ff_app(target: str = "callback", source: Path = MAIN) -> Flask:
    """Build the functions-framework app exactly as its CLI does."""
    app: Flask = create_app(target, str(source))  # type: ignore[no-untyped-call]
    return app


def load_main() -> ModuleType:
    """Import a fresh copy of the callback module, as a new SCF instance would."""
    spec = importlib.util.spec_from_file_location(f"callback_{uuid.uuid4().hex}", MAIN)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Answer:
    """An HTTP answer from either front door."""

    status: int
    json: dict[str, Any]
    text: str


class Callback:
    """The callback behind both front doors, sharing one store."""

    def __init__(self, store_url: str) -> None:
        self.store_url = store_url
        self.client = ff_app().test_client()
        self.scf: Any = load_main()

    def http(self, body: dict[str, Any] | bytes, method: str = "POST") -> Answer:
        """Deliver through the functions-framework target."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = self.client.open(
            "/", method=method, data=data, content_type="application/json"
        )
        text = response.get_data(as_text=True)
        return Answer(response.status_code, json.loads(text), text)

    def apigw(self, body: dict[str, Any] | bytes, *, b64: bool = False) -> Answer:
        """Deliver through main_handler as an API Gateway event."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self._scf(apigw_event(raw, b64=b64))

    def function_url(self, body: dict[str, Any]) -> Answer:
        """Deliver through main_handler as a Function URL event."""
        event = {
            "httpMethod": "POST",
            "path": "/",
            "headers": {"content-type": "application/json", "x-scf-remote-addr": "1"},
            "body": json.dumps(body),
            "queryString": {},
        }
        return self._scf(event)

    def app(self, store: Store, clock: Clock | None = None, **options: Any) -> Any:
        """A CallbackApp of the loaded module over the given store."""
        return self.scf.CallbackApp(
            load_settings(), store, clock or time.time, **options
        )

    def served(self, app: Any, body: dict[str, Any]) -> Answer:
        """Deliver an API Gateway event to ``app``: the SCF adapters and serve."""
        event = apigw_event(json.dumps(body).encode())
        request = request_from_scf(event, self.scf.MAX_BODY_BYTES)
        return _answer(response_to_scf(self.scf.serve(request, app)))

    def _scf(self, event: object) -> Answer:
        return _answer(self.scf.main_handler(event, {"request_id": "r"}))

    def deliver(self, door: str, body: dict[str, Any]) -> Answer:
        """Deliver through the named front door."""
        if door == "http":
            return self.http(body)
        if door == "apigw":
            return self.apigw(body)
        return self.function_url(body)


def _answer(result: dict[str, Any]) -> Answer:
    assert set(result) == {"isBase64Encoded", "statusCode", "headers", "body"}
    return Answer(result["statusCode"], json.loads(result["body"]), result["body"])


@pytest.fixture
def callback(store_url: str, monkeypatch: pytest.MonkeyPatch) -> Callback:
    """The callback configured with two keys and a private store."""
    monkeypatch.setenv("LIVE_CALLBACK_KEYS", f"{KEY},{NEW_KEY}")
    monkeypatch.setenv("LIVE_STORE_URL", store_url)
    return Callback(store_url)


@pytest.fixture
def pg_callback(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callback]:
    """The callback over a private PostgreSQL store only."""
    for url in pg_schema_url():
        monkeypatch.setenv("LIVE_CALLBACK_KEYS", f"{KEY},{NEW_KEY}")
        monkeypatch.setenv("LIVE_STORE_URL", url)
        yield Callback(url)


@pytest.fixture
def reader(store_url: str) -> Iterator[Store]:
    """A separate connection to the callback's store, for checking it.

    It migrates the store, since the callback creates the schema only with its
    first write and some tests check that nothing was written.
    """
    opened = open_store(store_url)
    opened.migrate()
    yield opened
    opened.close()


@pytest.fixture(params=["http", "apigw", "function_url"])
def door(request: pytest.FixtureRequest) -> str:
    """Each front door in turn."""
    return str(request.param)
