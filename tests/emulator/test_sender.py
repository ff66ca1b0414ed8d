"""The callback sender behaves like Tencent's: signed JSON POSTs, retries, faults."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from emulator import config
from emulator.bodies import push_body, snapshot_body
from emulator.scenarios import FakeClock, load_timeline, run_timeline
from emulator.sender import (
    CURRENT_POLICY,
    FAULT_KINDS,
    POLICIES,
    CallbackSender,
    Delivery,
    Faults,
    RetryPolicy,
    send_one,
)
from emulator.server import build
from emulator.world import World
from shared.errors import SignatureExpired, SignatureMismatch
from shared.signing import Verifier, make_sign

KEY = "callback-key-for-tests"
NOW = 1_700_000_000.0
FAST = RetryPolicy.fast(tries=3, interval=0.05, timeout=2.0)
WAIT = 5.0


class QuietServer(ThreadingHTTPServer):
    """A threading server whose clients may hang up before the answer."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # The sender gives up on a slow answer by design; the broken pipe that
        # follows is part of the test, not a failure to report.
        return


class ScriptedReceiver:
    """A callback endpoint on 127.0.0.1 that records every POST and answers as told.

    Answers are scripted per request, in arrival order: a status and a delay
    before answering. Once the script runs out it answers 200 at once.
    """

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, str | None]] = []
        self._script: list[tuple[int, float]] = []
        self._seen = threading.Condition()
        self._server = QuietServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/live/callback"

    def answer(self, *statuses: int, delays: Sequence[float] = ()) -> None:
        """Queue answers for the next requests; delays pair with statuses."""
        padded = list(delays) + [0.0] * (len(statuses) - len(delays))
        with self._seen:
            self._script.extend(zip(statuses, padded, strict=True))

    def wait_for(self, count: int) -> list[dict[str, Any]]:
        """Wait (bounded) until ``count`` bodies arrived; return them all."""
        with self._seen:
            self._seen.wait_for(lambda: len(self.bodies) >= count, WAIT)
            return list(self.bodies)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _serve(self) -> None:
        # A short poll lets shutdown() return at once when the test ends.
        self._server.serve_forever(poll_interval=0.01)

    def _take(
        self, method: str, path: str, kind: str | None, raw: bytes
    ) -> tuple[int, float]:
        with self._seen:
            self.requests.append((method, path, kind))
            self.bodies.append(json.loads(raw))
            self._seen.notify_all()
            return self._script.pop(0) if self._script else (200, 0.0)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                kind = self.headers.get("Content-Type")
                status, delay = owner._take("POST", self.path, kind, raw)
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Length", "10")
                self.end_headers()
                self.wfile.write(b'{"code":0}')

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


@pytest.fixture
def endpoint() -> Iterator[ScriptedReceiver]:
    """A scripted callback receiver on an ephemeral loopback port."""
    scripted = ScriptedReceiver()
    scripted.start()
    yield scripted
    scripted.stop()


def sender_for(endpoint: ScriptedReceiver, **options: Any) -> CallbackSender:
    options.setdefault("policy", FAST)
    options.setdefault("clock", lambda: NOW)
    return CallbackSender(endpoint.url, [KEY], **options)


def unsigned(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("t", "sign")}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# Wire format -----------------------------------------------------------------


def test_body_is_posted_as_json_with_t_and_sign(endpoint: ScriptedReceiver) -> None:
    """A callback is a POST of the body as JSON, with t and sign added."""
    delivery = sender_for(endpoint).deliver_now(push_body())

    (body,) = endpoint.wait_for(1)
    assert endpoint.requests == [("POST", "/live/callback", "application/json")]
    assert unsigned(body) == push_body()
    assert delivery.status == "delivered"
    assert delivery.body == body


def test_t_is_send_time_plus_600_and_sign_is_md5_of_key_and_t(
    endpoint: ScriptedReceiver,
) -> None:
    """t is the send time plus ten minutes and sign is MD5(key + t)."""
    sender_for(endpoint).deliver_now(push_body())

    (body,) = endpoint.wait_for(1)
    assert body["t"] == int(NOW) + 600
    assert body["sign"] == make_sign(KEY, int(NOW) + 600)


