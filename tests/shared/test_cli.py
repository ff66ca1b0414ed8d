"""``python -m shared``: the operator's command line, run as a real process."""

from __future__ import annotations

import importlib
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from shared.settings import ENV_NAMES
from shared.signing import make_sign, play_urls, tx_secret

ROOT = Path(__file__).resolve().parents[2]

#: The callback example from the reference.
KEY = "my_callback_key_123"
T = "1703732078"
SIGN = "3710ceffaec75d93addf63273b3db7df"
NOW = "1703731478"

OTHER_KEY = "rotated-key-0f9e8d"

#: The documented push URL example.
PUSH_KEY = "e12c46f2612d5106e2034781ab261ca3"
PUSH_URL = (
    "rtmp://livepush.tcloud.com/live/test"
    "?txSecret=f85a2ab363fe4deaffef9754d79da6fe&txTime=5C271099"
)
PUSH_EXPIRY = "1546064025"

#: The start of the commands that check that URL and build play URLs.
VERIFY_URL = ("verify-url", "--url", PUSH_URL)
PLAY_URLS = (
    "play-urls",
    "--domain",
    "play.example.com",
    "--stream",
    "s1",
    "--key",
    PUSH_KEY,
    "--expiry",
    PUSH_EXPIRY,
)

#: Variables whose values are keys; the CLI must never print them.
KEY_VARIABLES = ("LIVE_CALLBACK_KEYS", "LIVE_API_KEY")


