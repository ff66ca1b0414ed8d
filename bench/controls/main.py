"""Controls of the HTTP benchmark: the callback's steps up to, not including, the store.

Served exactly like the callback, each control stops after one more of the
steps every callback must take, so the benchmark shows what each step costs
in requests per second and how much of the ratio is left for the store:

* ``read``: read the body through the shared Flask adapter, answer 200;
* ``verify``: also decode the JSON and verify ``t + sign``;
* ``parse``: also parse the event and compute its dedup and stream keys;
* ``log``: also write the invocation's JSON log line.

``BENCH_STEP`` picks the control. The steps are the shared package's own
functions, called as the callback calls them.
"""

from __future__ import annotations

import json
import os
from typing import Any

from shared import (
    Invocation,
    Verifier,
    configure_logging,
    json_response,
    parse_event,
    request_from_flask,
    response_to_flask,
)

STEPS = ("read", "verify", "parse", "log")
_DEPTH = STEPS.index(os.environ.get("BENCH_STEP", "log")) + 1
_VERIFIER = Verifier([os.environ.get("LIVE_CALLBACK_KEYS", "bench-key")])

configure_logging()


def steps(request: Any) -> tuple[bytes, int, dict[str, str]]:
    """functions-framework HTTP target running the first steps of a callback."""
    log = Invocation("control")
    received = request_from_flask(request, 64 * 1024)
    if _DEPTH >= 2:
        body = json.loads(received.body.decode("utf-8"))
        check = _VERIFIER.verify(body.get("t"), body.get("sign"))
        log.add(verified_by=check.key_index)
    if _DEPTH >= 3:
        event = parse_event(body)
        log.add(
            event_type=event.event_type,
            dedup=event.dedup_key(),
            stream=event.stream_key(),
        )
    if _DEPTH >= 4:
        log.add(outcome="applied", status=200)
        log.emit()
    return response_to_flask(json_response(200, {"code": 0}))