def test_sign_matches_the_reference_worked_example(endpoint: ScriptedReceiver) -> None:
    """With the reference's key and t, the sign is the reference's sign."""
    sender = CallbackSender(
        endpoint.url, ["my_callback_key_123"], policy=FAST, clock=lambda: 1703731478
    )
    sender.deliver_now(push_body())

    (body,) = endpoint.wait_for(1)
    assert body["t"] == 1703732078
    assert body["sign"] == "3710ceffaec75d93addf63273b3db7df"


def test_signs_with_the_primary_key(endpoint: ScriptedReceiver) -> None:
    """Of several configured keys, the first one signs."""
    sender = CallbackSender(
        endpoint.url, ["new", "old"], policy=FAST, clock=lambda: NOW
    )
    sender.deliver_now(push_body())

    (body,) = endpoint.wait_for(1)
    assert body["sign"] == make_sign("new", body["t"])


def test_without_a_key_signs_with_the_empty_key(endpoint: ScriptedReceiver) -> None:
    """With no key configured, sign is MD5 of t alone (one guess at Tencent's way)."""
    sender = CallbackSender(endpoint.url, [], policy=FAST, clock=lambda: NOW)
    sender.deliver_now(push_body())

    (body,) = endpoint.wait_for(1)
    assert body["sign"] == make_sign("", body["t"])


def test_signed_body_passes_the_projects_verifier(endpoint: ScriptedReceiver) -> None:
    """A body from the sender verifies against the same key on our side."""
    sender_for(endpoint).deliver_now(push_body())

    (body,) = endpoint.wait_for(1)
    verifier = Verifier([KEY], clock=lambda: NOW)
    assert verifier.verify(body["t"], body["sign"]).key_index == 0


def test_the_urls_query_string_is_kept(endpoint: ScriptedReceiver) -> None:
    """A query string in the callback URL reaches the receiver unchanged."""
    sender = CallbackSender(f"{endpoint.url}?tenant=9", [KEY], policy=FAST)
    sender.deliver_now(push_body())

    endpoint.wait_for(1)
    assert endpoint.requests[0][1] == "/live/callback?tenant=9"


def test_rejects_a_url_that_is_not_http() -> None:
    """Only http and https URLs are accepted."""
    with pytest.raises(ValueError, match="http"):
        CallbackSender("file:///etc/passwd", [KEY])


# Acknowledgement and retries ---------------------------------------------------


def test_retries_until_the_receiver_answers_200(endpoint: ScriptedReceiver) -> None:
    """Non-200 answers are retried until a 200 arrives."""
    endpoint.answer(500, 503)

    delivery = sender_for(endpoint).deliver_now(push_body())

    assert delivery.status == "delivered"
    assert [attempt.status for attempt in delivery.attempts] == [500, 503, 200]
    assert len(endpoint.wait_for(3)) == 3


@pytest.mark.parametrize("status", [201, 202, 204, 302, 400, 404])
def test_only_200_acknowledges(endpoint: ScriptedReceiver, status: int) -> None:
    """Any status other than 200, success codes and redirects included, is a failure."""
    endpoint.answer(status)

    delivery = sender_for(endpoint).deliver_now(push_body())

    assert [attempt.status for attempt in delivery.attempts] == [status, 200]
    assert delivery.attempts[0].error == f"HTTP {status}"


def test_gives_up_after_the_last_try(endpoint: ScriptedReceiver) -> None:
    """A body that never gets a 200 is failed after the policy's tries."""
    endpoint.answer(500, 500, 500, 500)

    delivery = sender_for(endpoint).deliver_now(push_body())

    assert delivery.status == "failed"
    assert len(delivery.attempts) == 3
    assert len(endpoint.wait_for(3)) == 3


def test_an_answer_after_the_timeout_is_a_failure(endpoint: ScriptedReceiver) -> None:
    """A 200 that comes later than the timeout does not count; the body is resent."""
    endpoint.answer(200, delays=[1.5])
    sender = sender_for(endpoint, policy=RetryPolicy.fast(timeout=0.3))

    delivery = sender.deliver_now(push_body())

    assert delivery.status == "delivered"
    first, second = delivery.attempts
    assert first.status is None
    assert first.error is not None
    assert second.status == 200
    assert len(endpoint.wait_for(2)) == 2