def run_cli(
    *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m shared`` and check no key it was given shows in its output.

    The child sees none of the package's variables from the test's own
    environment, only those in ``env``.
    """
    environ = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    environ.update(env or {})
    result = subprocess.run(
        [sys.executable, "-m", "shared", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    for secret in _secrets_in(args, env or {}):
        assert secret not in result.stdout
        assert secret not in result.stderr
    return result


def _secrets_in(args: tuple[str, ...], env: Mapping[str, str]) -> list[str]:
    given = [value for flag, value in itertools.pairwise(args) if flag == "--key"]
    from_env = [env[name] for name in KEY_VARIABLES if name in env]
    parts = [part for value in from_env for part in value.split(",")]
    return [secret for secret in given + parts if secret.strip()]


def query_of(url: str) -> dict[str, str]:
    """A URL's query parameters, one value each."""
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def test_importing_the_module_runs_no_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Only running it as a program starts a command; importing it is silent."""
    module = importlib.import_module("shared.__main__")

    assert callable(module.main)
    assert capsys.readouterr() == ("", "")


# Help and usage ---------------------------------------------------------------


def test_help_explains_where_keys_come_from() -> None:
    """--help names the key variables and the exit statuses, and exits 0."""
    result = run_cli("--help")

    assert result.returncode == 0
    for text in ("LIVE_CALLBACK_KEYS", "LIVE_API_KEY", "shell history", "exit status"):
        assert text in result.stdout


def test_no_command_is_a_usage_error() -> None:
    """Running without a command exits 2 with a usage message."""
    result = run_cli()

    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_unrecognised_arguments_are_not_echoed() -> None:
    """A mistyped option's value, possibly a key, never reaches the output."""
    result = run_cli("sign", "--key", KEY, "--kye", OTHER_KEY)

    assert result.returncode == 2
    assert "2 unrecognised argument(s)" in result.stderr
    assert OTHER_KEY not in result.stderr


def test_a_bad_number_is_a_usage_error() -> None:
    """A value that is not a number exits 2."""
    result = run_cli("sign", "--key", KEY, "--ttl", "soon")

    assert result.returncode == 2
    assert "--ttl" in result.stderr
    assert "soon" not in result.stderr


def test_a_key_before_the_command_is_not_echoed() -> None:
    """--key put before the command is a usage error that hides the key."""
    result = run_cli("--key", KEY, "sign")

    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_an_unknown_command_is_not_echoed() -> None:
    """Whatever stood where the command belongs is not repeated."""
    result = run_cli(OTHER_KEY)

    assert result.returncode == 2
    assert "invalid choice" in result.stderr
    assert OTHER_KEY not in result.stderr


@pytest.mark.parametrize("value", ["-1", "ten"])
def test_grace_must_be_a_non_negative_integer(value: str) -> None:
    """A negative or non-numeric --grace exits 2."""
    result = run_cli("verify", "--t", T, "--sign", SIGN, "--key", KEY, "--grace", value)

    assert result.returncode == 2
    assert "--grace" in result.stderr


# sign ---------------------------------------------------------------------------


def test_sign_prints_t_and_sign() -> None:
    """sign prints t = now + 600 and its sign, one per line."""
    result = run_cli("sign", "--key", KEY, "--now", NOW)

    assert result.returncode == 0
    assert result.stdout == f"t={T}\nsign={SIGN}\n"


def test_sign_prints_json_on_request() -> None:
    """With --json, sign prints one JSON object with t and sign."""
    result = run_cli("sign", "--key", KEY, "--now", NOW, "--ttl", "60", "--json")

    expected_t = int(NOW) + 60
    assert json.loads(result.stdout) == {
        "t": expected_t,
        "sign": make_sign(KEY, expected_t),
    }


def test_sign_uses_the_clock_without_now() -> None:
    """Without --now, t lies ttl seconds after the current time."""
    before = int(time.time())
    result = run_cli("sign", "--key", KEY, "--json")
    after = int(time.time())

    pair = json.loads(result.stdout)
    assert before + 600 <= pair["t"] <= after + 600
    assert pair["sign"] == make_sign(KEY, pair["t"])


def test_sign_takes_the_primary_callback_key_from_the_environment() -> None:
    """Without --key, the first of LIVE_CALLBACK_KEYS signs."""
    env = {"LIVE_CALLBACK_KEYS": f"{KEY},{OTHER_KEY}"}

    result = run_cli("sign", "--now", NOW, env=env)

    assert result.stdout == f"t={T}\nsign={SIGN}\n"


def test_sign_falls_back_to_the_api_key() -> None:
    """Without --key or callback keys, LIVE_API_KEY signs."""
    result = run_cli("sign", "--now", NOW, env={"LIVE_API_KEY": KEY})

    assert result.stdout == f"t={T}\nsign={SIGN}\n"


def test_sign_without_any_key_is_a_usage_error() -> None:
    """No --key and no key variable exits 2 and says where a key may come from."""
    result = run_cli("sign", "--now", NOW)

    assert result.returncode == 2
    assert "config_error" in result.stderr
    assert "LIVE_CALLBACK_KEYS" in result.stderr


def test_an_empty_api_key_counts_as_no_key() -> None:
    """LIVE_API_KEY set but empty does not sign with an empty key."""
    result = run_cli("sign", "--now", NOW, env={"LIVE_API_KEY": ""})

    assert result.returncode == 2
    assert "no key" in result.stderr


def test_an_empty_key_is_a_usage_error() -> None:
    """--key "" (an unset shell variable, usually) exits 2 instead of signing."""
    result = run_cli("sign", "--key", "", env={"LIVE_CALLBACK_KEYS": KEY})

    assert result.returncode == 2
    assert "--key must not be empty" in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [("LIVE_APPID", "abc"), ("LIVE_API_BACKEND", "backend-sk-77d1e")],
)
def test_sign_ignores_a_malformed_variable_it_does_not_read(
    name: str, value: str
) -> None:
    """Only the key variables are read: a bad unrelated one does not stop sign."""
    result = run_cli("sign", "--now", NOW, env={"LIVE_CALLBACK_KEYS": KEY, name: value})

    assert result.returncode == 0
    assert result.stdout == f"t={T}\nsign={SIGN}\n"
    assert value not in result.stderr


def test_sign_refuses_a_ttl_that_makes_t_unusable() -> None:
    """A t no verifier would accept (here negative) exits 2 with config_error."""
    result = run_cli("sign", "--key", KEY, "--now", "0", "--ttl", "-1")

    assert result.returncode == 2
    assert "config_error" in result.stderr
    assert "Traceback" not in result.stderr


