"""Cost of one event through ``main_handler``, against json.loads + md5.

Both loops handle the same reference push body, each delivery a distinct event
(its own sequence), in interleaved rounds. The callback's loop goes through
the SCF front door: API Gateway event, verification, parsing, one SQLite
transaction, the log line. Target: at most 10x the baseline.

Two more loops show the storage floor: json.loads + md5 + one INSERT in its own
SQLite transaction with the callback's durability (WAL, synchronous=FULL),
which no handler that answers only after a durable commit can go below; and
the same with synchronous=NORMAL, which skips the fsync and so shows the
floor even of a store that gave up power-loss durability.

Run: ``python -m bench callback_inprocess``.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import io
import json
import logging
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared import make_sign

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key"
ROUNDS = 7
EVENTS = 2000


def _body(t: int, sequence: int) -> str:
    return json.dumps(
        {
            "app": "push.example.com",
            "appid": 1250000001,
            "appname": "live",
            "channel_id": f"s{sequence % 500}",
            "errcode": 0,
            "errmsg": "ok",
            "event_time": 1_700_000_000 + sequence,
            "event_type": 1,
            "node": "42.81.194.37",
            "sequence": str(sequence),
            "stream_id": f"s{sequence % 500}",
            "stream_param": "txSecret=1e36d253d3ae7ebbd62aac2d9c6fde38&txTime=658D5080",
            "user_ip": "203.0.113.7",
            "t": t,
            "sign": make_sign(KEY, t),
        }
    )


def _load_callback(store_path: Path) -> Any:
    os.environ["LIVE_CALLBACK_KEYS"] = KEY
    os.environ["LIVE_STORE_URL"] = f"sqlite:///{store_path}"
    path = ROOT / "functions" / "callback" / "main.py"
    spec = importlib.util.spec_from_file_location("bench_callback", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _baseline(bodies: list[str]) -> float:
    started = time.perf_counter()
    for text in bodies:
        body = json.loads(text)
        expected = hashlib.md5((KEY + str(body["t"])).encode()).hexdigest()
        hmac.compare_digest(expected, body["sign"])
    return time.perf_counter() - started


def _floor(path: Path, bodies: list[str], synchronous: str = "FULL") -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("CREATE TABLE IF NOT EXISTS e (k TEXT PRIMARY KEY, body BLOB)")
    started = time.perf_counter()
    for text in bodies:
        body = json.loads(text)
        expected = hashlib.md5((KEY + str(body["t"])).encode()).hexdigest()
        hmac.compare_digest(expected, body["sign"])
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO e VALUES (?, ?)", (body["sequence"], text))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def _callback(module: Any, bodies: list[str]) -> float:
    started = time.perf_counter()
    for text in bodies:
        answer = module.main_handler({"httpMethod": "POST", "body": text}, None)
        if answer["statusCode"] != 200:
            raise RuntimeError(f"callback answered {answer['statusCode']}")
    return time.perf_counter() - started


def main() -> None:
    """Run the interleaved rounds and print the ratios."""
    work = Path(tempfile.mkdtemp())
    module = _load_callback(work / "bench.sqlite3")
    # The log line goes to a buffer: the terminal is not what is measured.
    logging.getLogger("live").handlers[:] = []
    module.main_handler({"httpMethod": "POST", "body": "{}"}, None)
    logging.getLogger("live").handlers[:] = [logging.StreamHandler(io.StringIO())]

    loops: dict[str, Callable[[list[str]], float]] = {
        "baseline json.loads+md5": _baseline,
        "floor, synchronous=FULL": lambda b: _floor(work / "full.sqlite3", b),
        "floor, synchronous=NORMAL": lambda b: _floor(
            work / "normal.sqlite3", b, "NORMAL"
        ),
        "callback main_handler": lambda b: _callback(module, b),
    }
    t = int(time.time()) + 3600
    seconds: dict[str, list[float]] = {name: [] for name in loops}
    cpu: dict[str, list[float]] = {name: [] for name in loops}
    ratios: dict[str, list[float]] = {name: [] for name in loops}
    for round_no in range(ROUNDS):
        bodies = [_body(t, round_no * EVENTS + n) for n in range(EVENTS)]
        order = list(loops) if round_no % 2 else list(reversed(loops))
        taken = {name: _timed(loops[name], bodies) for name in order}
        for name, (elapsed, used) in taken.items():
            seconds[name].append(elapsed / EVENTS)
            cpu[name].append(used / EVENTS)
            ratios[name].append(elapsed / taken["baseline json.loads+md5"][0])
    _report(seconds, cpu, ratios)


def _timed(
    loop: Callable[[list[str]], float], bodies: list[str]
) -> tuple[float, float]:
    # CPU time beside the wall time: on a virtual machine an fsync is not only
    # waiting, the kernel spends CPU on it, which a busy server cannot overlap.
    started = time.process_time()
    elapsed = loop(bodies)
    return elapsed, time.process_time() - started


def _report(
    seconds: dict[str, list[float]],
    cpu: dict[str, list[float]],
    ratios: dict[str, list[float]],
) -> None:
    print(f"rounds={ROUNDS} events/round={EVENTS}")
    for name in seconds:
        each = statistics.median(seconds[name]) * 1e6
        used = statistics.median(cpu[name]) * 1e6
        ratio = statistics.median(ratios[name])
        print(
            f"{name:26s} {each:8.1f} us/event (cpu {used:6.1f} us)"
            f"  {ratio:6.1f}x baseline"
        )
    print("target: callback main_handler <= 10x baseline")