def test_an_unreachable_receiver_is_a_failure() -> None:
    """A refused connection fails the attempt with no status."""
    url = f"http://127.0.0.1:{free_port()}/"
    sender = CallbackSender(url, [KEY], policy=RetryPolicy.fast(tries=2, interval=0))

    delivery = sender.deliver_now(push_body())

    assert delivery.status == "failed"
    assert [attempt.status for attempt in delivery.attempts] == [None, None]


def test_current_policy_tries_12_times_a_minute_apart(
    endpoint: ScriptedReceiver,
) -> None:
    """Push, stop and record bodies get 12 tries, 60 s apart."""
    endpoint.answer(*[500] * 12)
    waits: list[float] = []
    sender = sender_for(endpoint, policy=CURRENT_POLICY, sleep=waits.append)

    delivery = sender.deliver_now(push_body())

    assert delivery.status == "failed"
    assert len(delivery.attempts) == 12
    assert waits == [60.0] * 11


def test_current_policy_tries_snapshots_5_times_two_minutes_apart(
    endpoint: ScriptedReceiver,
) -> None:
    """Snapshot bodies (event_type 200) get 5 tries, 120 s apart."""
    endpoint.answer(*[500] * 5)
    waits: list[float] = []
    sender = sender_for(endpoint, policy=CURRENT_POLICY, sleep=waits.append)

    delivery = sender.deliver_now(snapshot_body())

    assert len(delivery.attempts) == 5
    assert waits == [120.0] * 4


def test_each_retry_carries_a_fresh_t_by_default(endpoint: ScriptedReceiver) -> None:
    """By default every attempt is stamped t = its own send time + 600."""
    endpoint.answer(500)
    clock = FakeClock(NOW)
    policy = RetryPolicy.fast(interval=60.0)
    sender = sender_for(endpoint, policy=policy, clock=clock, sleep=clock.sleep)

    sender.deliver_now(push_body())

    first, second = endpoint.wait_for(2)
    assert (first["t"], second["t"]) == (int(NOW) + 600, int(NOW) + 660)
    assert second["sign"] == make_sign(KEY, second["t"])


def test_retries_can_repeat_the_first_t(endpoint: ScriptedReceiver) -> None:
    """With recompute_t off, every retry repeats the first t and sign."""
    endpoint.answer(500)
    clock = FakeClock(NOW)
    policy = RetryPolicy(tries=2, interval=60.0, recompute_t=False)
    sender = sender_for(endpoint, policy=policy, clock=clock, sleep=clock.sleep)

    sender.deliver_now(push_body())

    first, second = endpoint.wait_for(2)
    assert first == second


def test_an_attempt_waits_20_seconds_for_an_answer_by_default() -> None:
    """Tencent counts a callback failed after 20 s: every default says 20."""
    sender = build(config.load({}), callback_url="http://127.0.0.1:9/").sender

    assert sender is not None
    assert RetryPolicy().timeout == CURRENT_POLICY.timeout == 20.0
    assert sender.policy.timeout == 20.0
    assert {policy.timeout for policy in POLICIES.values()} == {20.0}


def test_named_policies_are_the_eras_of_tencents_documentation() -> None:
    """Each named policy is one era of Tencent's documented retry schedule."""
    schedules = {
        name: (policy.schedule(1), policy.schedule(200))
        for name, policy in POLICIES.items()
    }

    assert schedules == {
        "current": ((12, 60.0), (5, 120.0)),
        "older": ((3, 60.0), (3, 60.0)),
        "legacy": ((3, 3.0), (3, 3.0)),
    }


def test_with_retries_counts_retries_after_the_first_try() -> None:
    """with_retries(n) gives n + 1 tries to every event class."""
    policy = CURRENT_POLICY.with_retries(2)

    assert policy.schedule(1) == (3, 60.0)
    assert policy.schedule(200) == (3, 120.0)


def test_a_policy_needs_one_try() -> None:
    """A policy of zero tries is refused."""
    with pytest.raises(ValueError, match="try"):
        RetryPolicy(tries=0)


# Background delivery -------------------------------------------------------------


def test_submit_delivers_in_the_background(endpoint: ScriptedReceiver) -> None:
    """Submitted bodies are delivered by the worker; drain waits for them."""
    with sender_for(endpoint) as sender:
        for name in ("a", "b", "c"):
            sender.submit(push_body(stream=name))
        assert sender.drain(WAIT)

    streams = [body["stream_id"] for body in endpoint.wait_for(3)]
    assert streams == ["a", "b", "c"]
    assert [d.status for d in sender.deliveries] == ["delivered"] * 3