# verify -------------------------------------------------------------------------


def verify(
    *extra: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run verify on the example pair at the example's clock, with extra flags."""
    return run_cli("verify", "--t", T, "--sign", SIGN, "--now", NOW, *extra, env=env)


def test_verify_reports_the_primary_key() -> None:
    """A good pair exits 0 and names key 0 as primary."""
    result = verify("--key", KEY)

    assert result.returncode == 0
    assert result.stdout == f"ok: key 0 (primary) matched, t={T}\n"


def test_verify_reports_the_second_key_during_rotation() -> None:
    """A pair signed with the second key names key 1."""
    result = verify("--key", OTHER_KEY, "--key", KEY)

    assert result.returncode == 0
    assert "key 1 (backup)" in result.stdout


def test_verify_reads_keys_from_the_environment() -> None:
    """Without --key, LIVE_CALLBACK_KEYS supplies the keys in order."""
    result = verify(env={"LIVE_CALLBACK_KEYS": f"{OTHER_KEY},{KEY}"})

    assert result.returncode == 0
    assert "key 1" in result.stdout


def test_verify_refuses_a_mismatch_with_its_code() -> None:
    """A sign from another key exits 1 with the error's code and message."""
    result = verify("--key", OTHER_KEY)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("refused: sign_mismatch: ")


def test_verify_refuses_an_expired_pair_naming_the_key() -> None:
    """An authentic but late pair exits 1 and says which key matched."""
    late = str(int(T) + 31)

    result = run_cli("verify", "--t", T, "--sign", SIGN, "--key", KEY, "--now", late)

    assert result.returncode == 1
    assert "sign_expired" in result.stderr
    assert "key 0 (primary) matched" in result.stderr


def test_verify_grace_widens_the_window() -> None:
    """--grace accepts a pair the default grace would refuse."""
    late = str(int(T) + 31)

    result = run_cli(
        "verify", "--t", T, "--sign", SIGN, "--key", KEY, "--now", late, "--grace", "60"
    )

    assert result.returncode == 0


def test_verify_refuses_t_too_far_ahead() -> None:
    """--max-future bounds how far ahead t may lie."""
    result = verify("--key", KEY, "--max-future", "60")

    assert result.returncode == 1
    assert "t_in_future" in result.stderr


def test_verify_refuses_a_malformed_t() -> None:
    """A t that is not digits exits 1 with t_malformed."""
    result = run_cli("verify", "--t", "1e9", "--sign", SIGN, "--key", KEY)

    assert result.returncode == 1
    assert "t_malformed" in result.stderr


def test_verify_refuses_an_empty_sign() -> None:
    """An empty sign exits 1 with sign_missing."""
    result = run_cli("verify", "--t", T, "--sign", "", "--key", KEY)

    assert result.returncode == 1
    assert "sign_missing" in result.stderr


def test_verify_uses_the_clock_without_now() -> None:
    """Without --now, a pair signed for ten minutes from now verifies."""
    t = int(time.time()) + 600

    result = run_cli("verify", "--t", str(t), "--sign", make_sign(KEY, t), "--key", KEY)

    assert result.returncode == 0


def test_verify_ignores_a_malformed_variable_it_does_not_read() -> None:
    """A bad variable verify does not need leaves the check of a pair alone."""
    result = verify(env={"LIVE_CALLBACK_KEYS": KEY, "LIVE_STORE_URL": "mysql://x"})

    assert result.returncode == 0


def test_verify_without_any_key_is_a_usage_error() -> None:
    """No --key and no key variable exits 2 rather than refusing the pair."""
    result = verify()

    assert result.returncode == 2
    assert "no key" in result.stderr


# push-url and play-urls ---------------------------------------------------------


def test_push_url_reproduces_the_documented_url() -> None:
    """push-url with the documented key, stream and expiry prints that URL."""
    result = run_cli(
        "push-url",
        "--domain",
        "livepush.tcloud.com",
        "--stream",
        "test",
        "--key",
        PUSH_KEY,
        "--expiry",
        PUSH_EXPIRY,
    )

    assert result.returncode == 0
    assert result.stdout == PUSH_URL + "\n"


def test_push_url_ttl_counts_from_now() -> None:
    """With --ttl, txTime is now plus ttl, in hex."""
    push = ("push-url", "--domain", "d", "--app", "show", "--stream", "s")

    result = run_cli(*push, "--key", PUSH_KEY, "--ttl", "3600", "--now", "1000")

    query = query_of(result.stdout.strip())
    assert query["txTime"] == format(4600, "X")
    assert query["txSecret"] == tx_secret(PUSH_KEY, "s", query["txTime"])
    assert result.stdout.startswith("rtmp://d/show/s?")


def test_push_url_ttl_uses_the_clock_without_now() -> None:
    """Without --now, txTime lies ttl seconds after the current time."""
    before = int(time.time())
    result = run_cli(
        "push-url", "--domain", "d", "--stream", "s", "--key", PUSH_KEY, "--ttl", "60"
    )
    after = int(time.time())

    expiry = int(query_of(result.stdout.strip())["txTime"], 16)
    assert before + 60 <= expiry <= after + 60


@pytest.mark.parametrize(
    "when",
    [(), ("--ttl", "60", "--expiry", PUSH_EXPIRY)],
    ids=["neither", "both"],
)
def test_push_url_needs_exactly_one_of_ttl_and_expiry(when: tuple[str, ...]) -> None:
    """Giving neither or both of --ttl and --expiry exits 2."""
    result = run_cli(
        "push-url", "--domain", "d", "--stream", "s", "--key", PUSH_KEY, *when
    )

    assert result.returncode == 2


def test_push_url_refuses_a_stream_name_that_needs_escaping() -> None:
    """A stream name with a character a URL path must escape exits 2."""
    result = run_cli(
        "push-url", "--domain", "d", "--stream", "a/b", "--key", PUSH_KEY, "--ttl", "60"
    )

    assert result.returncode == 2
    assert "config_error: a stream name must be" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "when",
    [("--ttl", "-5000", "--now", "1000"), ("--ttl", "60", "--now", "1e300")],
    ids=["negative", "too-large"],
)
def test_push_url_refuses_an_expiry_txtime_cannot_carry(when: tuple[str, ...]) -> None:
    """An expiry below zero or past 16 hex digits exits 2, without a traceback."""
    result = run_cli(
        "push-url", "--domain", "d", "--stream", "s", "--key", PUSH_KEY, *when
    )

    assert result.returncode == 2
    assert "config_error" in result.stderr
    assert "Traceback" not in result.stderr


