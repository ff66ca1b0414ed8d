"""The callback behind a real HTTP server on loopback: races and outages."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import psycopg
import pytest
import requests
from werkzeug.serving import make_server

from emulator.config import load as load_emulator_settings
from emulator.scenarios import FakeClock
from emulator.sender import RetryPolicy
from emulator.server import build
from shared import Store, StreamKey, open_store, tx_secret, tx_time
from tests.conftest import pg_schema_url
from tests.functions.callback.conftest import (
    KEY,
    Callback,
    Clock,
    ff_app,
    signed,
)
from tests.functions.callback.test_callback import push


class Server:
    """A threaded werkzeug server running the functions-framework app."""

    def __init__(self) -> None:
        self._server = make_server("127.0.0.1", 0, ff_app(), threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()


@pytest.fixture
def server(store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """The callback served over HTTP with its own store."""
    monkeypatch.setenv("LIVE_CALLBACK_KEYS", KEY)
    monkeypatch.setenv("LIVE_STORE_URL", store_url)
    running = Server()
    yield running
    running.stop()


def test_sixteen_concurrent_deliveries_leave_one_row(
    server: Server, store_url: str
) -> None:
    """Sixteen simultaneous POSTs of one event: all 200, one row, one state."""
    body = json.dumps(signed(push())).encode()
    barrier = threading.Barrier(16)
    statuses: list[int] = []

    def deliver() -> None:
        barrier.wait()
        answer = requests.post(
            server.url,
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=deliver) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    reader = open_store(store_url)
    assert statuses == [200] * 16
    assert reader.event_count() == 1
    assert [state.state for state in reader.streams()] == ["live"]
    reader.close()


class Proxy:
    """A TCP forwarder to PostgreSQL that can be cut and restored."""

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._listener: socket.socket | None = None
        self._links: list[socket.socket] = []
        self.port = 0
        self.up()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        assert self._listener is not None
        # shutdown wakes the thread blocked in accept, so the port frees now.
        self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        for link in self._links:
            link.close()
        self._links.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._target)
            self._links += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            sink.close()


@pytest.fixture
def outage() -> Iterator[tuple[Proxy, str, Store]]:
    """A PostgreSQL store reached through a proxy, plus a direct reader."""
    for url in pg_schema_url():
        proxy = Proxy(("127.0.0.1", 5432))
        proxied = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        reader = open_store(url)
        yield proxy, proxied, reader
        reader.close()
        proxy.down()


def test_store_outage_answers_503_and_loses_nothing(
    outage: tuple[Proxy, str, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the database is away the callback answers 503; the retry lands."""
    proxy, url, reader = outage
    monkeypatch.setenv("LIVE_CALLBACK_KEYS", KEY)
    monkeypatch.setenv("LIVE_STORE_URL", url)
    client = ff_app().test_client()
    first, second = signed(push("1", 100)), signed(push("2", 200))

    assert client.post("/", json=first).status_code == 200
    proxy.down()
    during = client.post("/", json=second)
    proxy.up()
    after = client.post("/", json=second)

    assert during.status_code == 503
    assert during.get_json()["code"] == "store_unavailable"
    assert after.status_code == 200
    assert reader.event_count() == 2


