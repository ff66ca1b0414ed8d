"""What ``Verifier.verify`` costs over the bare MD5 recipe.

The baseline is what a hand-written receiver does for each callback:
``md5(key + str(t))`` in hex, compared with ``hmac.compare_digest``. The
verifier adds strict parsing, guard clauses and the freshness checks on top.

Each round times both loops over the same pairs, alternating between them every
few thousand pairs and alternating which goes first, so a change in the
machine's load falls on both; the figure is the median of the per-round ratios.
Times are the process's CPU time, so moments when another process holds the CPU
count for neither loop. Target: the verifier costs at most 2.0x the baseline.

Run: ``python -m bench signing``.
"""

from __future__ import annotations

import hashlib
import hmac
import statistics
import time
from collections.abc import Sequence

from shared.signing import Verifier, make_sign

__all__ = ["PAIRS", "ROUNDS", "SLICE", "TARGET_RATIO", "main"]

ROUNDS = 7
PAIRS = 200_000
SLICE = 5_000
TARGET_RATIO = 2.0

_KEY = "my_callback_key_123"

#: A fixed clock reading; every pair expires within ten minutes after it.
_NOW = 1_703_731_478

Pairs = Sequence[tuple[int, str]]


def main() -> None:
    """Measure both loops in interleaved rounds and print the median ratio."""
    slices = _slices(_make_pairs(PAIRS))
    verifier = Verifier([_KEY], clock=lambda: _NOW)
    print(f"Verifier.verify vs bare md5 + compare_digest, {ROUNDS} x {PAIRS:,} pairs")
    print("round  bare ns/pair  verify ns/pair  ratio")

    ratios = []
    for number in range(ROUNDS):
        bare, checked = _round(slices, verifier, number)
        ratios.append(checked / bare)
        print(
            f"{number + 1:<6} {_per_pair(bare):>12.0f}"
            f"  {_per_pair(checked):>14.0f}  {checked / bare:>5.2f}"
        )

    _report(statistics.median(ratios))


def _make_pairs(count: int) -> list[tuple[int, str]]:
    # Distinct t values, all still fresh at _NOW, as Tencent would send them.
    times = [_NOW + 1 + index % 600 for index in range(count)]
    return [(t, make_sign(_KEY, t)) for t in times]


def _slices(pairs: Pairs) -> list[Pairs]:
    return [pairs[start : start + SLICE] for start in range(0, len(pairs), SLICE)]


def _round(
    slices: Sequence[Pairs], verifier: Verifier, number: int
) -> tuple[float, float]:
    # The loops alternate slice by slice, and so does which one goes first: a
    # burst of load from elsewhere on the machine then falls on both alike.
    bare = checked = 0.0
    for index, chunk in enumerate(slices):
        if (number + index) % 2 == 0:
            bare += _time_bare(chunk, _KEY)
            checked += _time_verifier(chunk, verifier)
        else:
            checked += _time_verifier(chunk, verifier)
            bare += _time_bare(chunk, _KEY)
    return bare, checked


def _time_bare(pairs: Pairs, key: str) -> float:
    start = time.process_time()
    for t, sign in pairs:
        hmac.compare_digest(hashlib.md5((key + str(t)).encode()).hexdigest(), sign)
    return time.process_time() - start


def _time_verifier(pairs: Pairs, verifier: Verifier) -> float:
    verify = verifier.verify
    start = time.process_time()
    for t, sign in pairs:
        verify(t, sign)
    return time.process_time() - start


def _per_pair(seconds: float) -> float:
    return seconds / PAIRS * 1e9


def _report(ratio: float) -> None:
    verdict = "within target" if ratio <= TARGET_RATIO else "OVER TARGET"
    print(f"median ratio {ratio:.2f}x (target: at most {TARGET_RATIO:.1f}x): {verdict}")


if __name__ == "__main__":
    main()
