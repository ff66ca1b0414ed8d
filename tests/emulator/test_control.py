"""The control API and the ``python -m emulator`` command line, over real HTTP."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import logging
import os
import select
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import requests
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.live.v20180801 import live_client, models

from emulator import config
from emulator.__main__ import main
from emulator.scenarios import FakeClock
from emulator.server import build, start_in_thread
from emulator.tls import make_ca_and_cert
from emulator.world import ARGUMENTS, MUTATORS, Argument, World
from tests.emulator.conftest import (
    START,
    Receiver,
    Running,
    StartEmulator,
    loopback_server,
)

ROOT = Path(__file__).resolve().parents[2]

#: Seconds a subprocess may take to start or answer before the test fails.
PROCESS_TIMEOUT = 30.0


def control(running: Running, name: str, payload: Any = None) -> requests.Response:
    """POST a JSON payload to a control call."""
    return requests.post(
        f"{running.url}/_emulator/{name}", json=payload or {}, timeout=10
    )


def emitted(response: requests.Response) -> list[dict[str, Any]]:
    """Return the bodies a successful control call emitted."""
    assert response.status_code == 200, response.text
    bodies: list[dict[str, Any]] = response.json()["emitted"]
    return bodies


def read(running: Running, name: str) -> dict[str, Any]:
    """GET a control reader and return its JSON."""
    response = requests.get(f"{running.url}/_emulator/{name}", timeout=10)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


# Mutations ------------------------------------------------------------------


def test_push_emits_a_push_and_shows_in_streams(running: Running) -> None:
    """POST push starts a session that GET streams reports as active."""
    (body,) = emitted(control(running, "push", {"stream": "room_42", "viewers": 3}))

    assert body["event_type"] == 1
    (truth,) = read(running, "streams")["streams"]
    assert (truth["name"], truth["state"], truth["online"]) == ("room_42", "active", 3)
    assert truth["sequence"] == body["sequence"]


def test_stop_carries_the_given_reason(running: Running) -> None:
    """POST stop passes errcode and sub_errcode into the stop body."""
    control(running, "push", {"stream": "room_42"})
    payload = {"stream": "room_42", "errcode": 18, "sub_errcode": 503}
    (body,) = emitted(control(running, "stop", payload))

    assert (body["errcode"], body["sub_errcode"]) == (18, 503)
    assert body["errmsg"] == "push url maybe invalid"


def test_null_fields_mean_the_default(running: Running) -> None:
    """A field sent as null is treated as absent."""
    control(running, "push", {"stream": "room_42"})
    payload = {"stream": "room_42", "errcode": None, "sub_errcode": None}
    (body,) = emitted(control(running, "stop", payload))

    assert body["errcode"] == 1
    assert "sub_errcode" not in body


def test_drop_stops_with_21_100(running: Running) -> None:
    """POST drop disconnects the publisher."""
    control(running, "push", {"stream": "room_42", "app": "live"})
    (body,) = emitted(control(running, "drop", {"stream": "room_42", "app": "live"}))

    assert (body["errcode"], body["sub_errcode"]) == (21, 100)


def test_forbid_then_resume(running: Running) -> None:
    """POST forbid refuses later pushes until POST resume."""
    control(running, "push", {"stream": "room_42"})
    payload = {"stream": "room_42", "resume_time": int(START) + 60, "reason": "x"}
    (stop,) = emitted(control(running, "forbid", payload))
    (refused,) = emitted(control(running, "push", {"stream": "room_42"}))

    assert (stop["errcode"], stop["sub_errcode"]) == (21, 101)
    assert (refused["errcode"], refused["sub_errcode"]) == (18, 305)
    (truth,) = read(running, "streams")["streams"]
    assert (truth["state"], truth["forbid_until"]) == ("forbid", int(START) + 60)

    assert emitted(control(running, "resume", {"stream": "room_42"})) == []
    assert emitted(control(running, "push", {"stream": "room_42"}))[0]["errcode"] == 0


def test_record_and_snapshot_emit_their_events(running: Running) -> None:
    """POST record and POST snapshot emit event types 100 and 200."""
    control(running, "push", {"stream": "room_42"})
    payload = {"stream": "room_42", "file_format": "flv", "duration": 30}
    (record,) = emitted(control(running, "record", payload))
    (snapshot,) = emitted(control(running, "snapshot", {"stream": "room_42"}))

    assert (record["event_type"], record["file_format"]) == (100, "flv")
    assert snapshot["event_type"] == 200


def test_history_lists_ended_sessions(running: Running) -> None:
    """GET history returns every ended session."""
    control(running, "push", {"stream": "room_42"})
    running.clock.sleep(5)
    control(running, "stop", {"stream": "room_42"})

    (entry,) = read(running, "history")["history"]
    assert (entry["stream"], entry["duration"], entry["errcode"]) == ("room_42", 5, 1)


# Refusals -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("push", {"stream": "a", "colour": "red"}),
        ("stop", {"stream": "a", "errcode": "1"}),
        ("stop", {"stream": "a", "errcode": True}),
        ("push", {"app": "live"}),
        ("push", {"stream": ""}),
        ("drop", {"stream": "a", "errcode": 1}),
        ("record", {"stream": "a", "duration": -5}),
        ("record", {"stream": "a", "duration": 0}),
        ("record", {"stream": "a", "file_format": "avi"}),
        ("push", {"stream": "a", "width": -1}),
        ("push", {"stream": "a", "bitrate": 10**30}),
        ("forbid", {"stream": "a", "resume_time": "soon"}),
        ("forbid", {"stream": "a", "resume_time": -1}),
        ("stop", {"stream": "a", "errcode": -1}),
    ],
    ids=[
        "unknown-field",
        "text-errcode",
        "bool-errcode",
        "no-stream",
        "empty-stream",
        "field-of-another-action",
        "negative-duration",
        "zero-duration",
        "unknown-file-format",
        "negative-width",
        "huge-bitrate",
        "text-resume-time",
        "negative-resume-time",
        "negative-errcode",
    ],
)
def test_bad_control_payload_is_400(
    running: Running, name: str, payload: dict[str, Any]
) -> None:
    """A control call with a wrong field answers 400 and changes nothing."""
    response = control(running, name, payload)

    assert response.status_code == 400
    assert response.json()["error"]
    assert read(running, "streams")["streams"] == []


def test_a_record_of_negative_length_is_refused_with_the_reason(
    running: Running,
) -> None:
    """A negative duration would end a file before it starts: 400, nothing sent."""
    response = control(running, "record", {"stream": "room_42", "duration": -5})

    assert response.status_code == 400
    assert response.json()["error"] == "duration must be an integer from 1 to 86400"
    assert read(running, "callbacks")["emitted"] == []


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[1, 2]",
        b"\xff\xfe",
        b'{"stream": "a", "width": ' + b"9" * 5000 + b"}",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"stream": "\\ud800"}',
    ],
    ids=[
        "not-json",
        "list",
        "not-utf-8",
        "5000-digit-integer",
        "nested-100000-deep",
        "lone-surrogate",
    ],
)
def test_control_body_that_is_not_a_json_object_is_400(
    running: Running, raw: bytes
) -> None:
    """Only a JSON object of readable, valid text is a control payload."""
    response = requests.post(f"{running.url}/_emulator/push", data=raw, timeout=10)

    assert response.status_code == 400
    assert read(running, "streams")["streams"] == []


def test_unknown_control_call_is_404(running: Running) -> None:
    """GET and POST of an unknown control name answer 404."""
    assert requests.get(f"{running.url}/_emulator/nope", timeout=10).status_code == 404
    assert control(running, "nope").status_code == 404


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_control_takes_only_get_and_post(running: Running, method: str) -> None:
    """Methods other than GET and POST on the control API answer 405."""
    response = requests.request(method, f"{running.url}/_emulator/streams", timeout=10)

    assert response.status_code == 405


class Exploding:
    """An API handler that fails on every request."""

    def handle(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> tuple[int, dict[str, str], bytes]:
        raise RuntimeError("secret detail")


def test_handler_failure_is_500_without_detail(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An exception inside a handler answers 500; neither answer nor log shows it."""
    caplog.set_level(logging.DEBUG, logger="emulator")
    port, stop = start_in_thread(world=World(), legacy=Exploding())
    try:
        response = requests.get(f"http://127.0.0.1:{port}/common_access", timeout=10)
    finally:
        stop()

    assert response.status_code == 500
    assert "secret detail" not in response.text
    assert "RuntimeError at test_control.py" in caplog.text
    assert "secret detail" not in caplog.text


