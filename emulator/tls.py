"""A throw-away certificate authority so the emulator can speak HTTPS on loopback.

:func:`make_ca_and_cert` writes three PEM files into a directory: the CA's
certificate (``ca.pem``, what a client must trust), a server certificate signed
by it (``cert.pem``) and the server's private key (``key.pem``, mode 0600). The
CA's own private key is never written, so nothing else can be signed with it.

Making Tencent's clients trust ``ca.pem``:

* Python SDK: ``HttpProfile(endpoint="127.0.0.1:PORT",
  certification="/path/ca.pem")``. The SDK hands ``requests`` an explicit
  ``verify=`` path (certifi's bundle when ``certification`` is None), so
  ``REQUESTS_CA_BUNDLE`` and ``SSL_CERT_FILE`` are ignored.
* tccli: it builds its ``HttpProfile`` without ``certification`` and has no
  flag, setting or environment variable for one, so it only trusts certifi's
  bundle. Point it at the emulator over plain HTTP instead, with the scheme
  inside the endpoint: ``--endpoint http://127.0.0.1:PORT``.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["DEFAULT_HOSTS", "TlsFiles", "make_ca_and_cert"]

#: Names the server certificate covers unless told otherwise.
DEFAULT_HOSTS: tuple[str, ...] = ("127.0.0.1", "localhost", "live.tencentcloudapi.com")

_VALIDITY = datetime.timedelta(days=365)
_BACKDATE = datetime.timedelta(days=1)


@dataclass(frozen=True)
class TlsFiles:
    """Where the CA certificate, the server certificate and its key were written."""

    ca: Path
    cert: Path
    key: Path


def make_ca_and_cert(directory: Path, hosts: Sequence[str] = DEFAULT_HOSTS) -> TlsFiles:
    """Create a fresh CA and a server certificate for ``hosts``.

    Args:
        directory: Where to write ``ca.pem``, ``cert.pem`` and ``key.pem``;
            created if missing. Existing files are replaced.
        hosts: Host names and IP addresses the server certificate is valid
            for; IP literals become IP subject alternative names.

    Returns:
        The paths of the three files.

    Raises:
        ValueError: If ``hosts`` is empty.
        OSError: If the directory or a file cannot be written.
    """
    if not hosts:
        raise ValueError("the server certificate needs at least one host")

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _ca_certificate(ca_key)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = _server_certificate(server_key, ca_key, ca_cert, hosts)

    directory.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(
        directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    )
    _write(files.ca, ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    _write(files.cert, server_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    _write(files.key, _private_pem(server_key), 0o600)
    return files


def _ca_certificate(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    """Self-sign a CA certificate that may sign server certificates only."""
    name = _name("Tencent Live emulator local CA")
    usage = x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    builder = (
        _builder(name, name, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),
            critical=False,
        )
    )
    return builder.sign(key, hashes.SHA256())


def _server_certificate(
    key: ec.EllipticCurvePrivateKey,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    hosts: Sequence[str],
) -> x509.Certificate:
    """Issue a TLS server certificate for ``hosts`` signed by the CA."""
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    builder = (
        _builder(_name(hosts[0]), ca_cert.subject, key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(x509.SubjectAlternativeName(_alt_names(hosts)), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    return builder.sign(ca_key, hashes.SHA256())


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    """Start a certificate valid from yesterday for a year, with a key id."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + _VALIDITY)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False
        )
    )


def _name(common_name: str) -> x509.Name:
    """A distinguished name made of a common name only."""
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _alt_names(hosts: Sequence[str]) -> list[x509.GeneralName]:
    """Turn host strings into subject alternative names, IPs as IP entries."""
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def _private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    """Serialise a private key as unencrypted PKCS#8 PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` with ``mode``, never wider even for a moment."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), mode)
        handle.write(data)
