"""The emulator's local CA: files, names, and how Tencent's clients trust it.

The SDK tests at the end follow the steps the README gives: pass ``ca.pem`` as
``HttpProfile(certification=...)``; environment variables do not help.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.live.v20180801 import live_client, models

from emulator.api3 import Api3
from emulator.server import start_in_thread
from emulator.tls import DEFAULT_HOSTS, TlsFiles, make_ca_and_cert
from emulator.world import World

SECRET_ID = "AKIDemulatorTLS00001"
SECRET_KEY = "emulator-tls-secret-key"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """One CA and server certificate for the default hosts."""
    return make_ca_and_cert(tmp_path_factory.mktemp("tls"))


def _load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _verify_for(tls: TlsFiles, subject: x509.verification.Subject) -> None:
    verifier = (
        PolicyBuilder().store(Store([_load(tls.ca)])).build_server_verifier(subject)
    )
    verifier.verify(_load(tls.cert), [])


def test_writes_the_three_files_in_the_directory(tls: TlsFiles) -> None:
    """ca.pem, cert.pem and key.pem land in the given directory."""
    assert [tls.ca.name, tls.cert.name, tls.key.name] == [
        "ca.pem",
        "cert.pem",
        "key.pem",
    ]
    assert tls.ca.parent == tls.cert.parent == tls.key.parent
    assert b"BEGIN PRIVATE KEY" in tls.key.read_bytes()


def test_private_key_is_readable_by_its_owner_only(tls: TlsFiles) -> None:
    """key.pem is written with mode 0600."""
    assert stat.S_IMODE(tls.key.stat().st_mode) == 0o600


def test_rewriting_narrows_a_key_file_that_was_left_wide(tmp_path: Path) -> None:
    """An existing world-readable key.pem is replaced with mode 0600."""
    (tmp_path / "key.pem").write_text("old")
    (tmp_path / "key.pem").chmod(0o644)

    files = make_ca_and_cert(tmp_path, ["localhost"])

    assert stat.S_IMODE(files.key.stat().st_mode) == 0o600
    assert files.key.read_bytes() != b"old"


def test_loopback_address_is_an_ip_subject_alternative_name(tls: TlsFiles) -> None:
    """The server certificate verifies for 127.0.0.1 as an IP address."""
    _verify_for(tls, x509.IPAddress(ipaddress.ip_address("127.0.0.1")))


@pytest.mark.parametrize("host", ["localhost", "live.tencentcloudapi.com"])
def test_default_host_names_are_covered(tls: TlsFiles, host: str) -> None:
    """The server certificate verifies for each default DNS name."""
    _verify_for(tls, x509.DNSName(host))


def test_other_names_are_refused(tls: TlsFiles) -> None:
    """A name outside the host list does not verify."""
    with pytest.raises(x509.verification.VerificationError):
        _verify_for(tls, x509.DNSName("cvm.tencentcloudapi.com"))


def test_default_hosts_are_the_loopback_and_tencents_live_endpoint() -> None:
    """The defaults cover what clients use to reach the emulator."""
    assert set(DEFAULT_HOSTS) == {"127.0.0.1", "localhost", "live.tencentcloudapi.com"}


def test_an_empty_host_list_is_refused(tmp_path: Path) -> None:
    """A certificate for no host is a mistake, not a default."""
    with pytest.raises(ValueError, match="at least one host"):
        make_ca_and_cert(tmp_path, [])


def test_ca_key_is_not_left_on_disk(tls: TlsFiles) -> None:
    """Only the server key is written; nothing else can be signed later."""
    keys = [p for p in tls.ca.parent.iterdir() if b"PRIVATE KEY" in p.read_bytes()]
    assert keys == [tls.key]


@pytest.fixture
def tls_echo(tls: TlsFiles) -> Iterator[int]:
    """A bare TLS listener on 127.0.0.1 using the server certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls.cert, tls.key)
    listener = context.wrap_socket(
        socket.create_server(("127.0.0.1", 0)), server_side=True
    )
    listener.settimeout(5)

    def accept_one() -> None:
        try:
            conn, _ = listener.accept()
            conn.close()
        except (OSError, ssl.SSLError):
            return

    thread = threading.Thread(target=accept_one, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    listener.close()
    thread.join(5)


def test_a_client_trusting_ca_pem_completes_the_handshake(
    tls: TlsFiles, tls_echo: int
) -> None:
    """Python's ssl module, trusting only ca.pem, accepts the server."""
    context = ssl.create_default_context(cafile=str(tls.ca))

    with (
        socket.create_connection(("127.0.0.1", tls_echo), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as secure,
    ):
        assert secure.version() is not None


# Tencent's SDK against the emulator's HTTPS server ------------------------------


@pytest.fixture
def https_port(tls: TlsFiles) -> Iterator[int]:
    """The emulator's real server speaking HTTPS with the CA's certificate."""
    world = World()
    world.push("room_1")
    port, stop = start_in_thread(
        world=world, api3=Api3(world, {SECRET_ID: SECRET_KEY}), tls=tls
    )
    yield port
    stop()


def sdk_client(port: int, certification: str | None) -> live_client.LiveClient:
    profile = HttpProfile(
        endpoint=f"127.0.0.1:{port}", reqTimeout=10, certification=certification
    )
    cred = credential.Credential(SECRET_ID, SECRET_KEY)
    return live_client.LiveClient(cred, "", ClientProfile(httpProfile=profile))


def state_request() -> models.DescribeLiveStreamStateRequest:
    request = models.DescribeLiveStreamStateRequest()
    request.AppName, request.DomainName, request.StreamName = (
        "live",
        "push.example.com",
        "room_1",
    )
    return request


def test_sdk_trusts_the_ca_given_as_http_profile_certification(
    tls: TlsFiles, https_port: int
) -> None:
    """HttpProfile(certification=ca.pem) is all the SDK needs for HTTPS."""
    client = sdk_client(https_port, str(tls.ca))
    assert client.DescribeLiveStreamState(state_request()).StreamState == "active"


def test_sdk_ignores_requests_ca_bundle(
    tls: TlsFiles, https_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without certification the SDK verifies against certifi and refuses."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls.ca))
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca))
    client = sdk_client(https_port, None)

    with pytest.raises(TencentCloudSDKException) as caught:
        client.DescribeLiveStreamState(state_request())

    assert caught.value.get_code() == "ClientNetworkError"
    assert "CERTIFICATE_VERIFY_FAILED" in caught.value.get_message()