def test_apis_not_given_answer_501() -> None:
    """An emulator built without an API says so instead of guessing."""
    port, stop = start_in_thread(world=World())
    base = f"http://127.0.0.1:{port}"
    try:
        legacy = requests.get(f"{base}/common_access", timeout=10)
        api3 = requests.post(f"{base}/", headers={"X-TC-Action": "X"}, timeout=10)
        faults = requests.post(
            f"{base}/_emulator/faults", json={"legacy_error": "1001"}, timeout=10
        )
    finally:
        stop()

    assert (legacy.status_code, api3.status_code) == (501, 501)
    assert faults.status_code == 400


def test_unrouted_request_is_404(running: Running) -> None:
    """A path no API serves answers 404."""
    assert requests.get(f"{running.url}/elsewhere", timeout=10).status_code == 404


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_api3_endpoint_without_an_action_is_a_missing_parameter(
    running: Running, method: str
) -> None:
    """/ without X-TC-Action is Tencent's MissingParameter envelope, HTTP 200."""
    response = requests.request(method, f"{running.url}/", timeout=10)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    answer = response.json()["Response"]
    assert answer["Error"]["Code"] == "MissingParameter"
    assert "Action" in answer["Error"]["Message"]
    assert answer["RequestId"]


@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE", "OPTIONS"])
def test_other_methods_on_the_api3_endpoint_are_unsupported_protocol(
    running: Running, method: str
) -> None:
    """Tencent serves GET and POST; any other method gets UnsupportedProtocol."""
    response = requests.request(
        method, f"{running.url}/", headers={"X-TC-Action": "X"}, timeout=10
    )

    assert response.status_code == 200
    assert response.json()["Response"]["Error"]["Code"] == "UnsupportedProtocol"


