"""What pydantic-settings would add to a cold start, against plain pydantic.

The package reads its environment with a plain pydantic model
(``shared/settings.py``) rather than pydantic-settings, because every cold
start of the callback pays for what it imports. This benchmark keeps that
choice honest. Each sample is a fresh interpreter of each of three kinds, in
an order reversed every other sample:

* ``pydantic``: import pydantic, define one model, validate one dict;
* ``pydantic-settings``: import pydantic-settings, define one BaseSettings
  with one field, read it from the environment;
* ``shared.settings``: import the package's settings and load them from the
  environment, as the callback's first request does.

It prints the medians and each as a ratio to plain pydantic. There is no
target: the figure says what pydantic-settings would cost.

Run: ``python -m bench settings_import`` (pydantic-settings comes with
requirements-dev.txt, for this benchmark only).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = 21

_KINDS = {
    "pydantic": """
import pydantic
class Model(pydantic.BaseModel):
    name: str
Model.model_validate({"name": "a"})
""",
    "pydantic-settings": """
import pydantic_settings
class Model(pydantic_settings.BaseSettings):
    name: str = "a"
Model()
""",
    "shared.settings": """
from shared.settings import load_settings
load_settings()
""",
}


def _run(code: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT)
    return time.perf_counter() - started


def main() -> None:
    """Alternate fresh processes of each kind and print the medians."""
    times: dict[str, list[float]] = {kind: [] for kind in _KINDS}
    for sample in range(SAMPLES):
        order = list(_KINDS) if sample % 2 == 0 else list(reversed(_KINDS))
        for kind in order:
            times[kind].append(_run(_KINDS[kind]))

    base = statistics.median(times["pydantic"])
    print(f"samples={SAMPLES}")
    for kind, runs in times.items():
        median = statistics.median(runs)
        print(f"{kind:18s} {median * 1000:7.1f} ms  {median / base:5.2f}x pydantic")
