"""Cold start of the callback against a process that only uses pydantic.

Each sample is a fresh interpreter. The callback's process imports
``functions/callback/main.py`` and answers its first event through
``main_handler`` (settings, store schema, verification, parsing, storing).
The event models build their validators on first use, so a process that saw
only a push has not paid for the others; the figure checked against the
target therefore comes from a process that, after its push, also validates
one body of every event type, so that no deferred build counts as saved. The
push-only figure is printed beside it. The baseline imports pydantic, defines
one model and validates one dict. Samples alternate between the three, in
an order reversed every other sample.
Target: at most 1.5x.

Run: ``python -m bench cold_start``.
"""

from __future__ import annotations

import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shared import make_sign

ROOT = Path(__file__).resolve().parents[1]
#: Fresh processes of each kind per run; the ratio is of their medians.
SAMPLES = 31
KEY = "bench-key"

_BASELINE = """
import pydantic
class Model(pydantic.BaseModel):
    name: str
    value: int
Model.model_validate({"name": "a", "value": 1})
"""

_CALLBACK = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("main", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
answer = module.main_handler({"httpMethod": "POST", "body": sys.argv[2]}, None)
assert answer["statusCode"] == 200, answer
if sys.argv[3] == "all":
    from shared import EVENT_TYPES, parse_event
    for code in [*EVENT_TYPES, 999]:
        parse_event({"event_type": code})
forbidden = {"requests", "flask", "tencentcloud", "psycopg", "werkzeug"}
loaded = {name.split(".")[0] for name in sys.modules} & forbidden
assert not loaded, loaded
"""


def _run(code: str, args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=ROOT,
    )
    return time.perf_counter() - started


def _compile() -> None:
    # A deployed package ships bytecode, as pydantic's installed files do; this
    # machine sets PYTHONDONTWRITEBYTECODE, so compile ours explicitly.
    for folder in ("shared", "functions"):
        compileall.compile_dir(ROOT / folder, quiet=1)


def main() -> None:
    """Alternate fresh processes and print the ratio of medians."""
    _compile()
    work = Path(tempfile.mkdtemp(prefix="bench-cold-"))
    main_py = str(ROOT / "functions" / "callback" / "main.py")
    t = int(time.time()) + 3600
    base_times: list[float] = []
    ours: dict[str, list[float]] = {"push": [], "all": []}
    for sample in range(SAMPLES):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "LIVE_CALLBACK_KEYS": KEY}
        body = (
            '{"event_type":1,"app":"push.example.com","appname":"live",'
            f'"stream_id":"s","sequence":"{sample}","event_time":1700000000,'
            f'"errcode":0,"errmsg":"ok","t":{t},"sign":"{make_sign(KEY, t)}"}}'
        )
        runs = ["base", *ours]
        # Reversed every other sample, so no kind always runs first or last.
        for kind in runs if sample % 2 == 0 else reversed(runs):
            if kind == "base":
                base_times.append(_run(_BASELINE, [], env))
                continue
            # A new store each time: the schema is created on every cold start.
            env["LIVE_STORE_URL"] = f"sqlite:///{work / f'{kind}{sample}.sqlite3'}"
            ours[kind].append(_run(_CALLBACK, [main_py, body, kind], env))

    base = statistics.median(base_times)
    push_only = statistics.median(ours["push"])
    every_model = statistics.median(ours["all"])
    print(f"samples={SAMPLES}")
    print(f"pydantic + one model:                     {base * 1000:7.1f} ms")
    print(f"callback import + first push:             {push_only * 1000:7.1f} ms")
    print(f"  ratio, push models only: {push_only / base:.2f}x")
    print(f"callback first push + every event model:  {every_model * 1000:7.1f} ms")
    print(f"  ratio: {every_model / base:.2f}x  (target <= 1.5x)")
