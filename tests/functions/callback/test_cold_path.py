"""What a cold start of the callback loads, checked in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from shared import make_sign
from tests.functions.callback.conftest import KEY, MAIN

ROOT = MAIN.parents[2]

#: Loads main.py as SCF does (not registered in sys.modules), hands it the SCF
#: event given as JSON, and prints its log line and then what it answered.
_SCRIPT = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("index", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
answer = module.main_handler(json.loads(sys.argv[2]), None)
roots = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"status": answer["statusCode"], "modules": roots}))
"""


def _first_event(event: dict[str, Any], tmp_path: Path) -> list[dict[str, Any]]:
    """Run one SCF event through a fresh instance; return its output lines."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LIVE_CALLBACK_KEYS": KEY,
        "LIVE_STORE_URL": f"sqlite:///{tmp_path / 'cold.sqlite3'}",
    }
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(MAIN), json.dumps(event)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [json.loads(line) for line in out.strip().splitlines()]


def test_scf_path_loads_no_heavy_library(tmp_path: Path) -> None:
    """Answering a first event via main_handler never imports requests, Flask,
    psycopg or Tencent's SDK: they cost cold-start time the callback never uses."""
    t = int(time.time()) + 600
    body = json.dumps(
        {"event_type": 1, "stream_id": "s", "sequence": "1", "event_time": 1, "t": t,
         "sign": make_sign(KEY, t)}
    )  # fmt: skip

    *_, result = _first_event({"httpMethod": "POST", "body": body}, tmp_path)

    assert result["status"] == 200
    heavy = {"requests", "flask", "werkzeug", "psycopg", "tencentcloud", "urllib3"}
    assert heavy.isdisjoint(result["modules"])


def test_a_malformed_first_trigger_event_is_logged_as_the_cold_start(
    tmp_path: Path,
) -> None:
    """The first thing a fresh instance receives being no HTTP event still gives
    its log line, and that line is the one marked as the cold start."""
    event = {"httpMethod": "POST", "body": "!!", "isBase64Encoded": True}

    line, result = _first_event(event, tmp_path)

    assert result["status"] == 400
    assert (line["outcome"], line["cold_start"]) == ("bad_trigger_event", True)
