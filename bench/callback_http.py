"""Requests per second of the callback over HTTP, against a hello-world function.

Three functions-framework servers (gunicorn, one worker, its default threads)
run at once on loopback: a hello-world function, the callback on SQLite and the
callback on PostgreSQL. wrk loads one at a time, in interleaved rounds, so
the machine's noise falls on all three alike; the figures are ratios of
medians. Every request is a distinct push event (its own stream and sequence),
so each one is a new row, not a duplicate.

Targets: SQLite at least 0.8x hello world, PostgreSQL at least 0.6x.

Four controls (``bench/controls``) are served the same way and take the
callback's steps one more at a time without storing anything: reading the
body, verifying the signature, parsing the event, writing the log line. They
show how much of the ratio each step costs, and so how much is left for the
store.

Run: ``python -m bench callback_http`` (needs wrk; ``apt-get install wrk``).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from shared import make_sign

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("LIVE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
KEY = "bench-key"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = 16
#: gunicorn threads per server, the same for every one (functions-framework's
#: own default is 4 per CPU).
THREADS = os.environ.get("BENCH_THREADS", "")
#: The controls' last steps, from bench/controls/main.py.
CONTROLS = ("read", "verify", "parse", "log")

_LUA = """
counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  local id = tostring(counter) .. "%(salt)s"
  local body = '{"app":"push.example.com","appid":1250000001,"appname":"live",' ..
    '"channel_id":"s' .. id .. '","errcode":0,"errmsg":"ok",' ..
    '"event_time":' .. tostring(1700000000 + counter) .. ',"event_type":1,' ..
    '"node":"10.0.0.1","sequence":"' .. id .. '","stream_id":"s' .. id .. '",' ..
    '"stream_param":"","user_ip":"127.0.0.1","t":%(t)d,"sign":"%(sign)s"}'
  return wrk.format(nil, "/", nil, body)
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(
    target: str, source: Path, env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    command = [
        str(Path(sys.executable).parent / "functions-framework"),
        "--target", target, "--source", str(source),
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    proc = subprocess.Popen(
        command,
        env={**os.environ, "PYTHONPATH": str(ROOT), **_threads(), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for(port)
    return proc, port


def _threads() -> dict[str, str]:
    return {"THREADS": THREADS} if THREADS else {}


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not start")


def _wrk(port: int, script: Path) -> tuple[float, float, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{SECONDS}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}/",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"server on port {port} answered errors:\n{out}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert rps is not None
    return float(rps.group(1)), _latency(out, "50%"), _latency(out, "99%")


def _latency(out: str, label: str) -> float:
    match = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out)
    assert match is not None
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]
    return float(match.group(1)) * scale


def _pg_schema() -> tuple[str, str]:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return schema, f"{PG_URL}?options=-csearch_path%3D{schema}"


def _drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> None:
    """Run the interleaved rounds and print the ratios."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="bench-http-"))
    schema, pg_url = _pg_schema()
    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    try:
        for name, (target, source, env) in _servers(work, pg_url).items():
            servers[name] = _start(target, source, env)
        results = _rounds(servers, work)
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait()
        _drop_schema(schema)
    _report(results)


def _servers(work: Path, pg_url: str) -> dict[str, tuple[str, Path, dict[str, str]]]:
    """Name every server to start: its target, its source and its environment."""
    callback = ROOT / "functions" / "callback" / "main.py"
    controls = ROOT / "bench" / "controls" / "main.py"
    sqlite_url = f"sqlite:///{work / 'bench.sqlite3'}"
    servers = {
        "hello": ("hello", ROOT / "bench" / "hello" / "main.py", {}),
        "sqlite": ("callback", callback, {"LIVE_STORE_URL": sqlite_url}),
        "postgres": ("callback", callback, {"LIVE_STORE_URL": pg_url}),
    }
    for step in CONTROLS:
        servers[f"to {step}"] = ("steps", controls, {"BENCH_STEP": step})
    return {
        name: (target, source, {"LIVE_CALLBACK_KEYS": KEY, **env})
        for name, (target, source, env) in servers.items()
    }


def _rounds(
    servers: dict[str, tuple[subprocess.Popen[bytes], int]], work: Path
) -> dict[str, list[tuple[float, float, float]]]:
    t = int(time.time()) + 3600
    results: dict[str, list[tuple[float, float, float]]] = {
        name: [] for name in servers
    }
    for round_no in range(ROUNDS):
        order = list(servers) if round_no % 2 == 0 else list(reversed(servers))
        for name in order:
            salt = f"r{round_no}{name.replace(' ', '')}"
            script = work / f"{salt}.lua"
            script.write_text(_LUA % {"t": t, "sign": make_sign(KEY, t), "salt": salt})
            results[name].append(_wrk(servers[name][1], script))
    return results


def _report(results: dict[str, list[tuple[float, float, float]]]) -> None:
    base = statistics.median(r[0] for r in results["hello"])
    threads = THREADS or "default"
    print(
        f"rounds={ROUNDS} seconds={SECONDS} connections={CONNECTIONS} threads={threads}"
    )
    for name, runs in results.items():
        rps = statistics.median(r[0] for r in runs)
        p50 = statistics.median(r[1] for r in runs)
        p99 = statistics.median(r[2] for r in runs)
        print(
            f"{name:10s} {rps:9.0f} req/s  {rps / base:5.2f}x hello  "
            f"p50 {p50:7.2f} ms  p99 {p99:7.2f} ms"
        )
    print("targets: sqlite >= 0.80x, postgres >= 0.60x")
    print("'to STEP': the callback's steps up to STEP, nothing stored (bench/controls)")
