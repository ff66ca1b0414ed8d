"""The operator's command line for the signing helpers: ``python -m shared``.

It signs and checks callback pairs, builds and checks push and play URLs, and
says which environment variables are set. It prints signs, secrets derived for
URLs and verdicts, never a key and never a variable's value.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from typing import NoReturn, TypeAlias

from shared.errors import ConfigError, SignatureError, SignatureExpired
from shared.signing import (
    DEFAULT_GRACE_SECONDS,
    DEFAULT_MAX_FUTURE_SECONDS,
    Verifier,
    play_urls,
    push_url,
    signed_pair,
    verify_push_url,
)

__all__ = ["EXIT_OK", "EXIT_REFUSED", "EXIT_USAGE", "main"]

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2

_EPILOG = """\
keys:
  sign and verify take --key; without it they read LIVE_CALLBACK_KEYS
  (comma-separated, primary first) or else LIVE_API_KEY from the environment,
  so a key need not be typed where shell history keeps it. push-url, play-urls
  and verify-url need --key: write --key "$PUSH_KEY" to keep the value itself
  out of history. No command prints a key or a variable's value.

exit status:
  0 success, 1 signature refused (the error code is printed), 2 usage or
  configuration error.
"""

_NO_KEY = "no key: pass --key, or set LIVE_CALLBACK_KEYS or LIVE_API_KEY"
_EMPTY_KEY = "--key must not be empty"

# argparse would echo unknown arguments, and a mistyped option's value may be a key.
_UNRECOGNISED = "{count} unrecognised argument(s), not shown as one may be a key"

#: From the first quote on, an argparse message repeats what was typed.
_QUOTED = re.compile(r"\s*['\"].*", re.DOTALL)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose error messages never repeat what was typed."""

    def error(self, message: str) -> NoReturn:
        """Print the usage and the message without any typed value, then exit 2.

        An argument put in the wrong place (``--key K sign``) may be a key, and
        argparse quotes the value it could not place.
        """
        super().error(_QUOTED.sub(" (the value is not shown)", message, count=1))


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return the process exit status.

    Args:
        argv: the arguments after the program name; ``sys.argv[1:]`` when omitted.

    Returns:
        ``EXIT_OK`` or ``EXIT_REFUSED``.

    Raises:
        SystemExit: with ``EXIT_USAGE`` on a usage or configuration error.
    """
    parser = _build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        parser.error(_UNRECOGNISED.format(count=len(extra)))

    try:
        status: int = args.run(args)
    except ConfigError as exc:
        # Not through error(): the message may quote allowed values or characters.
        parser.exit(EXIT_USAGE, f"{parser.prog}: error: {exc.code}: {exc}\n")
    return status


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m shared",
        description="Sign and check Tencent Live callback pairs and stream URLs.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    commands.required = True

    _add_sign(commands)
    _add_verify(commands)
    _add_push_url(commands)
    _add_play_urls(commands)
    _add_verify_url(commands)
    _add_env(commands)
    return parser


Commands: TypeAlias = "argparse._SubParsersAction[_Parser]"


def _add_sign(commands: Commands) -> None:
    sign = commands.add_parser("sign", help="make a (t, sign) pair")
    _add_signing_keys(sign)
    sign.add_argument("--ttl", type=int, default=600, help="seconds of validity")
    _add_now(sign)
    sign.add_argument("--json", action="store_true", help="print a JSON object")
    sign.set_defaults(run=_run_sign)


def _add_verify(commands: Commands) -> None:
    verify = commands.add_parser("verify", help="check a (t, sign) pair")
    verify.add_argument("--t", required=True, help="the received t")
    verify.add_argument("--sign", required=True, help="the received sign")
    _add_signing_keys(verify)
    verify.add_argument(
        "--grace",
        type=_non_negative,
        default=DEFAULT_GRACE_SECONDS,
        help="seconds after t still accepted (default %(default)s)",
    )
    verify.add_argument(
        "--max-future",
        type=_non_negative,
        default=DEFAULT_MAX_FUTURE_SECONDS,
        help="seconds ahead of now t may lie (default %(default)s)",
    )
    _add_now(verify)
    verify.set_defaults(run=_run_verify)


def _add_push_url(commands: Commands) -> None:
    push = commands.add_parser("push-url", help="build a signed RTMP push URL")
    _add_url_parts(push)
    push.set_defaults(run=_run_push_url)


def _add_play_urls(commands: Commands) -> None:
    play = commands.add_parser("play-urls", help="build signed play URLs")
    _add_url_parts(play)
    play.add_argument("--json", action="store_true", help="print a JSON object")
    play.set_defaults(run=_run_play_urls)


def _add_verify_url(commands: Commands) -> None:
    check = commands.add_parser("verify-url", help="check a signed push/play URL")
    check.add_argument("--url", required=True, help="the full URL")
    check.add_argument(
        "--key",
        action="append",
        required=True,
        help="a push or play key; repeat for the backup key",
    )
    check.add_argument(
        "--auth-delta",
        type=_non_negative,
        default=0,
        help="extra seconds of validity after txTime (default 0)",
    )
    _add_now(check)
    check.set_defaults(run=_run_verify_url)


def _add_env(commands: Commands) -> None:
    env = commands.add_parser(
        "env", help="list the environment variables and whether each is set"
    )
    env.set_defaults(run=_run_env)


def _add_signing_keys(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--key",
        action="append",
        help="a callback or API key; repeat for rotation, primary first "
        "(default: LIVE_CALLBACK_KEYS, else LIVE_API_KEY)",
    )


def _add_now(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--now",
        type=_finite,
        help="take NOW as the current UNIX time instead of the clock",
    )


def _add_url_parts(command: argparse.ArgumentParser) -> None:
    command.add_argument("--domain", required=True, help="the push or play domain")
    command.add_argument("--app", default="live", help="the AppName (default live)")
    command.add_argument("--stream", required=True, help="the stream name")
    command.add_argument("--key", required=True, help="the push or play key")
    when = command.add_mutually_exclusive_group(required=True)
    when.add_argument("--ttl", type=int, help="seconds of validity from now")
    when.add_argument(
        "--expiry", type=_non_negative, help="UNIX time the URL stops working"
    )
    _add_now(command)


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _finite(text: str) -> float:
    # float() also reads nan and inf; a NaN clock would pass every freshness test.
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError("must be a finite number")
    return value


def _run_sign(args: argparse.Namespace) -> int:
    key = _signing_keys(args.key)[0]
    pair = signed_pair(key, ttl=args.ttl, now=args.now)

    if args.json:
        print(json.dumps({"t": pair.t, "sign": pair.sign}))
        return EXIT_OK
    print(f"t={pair.t}")
    print(f"sign={pair.sign}")
    return EXIT_OK


def _run_verify(args: argparse.Namespace) -> int:
    verifier = Verifier(
        _signing_keys(args.key),
        grace_seconds=args.grace,
        max_future_seconds=args.max_future,
        clock=_clock(args.now),
    )
    try:
        result = verifier.verify(args.t, args.sign)
    except SignatureError as exc:
        return _refused(exc)

    print(f"ok: {_key_label(result.key_index)} matched, t={result.t}")
    return EXIT_OK


def _run_push_url(args: argparse.Namespace) -> int:
    print(push_url(args.domain, args.app, args.stream, args.key, _expiry(args)))
    return EXIT_OK


def _run_play_urls(args: argparse.Namespace) -> int:
    urls = play_urls(args.domain, args.app, args.stream, args.key, _expiry(args))

    if args.json:
        print(json.dumps(dict(urls)))
        return EXIT_OK
    for protocol, url in urls.items():
        print(f"{protocol:<7} {url}")
    return EXIT_OK


def _run_verify_url(args: argparse.Namespace) -> int:
    keys = _given_keys(args.key)
    try:
        index = verify_push_url(
            args.url, keys, auth_delta=args.auth_delta, clock=_clock(args.now)
        )
    except SignatureError as exc:
        return _refused(exc)

    print(f"ok: {_key_label(index)} matched")
    return EXIT_OK


def _run_env(args: argparse.Namespace) -> int:
    # Imported on use: the settings module loads pydantic, signing needs none.
    from shared.settings import ENV_NAMES

    width = max(len(name) for name in ENV_NAMES)
    for name in ENV_NAMES:
        print(f"{name:<{width}}  {_state(os.environ.get(name))}")
    return EXIT_OK


def _state(value: str | None) -> str:
    if value is None:
        return "not set"
    return "set" if value else "set (empty)"


def _signing_keys(given: list[str] | None) -> list[str]:
    """Return the keys from --key, or else from the environment.

    Only the key variables are read: a malformed variable the command does not
    use must not stop it.

    Raises:
        ConfigError: no key anywhere, or an empty --key.
    """
    if given is not None:
        return _given_keys(given)

    from shared.settings import load_signing_keys

    keys = list(load_signing_keys())
    if not keys:
        raise ConfigError(_NO_KEY)
    return keys


def _given_keys(given: list[str]) -> list[str]:
    # An empty --key usually means an unset shell variable; refuse, never guess.
    if not all(given):
        raise ConfigError(_EMPTY_KEY)
    return given


def _expiry(args: argparse.Namespace) -> int:
    if args.expiry is not None:
        return int(args.expiry)
    return int(_clock(args.now)()) + int(args.ttl)


def _clock(now: float | None) -> Callable[[], float]:
    if now is None:
        return time.time
    return functools.partial(float, now)


def _key_label(index: int | None) -> str:
    role = "primary" if index == 0 else "backup"
    return f"key {index} ({role})"


def _refused(exc: SignatureError) -> int:
    detail = ""
    if isinstance(exc, SignatureExpired):
        detail = f"; {_key_label(exc.key_index)} matched"
    print(f"refused: {exc.code}: {exc}{detail}", file=sys.stderr)
    return EXIT_REFUSED


if __name__ == "__main__":
    sys.exit(main())
