"""How fast the emulator serves DescribeLiveStreamOnlineList pages.

A poller pages through every live stream a hundred at a time. This fills a
World with 20,000 live streams, serves it with the emulator's real HTTP server
(in a child process by default, so the clients do not share its interpreter
lock), and sends signed requests from a few client threads, each over one
keep-alive connection. Every request is signed afresh the way Tencent's SDK
signs it (JSON body, TC3-HMAC-SHA256 with the key derived per request); none
is prepared in advance.

Before any timing, one client pages through the whole list and checks it:
every page holds the expected entries (100 a page), every answer says
TotalNum 20,000, no stream appears on two pages and none is missing. Then two
phases run with the same clients: pages of 100 entries, then the smallest
API 3.0 answer (DescribeLiveStreamState) as the baseline; an answer that is an
error, or a page with the wrong count or total, counts as an error. The
figures are requests per second, p50 and p99 latency, and the ratio of page
throughput to baseline throughput. Targets: at least 500 pages per second on
a two-core machine with every page checked and no errors, and a ratio of at
least 0.5 (a page of 100 costs at most twice the smallest request).

Run: ``python -m bench emulator_online_list`` (defaults), or
``python -m bench.emulator_online_list --requests 3000 --threads 3``.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import math
import multiprocessing
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from multiprocessing.connection import Connection
from typing import Any

from emulator.api3 import ACTIONS, Api3
from emulator.server import start_in_thread
from emulator.world import World

__all__ = ["TARGET_RATIO", "TARGET_RPS", "main"]

TARGET_RPS = 500
TARGET_RATIO = 0.5

_SECRET_ID = "AKIDbenchmarkONLINE01"
_SECRET_KEY = "benchmark-secret-key"
_DOMAIN = "push.example.com"
_ONLINE = "DescribeLiveStreamOnlineList"
#: High enough that the emulator's rate limits never interfere.
_NO_LIMIT = 10**9


@dataclass(frozen=True)
class _Options:
    streams: int
    page_size: int
    threads: int
    requests: int
    seconds: float
    in_process: bool


@dataclass(frozen=True)
class _Phase:
    """What one phase measured."""

    requests: int
    errors: int
    elapsed: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv: Sequence[str] | None = None) -> None:
    """Serve a full world, measure both phases and print the figures.

    Args:
        argv: command-line options; the defaults when None.
    """
    options = _parse(argv)
    print(
        f"{options.streams:,} live streams, pages of {options.page_size}, "
        f"{options.threads} client threads, at most {options.requests:,} requests "
        f"or {options.seconds:.0f} s per phase, server "
        f"{'in this process' if options.in_process else 'in a child process'}"
    )

    port, stop = _start_server(options)
    try:
        problems = _check_pages(port, options)
        pages = _run_phase(port, options, _page_body(options), _page_check(options))
        baseline = _run_phase(port, options, _state_body, _state_check)
    finally:
        stop()

    _print_check(options, problems)
    _print_phase("OnlineList page", pages)
    _print_phase("State baseline", baseline)
    _verdict(pages, baseline, problems)


def _parse(argv: Sequence[str] | None) -> _Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.emulator_online_list", description=__doc__
    )
    parser.add_argument("--streams", type=int, default=20_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--threads", type=int, default=3, choices=range(1, 9))
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args([] if argv is None else argv)
    return _Options(
        args.streams,
        args.page_size,
        args.threads,
        args.requests,
        args.seconds,
        args.in_process,
    )


# Server -----------------------------------------------------------------------


def _names(streams: int) -> list[str]:
    return [f"room_{index:05d}" for index in range(streams)]


def _build(streams: int) -> tuple[World, Api3]:
    world = World(push_domain=_DOMAIN)
    for name in _names(streams):
        world.push(name)
    limits = dict.fromkeys(ACTIONS, _NO_LIMIT)
    return world, Api3(world, {_SECRET_ID: _SECRET_KEY}, qps_limits=limits)


def _start_server(options: _Options) -> tuple[int, Callable[[], None]]:
    if options.in_process:
        world, api3 = _build(options.streams)
        return start_in_thread(world=world, api3=api3)

    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=_serve_child, args=(theirs, options.streams))
    child.start()
    port: int = ours.recv()

    def stop() -> None:
        ours.send("stop")
        child.join(30)

    return port, stop


def _serve_child(conn: Connection, streams: int) -> None:
    """Serve a full world until the parent says stop."""
    world, api3 = _build(streams)
    port, stop = start_in_thread(world=world, api3=api3)
    conn.send(port)
    conn.recv()
    stop()


# Clients ----------------------------------------------------------------------

_Body = Callable[[int], tuple[str, dict[str, Any]]]
_Check = Callable[[dict[str, Any]], bool]


def _page_body(options: _Options) -> _Body:
    # Only full pages are asked for, so every answer holds page_size entries.
    pages = max(1, options.streams // options.page_size)

    def body(number: int) -> tuple[str, dict[str, Any]]:
        fields = {"PageNum": number % pages + 1, "PageSize": options.page_size}
        return _ONLINE, fields

    return body


def _page_check(options: _Options) -> _Check:
    expected = min(options.page_size, options.streams)

    def good(answer: dict[str, Any]) -> bool:
        entries = answer.get("OnlineInfo", [])
        return answer.get("TotalNum") == options.streams and len(entries) == expected

    return good


def _state_body(number: int) -> tuple[str, dict[str, Any]]:
    fields = {"AppName": "live", "DomainName": _DOMAIN, "StreamName": "room_00001"}
    return "DescribeLiveStreamState", fields


def _state_check(answer: dict[str, Any]) -> bool:
    return answer.get("StreamState") == "active"


def _check_pages(port: int, options: _Options) -> list[str]:
    """Page through the whole list once, untimed; say what is wrong with it."""
    client = _Client(port)
    pages = math.ceil(options.streams / options.page_size)
    problems: list[str] = []
    seen: list[str] = []
    for number in range(1, pages + 1):
        fields = {"PageNum": number, "PageSize": options.page_size}
        answer = client.call(_ONLINE, fields)
        names = [info["StreamName"] for info in answer.get("OnlineInfo", [])]
        expected = min(options.page_size, options.streams - len(seen))
        if len(names) != expected or answer.get("TotalNum") != options.streams:
            problems.append(
                f"page {number}: {len(names)} entries (expected {expected}), "
                f"TotalNum {answer.get('TotalNum')} (expected {options.streams})"
            )
        seen.extend(names)
    client.close()

    repeated = len(seen) - len(set(seen))
    if repeated:
        problems.append(f"{repeated} entries repeat a stream of another page")
    missing = len(set(_names(options.streams)) - set(seen))
    if missing:
        problems.append(f"{missing} live streams appear on no page")
    return problems


def _run_phase(port: int, options: _Options, body: _Body, check: _Check) -> _Phase:
    # One untimed request first: it builds the server's cached list.
    warm = _Client(port)
    warm.call(*body(0))
    warm.close()

    share = options.requests // options.threads
    deadline = time.perf_counter() + options.seconds
    results: list[tuple[list[float], int]] = []
    lock = threading.Lock()

    def work() -> None:
        outcome = _Client(port).hammer(body, check, share, deadline)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=work) for _ in range(options.threads)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start

    latencies = [value for found, _ in results for value in found]
    errors = sum(failed for _, failed in results)
    return _Phase(len(latencies), errors, elapsed, latencies)


class _Client:
    """One keep-alive connection that signs each request like Tencent's SDK."""

    def __init__(self, port: int) -> None:
        self._host = f"127.0.0.1:{port}"
        self._conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def hammer(
        self, body: _Body, check: _Check, count: int, deadline: float
    ) -> tuple[list[float], int]:
        """Send up to ``count`` requests before ``deadline``; time each one.

        Returns:
            The latencies, and how many answers failed ``check``.
        """
        latencies: list[float] = []
        errors = 0
        for number in range(count):
            if time.perf_counter() >= deadline:
                break
            started = time.perf_counter()
            answer = self.call(*body(number))
            latencies.append(time.perf_counter() - started)
            errors += not check(answer)
        self.close()
        return latencies, errors

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def call(self, action: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Sign and send one request; return its ``Response`` object."""
        payload = json.dumps(fields)
        headers = _sign(self._host, action, payload, int(time.time()))
        self._conn.request("POST", "/", body=payload.encode(), headers=headers)
        response: dict[str, Any] = json.loads(self._conn.getresponse().read())[
            "Response"
        ]
        return response


def _sign(host: str, action: str, payload: str, timestamp: int) -> dict[str, str]:
    """Headers of a TC3-HMAC-SHA256 signed POST, computed from scratch."""
    date = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
    canonical = (
        f"POST\n/\n\ncontent-type:application/json\nhost:{host}\n\n"
        f"content-type;host\n{hashlib.sha256(payload.encode()).hexdigest()}"
    )
    scope = f"{date}/live/tc3_request"
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{digest}"

    key = ("TC3" + _SECRET_KEY).encode()
    for part in (date, "live", "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "Host": host,
        "Content-Type": "application/json",
        "X-TC-Action": action,
        "X-TC-Version": "2018-08-01",
        "X-TC-Timestamp": str(timestamp),
        "Authorization": (
            f"TC3-HMAC-SHA256 Credential={_SECRET_ID}/{scope}, "
            f"SignedHeaders=content-type;host, Signature={signature}"
        ),
    }


# Report -----------------------------------------------------------------------


def _print_check(options: _Options, problems: list[str]) -> None:
    pages = math.ceil(options.streams / options.page_size)
    verdict = "all as expected" if not problems else "; ".join(problems[:5])
    print(
        f"list check: {pages} pages of {options.page_size}, TotalNum "
        f"{options.streams:,}, every stream once: {verdict}"
    )


def _print_phase(name: str, phase: _Phase) -> None:
    print(
        f"{name:<16} {phase.requests:>6} requests in {phase.elapsed:6.2f} s  "
        f"{phase.rate:8.0f} req/s  p50 {phase.percentile(0.5) * 1000:6.2f} ms  "
        f"p99 {phase.percentile(0.99) * 1000:6.2f} ms  errors {phase.errors}"
    )


def _verdict(pages: _Phase, baseline: _Phase, problems: list[str]) -> None:
    ratio = pages.rate / baseline.rate
    fast = pages.rate >= TARGET_RPS and pages.errors == 0 and not problems
    close = ratio >= TARGET_RATIO
    print(
        f"page/baseline throughput ratio {ratio:.2f} (target: at least "
        f"{TARGET_RATIO}): {'within target' if close else 'UNDER TARGET'}; "
        f"pages {pages.rate:.0f}/s (target: at least {TARGET_RPS}/s, every page "
        f"checked, no errors): {'within target' if fast else 'UNDER TARGET'}; "
        f"median latency {statistics.median(pages.latencies) * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