def test_play_urls_prints_one_line_per_protocol() -> None:
    """play-urls labels the RTMP, WebRTC, FLV and HLS URLs."""
    result = run_cli(*PLAY_URLS)

    expected = play_urls("play.example.com", "live", "s1", PUSH_KEY, int(PUSH_EXPIRY))
    lines = [line.split() for line in result.stdout.splitlines()]
    assert dict(lines) == dict(expected)


def test_play_urls_prints_json_on_request() -> None:
    """With --json, play-urls prints the mapping from protocol to URL."""
    result = run_cli(*PLAY_URLS, "--json")

    expected = play_urls("play.example.com", "live", "s1", PUSH_KEY, int(PUSH_EXPIRY))
    assert json.loads(result.stdout) == dict(expected)


# verify-url ---------------------------------------------------------------------


def test_verify_url_reports_the_primary_key() -> None:
    """The documented URL verifies against its key before txTime."""
    result = run_cli(*VERIFY_URL, "--key", PUSH_KEY, "--now", "0")

    assert result.returncode == 0
    assert result.stdout == "ok: key 0 (primary) matched\n"


def test_verify_url_reports_the_backup_key() -> None:
    """A URL signed with the second key names key 1."""
    result = run_cli(*VERIFY_URL, "--key", OTHER_KEY, "--key", PUSH_KEY, "--now", "0")

    assert result.returncode == 0
    assert "key 1 (backup)" in result.stdout


