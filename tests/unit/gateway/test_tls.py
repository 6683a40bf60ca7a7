"""Mutual TLS for real: the gateway served by uvicorn on 127.0.0.1 with its TLS options, and
clients that present member certificates issued by an organization's root (the project's own
certificate code), over real handshakes."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cornerstone.crypto import PrivateKey
from cornerstone.gateway import create_app
from cornerstone.gateway.auth import AuthSettings
from cornerstone.gateway.errors import AuthenticationRequiredError, MemberRefusedError
from cornerstone.gateway.tls import ClientCerts, TlsSettings, server_context, uvicorn_options
from tests.conftest import admin_key, make_tx, member_certificate, root_certificate
from tests.unit.gateway.conftest import settings
from tests.unit.gateway.fake_node import FakeNode

SERIAL = 7001
START_TIMEOUT = 20.0


@dataclass(frozen=True)
class Files:
    server_cert: Path
    server_key: Path
    client_ca: Path
    member_cert: Path
    member_key: Path


@pytest.fixture
def files(tmp_path: Path) -> Files:
    """A server certificate for 127.0.0.1, org1's root as the client CA, and a member of org1
    with its certificate (serial SERIAL) and key as PEM files."""
    member = PrivateKey.generate()
    der = member_certificate("org1", member, serial=SERIAL)
    pem = serialization.Encoding.PEM
    server_cert, server_key = write_server_certificate(tmp_path)
    found = Files(
        server_cert=server_cert,
        server_key=server_key,
        client_ca=tmp_path / "org1-root.crt",
        member_cert=tmp_path / "member.crt",
        member_key=tmp_path / "member.key",
    )
    found.client_ca.write_bytes(
        x509.load_der_x509_certificate(root_certificate("org1")).public_bytes(pem)
    )
    found.member_cert.write_bytes(x509.load_der_x509_certificate(der).public_bytes(pem))
    found.member_key.write_bytes(_private_pem(member.to_cryptography()))
    found.member_key.chmod(0o600)
    return found


def write_server_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed server certificate for 127.0.0.1 and its key, as folder/server.crt and
    folder/server.key (PEM, the key 0600)."""
    server_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gateway test")])
    now = datetime.datetime.now(datetime.UTC)
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(server_key, hashes.SHA256())
    )
    cert_path, key_path = folder / "server.crt", folder / "server.key"
    cert_path.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(_private_pem(server_key))
    key_path.chmod(0o600)
    return cert_path, key_path


def _private_pem(key: object) -> bytes:
    return key.private_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Served:
    url: str
    node: FakeNode
    server_cert: Path


@contextmanager
def serving(
    node: FakeNode, folder: Path, found: Files, *, client_certs: ClientCerts
) -> Iterator[Served]:
    """The gateway on 127.0.0.1 over TLS, `--auth required`, stopped (and its port freed) after."""
    app = create_app(
        settings(node, folder / "gw", auth=AuthSettings(mode="required", member_cache_s=0.0))
    )
    tls = TlsSettings(
        cert_file=found.server_cert,
        key_file=found.server_key,
        client_ca_files=(found.client_ca,),
        client_certs=client_certs,
    )
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        log_config=None,
        **uvicorn_options(server_context(tls)),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="gateway-tls", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            assert thread.is_alive(), "the gateway stopped while starting"
            assert time.monotonic() < deadline, "the gateway did not start in time"
            time.sleep(0.02)
        yield Served(url=f"https://127.0.0.1:{port}", node=node, server_cert=found.server_cert)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        assert not thread.is_alive(), "the gateway did not stop"


def client(served: Served, *, cert: tuple[Path, Path] | None) -> httpx.Client:
    context = ssl.create_default_context(cafile=str(served.server_cert))
    if cert is not None:
        context.load_cert_chain(cert[0], cert[1])
    return httpx.Client(base_url=served.url, verify=context, timeout=10.0, trust_env=False)


def test_a_member_certificate_authenticates_and_its_revocation_is_refused(
    node: FakeNode, tmp_path: Path, files: Files
) -> None:
    with (
        serving(node, tmp_path, files, client_certs="optional") as served,
        client(served, cert=(files.member_cert, files.member_key)) as member,
        client(served, cert=None) as anonymous,
    ):
        assert member.get("/v1/blocks").status_code == 200
        refused = anonymous.get("/v1/blocks")  # the handshake allows it; the policy does not
        assert refused.status_code == 401
        assert refused.json()["code"] == AuthenticationRequiredError.code

        revoke = make_tx(
            admin_key("org1"),
            0,
            "propose",
            {
                "module": "membership",
                "action": "revoke_certificate",
                "args": {"org": "org1", "serial": SERIAL},
            },
            module="governance",
        )
        result = served.node.produce([revoke.encode()]).tx_results[0]
        assert result.code == 0, result.log
        revoked = member.get("/v1/blocks")
        assert revoked.status_code == 401
        assert revoked.json()["code"] == MemberRefusedError.code
        assert "revoked" in revoked.json()["detail"]


def test_required_client_certificates_refuse_a_client_without_one(
    node: FakeNode, tmp_path: Path, files: Files
) -> None:
    with (
        serving(node, tmp_path, files, client_certs="required") as served,
        client(served, cert=(files.member_cert, files.member_key)) as member,
        client(served, cert=None) as anonymous,
    ):
        assert member.get("/v1/blocks").status_code == 200
        with pytest.raises(httpx.TransportError):
            anonymous.get("/v1/blocks")  # the server ends the handshake: no HTTP at all


def test_a_certificate_of_another_root_fails_the_handshake(
    node: FakeNode, tmp_path: Path, files: Files
) -> None:
    stranger = PrivateKey.generate()
    forged = member_certificate("org2", stranger, serial=SERIAL)  # org2's root, not trusted here
    cert_file, key_file = tmp_path / "org2.crt", tmp_path / "org2.key"
    cert_file.write_bytes(
        x509.load_der_x509_certificate(forged).public_bytes(serialization.Encoding.PEM)
    )
    key_file.write_bytes(_private_pem(stranger.to_cryptography()))
    with (
        serving(node, tmp_path, files, client_certs="optional") as served,
        client(served, cert=(cert_file, key_file)) as outsider,
        pytest.raises(httpx.TransportError),
    ):
        outsider.get("/v1/blocks")
