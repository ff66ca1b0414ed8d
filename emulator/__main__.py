"""Command line: ``python -m emulator serve|send|ctl``.

* ``serve`` runs the emulator on one port and prints one line naming the URL it
  listens on, the APPID and the SecretId it accepts (never a key).
* ``send`` delivers one signed callback to a receiver, once.
* ``ctl`` is a small client of a running emulator's control API; it prints the
  JSON answer. Its mutating commands and their options are the World's own
  table (:data:`emulator.world.MUTATORS` and :data:`emulator.world.ARGUMENTS`),
  so every argument the control API takes has an option here.

Keys and the account come from the environment (see :mod:`emulator.config`).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import ssl
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, urlsplit

from emulator import config, server
from emulator.config import Settings
from emulator.sender import CURRENT_POLICY, POLICIES, Faults, RetryPolicy, send_one
from emulator.world import ARGUMENTS, MUTATORS, Argument

if TYPE_CHECKING:
    from emulator.tls import TlsFiles

__all__ = ["main"]

#: Seconds between callback retries under ``--fast``; snapshots keep the
#: ratio of the chosen policy (twice as long under Tencent's current one).
FAST_INTERVAL = 0.1

#: Seconds a callback attempt may take under ``--fast``.
FAST_TIMEOUT = 2.0

#: Seconds ``ctl`` waits for the emulator's answer.
CTL_TIMEOUT = 30.0

_CTL_HEADERS = {"Content-Type": "application/json"}

_READERS = ("streams", "history", "callbacks")


def _serve(args: argparse.Namespace) -> int:
    settings = config.load()
    emulator = server.build(
        settings,
        seed=args.seed,
        callback_url=args.callback_url,
        policy=_policy(POLICIES[args.retry_policy], args.fast),
        faults=Faults.parse(args.faults),
        legacy_rate_limit=args.legacy_rate_limit,
        qps_limits=dict(args.qps),
    )
    tls = _tls(args.tls_dir, args.host)

    def announce(port: int) -> None:
        print(_announcement(args, settings, tls, port), flush=True)

    with contextlib.suppress(KeyboardInterrupt):
        server.serve(
            args.port,
            world=emulator.world,
            api3=emulator.api3,
            legacy=emulator.legacy,
            sender=emulator.sender,
            tls=tls,
            host=args.host,
            ready=announce,
        )
    return 0


def _policy(policy: RetryPolicy, fast: bool) -> RetryPolicy:
    if not fast:
        return policy
    scale = FAST_INTERVAL / policy.interval
    return replace(
        policy,
        interval=FAST_INTERVAL,
        snapshot_interval=policy.snapshot_interval * scale,
        timeout=FAST_TIMEOUT,
    )


def _qps(text: str) -> tuple[str, int]:
    action, equals, number = text.partition("=")
    number = number.strip()
    if not equals or not (number.isascii() and number.isdigit()):
        raise argparse.ArgumentTypeError("expected Action=N, such as DropLiveStream=5")
    return action.strip(), int(number)


def _announcement(
    args: argparse.Namespace, settings: Settings, tls: TlsFiles | None, port: int
) -> str:
    scheme = "https" if tls else "http"
    parts = [
        f"emulator listening on {scheme}://{args.host}:{port}",
        f"appid={settings.appid}",
        f"secret_id={settings.secret_id}",
        f"callbacks={args.callback_url or 'recorded only'}",
    ]
    if tls is not None:
        parts.append(f"ca={tls.ca}")
    return " ".join(parts)


def _tls(directory: str | None, host: str) -> TlsFiles | None:
    if directory is None:
        return None
    # cryptography is loaded only when a certificate is needed, so that the
    # ctl and send commands start quickly.
    from emulator.tls import DEFAULT_HOSTS, make_ca_and_cert

    hosts = DEFAULT_HOSTS if host in DEFAULT_HOSTS else (*DEFAULT_HOSTS, host)
    return make_ca_and_cert(Path(directory), hosts)


def _send(args: argparse.Namespace) -> int:
    keys = [args.key] if args.key else list(config.load().callback_keys)
    delivery = send_one(
        args.kind,
        args.to,
        keys,
        stream=args.stream,
        errcode=args.errcode,
        sub_errcode=args.sub_errcode,
        policy=CURRENT_POLICY.with_retries(args.retries),
    )
    last = delivery.attempts[-1].status if delivery.attempts else None
    print(
        f"{args.kind} {delivery.status} after {len(delivery.attempts)} attempt(s),"
        f" last HTTP status {last}",
        flush=True,
    )
    return 0 if delivery.status == "delivered" else 1


def _ctl(args: argparse.Namespace) -> int:
    parts = urlsplit(args.emulator)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("--emulator must be an http:// or https:// URL")
    path = parts.path.rstrip("/") + server.CONTROL_PREFIX + args.command
    if args.command in _READERS:
        query = f"?wait={args.wait}" if args.command == "callbacks" else ""
        return _call(parts, "GET", path + query, None, args.cafile)
    payload = json.dumps(_ctl_payload(args)).encode()
    return _call(parts, "POST", path, payload, args.cafile)


def _ctl_payload(args: argparse.Namespace) -> dict[str, Any]:
    if args.command == "faults":
        payload: dict[str, Any] = {}
        if args.legacy_error is not None:
            payload.update(legacy_error=args.legacy_error, count=args.count)
        if args.callback_faults is not None:
            payload["callbacks"] = args.callback_faults
        return payload
    fields = {name: getattr(args, name) for name in _taken(args.command)}
    return {name: value for name, value in fields.items() if value is not None}


def _taken(action: str) -> list[str]:
    # MUTATORS holds sets; ARGUMENTS gives the options a stable order.
    return [name for name in ARGUMENTS if name in MUTATORS[action]]


def _call(
    parts: SplitResult, method: str, path: str, body: bytes | None, cafile: str | None
) -> int:
    # http.client rather than urllib: a proxy named in the environment must
    # not stand between the client and a loopback emulator.
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        context = ssl.create_default_context(cafile=cafile)
        connection = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=CTL_TIMEOUT, context=context
        )
    else:
        connection = http.client.HTTPConnection(
            parts.hostname or "", parts.port, timeout=CTL_TIMEOUT
        )
    try:
        connection.request(method, path, body=body, headers=_CTL_HEADERS)
        answer = connection.getresponse()
        status, text = answer.status, answer.read().decode(errors="replace")
    except (OSError, http.client.HTTPException) as exc:
        print(f"cannot reach the emulator: {exc}", file=sys.stderr)
        return 1
    finally:
        connection.close()

    if status != 200:
        print(text, file=sys.stderr)
        return 1
    print(json.dumps(json.loads(text), indent=2, ensure_ascii=False))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m emulator", description="A local Tencent Cloud Live."
    )
    commands = parser.add_subparsers(dest="command_group", required=True)
    _add_serve(commands.add_parser("serve", help="run the emulator"))
    _add_send(commands.add_parser("send", help="send one signed callback"))
    _add_ctl(commands.add_parser("ctl", help="drive a running emulator"))
    return parser


def _add_serve(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--callback-url", help="where callbacks are POSTed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tls-dir", help="write a CA and serve HTTPS")
    parser.add_argument("--faults", default="", help="e.g. drop=0.1,duplicate=0.2")
    parser.add_argument(
        "--fast", action="store_true", help="retry callbacks within a second"
    )
    parser.add_argument("--legacy-rate-limit", type=int, default=100)
    parser.add_argument(
        "--retry-policy",
        choices=sorted(POLICIES),
        default="current",
        help="Tencent's callback retries in one era of its documentation",
    )
    parser.add_argument(
        "--qps",
        type=_qps,
        action="append",
        default=[],
        metavar="ACTION=N",
        help="API 3.0 requests per second for one action; repeatable",
    )
    parser.set_defaults(run=_serve)


def _add_send(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=("push", "stop", "record", "snapshot"))
    parser.add_argument("--to", required=True, help="the receiver's URL")
    parser.add_argument("--stream", default="room_42")
    parser.add_argument("--errcode", type=int)
    parser.add_argument("--sub-errcode", type=int)
    parser.add_argument("--key", help="sign with this key instead of the env's")
    parser.add_argument("--retries", type=int, default=0)
    parser.set_defaults(run=_send)


def _add_ctl(parser: argparse.ArgumentParser) -> None:
    target = argparse.ArgumentParser(add_help=False)
    target.add_argument("--emulator", required=True, help="the emulator's URL")
    target.add_argument("--cafile", help="the CA of an https emulator")
    commands = parser.add_subparsers(dest="command", required=True)

    for action in MUTATORS:
        mutator = commands.add_parser(
            action, parents=[target], help=f"{action} a stream"
        )
        for name in _taken(action):
            _add_field(mutator, name, ARGUMENTS[name])

    readers = {
        name: commands.add_parser(name, parents=[target], help=f"read the {name}")
        for name in _READERS
    }
    readers["callbacks"].add_argument(
        "--wait", type=float, default=0.0, help="seconds to wait for deliveries"
    )

    faults = commands.add_parser("faults", parents=[target], help="inject faults")
    faults.add_argument("--legacy-error")
    faults.add_argument("--count", type=int, default=1)
    faults.add_argument("--callback-faults")
    parser.set_defaults(run=_ctl)


def _add_field(parser: argparse.ArgumentParser, name: str, argument: Argument) -> None:
    # Types and choices are checked here; ranges are left to the emulator,
    # whose answer names the field and its range, as it does for any client.
    bounds = f"an integer from {argument.low} to {argument.high}"
    parser.add_argument(
        "--" + name.replace("_", "-"),
        type=argument.kind,
        choices=argument.choices or None,
        help=bounds if argument.kind is int else None,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: the arguments, without the program name; sys.argv when None.

    Returns:
        The process exit status.
    """
    args = _parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return status


if __name__ == "__main__":
    sys.exit(main())
