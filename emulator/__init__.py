"""A local, faithful stand-in for Tencent Cloud Live, for tests and demos only.

The emulator plays Tencent's side of every conversation the project has with
Tencent Cloud Live, on loopback:

* signed event callbacks (push, stop, recording, snapshot) sent to a receiver;
* the legacy live-code API, ``GET /common_access``, with its ``t + sign`` check;
* API 3.0 (``live``, version 2018-08-01) with TC3-HMAC-SHA256 signatures;
* a control API under ``/_emulator/`` that lets a test push, stop, drop or forbid
  a stream and read back the ground truth and the deliveries.

One stream model (:class:`emulator.world.World`) stands behind all of them, so a
push seen by a callback is also seen by both APIs.

The emulator is Tencent, not us: it builds its wire bodies and error answers
from Tencent's published protocol, not from the project's models, so a mistake on our
side is not mirrored here. From the project's own package it imports only the
signing primitives. It is never deployed.

Run it with ``python -m emulator serve --port 8080``.
"""