def test_store_down_at_start_answers_503(
    outage: tuple[Proxy, str, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold start with no database answers 503 and recovers when it returns."""
    proxy, url, reader = outage
    monkeypatch.setenv("LIVE_CALLBACK_KEYS", KEY)
    monkeypatch.setenv("LIVE_STORE_URL", url)
    proxy.down()
    client = ff_app().test_client()

    during = client.post("/", json=signed(push()))
    proxy.up()
    after = client.post("/", json=signed(push()))

    assert (during.status_code, after.status_code) == (503, 200)
    assert reader.event_count() == 1


def test_forged_requests_get_401_while_the_store_is_down(
    outage: tuple[Proxy, str, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refusing a forged request needs no store: with the database away it is
    still 401, in a warm process and in one that started during the outage."""
    proxy, url, reader = outage
    monkeypatch.setenv("LIVE_CALLBACK_KEYS", KEY)
    monkeypatch.setenv("LIVE_STORE_URL", url)
    warm = ff_app().test_client()
    assert warm.post("/", json=signed(push())).status_code == 200
    forged = signed(push(), key="wrong")

    proxy.down()
    cold = ff_app().test_client()
    answers = [client.post("/", json=forged) for client in (warm, cold, warm)]
    proxy.up()

    assert [answer.status_code for answer in answers] == [401] * 3
    assert {answer.get_json()["code"] for answer in answers} == {"sign_mismatch"}
    assert reader.counters() == {}


def test_refusals_counted_during_an_outage_are_written_after_it(
    outage: tuple[Proxy, str, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write of the counts that fails keeps them for the next write, which
    lands once the database is back and the interval has passed."""
    proxy, url, reader = outage
    monkeypatch.setenv("LIVE_CALLBACK_KEYS", KEY)
    monkeypatch.setenv("LIVE_STORE_URL", url)
    callback, clock = Callback(url), Clock()
    app = callback.app(open_store(url), clock)
    assert callback.served(app, signed(push())).status == 200

    proxy.down()
    refused = [callback.served(app, signed(push(), key="wrong")) for _ in range(2)]
    proxy.up()
    clock.now += callback.scf.REFUSAL_FLUSH_SECONDS
    after = callback.served(app, signed(push("2", 200)))

    assert [answer.status for answer in refused] == [401, 401]
    assert after.status == 200
    assert reader.counters() == {"verify.sign_mismatch": 2}
    assert [reason for reason, _ in reader.samples()] == ["sign_mismatch"]


def test_missing_key_fails_closed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    """With no key configured nothing is accepted; Tencent is told to retry."""
    monkeypatch.delenv("LIVE_CALLBACK_KEYS", raising=False)
    monkeypatch.setenv("LIVE_STORE_URL", f"sqlite:///{tmp_path}/x.db")
    client = ff_app().test_client()

    answer = client.post("/", json=signed(push()))

    assert answer.status_code == 503
    assert answer.get_json()["code"] == "key_not_configured"


def test_bad_setting_fails_with_its_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed variable gives 503 config_error; the log names the variable
    and neither the log nor the answer repeats the value."""
    monkeypatch.setenv("LIVE_CALLBACK_KEYS", KEY)
    monkeypatch.setenv("LIVE_STORE_URL", "mysql://user:s3cret@db/x")
    client = ff_app().test_client()

    answer = client.post("/", json=signed(push()))

    assert (answer.status_code, answer.get_json()["code"]) == (503, "config_error")
    out = capsys.readouterr().out
    assert "LIVE_STORE_URL" in out
    assert "s3cret" not in answer.get_data(as_text=True) + out


def test_a_stream_held_by_another_session_answers_503_in_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stream row locked elsewhere makes the callback give up with 503 inside
    the store's lock limit, long before the function's timeout; the retry lands.
    """
    for url in pg_schema_url():
        monkeypatch.setenv("LIVE_CALLBACK_KEYS", KEY)
        monkeypatch.setenv("LIVE_STORE_URL", url)
        client = ff_app().test_client()
        assert client.post("/", json=signed(push("1", 100))).status_code == 200

        with psycopg.connect(url) as holder:
            # Ended by the server after 8 s, so a callback that waited
            # forever would fail this test rather than hang it.
            holder.execute("SET idle_in_transaction_session_timeout = '8s'")
            holder.execute("SELECT 1 FROM streams WHERE name = 'room_42' FOR UPDATE")
            during = client.post("/", json=signed(push("2", 200)))
        after = client.post("/", json=signed(push("2", 200)))

        reader = open_store(url)
        state = reader.streams()[0]
        reader.close()
        assert during.status_code == 503
        assert during.get_json()["code"] == "store_unavailable"
        assert after.status_code == 200
        assert state.sequence == "2"


def test_a_publisher_refused_beside_a_live_one_leaves_the_stream_live(
    server: Server, store_url: str
) -> None:
    """The emulator, playing Tencent, turns away a second publisher whose push
    URL is badly signed (a stop 18/503 of its own session) while the first one
    streams on; the callback's store agrees with the emulator's truth."""
    settings = load_emulator_settings(
        {"LIVE_CALLBACK_KEYS": KEY, "LIVE_PUSH_KEYS": "push-key"}
    )
    clock = FakeClock()
    emulator = build(
        settings,
        clock=clock,
        callback_url=server.url,
        policy=RetryPolicy.fast(tries=2),
    )
    expiry = tx_time(int(clock()) + 600)
    good = f"txSecret={tx_secret('push-key', 'room', expiry)}&txTime={expiry}"

    emulator.world.push("room", stream_param=good)
    # Later than the push, so that no same-second rule decides the case.
    clock.sleep(5)
    refused = emulator.world.push("room", stream_param=f"txSecret=0&txTime={expiry}")
    assert emulator.sender is not None
    assert emulator.sender.drain(timeout=30)
    emulator.sender.close()
    truth = emulator.world.streams()[0]
    reader = open_store(store_url)
    state = reader.stream(StreamKey(truth.domain, truth.app, truth.name))
    reader.close()

    assert [(b["errcode"], b["sub_errcode"]) for b in refused] == [(18, 503)]
    assert truth.state == "active"
    assert state is not None
    assert state.state == "live"