def test_head_answers_headers_only_and_keeps_the_connection(running: Running) -> None:
    """HEAD gets the status and headers without a body; the next request works."""
    connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=10)
    try:
        connection.request("HEAD", "/")
        head = connection.getresponse()
        assert head.read() == b""
        connection.request("GET", "/_emulator/streams")
        after = connection.getresponse()
        assert (after.status, json.loads(after.read())) == (200, {"streams": []})
    finally:
        connection.close()

    assert head.status == 200
    assert head.getheader("Content-Type") == "application/json"
    assert int(head.getheader("Content-Length") or 0) > 0


def test_patch_of_a_path_nothing_serves_is_a_json_404(running: Running) -> None:
    """A method http.server does not know of still gets a JSON answer."""
    response = requests.patch(f"{running.url}/elsewhere", timeout=10)

    assert response.status_code == 404
    assert response.json()["error"]


def raw_exchange(port: int, request: bytes) -> tuple[int, bytes]:
    """Send raw bytes, read the whole answer; return its status and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.parametrize(
    ("request_line", "status"),
    [
        (b"GET /common_access?sign=0123456789abcdef HTTP/1.1 extra", 400),
        (b"GET /common_access?sign=0123456789abcdef HTTP/9.x", 400),
        (b"BREW /common_access?sign=0123456789abcdef HTTP/1.1", 501),
    ],
    ids=["extra-word", "bad-version", "unknown-method"],
)
def test_a_request_http_server_refuses_is_json_without_echo(
    running: Running, request_line: bytes, status: int
) -> None:
    """http.server's own refusals answer JSON naming the status, not the request."""
    code, body = raw_exchange(running.port, request_line + b"\r\nHost: x\r\n\r\n")

    assert code == status
    assert json.loads(body)["error"]
    assert b"0123456789abcdef" not in body


@pytest.mark.parametrize("length", ["many", "²", "9" * 5000, "-1"])
def test_bad_content_length_is_400(running: Running, length: str) -> None:
    """A Content-Length that is not 1 to 18 ASCII digits is refused in JSON."""
    connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=10)
    connection.putrequest("POST", "/_emulator/push")
    connection.putheader("Content-Length", length.encode())
    connection.endheaders()

    response = connection.getresponse()
    assert response.status == 400
    assert json.loads(response.read())["error"]
    connection.close()


# Routing to API 3.0 ---------------------------------------------------------


def state_query(
    running: Running, stream: str
) -> tuple[live_client.LiveClient, models.DescribeLiveStreamStateRequest]:
    """Tencent's SDK client for the emulator, and a state query for one stream."""
    profile = HttpProfile(endpoint=f"127.0.0.1:{running.port}", protocol="http")
    settings = running.settings
    cred = credential.Credential(settings.secret_id, settings.secret_key)
    client = live_client.LiveClient(cred, "", ClientProfile(httpProfile=profile))
    request = models.DescribeLiveStreamStateRequest()
    request.AppName = "live"
    request.DomainName = settings.push_domain
    request.StreamName = stream
    return client, request


class TestApi3Wiring:
    """API 3.0 is reached through the same port, with the settings' SecretId."""

    @pytest.fixture
    def clock(self) -> FakeClock:
        # The SDK stamps X-TC-Timestamp from the real clock.
        return FakeClock()

    def test_sdk_sees_a_stream_pushed_through_the_control_api(
        self, running: Running
    ) -> None:
        """Tencent's SDK reads the state the control API set."""
        control(running, "push", {"stream": "room_42"})
        client, request = state_query(running, "room_42")

        assert client.DescribeLiveStreamState(request).StreamState == "active"

    def test_forced_api3_error_reaches_the_sdk(self, running: Running) -> None:
        """POST faults with api3_error makes the next call of that action fail."""
        answer = control(
            running,
            "faults",
            {
                "api3_error": "InternalError",
                "count": 1,
                "action": "DescribeLiveStreamState",
            },
        )
        client, request = state_query(running, "room_42")

        assert answer.status_code == 200
        with pytest.raises(TencentCloudSDKException) as caught:
            client.DescribeLiveStreamState(request)
        assert caught.value.get_code() == "InternalError"
        assert client.DescribeLiveStreamState(request).StreamState == "inactive"

    def test_bad_api3_fault_is_400(self, running: Running) -> None:
        """An API 3.0 fault with a bad count answers 400."""
        answer = control(running, "faults", {"api3_error": "InternalError", "count": 0})

        assert answer.status_code == 400

    def test_api3_qps_set_at_run_time_limits_the_sdk(self, running: Running) -> None:
        """POST faults with api3_qps: the third state call in a second is refused."""
        limits = {"DescribeLiveStreamState": 2}
        answer = control(running, "faults", {"api3_qps": limits})
        client, request = state_query(running, "room_42")

        assert answer.json() == {"api3_qps": limits}
        for _ in range(2):
            client.DescribeLiveStreamState(request)
        with pytest.raises(TencentCloudSDKException) as caught:
            client.DescribeLiveStreamState(request)
        assert caught.value.get_code() == "RequestLimitExceeded"

    @pytest.mark.parametrize(
        "limits",
        [
            {"DescribeEverything": 1},
            {"DescribeLiveStreamState": 0},
            {"DescribeLiveStreamState": "2"},
            {"DescribeLiveStreamState": True},
            {},
            5,
        ],
        ids=["unknown-action", "zero", "text", "bool", "empty", "not-an-object"],
    )
    def test_bad_api3_qps_is_400(self, running: Running, limits: object) -> None:
        """A limit that is not a positive integer for an action served is refused."""
        answer = control(running, "faults", {"api3_qps": limits})

        assert answer.status_code == 400
        assert answer.json()["error"]

    def test_a_refused_qps_batch_changes_no_limit(self, running: Running) -> None:
        """One bad limit refuses them all: the good one is not applied either."""
        limits = {"DescribeLiveStreamState": 1, "DescribeEverything": 1}
        answer = control(running, "faults", {"api3_qps": limits})
        client, request = state_query(running, "room_42")

        assert answer.status_code == 400
        states = [client.DescribeLiveStreamState(request).StreamState for _ in "ab"]
        assert states == ["inactive", "inactive"]