def test_a_body_waiting_for_its_retry_does_not_hold_back_the_next(
    endpoint: ScriptedReceiver,
) -> None:
    """Retries are per body: a later body overtakes one that waits to retry."""
    endpoint.answer(500)
    with sender_for(endpoint, policy=RetryPolicy.fast(interval=0.3)) as sender:
        sender.submit(push_body(stream="first"))
        sender.submit(push_body(stream="second"))
        assert sender.drain(WAIT)

    streams = [body["stream_id"] for body in endpoint.wait_for(3)]
    assert streams == ["first", "second", "first"]


def test_drain_reports_a_timeout(endpoint: ScriptedReceiver) -> None:
    """drain returns False while a body is still on its way."""
    endpoint.answer(200, delays=[0.5])
    with sender_for(endpoint) as sender:
        sender.submit(push_body())

        assert not sender.drain(0.01)
        assert sender.drain(WAIT)


def test_submit_after_close_is_refused(endpoint: ScriptedReceiver) -> None:
    """A closed sender accepts no more bodies."""
    sender = sender_for(endpoint)
    sender.close()

    with pytest.raises(RuntimeError, match="closed"):
        sender.submit(push_body())


def test_a_world_with_a_sender_as_sink_delivers_every_body(
    endpoint: ScriptedReceiver,
) -> None:
    """Every body a World emits reaches the receiver, in order, signed."""
    clock = FakeClock()
    steps = load_timeline(
        [
            {"at": 0, "do": "push", "stream": "a"},
            {"at": 3, "do": "snapshot", "stream": "a"},
            {"at": 9, "do": "stop", "stream": "a", "errcode": 3},
        ]
    )
    with CallbackSender(endpoint.url, [KEY], policy=FAST, clock=clock) as sender:
        world = World(clock=clock, sink=sender.submit)
        run_timeline(world, steps, sleep=clock.sleep)
        assert sender.drain(WAIT)

    received = endpoint.wait_for(3)
    assert [unsigned(body) for body in received] == world.emitted
    assert all(body["sign"] == make_sign(KEY, body["t"]) for body in received)


# Faults ----------------------------------------------------------------------------


def test_drop_never_sends_the_body(endpoint: ScriptedReceiver) -> None:
    """A dropped body is logged as dropped and never reaches the receiver."""
    with sender_for(endpoint, faults=Faults(drop=1.0)) as sender:
        sender.submit(push_body(stream="lost"))
        sender.faults = Faults()
        sender.submit(push_body(stream="kept"))
        assert sender.drain(WAIT)

    assert [body["stream_id"] for body in endpoint.wait_for(1)] == ["kept"]
    lost = sender.deliveries[0]
    assert (lost.status, lost.fault, lost.attempts) == ("dropped", "drop", ())


def test_duplicate_delivers_the_body_twice(endpoint: ScriptedReceiver) -> None:
    """A duplicated body arrives twice, logged as two deliveries."""
    with sender_for(endpoint, faults=Faults(duplicate=1.0)) as sender:
        sender.submit(push_body())
        assert sender.drain(WAIT)

    first, second = endpoint.wait_for(2)
    assert first == second
    assert [d.fault for d in sender.deliveries] == ["duplicate", "duplicate"]


def test_reorder_delivers_the_body_after_the_next(endpoint: ScriptedReceiver) -> None:
    """A reordered body is held back and arrives after the body submitted next."""
    with sender_for(endpoint, faults=Faults(reorder=1.0)) as sender:
        sender.submit(push_body(stream="held"))
        sender.faults = Faults()
        sender.submit(push_body(stream="next"))
        assert sender.drain(WAIT)

    streams = [body["stream_id"] for body in endpoint.wait_for(2)]
    assert streams == ["next", "held"]


def test_drain_releases_a_held_body(endpoint: ScriptedReceiver) -> None:
    """A reordered body with nothing after it is sent when the sender drains."""
    with sender_for(endpoint, faults=Faults(reorder=1.0)) as sender:
        sender.submit(push_body())
        assert sender.drain(WAIT)

    assert len(endpoint.wait_for(1)) == 1
    assert sender.deliveries[0].status == "delivered"


