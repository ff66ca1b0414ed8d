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

from shared import Store, make_sign, open_store

MAIN = Path(__file__).resolve().parents[3] / "functions" / "callback" / "main.py"

#: The reference's example key; the second one stands for a rotated key.
KEY = "my_callback_key_123"
NEW_KEY = "rotated_key_456"


def signed(
    body: dict[str, Any], key: str = KEY, t: int | None = None
) -> dict[str, Any]:
    """Return a copy of body with a fresh t (now + 600) and its sign."""
    out = dict(body)
    out["t"] = int(time.time()) + 600 if t is None else t
    out["sign"] = make_sign(key, out["t"])
    return out


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
        event = {
            "requestContext": {"requestId": "req-1", "httpMethod": "POST"},
            "httpMethod": "POST",
            "path": "/live/callback",
            "headers": {"Content-Type": "application/json"},
            "body": base64.b64encode(raw).decode() if b64 else raw.decode(),
            "isBase64Encoded": b64,
            "queryString": {},
        }
        return self._scf(event)

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

    def _scf(self, event: object) -> Answer:
        result = self.scf.main_handler(event, {"request_id": "r"})
        assert set(result) == {"isBase64Encoded", "statusCode", "headers", "body"}
        return Answer(result["statusCode"], json.loads(result["body"]), result["body"])

    def deliver(self, door: str, body: dict[str, Any]) -> Answer:
        """Deliver through the named front door."""
        if door == "http":
            return self.http(body)
        if door == "apigw":
            return self.apigw(body)
        return self.function_url(body)


@pytest.fixture
def callback(store_url: str, monkeypatch: pytest.MonkeyPatch) -> Callback:
    """The callback configured with two keys and a private store."""
    monkeypatch.setenv("LIVE_CALLBACK_KEYS", f"{KEY},{NEW_KEY}")
    monkeypatch.setenv("LIVE_STORE_URL", store_url)
    return Callback(store_url)


@pytest.fixture
def reader(store_url: str) -> Iterator[Store]:
    """A separate connection to the callback's store, for checking it."""
    opened = open_store(store_url)
    yield opened
    opened.close()


@pytest.fixture(params=["http", "apigw", "function_url"])
def door(request: pytest.FixtureRequest) -> str:
    """Each front door in turn."""
    return str(request.param)