# Callbacks and faults -------------------------------------------------------


def test_callbacks_are_delivered_signed_with_the_primary_key(
    start_emulator: StartEmulator, receiver: Receiver
) -> None:
    """A push reaches the receiver with t and sign = MD5(primary key + t)."""
    running = start_emulator(callback_url=receiver.url)
    (body,) = emitted(control(running, "push", {"stream": "room_42"}))

    log = read(running, "callbacks?wait=10")
    assert log["drained"] is True
    (delivery,) = log["deliveries"]
    assert delivery["status"] == "delivered"
    (received,) = receiver.bodies
    key = running.settings.callback_keys[0]
    assert received["sign"] == hashlib.md5(f"{key}{received['t']}".encode()).hexdigest()
    assert {k: v for k, v in received.items() if k not in ("t", "sign")} == body
    assert log["emitted"] == [body]


def test_callbacks_without_a_sender_lists_only_emitted(running: Running) -> None:
    """With no callback URL, bodies are recorded but nothing is delivered."""
    control(running, "push", {"stream": "room_42"})

    log = read(running, "callbacks")
    assert len(log["emitted"]) == 1
    assert log["deliveries"] == []


def test_callbacks_wait_must_be_a_number(running: Running) -> None:
    """GET callbacks?wait=soon answers 400."""
    response = requests.get(f"{running.url}/_emulator/callbacks?wait=soon", timeout=10)

    assert response.status_code == 400


def test_callback_faults_apply_to_later_bodies(
    start_emulator: StartEmulator, receiver: Receiver
) -> None:
    """POST faults with callbacks drop=1 makes the next delivery a drop."""
    running = start_emulator(callback_url=receiver.url)
    answer = control(running, "faults", {"callbacks": {"drop": 1.0}})
    assert answer.status_code == 200
    assert answer.json()["callbacks"]["drop"] == 1.0

    control(running, "push", {"stream": "room_42"})
    (delivery,) = read(running, "callbacks?wait=10")["deliveries"]
    assert delivery["status"] == "dropped"
    assert receiver.bodies == []


def test_callback_faults_accept_text(
    start_emulator: StartEmulator, receiver: Receiver
) -> None:
    """Callback faults may be given as the command line's text form."""
    running = start_emulator(callback_url=receiver.url)
    answer = control(running, "faults", {"callbacks": "duplicate=0.5"})

    assert answer.status_code == 200
    assert answer.json()["callbacks"]["duplicate"] == 0.5


@pytest.mark.parametrize("spec", [3, "gremlins=1", {"drop": 2}])
def test_bad_callback_faults_are_400(
    start_emulator: StartEmulator, receiver: Receiver, spec: object
) -> None:
    """Callback faults that do not parse answer 400."""
    running = start_emulator(callback_url=receiver.url)

    assert control(running, "faults", {"callbacks": spec}).status_code == 400


@pytest.mark.parametrize(
    "payload",
    [
        {"legacy_error": "9999"},
        {"legacy_error": "1001", "count": 0},
        {"legacy_rate_limit": 0},
        {"legacy_rate_limit": "5"},
        {"callbacks": "drop=0.1"},
        {"surprise": 1},
    ],
    ids=[
        "unknown-error",
        "zero-count",
        "zero-rate",
        "text-rate",
        "callbacks-without-sender",
        "unknown-key",
    ],
)
def test_bad_faults_are_400(running: Running, payload: dict[str, Any]) -> None:
    """A fault the emulator cannot apply answers 400."""
    assert control(running, "faults", payload).status_code == 400


def test_legacy_rate_limit_can_be_changed(running: Running) -> None:
    """POST faults with legacy_rate_limit changes the per-second limit."""
    answer = control(running, "faults", {"legacy_rate_limit": 7})

    assert answer.json() == {"legacy_rate_limit": 7}
    assert running.emulator.legacy.rate_limit == 7  # type: ignore[union-attr]


# Scenarios ------------------------------------------------------------------