def test_delay_lets_later_bodies_overtake(endpoint: ScriptedReceiver) -> None:
    """A delayed body arrives after a body submitted later."""
    faults = Faults(delay=1.0, delay_seconds=0.3)
    with sender_for(endpoint, faults=faults) as sender:
        sender.submit(push_body(stream="late"))
        sender.faults = Faults()
        sender.submit(push_body(stream="prompt"))
        assert sender.drain(WAIT)

    streams = [body["stream_id"] for body in endpoint.wait_for(2)]
    assert streams == ["prompt", "late"]


def test_expired_signs_correctly_with_t_a_minute_ago(
    endpoint: ScriptedReceiver,
) -> None:
    """An expired body carries t = now - 60, correctly signed."""
    with sender_for(endpoint, faults=Faults(expired=1.0)) as sender:
        sender.submit(push_body())
        assert sender.drain(WAIT)

    (body,) = endpoint.wait_for(1)
    assert body["t"] == int(NOW) - 60
    with pytest.raises(SignatureExpired):
        Verifier([KEY], clock=lambda: NOW).verify(body["t"], body["sign"])


def test_wrong_key_signs_with_a_key_not_configured(endpoint: ScriptedReceiver) -> None:
    """A wrong-key body carries a fresh t whose sign no configured key makes."""
    with sender_for(endpoint, faults=Faults(wrong_key=1.0)) as sender:
        sender.submit(push_body())
        assert sender.drain(WAIT)

    (body,) = endpoint.wait_for(1)
    assert body["t"] == int(NOW) + 600
    with pytest.raises(SignatureMismatch):
        Verifier([KEY], clock=lambda: NOW).verify(body["t"], body["sign"])


def faults_seen(endpoint: ScriptedReceiver, seed: int) -> list[str | None]:
    faults = Faults(
        drop=0.15,
        duplicate=0.15,
        reorder=0.15,
        delay=0.15,
        expired=0.15,
        wrong_key=0.15,
        delay_seconds=0.01,
    )
    with sender_for(endpoint, faults=faults, seed=seed) as sender:
        for number in range(40):
            sender.submit(push_body(stream=f"s{number}"))
        assert sender.drain(WAIT)
    return [delivery.fault for delivery in _firsts(sender.deliveries)]


def _firsts(deliveries: list[Delivery]) -> list[Delivery]:
    # A duplicate is logged twice; count each submitted body once.
    seen: set[str] = set()
    firsts = []
    for delivery in deliveries:
        if delivery.body["stream_id"] not in seen:
            seen.add(delivery.body["stream_id"])
            firsts.append(delivery)
    return firsts


def test_the_same_seed_injects_the_same_faults(endpoint: ScriptedReceiver) -> None:
    """Two senders with one seed give the same bodies the same faults."""
    first = faults_seen(endpoint, seed=7)
    second = faults_seen(endpoint, seed=7)

    assert first == second
    assert set(first) == {*FAULT_KINDS, None}


def test_a_different_seed_injects_different_faults(endpoint: ScriptedReceiver) -> None:
    """Another seed gives another sequence of faults."""
    assert faults_seen(endpoint, seed=7) != faults_seen(endpoint, seed=8)


def test_faults_parse_names_and_numbers() -> None:
    """The CLI form name=number,... reads into Faults."""
    faults = Faults.parse("drop=0.1, duplicate=0.2,delay_seconds=3")

    assert faults == Faults(drop=0.1, duplicate=0.2, delay_seconds=3.0)
    assert Faults.parse("") == Faults()


def test_faults_round_trip_through_their_text_form() -> None:
    """as_dict written as name=number pairs parses back to the same faults."""
    faults = Faults(drop=0.25, wrong_key=0.5, delay_seconds=2.0)
    text = ",".join(f"{name}={value}" for name, value in faults.as_dict().items())

    assert Faults.parse(text) == faults


@pytest.mark.parametrize(
    "text",
    ["drop", "dorp=0.1", "drop=much", "drop=1.5", "drop=-0.1", "drop=0.6,delay=0.6"],
)
def test_faults_parse_refuses_bad_text(text: str) -> None:
    """Malformed pairs, unknown names and out-of-range values are refused."""
    with pytest.raises(ValueError):  # noqa: PT011 - float() and Faults raise it alike
        Faults.parse(text)


