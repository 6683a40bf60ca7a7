"""`cornerstone keys export NAME --pem --out DIR`: a member's key and the certificate its CA
issued, as the PEM files an HTTP client presents for mutual TLS. The export is used for a real
TLS handshake with a gateway that requires client certificates and members; mistakes get their
stable code and a sentence, and nothing is written then."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from cornerstone.cli import cli
from cornerstone.cli.keys_export import (
    ExportFileExistsError,
    KeyNotFoundError,
    NoCertificateError,
)
from cornerstone.crypto import PublicKey, load_key
from cornerstone.errors import UserError
from tests.conftest import genesis
from tests.unit.gateway.fake_node import FakeNode
from tests.unit.gateway.test_tls import Files, client, serving, write_server_certificate


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--home", str(home)])


def ok(home: Path, *args: str) -> str:
    result = run(home, *args)
    assert result.exit_code == 0, result.output
    return result.output


def refused(home: Path, *args: str) -> UserError:
    """The user error the command stops with (`cornerstone` prints its sentence, exit 1)."""
    result = run(home, *args)
    assert result.exit_code != 0
    assert isinstance(result.exception, UserError), result.exception
    return result.exception


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A home with key alice and org1's CA, which issued alice a client certificate."""
    home = tmp_path / "home"
    ok(home, "keys", "new", "alice")
    ok(home, "ca", "init", "org1")
    public_key = ok(home, "keys", "show", "alice").strip()
    ok(home, "ca", "issue", "org1", "alice", "--role", "client", "--public-key", public_key)
    return home


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def server_files(folder: Path, client_ca: Path, cert: Path, key: Path) -> Files:
    """A server certificate for 127.0.0.1 beside the client side's files."""
    server_cert, server_key = write_server_certificate(folder)
    return Files(
        server_cert=server_cert,
        server_key=server_key,
        client_ca=client_ca,
        member_cert=cert,
        member_key=key,
    )


def test_the_exported_files_pass_a_mutual_tls_handshake_with_a_gateway(
    home: Path, tmp_path: Path
) -> None:
    out = tmp_path / "tls"
    shown = ok(home, "keys", "export", "alice", "--pem", "--out", str(out))
    key_file, cert_file = out / "key.pem", out / "cert.pem"
    assert "(mode 0600, PKCS#8)" in shown and "of org1 (alice, client)" in shown
    assert mode(key_file) == 0o600 and mode(out) == 0o700
    assert key_file.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8
    private = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    alice = load_key(home / "keys" / "alice.json").public_key
    assert PublicKey.from_cryptography(private.public_key()) == alice
    assert (
        PublicKey.from_cryptography(
            x509.load_pem_x509_certificate(cert_file.read_bytes()).public_key()
        )
        == alice
    )
    assert "PRIVATE" not in shown and "private_key" not in shown

    # A chain whose org1 is this CA's organization; alice is a member by her certificate alone.
    state = genesis()
    [org1] = [o for o in state["membership"]["organizations"] if o["id"] == "org1"]
    org1["root_certificate"] = (home / "ca" / "org1" / "ca.crt").read_text()
    node = FakeNode.started(state)
    files = server_files(tmp_path, home / "ca" / "org1" / "ca.crt", cert_file, key_file)
    with (
        serving(node, tmp_path, files, client_certs="required") as served,
        client(served, cert=(cert_file, key_file)) as member,
        client(served, cert=None) as anonymous,
    ):
        answer = member.get("/v1/blocks")  # the gateway also requires a member (--auth required)
        assert answer.status_code == 200, answer.text
        with pytest.raises(httpx.TransportError):
            anonymous.get("/v1/blocks")  # the handshake itself wants a certificate


def test_an_existing_file_is_refused_unless_forced(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "tls"
    out.mkdir()
    (out / "cert.pem").write_text("someone else's\n")
    error = refused(home, "keys", "export", "alice", "--pem", "--out", str(out))
    assert isinstance(error, ExportFileExistsError) and (error.codespace, error.code) == (
        "client",
        41,
    )
    assert str(out / "cert.pem") in error.message and "--force" in error.message
    assert not (out / "key.pem").exists()  # nothing written: never half an export

    (out / "key.pem").write_text("old\n")
    (out / "key.pem").chmod(0o644)
    ok(home, "keys", "export", "alice", "--pem", "--out", str(out), "--force")
    assert mode(out / "key.pem") == 0o600
    assert b"PRIVATE KEY" in (out / "key.pem").read_bytes()
    assert b"CERTIFICATE" in (out / "cert.pem").read_bytes()
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no temporary left


def test_an_unknown_key_is_refused(home: Path, tmp_path: Path) -> None:
    for name in ("bob", "../keys/alice", ".hidden"):
        error = refused(home, "keys", "export", name, "--out", str(tmp_path / "tls"))
        assert isinstance(error, KeyNotFoundError) and error.code == 40
        assert "keys list" in error.message
    assert not (tmp_path / "tls").exists()


def test_a_key_without_a_certificate_is_refused_unless_key_only(home: Path, tmp_path: Path) -> None:
    ok(home, "keys", "new", "carol")
    carol = ok(home, "keys", "show", "carol").strip()
    out = tmp_path / "tls"
    error = refused(home, "keys", "export", "carol", "--pem", "--out", str(out))
    assert isinstance(error, NoCertificateError) and error.code == 42
    assert f"--public-key {carol}" in error.message and "--key-only" in error.message
    assert not out.exists()

    ok(home, "keys", "export", "carol", "--pem", "--key-only", "--out", str(out))
    assert sorted(p.name for p in out.iterdir()) == ["key.pem"]
    assert mode(out / "key.pem") == 0o600


def test_a_revoked_certificate_is_not_exported(home: Path, tmp_path: Path) -> None:
    [serial] = [
        line.split()[0] for line in ok(home, "ca", "list", "org1").splitlines() if " alice " in line
    ]
    ok(home, "ca", "revoke", "org1", serial, "--reason", "key lost")
    error = refused(home, "keys", "export", "alice", "--out", str(tmp_path / "tls"))
    assert isinstance(error, NoCertificateError)