def test_scenario_runs_a_timeline(running: Running) -> None:
    """POST scenario drives the world and summarises what happened."""
    timeline = [
        {"at": 0, "do": "push", "stream": "a"},
        {"at": 0, "do": "push", "stream": "b"},
        {"at": 1, "do": "stop", "stream": "a"},
    ]
    response = control(running, "scenario", {"timeline": timeline, "sleep": False})

    assert response.status_code == 200
    summary = response.json()
    assert (summary["steps"], summary["emitted"]) == (3, 3)
    assert summary["live"] == ["push.example.com/live/b"]


@pytest.mark.parametrize(
    "payload",
    [
        {"timeline": [{"at": 0, "do": "explode", "stream": "a"}]},
        {"timeline": [{"at": 0, "do": "forbid", "stream": "a", "resume_time": "x"}]},
        {"timeline": [{"at": 0, "do": "record", "stream": "a", "duration": -5}]},
        {},
        {"sleep": "no"},
    ],
    ids=["unknown-step", "text-resume-time", "negative-duration", "empty", "bad-sleep"],
)
def test_bad_scenario_is_400(running: Running, payload: dict[str, Any]) -> None:
    """A scenario that cannot run answers 400."""
    assert control(running, "scenario", payload).status_code == 400


def test_a_bad_step_changes_nothing_and_breaks_nothing(
    start_emulator: StartEmulator, receiver: Receiver
) -> None:
    """A timeline with one bad step runs none, sends nothing, and the emulator lives."""
    running = start_emulator(callback_url=receiver.url)
    timeline = [
        {"at": 0, "do": "push", "stream": "a"},
        {"at": 1, "do": "forbid", "stream": "a", "resume_time": "soon"},
    ]

    response = control(running, "scenario", {"timeline": timeline, "sleep": False})

    assert response.status_code == 400
    assert "resume_time" in response.json()["error"]
    log = read(running, "callbacks?wait=10")
    assert (log["emitted"], log["deliveries"], receiver.bodies) == ([], [], [])
    assert read(running, "streams")["streams"] == []
    assert emitted(control(running, "forbid", {"stream": "a"})) == []
    assert read(running, "streams")["streams"][0]["state"] == "forbid"


def test_a_workload_that_could_outrun_a_scenario_changes_nothing(
    start_emulator: StartEmulator, receiver: Receiver
) -> None:
    """A workload whose last call could fall past MAX_AT is 400 before any call."""
    running = start_emulator(callback_url=receiver.url)
    emitted(control(running, "push", {"stream": "room_000"}))
    before = read(running, "callbacks?wait=10")
    streams = read(running, "streams")
    workload = {"seed": 0, "steps": 50, "max_gap": 10**7}

    response = control(running, "scenario", {"workload": workload, "sleep": False})

    assert response.status_code == 400
    assert "max_gap" in response.json()["error"]
    after = read(running, "callbacks?wait=10")
    assert (after["emitted"], after["deliveries"]) == (
        before["emitted"],
        before["deliveries"],
    )
    assert [body["event_type"] for body in receiver.bodies] == [1]
    assert read(running, "streams") == streams
    assert read(running, "history")["history"] == []


# Transport ------------------------------------------------------------------


def test_connections_are_kept_alive(running: Running) -> None:
    """Two requests travel over one HTTP/1.1 connection."""
    connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=10)
    for _ in range(2):
        connection.request("GET", "/_emulator/streams")
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        assert response.version == 11
        assert not response.will_close
    connection.close()


def test_https_when_given_tls_files(tmp_path: Path, clock: FakeClock) -> None:
    """With TLS files the same routes are served over HTTPS."""
    tls = make_ca_and_cert(tmp_path)
    emulator = build(config.load({}), clock=clock)
    port, stop = start_in_thread(world=emulator.world, legacy=emulator.legacy, tls=tls)
    try:
        response = requests.get(
            f"https://127.0.0.1:{port}/_emulator/streams",
            verify=str(tls.ca),
            timeout=10,
        )
    finally:
        stop()

    assert response.json() == {"streams": []}


def test_callbacks_show_t_and_the_key_index_but_never_the_sign(
    start_emulator: StartEmulator, receiver: Receiver
) -> None:
    """GET callbacks keeps t, names the key that signed, and leaves the sign out."""
    running = start_emulator(callback_url=receiver.url)
    control(running, "push", {"stream": "room_42"})

    log = read(running, "callbacks?wait=10")

    (received,) = receiver.bodies
    (delivery,) = log["deliveries"]
    assert received["sign"] not in json.dumps(log)
    assert "sign" not in delivery["body"]
    assert delivery["body"]["t"] == received["t"]
    assert [attempt["key_index"] for attempt in delivery["attempts"]] == [0]


def test_a_wrong_key_delivery_says_no_configured_key_signed_it(
    start_emulator: StartEmulator, receiver: Receiver
) -> None:
    """Under the wrong_key fault the attempt's key_index is null."""
    running = start_emulator(callback_url=receiver.url)
    control(running, "faults", {"callbacks": {"wrong_key": 1.0}})
    control(running, "push", {"stream": "room_42"})

    (delivery,) = read(running, "callbacks?wait=10")["deliveries"]

    assert [attempt["key_index"] for attempt in delivery["attempts"]] == [None]