def test_deliver_now_injects_only_signing_faults(endpoint: ScriptedReceiver) -> None:
    """deliver_now can sign wrongly on purpose but not drop or reorder."""
    with pytest.raises(ValueError, match="deliver_now"):
        sender_for(endpoint).deliver_now(push_body(), fault="drop")


def test_the_log_never_holds_the_key(endpoint: ScriptedReceiver) -> None:
    """Neither a delivery nor its JSON form contains the callback key."""
    endpoint.answer(500)
    with sender_for(endpoint, faults=Faults(wrong_key=0.5)) as sender:
        for number in range(4):
            sender.submit(push_body(stream=f"s{number}"))
        assert sender.drain(WAIT)

    text = json.dumps([delivery.as_dict() for delivery in sender.deliveries])
    assert KEY not in text
    assert KEY not in repr(sender.deliveries)


@pytest.mark.parametrize(
    ("keys", "fault", "key_index"),
    [([KEY], None, 0), ([KEY], "wrong_key", None), ([], None, None)],
    ids=["primary", "wrong-key", "no-key"],
)
def test_the_log_shows_t_and_which_key_signed_but_never_the_sign(
    endpoint: ScriptedReceiver,
    keys: list[str],
    fault: str | None,
    key_index: int | None,
) -> None:
    """as_dict leaves the sign out and names the key that signed each attempt."""
    sender = CallbackSender(endpoint.url, keys, policy=FAST, clock=lambda: NOW)

    shown = sender.deliver_now(push_body(), fault=fault).as_dict()

    (received,) = endpoint.wait_for(1)
    assert "sign" not in shown["body"]
    assert shown["body"]["t"] == received["t"]
    assert received["sign"] not in json.dumps(shown)
    assert [attempt["key_index"] for attempt in shown["attempts"]] == [key_index]


# send_one ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "event_type"),
    [("push", 1), ("stop", 0), ("record", 100), ("snapshot", 200)],
)
def test_send_one_sends_each_kind(
    endpoint: ScriptedReceiver, kind: str, event_type: int
) -> None:
    """send_one builds a body of the asked kind for the stream and delivers it."""
    delivery = send_one(kind, endpoint.url, [KEY], stream="desk_7", clock=lambda: NOW)

    (body,) = endpoint.wait_for(1)
    assert (body["event_type"], body["stream_id"]) == (event_type, "desk_7")
    assert body["sign"] == make_sign(KEY, int(NOW) + 600)
    assert delivery.status == "delivered"


def test_send_one_stop_carries_the_reason(endpoint: ScriptedReceiver) -> None:
    """A stop sent by send_one carries the given errcode and sub_errcode."""
    send_one("stop", endpoint.url, [KEY], errcode=21, sub_errcode=100)

    (body,) = endpoint.wait_for(1)
    assert (body["errcode"], body["sub_errcode"]) == (21, 100)


def test_send_one_tries_once_by_default(endpoint: ScriptedReceiver) -> None:
    """Without retries asked for, send_one makes a single attempt."""
    endpoint.answer(500)

    delivery = send_one("push", endpoint.url, [KEY])

    assert delivery.status == "failed"
    assert len(delivery.attempts) == 1


def test_send_one_retries_when_asked(endpoint: ScriptedReceiver) -> None:
    """With retries asked for, send_one retries on the policy's interval."""
    endpoint.answer(500, 500)
    waits: list[float] = []
    policy = CURRENT_POLICY.with_retries(2)

    delivery = send_one("push", endpoint.url, [KEY], policy=policy, sleep=waits.append)

    assert delivery.status == "delivered"
    assert waits == [60.0, 60.0]


def test_send_one_can_sign_with_an_expired_t(endpoint: ScriptedReceiver) -> None:
    """send_one can send an expired body to test a receiver by hand."""
    send_one("push", endpoint.url, [KEY], fault="expired", clock=lambda: NOW)

    (body,) = endpoint.wait_for(1)
    assert body["t"] == int(NOW) - 60


@pytest.mark.parametrize(
    ("kind", "options"),
    [("rewind", {}), ("push", {"errcode": 1}), ("snapshot", {"sub_errcode": 100})],
)
def test_send_one_refuses_bad_requests(kind: str, options: dict[str, Any]) -> None:
    """An unknown kind, or a stop reason on another kind, is refused."""
    with pytest.raises(ValueError):  # noqa: PT011 - both messages are specific
        send_one(kind, "http://127.0.0.1:9/", [KEY], **options)
