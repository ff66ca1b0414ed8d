"""Run the callback against the emulator and compare the store with the truth.

``python -m demo`` (or ``make demo``):

1. starts the callback function under functions-framework (gunicorn) on a
   free loopback port, with the embedded SQLite store in ``demo-data/``;
2. starts the emulator, which plays Tencent: a seeded random workload of
   pushes, stops, drops, forbids, recordings and snapshots, delivered as signed
   callbacks with duplicates and reordering injected;
3. waits for every delivery, then compares each stream's state in the store
   with the emulator's ground truth and prints the result.

It exits 0 when every stream the callbacks could tell about matches.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from emulator.config import Settings as EmulatorSettings
from emulator.config import load as load_emulator_settings
from emulator.scenarios import FakeClock, Workload, run_workload
from emulator.sender import Faults, RetryPolicy
from emulator.server import build, start_in_thread
from emulator.world import World
from shared import Store, StreamKey, open_store

ROOT = Path(__file__).resolve().parents[1]

#: The emulator's states and the store's names for them.
_STATES = {"active": "live", "inactive": "offline", "forbid": "forbidden"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_callback(data: Path, key: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        # functions-framework loads main.py by path; shared/ sits at the root.
        "PYTHONPATH": str(ROOT),
        "LIVE_CALLBACK_KEYS": key,
        "LIVE_STORE_URL": f"sqlite:///{data / 'live-sync.sqlite3'}",
    }
    log = (data / "callback.log").open("wb")
    proc = subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).parent / "functions-framework"),
            "--target=callback",
            f"--source={ROOT / 'functions' / 'callback' / 'main.py'}",
            "--host=127.0.0.1",
            f"--port={port}",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    _wait_for_port(port)
    return proc, f"http://127.0.0.1:{port}/"


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the callback did not start on port {port}")


def _compare(world: World, store: Store) -> tuple[list[str], list[str], int]:
    """Return (mismatches, unknowable, matches) per stream of the truth."""
    mismatches, unknowable, matches = [], [], 0
    for truth in world.streams():
        key = StreamKey(truth.domain, truth.app, truth.name)
        state = store.stream(key)
        expected = _STATES[truth.state]
        if state is None:
            # Never pushed successfully, or forbidden while offline: no
            # callback says so; reconciling these is the poller's job.
            unknowable.append(f"{key}: truth {expected}, no callback told")
        elif state.state == expected:
            matches += 1
        elif truth.state == "forbid" and state.state == "offline":
            unknowable.append(f"{key}: forbidden while offline (no callback)")
        elif truth.state == "inactive" and state.state == "forbidden":
            unknowable.append(f"{key}: resumed (ResumeLiveStream sends no callback)")
        else:
            mismatches.append(f"{key}: store {state.state}, truth {expected}")
    return mismatches, unknowable, matches


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--streams", type=int, default=20)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, default=ROOT / "demo-data")
    args = parser.parse_args(argv)

    shutil.rmtree(args.data, ignore_errors=True)
    args.data.mkdir(parents=True)
    settings = load_emulator_settings()
    callback, url = _start_callback(args.data, settings.callback_keys[0])
    try:
        return _run(args, settings, url)
    finally:
        callback.terminate()
        callback.wait()


def _run(args: argparse.Namespace, settings: EmulatorSettings, url: str) -> int:
    clock = FakeClock()
    emulator = build(
        settings,
        seed=args.seed,
        clock=clock,
        callback_url=url,
        policy=RetryPolicy.fast(tries=5),
        faults=Faults(duplicate=0.15, reorder=0.15),
    )
    port, stop = start_in_thread(
        world=emulator.world,
        api3=emulator.api3,
        legacy=emulator.legacy,
        sender=emulator.sender,
    )
    print(f"emulator on http://127.0.0.1:{port}/  callback on {url}")
    workload = Workload(seed=args.seed, streams=args.streams, steps=args.steps)
    summary = run_workload(emulator.world, workload, sleep=clock.sleep)
    assert emulator.sender is not None
    emulator.sender.drain(timeout=120)
    stop()
    return _report(emulator.world, emulator.sender.deliveries, summary, args.data)


def _report(
    world: World, deliveries: Sequence[object], summary: object, data: Path
) -> int:
    store = open_store(f"sqlite:///{data / 'live-sync.sqlite3'}")
    mismatches, unknowable, matches = _compare(world, store)
    delivered = sum(1 for d in deliveries if getattr(d, "status", "") == "delivered")
    print(f"callbacks emitted:   {len(world.emitted)}")
    print(f"deliveries made:     {len(deliveries)} ({delivered} answered 200)")
    print(f"events stored once:  {store.event_count()}")
    print(f"alerts in outbox:    {len(store.pending_alerts())}")
    print(f"streams matching:    {matches}")
    for line in unknowable:
        print(f"  left to the poller: {line}")
    for line in mismatches:
        print(f"  MISMATCH: {line}")
    store.close()
    print("result:", "OK" if not mismatches else "MISMATCH")
    return 0 if not mismatches else 1


if __name__ == "__main__":
    sys.exit(main())