def test_no_sign_reaches_the_log(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    """Requests are logged by path: a legacy sign in the query never appears."""
    caplog.set_level(logging.DEBUG, logger="emulator")
    t = int(START) + 60
    sign = hashlib.md5(f"{running.settings.api_key}{t}".encode()).hexdigest()
    query = {
        "appid": str(running.settings.appid),
        "interface": "Live_Channel_GetLiveChannelList",
        "t": str(t),
        "sign": sign,
    }

    answered = requests.get(f"{running.url}/common_access", params=query, timeout=10)
    refused, _ = raw_exchange(
        running.port, f"GET /common_access?sign={sign} HTTP/1.1 x\r\n\r\n".encode()
    )

    assert (answered.json()["ret"], refused) == (0, 400)
    assert "GET /common_access 200" in caplog.text
    assert sign not in caplog.text


def test_control_answers_never_contain_a_key(
    start_emulator: StartEmulator, receiver: Receiver
) -> None:
    """Streams, history and callbacks name no callback, API or secret key."""
    running = start_emulator(callback_url=receiver.url)
    control(running, "push", {"stream": "room_42"})
    control(running, "stop", {"stream": "room_42"})

    settings = running.settings
    text = "".join(
        json.dumps(read(running, name))
        for name in ("streams", "history", "callbacks?wait=10")
    )
    for secret in (*settings.callback_keys, settings.api_key, settings.secret_key):
        assert secret not in text


# Settings -------------------------------------------------------------------


def test_settings_come_from_the_environment() -> None:
    """Every variable overrides its default; key lists split on commas."""
    settings = config.load(
        {
            "LIVE_CALLBACK_KEYS": "new, old",
            "LIVE_API_KEY": "api",
            "LIVE_APPID": "42",
            "TENCENTCLOUD_SECRET_ID": "AKIDx",
            "TENCENTCLOUD_SECRET_KEY": "sk",
            "LIVE_PUSH_KEYS": "p1,p2",
            "LIVE_PUSH_DOMAIN": "p.example.com",
        }
    )

    assert settings.callback_keys == ("new", "old")
    assert (settings.api_key, settings.appid) == ("api", 42)
    assert settings.secrets == {"AKIDx": "sk"}
    assert settings.push_keys == ("p1", "p2")
    assert settings.push_domain == "p.example.com"


def test_settings_never_show_a_key() -> None:
    """The repr of the settings names the account but no key."""
    text = repr(config.load({"LIVE_API_KEY": "api-secret"}))

    assert "api-secret" not in text
    assert config.DEFAULTS["TENCENTCLOUD_SECRET_KEY"] not in text
    assert config.DEFAULTS["LIVE_CALLBACK_KEYS"] not in text


@pytest.mark.parametrize(
    "environment",
    [{"LIVE_APPID": "abc"}, {"LIVE_APPID": "0"}, {"LIVE_CALLBACK_KEYS": " , "}],
    ids=["text-appid", "zero-appid", "no-callback-key"],
)
def test_bad_settings_are_refused(environment: dict[str, str]) -> None:
    """A setting the emulator cannot use raises ValueError."""
    with pytest.raises(ValueError, match="LIVE_"):
        config.load(environment)


# Command line ---------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m emulator`` to completion."""
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        cwd=ROOT,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )


def cli_env() -> dict[str, str]:
    """The environment with the demo settings: no LIVE_* or TENCENTCLOUD_*."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LIVE_", "TENCENTCLOUD_"))
    }
    return {**keep, "PYTHONPATH": str(ROOT)}


def first_line(process: subprocess.Popen[str]) -> str:
    """Read the serve command's announcement, failing if it does not come."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], PROCESS_TIMEOUT)
    assert ready, "the emulator printed nothing"
    return process.stdout.readline()