def test_verify_url_refuses_a_mismatch() -> None:
    """A URL no given key signed exits 1 with sign_mismatch."""
    result = run_cli(*VERIFY_URL, "--key", OTHER_KEY, "--now", "0")

    assert result.returncode == 1
    assert "sign_mismatch" in result.stderr


def test_verify_url_refuses_an_expired_url_unless_auth_delta_covers_it() -> None:
    """Past txTime the URL is refused; --auth-delta extends its validity."""
    late = str(int(PUSH_EXPIRY) + 10)

    refused = run_cli(*VERIFY_URL, "--key", PUSH_KEY, "--now", late)
    accepted = run_cli(
        *VERIFY_URL, "--key", PUSH_KEY, "--now", late, "--auth-delta", "10"
    )

    assert refused.returncode == 1
    assert "sign_expired" in refused.stderr
    assert accepted.returncode == 0


def test_verify_url_refuses_a_url_without_signature() -> None:
    """A URL without txSecret and txTime exits 1 with sign_missing."""
    result = run_cli("verify-url", "--url", "rtmp://d/live/s", "--key", PUSH_KEY)

    assert result.returncode == 1
    assert "sign_missing" in result.stderr


def test_verify_url_needs_a_key() -> None:
    """verify-url takes no key from the environment; --key is required."""
    result = run_cli(*VERIFY_URL, env={"LIVE_CALLBACK_KEYS": KEY})

    assert result.returncode == 2
    assert "--key" in result.stderr


# --now -------------------------------------------------------------------------

#: Each command that takes --now, with the rest of a valid command line.
NOW_COMMANDS = {
    "sign": ("sign", "--key", KEY),
    "verify": ("verify", "--t", T, "--sign", SIGN, "--key", KEY),
    "push-url": ("push-url", "--domain", "d", "--stream", "s", "--key", PUSH_KEY),
    "play-urls": (*PLAY_URLS[:-2], "--ttl", "60"),
    "verify-url": (*VERIFY_URL, "--key", PUSH_KEY),
}


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
@pytest.mark.parametrize("command", sorted(NOW_COMMANDS))
def test_now_must_be_a_finite_number(command: str, value: str) -> None:
    """NaN or infinity as --now exits 2 with a clear message: a NaN clock would
    pass every freshness test, and infinity cannot become a time."""
    result = run_cli(*NOW_COMMANDS[command], f"--now={value}")

    assert result.returncode == 2
    assert "argument --now: must be a finite number" in result.stderr
    assert result.stdout == ""


def test_now_must_be_a_number() -> None:
    """Text that is not a number as --now exits 2 without repeating it."""
    result = run_cli("sign", "--key", KEY, "--now", "yesterday")

    assert result.returncode == 2
    assert "argument --now: must be a number" in result.stderr
    assert "yesterday" not in result.stderr


# env ----------------------------------------------------------------------------


def test_env_lists_every_variable_and_never_a_value() -> None:
    """env names each variable with set / not set and prints no value."""
    env = {
        "LIVE_CALLBACK_KEYS": f"{KEY},{OTHER_KEY}",
        "TENCENTCLOUD_SECRET_KEY": "tc-secret-5a4b3c",
        "LIVE_API_KEY": "",
    }

    result = run_cli("env", env=env)

    assert result.returncode == 0
    states = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert list(states) == list(ENV_NAMES)
    assert states["LIVE_CALLBACK_KEYS"] == "set"
    assert states["TENCENTCLOUD_SECRET_KEY"] == "set"
    assert states["LIVE_API_KEY"] == "set (empty)"
    assert states["LIVE_STORE_URL"] == "not set"
    assert "tc-secret-5a4b3c" not in result.stdout
