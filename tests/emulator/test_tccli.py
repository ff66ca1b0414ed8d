"""Tencent's command-line client, ``tccli``, against the emulator's server.

tccli cannot be told to trust another CA (it trusts the certifi bundle of its
Python, so the CA must be appended there), but it speaks plain HTTP when the
scheme is part of the endpoint (``--endpoint http://127.0.0.1:PORT``): the
SDK underneath then uses the endpoint as the URL and signs it as the Host.
Each test runs the real ``tccli`` from the virtual environment in a
subprocess with its own HOME, so no profile of the person running the tests
is read or written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.api3 import Api3
from emulator.server import start_in_thread
from emulator.tls import make_ca_and_cert
from emulator.world import World

SECRET_ID = "AKIDemulatorTCCLI001"
SECRET_KEY = "emulator-tccli-secret-key"
TCCLI = Path(sys.executable).with_name("tccli")
TIMEOUT = 60


@pytest.fixture(scope="module")
def stops() -> Iterator[list[Callable[[], None]]]:
    """Stop every server of the module at its end, all at once."""
    pending: list[Callable[[], None]] = []
    yield pending
    threads = [threading.Thread(target=stop) for stop in pending]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.fixture
def world() -> World:
    """An empty world on the real clock."""
    return World()


@pytest.fixture
def port(world: World, stops: list[Callable[[], None]]) -> int:
    """The emulator's real server, plain HTTP, holding the test secret."""
    api3 = Api3(world, {SECRET_ID: SECRET_KEY})
    bound, stop = start_in_thread(world=world, api3=api3)
    stops.append(stop)
    return bound


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A clean environment: a fresh HOME and the test credentials."""
    keep = {
        k: v for k, v in os.environ.items() if not k.startswith(("TCCLI", "TENCENT"))
    }
    return {
        **keep,
        "HOME": str(tmp_path),
        "TENCENTCLOUD_SECRET_ID": SECRET_ID,
        "TENCENTCLOUD_SECRET_KEY": SECRET_KEY,
    }


def tccli(
    env: dict[str, str], endpoint: str, action: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """Run ``tccli live <action>`` against ``endpoint``."""
    command = [str(TCCLI), "live", action, "--region", "ap-guangzhou"]
    command += ["--endpoint", endpoint, *args]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def answer(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def stream_args(stream: str) -> list[str]:
    return [
        "--AppName",
        "live",
        "--DomainName",
        "push.example.com",
        "--StreamName",
        stream,
    ]


def test_tccli_is_installed() -> None:
    """The virtual environment provides the tccli executable these tests run."""
    assert TCCLI.is_file()


def test_state_with_credentials_from_the_environment(
    world: World, env: dict[str, str], port: int
) -> None:
    """TENCENTCLOUD_SECRET_ID/KEY sign the request; a live stream is active."""
    world.push("room_1")

    result = tccli(
        env,
        f"http://127.0.0.1:{port}",
        "DescribeLiveStreamState",
        *stream_args("room_1"),
    )

    assert answer(result)["StreamState"] == "active"


def test_state_with_credentials_as_flags(env: dict[str, str], port: int) -> None:
    """--secretId and --secretKey work as well; an unknown stream is inactive."""
    del env["TENCENTCLOUD_SECRET_ID"], env["TENCENTCLOUD_SECRET_KEY"]
    flags = ["--secretId", SECRET_ID, "--secretKey", SECRET_KEY]

    result = tccli(
        env,
        f"http://127.0.0.1:{port}",
        "DescribeLiveStreamState",
        *flags,
        *stream_args("nobody"),
    )

    assert answer(result)["StreamState"] == "inactive"


def test_online_list_second_page(world: World, env: dict[str, str], port: int) -> None:
    """tccli passes PageNum and PageSize; the page holds the rest of the streams."""
    for index in range(15):
        world.push(f"room_{index:02d}")

    result = tccli(
        env,
        f"http://127.0.0.1:{port}",
        "DescribeLiveStreamOnlineList",
        "--PageNum",
        "2",
        "--PageSize",
        "10",
    )

    page = answer(result)
    assert (page["TotalNum"], page["TotalPage"], page["PageNum"]) == (15, 2, 2)
    assert len(page["OnlineInfo"]) == 5
    assert page["OnlineInfo"][0]["PublishTimeList"][0]["PublishTime"].endswith("Z")


def test_forbid_through_tccli_changes_the_world(
    world: World, env: dict[str, str], port: int
) -> None:
    """A mutating action from tccli reaches the shared world."""
    world.push("room_1")

    result = tccli(
        env, f"http://127.0.0.1:{port}", "ForbidLiveStream", *stream_args("room_1")
    )

    assert "RequestId" in answer(result)
    truth = world.get("room_1")
    assert truth is not None
    assert truth.state == "forbid"


def test_wrong_secret_key_is_reported_with_tencents_code(
    env: dict[str, str], port: int
) -> None:
    """tccli exits non-zero and prints AuthFailure.SignatureFailure."""
    env["TENCENTCLOUD_SECRET_KEY"] = "not-the-key"

    result = tccli(
        env,
        f"http://127.0.0.1:{port}",
        "DescribeLiveStreamState",
        *stream_args("room_1"),
    )

    assert result.returncode != 0
    assert "AuthFailure.SignatureFailure" in result.stderr + result.stdout


def test_https_endpoint_is_refused_even_with_requests_ca_bundle(
    world: World, env: dict[str, str], tmp_path: Path, stops: list[Callable[[], None]]
) -> None:
    """tccli trusts only certifi's bundle, so HTTPS to the emulator's CA fails."""
    tls = make_ca_and_cert(tmp_path / "tls")
    bound, stop = start_in_thread(
        world=world, api3=Api3(world, {SECRET_ID: SECRET_KEY}), tls=tls
    )
    stops.append(stop)
    env["REQUESTS_CA_BUNDLE"] = str(tls.ca)

    result = tccli(
        env,
        f"https://127.0.0.1:{bound}",
        "DescribeLiveStreamState",
        *stream_args("room_1"),
    )

    assert result.returncode != 0
    assert "CERTIFICATE_VERIFY_FAILED" in result.stderr + result.stdout


def test_https_endpoint_works_once_certifis_bundle_holds_the_ca(
    world: World, env: dict[str, str], tmp_path: Path, stops: list[Callable[[], None]]
) -> None:
    """Appending the emulator's CA to the certifi bundle tccli reads makes HTTPS work.

    The venv's own bundle is left alone: a certifi placed first on PYTHONPATH
    serves a copy of the real bundle with the CA appended, exactly what the
    README's step produces in place.
    """
    import certifi

    tls = make_ca_and_cert(tmp_path / "tls")
    bound, stop = start_in_thread(
        world=world, api3=Api3(world, {SECRET_ID: SECRET_KEY}), tls=tls
    )
    stops.append(stop)
    bundle = tmp_path / "bundle.pem"
    bundle.write_text(Path(certifi.where()).read_text() + tls.ca.read_text())
    package = tmp_path / "site" / "certifi"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        f"def where():\n    return {str(bundle)!r}\n\n\n"
        f"def contents():\n    return open(where()).read()\n"
    )
    env["PYTHONPATH"] = str(tmp_path / "site")

    result = tccli(
        env,
        f"https://127.0.0.1:{bound}",
        "DescribeLiveStreamState",
        *stream_args("room_1"),
    )

    assert answer(result)["StreamState"] == "inactive"
