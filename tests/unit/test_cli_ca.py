"""`cornerstone ca`: the commands a CA operator runs, and the one-line answers to mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cornerstone.cli import cli
from cornerstone.crypto import PrivateKey, Suite
from cornerstone.identity import Role, parse_member_certificate
from cornerstone.identity.ca import CertificateAuthority


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["ca", *args, "--home", str(home)])


def one_error_line(result: Result, *, exit_code: int = 1) -> str:
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    lines = result.output.splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    result = run(home, "init", "org1", "--suite", "ecdsa-p256", "--days", "30")
    assert result.exit_code == 0, result.output
    assert "created the certificate authority of org1 (ecdsa-p256)" in result.output
    assert "ca.key.json (mode 0600)" in result.output
    return home


def test_init_issue_list_revoke(home: Path) -> None:
    issued = run(home, "issue", "org1", "alice", "--role", "client", "--days", "7")
    assert issued.exit_code == 0, issued.output
    assert "to alice (client) of org1" in issued.output
    assert "alice.key.json (mode 0600, ecdsa-p256)" in issued.output
    assert "(mode 0644)" in issued.output  # the certificate
    assert '"private_key"' not in issued.output

    listed = run(home, "list", "org1", "--json")
    assert listed.exit_code == 0, listed.output
    document = json.loads(listed.output)
    assert document["org"] == "org1" and document["suite"] == "ecdsa-p256"
    [certificate] = document["certificates"]
    assert (certificate["common_name"], certificate["role"]) == ("alice", "client")
    assert certificate["status"] == "valid"
    serial = certificate["serial"]
    assert serial in issued.output

    authority = CertificateAuthority.load(home / "ca" / "org1")
    info = parse_member_certificate(
        authority.certificate(int(serial, 16)), authority.certificate_der
    )
    assert info.role is Role.CLIENT and info.public_key.suite is Suite.P256

    revoked = run(home, "revoke", "org1", serial, "--reason", "key lost")
    assert revoked.exit_code == 0, revoked.output
    assert "governance proposal" in revoked.output
    table = run(home, "list", "org1")
    assert table.exit_code == 0, table.output
    assert serial in table.output and "revoked" in table.output

    again = run(home, "revoke", "org1", serial)
    assert "revoked already" in one_error_line(again)


def test_issue_for_a_given_public_key_and_renew(home: Path) -> None:
    key = PrivateKey.generate().public_key
    issued = run(home, "issue", "org1", "node1", "--role", "validator", "--public-key", key.hex())
    assert issued.exit_code == 0, issued.output
    assert f"public key   {key.hex()} (ed25519)" in issued.output
    assert not (home / "ca" / "org1" / "issued" / "node1.key.json").exists()
    [certificate] = json.loads(run(home, "list", "org1", "--json").output)["certificates"]
    renewed = run(home, "renew", "org1", certificate["serial"])
    assert renewed.exit_code == 0, renewed.output
    assert "renewed as certificate" in renewed.output
    listed = json.loads(run(home, "list", "org1", "--json").output)["certificates"]
    assert [c["renewed_from"] for c in listed] == [None, certificate["serial"]]
    assert listed[1]["public_key"] == key.hex()


def test_a_bad_role_is_one_sentence(home: Path) -> None:
    line = one_error_line(run(home, "issue", "org1", "bob", "--role", "king"))
    assert line == "Error: 'king' is not a role: use one of admin, client, validator, auditor"
    assert not (home / "ca" / "org1" / "issued" / "bob.key.json").exists()


def test_an_unknown_or_invalid_org_is_one_sentence(home: Path) -> None:
    line = one_error_line(run(home, "issue", "org9", "bob", "--role", "client"))
    assert "there is no certificate authority in" in line and "cornerstone ca init" in line
    line = one_error_line(run(home, "list", "../org1"))
    assert "is not an organization id" in line
    line = one_error_line(run(home, "init", "org1"))
    assert "there is one there already" in line


def test_an_unknown_serial_is_one_sentence(home: Path) -> None:
    line = one_error_line(run(home, "revoke", "org1", "abc"))
    assert line == (
        "Error: the certificate authority of 'org1' issued no certificate "
        "with serial 0000000000000abc"
    )
    bad = run(home, "renew", "org1", "not-hex")
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert "is not a serial" in bad.output


def test_an_empty_list_says_how_to_issue(home: Path) -> None:
    result = run(home, "list", "org1")
    assert result.exit_code == 0
    assert "cornerstone ca issue" in result.output
