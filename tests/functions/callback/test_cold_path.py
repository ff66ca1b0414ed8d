"""What a cold start of the callback loads, checked in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from shared import make_sign
from tests.functions.callback.conftest import KEY, MAIN

ROOT = MAIN.parents[2]

_SCRIPT = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("index", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
answer = module.main_handler({"httpMethod": "POST", "body": sys.argv[2]}, None)
roots = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"status": answer["statusCode"], "modules": roots}))
"""


def test_scf_path_loads_no_heavy_library(tmp_path: Path) -> None:
    """Answering a first event via main_handler never imports requests, Flask,
    psycopg or Tencent's SDK: they cost cold-start time the callback never uses."""
    t = int(time.time()) + 600
    body = json.dumps(
        {"event_type": 1, "stream_id": "s", "sequence": "1", "event_time": 1, "t": t,
         "sign": make_sign(KEY, t)}
    )  # fmt: skip
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LIVE_CALLBACK_KEYS": KEY,
        "LIVE_STORE_URL": f"sqlite:///{tmp_path / 'cold.sqlite3'}",
    }

    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(MAIN), body],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])

    assert result["status"] == 200
    heavy = {"requests", "flask", "werkzeug", "psycopg", "tencentcloud", "urllib3"}
    assert heavy.isdisjoint(result["modules"])


_FIRST_EVENT = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("index", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
answer = module.main_handler(json.loads(sys.argv[2]), None)
print(json.dumps({"status": answer["statusCode"]}))
"""


def test_a_malformed_first_trigger_event_is_logged_as_the_cold_start(
    tmp_path: Path,
) -> None:
    """The first thing a fresh instance receives being no HTTP event still gives
    its log line, and that line is the one marked as the cold start."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LIVE_CALLBACK_KEYS": KEY,
        "LIVE_STORE_URL": f"sqlite:///{tmp_path / 'cold.sqlite3'}",
    }
    event = json.dumps({"httpMethod": "POST", "body": "!!", "isBase64Encoded": True})

    out = subprocess.run(
        [sys.executable, "-c", _FIRST_EVENT, str(MAIN), event],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line, result = (json.loads(text) for text in out.strip().splitlines())

    assert result == {"status": 400}
    assert (line["outcome"], line["cold_start"]) == ("bad_trigger_event", True)