@contextlib.contextmanager
def serving(*options: str) -> Iterator[tuple[str, str]]:
    """Run ``python -m emulator serve --port 0`` with the options given.

    Yields:
        The announcement line and the base URL it names.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--port", "0", *options],
        cwd=ROOT,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = first_line(process)
        yield line, line.split()[3]
    finally:
        process.terminate()
        process.wait(timeout=PROCESS_TIMEOUT)


@pytest.fixture
def served(receiver: Receiver) -> Iterator[tuple[str, str]]:
    """A serve process with fast callback retries; yields (announcement, URL)."""
    with serving("--callback-url", receiver.url, "--fast") as found:
        yield found


def test_serve_announces_its_url_and_secret_id_but_no_key(
    served: tuple[str, str],
) -> None:
    """The one line names the URL, APPID and SecretId, never a key."""
    line, url = served
    defaults = config.load({})

    assert url.startswith("http://127.0.0.1:")
    assert f"secret_id={defaults.secret_id}" in line
    for secret in (*defaults.callback_keys, defaults.api_key, defaults.secret_key):
        assert secret not in line


def test_ctl_drives_a_served_emulator(
    served: tuple[str, str], receiver: Receiver
) -> None:
    """ctl push, stop, streams and callbacks work against a real process."""
    _, url = served

    pushed = run_cli("ctl", "push", "--emulator", url, "--stream", "room_42")
    assert pushed.returncode == 0, pushed.stderr
    assert json.loads(pushed.stdout)["emitted"][0]["event_type"] == 1

    stopped = run_cli(
        "ctl", "stop", "--emulator", url, "--stream", "room_42", "--errcode", "3"
    )
    assert json.loads(stopped.stdout)["emitted"][0]["errcode"] == 3

    streams = json.loads(run_cli("ctl", "streams", "--emulator", url).stdout)
    assert streams["streams"][0]["state"] == "inactive"

    log = run_cli("ctl", "callbacks", "--emulator", url, "--wait", "10")
    statuses = [d["status"] for d in json.loads(log.stdout)["deliveries"]]
    assert statuses == ["delivered", "delivered"]
    assert [body["event_type"] for body in receiver.bodies] == [1, 0]


def test_ctl_reports_a_refused_call(served: tuple[str, str]) -> None:
    """ctl exits 1 and prints the error when the emulator answers 400."""
    _, url = served

    result = run_cli("ctl", "push", "--emulator", url)
    assert result.returncode == 1
    assert "stream is required" in result.stderr


def test_ctl_refuses_a_url_that_is_not_http() -> None:
    """ctl exits 2 for an --emulator that is not an http(s) URL."""
    result = run_cli("ctl", "streams", "--emulator", "ftp://127.0.0.1:1")

    assert result.returncode == 2


def test_ctl_reports_an_unreachable_emulator() -> None:
    """ctl exits 1 when nothing answers at the URL."""
    closed = socket_port_without_listener()
    result = run_cli("ctl", "streams", "--emulator", f"http://127.0.0.1:{closed}")

    assert result.returncode == 1
    assert "cannot reach" in result.stderr


def test_ctl_push_sets_the_picture_and_the_rate(
    running: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    """ctl push sends --width, --height, --fps and --bitrate to the World."""
    picture = {
        "--width": "640",
        "--height": "360",
        "--fps": "30",
        "--bitrate": "800000",
    }
    options = [item for pair in picture.items() for item in pair]

    status = main(["ctl", "push", "--emulator", running.url, "--stream", "a", *options])

    assert status == 0, capsys.readouterr().err
    truth = running.emulator.world.get("a")
    assert truth is not None
    assert (truth.width, truth.height, truth.fps, truth.speed) == (640, 360, 30, 800000)


@dataclass
class Recorder:
    """A stand-in emulator that answers {} and keeps every request it gets.

    Attributes:
        url: the base URL to give ``ctl --emulator``.
        requests: (method, path with query, JSON body or None), in order.
    """

    url: str
    requests: list[tuple[str, str, Any]] = field(default_factory=list)


def _recorder_handler(recorder: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._keep(None)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            self._keep(json.loads(self.rfile.read(length)))

        def _keep(self, body: Any) -> None:
            recorder.requests.append((self.command, self.path, body))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """A real HTTP server on loopback that records what ctl sends."""
    with loopback_server() as server:
        found = Recorder(url=f"http://127.0.0.1:{server.server_address[1]}")
        server.RequestHandlerClass = _recorder_handler(found)
        yield found


def sample(name: str, argument: Argument) -> str | int:
    """A value the World's table accepts for one argument."""
    if argument.choices:
        return argument.choices[-1]
    if argument.kind is int:
        return argument.high
    return f"{name}-sample"


@pytest.mark.parametrize("action", sorted(MUTATORS))
def test_every_mutator_argument_has_a_ctl_option(
    action: str, recorder: Recorder, capsys: pytest.CaptureFixture[str]
) -> None:
    """ctl ACTION takes an option for each argument in MUTATORS and sends it typed."""
    expected = {name: sample(name, ARGUMENTS[name]) for name in MUTATORS[action]}
    options = [
        item
        for name, value in expected.items()
        for item in ("--" + name.replace("_", "-"), str(value))
    ]

    status = main(["ctl", action, "--emulator", recorder.url, *options])

    assert status == 0, capsys.readouterr().err
    assert recorder.requests == [("POST", f"/_emulator/{action}", expected)]


