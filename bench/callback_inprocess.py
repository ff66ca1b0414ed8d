"""Cost of one event through ``main_handler``, against json.loads + md5.

Both loops handle the same reference push body, each delivery a distinct event
(its own sequence), in interleaved rounds. The callback's loop goes through
the SCF front door: API Gateway event, verification, parsing, one SQLite
transaction, the log line. Target: at most 10x the baseline.

A third loop shows the storage floor: json.loads + md5 + one INSERT in its own
SQLite transaction with the same durability (WAL, synchronous=FULL), which no
handler that answers only after a durable commit can go below.

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


def _floor(path: Path, bodies: list[str]) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
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
    """Run the interleaved rounds and print the ratio."""
    work = Path(tempfile.mkdtemp())
    module = _load_callback(work / "bench.sqlite3")
    # The log line goes to a buffer: the terminal is not what is measured.
    logging.getLogger("live").handlers[:] = []
    module.main_handler({"httpMethod": "POST", "body": "{}"}, None)
    logging.getLogger("live").handlers[:] = [logging.StreamHandler(io.StringIO())]

    t = int(time.time()) + 3600
    ratios, floor_ratios, base_us, floor_us, ours_us = [], [], [], [], []
    for round_no in range(ROUNDS):
        bodies = [_body(t, round_no * EVENTS + n) for n in range(EVENTS)]
        if round_no % 2:
            ours, base = _callback(module, bodies), _baseline(bodies)
            floor = _floor(work / "floor.sqlite3", bodies)
        else:
            floor = _floor(work / "floor.sqlite3", bodies)
            base, ours = _baseline(bodies), _callback(module, bodies)
        ratios.append(ours / base)
        floor_ratios.append(floor / base)
        base_us.append(base / EVENTS * 1e6)
        floor_us.append(floor / EVENTS * 1e6)
        ours_us.append(ours / EVENTS * 1e6)

    print(f"rounds={ROUNDS} events/round={EVENTS}")
    print(f"baseline json.loads+md5: {statistics.median(base_us):8.1f} us/event")
    print(f"storage floor:           {statistics.median(floor_us):8.1f} us/event")
    print(f"callback main_handler:   {statistics.median(ours_us):8.1f} us/event")
    print(f"floor ratio (median): {statistics.median(floor_ratios):.1f}x")
    print(f"ratio (median): {statistics.median(ratios):.1f}x  (target <= 10x)")