@pytest.mark.parametrize(
    ("argv", "sent"),
    [
        (["streams"], ("GET", "/_emulator/streams", None)),
        (["history"], ("GET", "/_emulator/history", None)),
        (["callbacks", "--wait", "3"], ("GET", "/_emulator/callbacks?wait=3.0", None)),
        (
            ["faults", "--legacy-error", "1001", "--count", "2"],
            ("POST", "/_emulator/faults", {"legacy_error": "1001", "count": 2}),
        ),
        (
            ["faults", "--callback-faults", "drop=0.5"],
            ("POST", "/_emulator/faults", {"callbacks": "drop=0.5"}),
        ),
    ],
    ids=["streams", "history", "callbacks-wait", "legacy-error", "callback-faults"],
)
def test_ctl_readers_and_faults_keep_their_options(
    argv: list[str],
    sent: tuple[str, str, Any],
    recorder: Recorder,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The commands outside the World's table send what they always sent."""
    status = main(["ctl", argv[0], "--emulator", recorder.url, *argv[1:]])

    assert status == 0, capsys.readouterr().err
    assert recorder.requests == [sent]


@pytest.mark.parametrize(
    "argv",
    [
        ["stop", "--stream", "a", "--width", "640"],
        ["push", "--stream", "a", "--width", "wide"],
        ["record", "--stream", "a", "--file-format", "avi"],
        ["streams", "--stream", "a"],
    ],
    ids=["option-of-another-action", "not-an-integer", "not-a-choice", "reader"],
)
def test_ctl_refuses_what_the_table_refuses_before_sending(
    argv: list[str], recorder: Recorder, capsys: pytest.CaptureFixture[str]
) -> None:
    """An option the action does not take, or of the wrong kind, exits 2 unsent."""
    with pytest.raises(SystemExit) as exited:
        main(["ctl", argv[0], "--emulator", recorder.url, *argv[1:]])

    assert exited.value.code == 2
    assert argv[-2] in capsys.readouterr().err
    assert recorder.requests == []


def socket_port_without_listener() -> int:
    """Return a loopback port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def sdk_state_codes(url: str, calls: int) -> list[str | None]:
    """Ask a served emulator for one stream's state ``calls`` times with the SDK.

    Returns:
        Per call, None for an answer or the error code raised.
    """
    defaults = config.load({})
    profile = HttpProfile(endpoint=url.split("://", 1)[1], protocol="http")
    cred = credential.Credential(defaults.secret_id, defaults.secret_key)
    client = live_client.LiveClient(cred, "", ClientProfile(httpProfile=profile))
    request = models.DescribeLiveStreamStateRequest()
    request.AppName, request.StreamName = "live", "room_42"
    request.DomainName = defaults.push_domain
    codes: list[str | None] = []
    for _ in range(calls):
        try:
            client.DescribeLiveStreamState(request)
        except TencentCloudSDKException as exc:
            codes.append(exc.get_code())
        else:
            codes.append(None)
    return codes


def test_serve_qps_limits_one_action() -> None:
    """serve --qps DescribeLiveStreamState=1: of three quick calls one is refused."""
    with serving("--qps", "DescribeLiveStreamState=1") as (_, url):
        codes = sdk_state_codes(url, 3)

    # Three calls a few milliseconds apart span at most two seconds.
    assert codes[0] is None
    assert "RequestLimitExceeded" in codes


@pytest.mark.parametrize(
    "value", ["DescribeEverything=1", "DescribeLiveStreamState=0", "Drop=x", "5"]
)
def test_serve_refuses_a_bad_qps(value: str) -> None:
    """serve exits 2 for a --qps naming no action served or no positive count."""
    result = run_cli("serve", "--port", "0", "--qps", value)

    assert result.returncode == 2
    assert "error" in result.stderr


@pytest.mark.parametrize(("policy", "tries"), [("legacy", 3), ("current", 12)])
def test_serve_retry_policy_picks_an_era(
    receiver: Receiver, policy: str, tries: int
) -> None:
    """serve --retry-policy sets the tries of a failing callback."""
    receiver.status = 500
    options = ("--callback-url", receiver.url, "--fast", "--retry-policy", policy)
    with serving(*options) as (_, url):
        run_cli("ctl", "push", "--emulator", url, "--stream", "room_42")
        log = run_cli("ctl", "callbacks", "--emulator", url, "--wait", "30")

    (delivery,) = json.loads(log.stdout)["deliveries"]
    assert (delivery["status"], len(delivery["attempts"])) == ("failed", tries)
    assert len(receiver.bodies) == tries


def test_serve_refuses_an_unknown_retry_policy() -> None:
    """Only the documented eras can be chosen."""
    result = run_cli("serve", "--port", "0", "--retry-policy", "hopeful")

    assert result.returncode == 2


def test_serve_refuses_unknown_faults() -> None:
    """serve exits 2 when --faults names a fault that does not exist."""
    result = run_cli("serve", "--port", "0", "--faults", "gremlins=0.5")

    assert result.returncode == 2
    assert "error:" in result.stderr


def test_send_delivers_one_signed_callback(receiver: Receiver) -> None:
    """send push signs with --key and reports the delivery."""
    result = run_cli(
        "send", "push", "--to", receiver.url, "--stream", "s1", "--key", "k1"
    )

    assert result.returncode == 0, result.stderr
    assert "push delivered after 1 attempt(s)" in result.stdout
    (body,) = receiver.bodies
    assert body["stream_id"] == "s1"
    assert body["sign"] == hashlib.md5(f"k1{body['t']}".encode()).hexdigest()


def test_send_exits_1_when_the_receiver_refuses(receiver: Receiver) -> None:
    """send exits 1 when the receiver does not answer 200."""
    receiver.status = 500
    result = run_cli("send", "stop", "--to", receiver.url, "--errcode", "21")

    assert result.returncode == 1
    assert "failed" in result.stdout
    assert receiver.bodies[0]["errcode"] == 21


def test_serve_over_tls_and_ctl_with_the_ca(receiver: Receiver, tmp_path: Path) -> None:
    """serve --tls-dir speaks HTTPS; ctl --cafile trusts it."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "serve",
            "--port",
            "0",
            "--tls-dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = first_line(process).split()[3]
        ca = tmp_path / "ca.pem"
        result = run_cli("ctl", "streams", "--emulator", url, "--cafile", str(ca))
    finally:
        process.terminate()
        process.wait(timeout=PROCESS_TIMEOUT)

    assert url.startswith("https://")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"streams": []}
