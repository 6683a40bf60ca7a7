"""An organization's CA folder: what it writes, what survives a reload, what it refuses."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cornerstone.crypto import PrivateKey, Suite, load_key
from cornerstone.errors import KeyFileError
from cornerstone.identity import Role, check_validity, parse_member_certificate
from cornerstone.identity.ca import (
    CA_CERT_FILE,
    CA_KEY_FILE,
    CLOCK_SKEW_S,
    INDEX_FILE,
    CertificateAuthority,
    Status,
)
from cornerstone.identity.certs import NS_PER_S, serial_hex
from cornerstone.identity.errors import (
    AlreadyRevokedError,
    CaExistsError,
    DamagedCaError,
    InvalidCommonNameError,
    InvalidOrgIdError,
    InvalidValidityError,
    NoCaError,
    RevokedRenewalError,
    UnknownSerialError,
)

NOW_S = 1_900_000_000
DAY = 86_400


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture(params=list(Suite))
def authority(request: pytest.FixtureRequest, tmp_path: Path) -> CertificateAuthority:
    suite: Suite = request.param
    return CertificateAuthority.create(tmp_path / "org1", "org1", suite=suite, now_s=NOW_S)


def test_create_writes_a_private_key_and_a_root(authority: CertificateAuthority) -> None:
    folder = authority.directory
    assert mode(folder / CA_KEY_FILE) == 0o600
    assert mode(folder) == 0o700
    assert load_key(folder / CA_KEY_FILE).public_key == authority.public_key
    assert (folder / CA_CERT_FILE).read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert authority.org == "org1"
    assert authority.not_after_s == NOW_S + 3650 * DAY
    assert authority.list() == ()
    assert not [p.name for p in folder.parent.iterdir() if p.name != "org1"]  # no staging left


def test_issue_generates_a_private_key_and_a_certificate_that_verifies(
    authority: CertificateAuthority,
) -> None:
    issued = authority.issue("alice", Role.CLIENT, days=30, now_s=NOW_S)
    assert issued.status is Status.VALID
    assert issued.not_before_s == NOW_S - CLOCK_SKEW_S
    assert issued.not_after_s == NOW_S + 30 * DAY
    assert issued.cert_file == f"issued/{serial_hex(issued.serial)}.crt"
    assert issued.key_file == "issued/alice.key.json"
    key_path = authority.directory / issued.key_file
    assert mode(key_path) == 0o600
    member_key = load_key(key_path)
    assert member_key.public_key == issued.public_key
    assert member_key.suite is authority.suite

    info = parse_member_certificate(authority.certificate(issued.serial), authority.certificate_der)
    assert (info.org, info.role, info.common_name) == ("org1", Role.CLIENT, "alice")
    assert (info.serial, info.public_key) == (issued.serial, member_key.public_key)
    check_validity(info, NOW_S * NS_PER_S)
    assert 0 < issued.serial < 2**64


def test_issue_for_a_given_key_writes_no_key(authority: CertificateAuthority) -> None:
    key = PrivateKey.generate(Suite.P256).public_key
    issued = authority.issue("gateway", Role.VALIDATOR, public_key=key, now_s=NOW_S)
    assert issued.key_file is None and issued.public_key == key
    assert not (authority.directory / "issued" / "gateway.key.json").exists()


def test_the_index_survives_a_reload(authority: CertificateAuthority) -> None:
    first = authority.issue("alice", Role.ADMIN, now_s=NOW_S)
    second = authority.issue("bob", Role.AUDITOR, key_suite=Suite.P256, now_s=NOW_S)
    authority.revoke(first.serial, "key lost", now_s=NOW_S + 10)
    reloaded = CertificateAuthority.load(authority.directory)
    assert reloaded.org == "org1" and reloaded.certificate_der == authority.certificate_der
    listed = reloaded.list()
    assert [c.serial for c in listed] == [first.serial, second.serial]
    assert listed[0].status is Status.REVOKED
    assert (listed[0].revoked_at_s, listed[0].reason) == (NOW_S + 10, "key lost")
    assert listed[1] == second
    assert listed[1].public_key.suite is Suite.P256
    index = json.loads((authority.directory / INDEX_FILE).read_text())
    assert index["certificates"][0]["revoked_at"] == "2030-03-17T17:46:50Z"
    assert index["certificates"][1]["serial"] == serial_hex(second.serial)
    assert not list(authority.directory.glob(".*.tmp"))  # no temporary file left behind


def test_renew_keeps_key_name_and_role_with_a_new_serial(authority: CertificateAuthority) -> None:
    old = authority.issue("alice", Role.CLIENT, days=10, now_s=NOW_S)
    new = authority.renew(old.serial, days=20, now_s=NOW_S + 5 * DAY)
    assert new.serial != old.serial and new.renewed_from == old.serial
    assert (new.common_name, new.role, new.public_key) == ("alice", Role.CLIENT, old.public_key)
    assert new.not_after_s == NOW_S + 25 * DAY
    assert authority.get(old.serial).status is Status.VALID  # the old one stays valid
    info = parse_member_certificate(authority.certificate(new.serial), authority.certificate_der)
    assert info.public_key == old.public_key


def test_a_member_certificate_never_outlives_its_root(tmp_path: Path) -> None:
    authority = CertificateAuthority.create(tmp_path / "ca", "org1", days=10, now_s=NOW_S)
    issued = authority.issue("alice", Role.CLIENT, days=365, now_s=NOW_S)
    assert issued.not_after_s == authority.not_after_s == NOW_S + 10 * DAY


def test_revoking_twice_or_renewing_a_revoked_one_is_refused(
    authority: CertificateAuthority,
) -> None:
    issued = authority.issue("alice", Role.CLIENT, now_s=NOW_S)
    authority.revoke(issued.serial, "left the company", now_s=NOW_S)
    with pytest.raises(AlreadyRevokedError, match="revoked already, at 2030-03-17T17:46:40Z"):
        authority.revoke(issued.serial, "again")
    with pytest.raises(RevokedRenewalError):
        authority.renew(issued.serial)


def test_an_unknown_serial_is_refused(authority: CertificateAuthority) -> None:
    actions: list[Callable[[], object]] = [
        lambda: authority.revoke(42, "x"),
        lambda: authority.renew(42),
        lambda: authority.get(42),
    ]
    for action in actions:
        with pytest.raises(UnknownSerialError, match="serial 000000000000002a") as caught:
            action()
        assert caught.value.code == 22


def test_a_second_create_in_the_same_folder_is_refused(authority: CertificateAuthority) -> None:
    before = (authority.directory / CA_KEY_FILE).read_bytes()
    with pytest.raises(CaExistsError, match="there is one there already"):
        CertificateAuthority.create(authority.directory, "org1")
    assert (authority.directory / CA_KEY_FILE).read_bytes() == before


def test_a_non_empty_folder_is_not_taken_over(tmp_path: Path) -> None:
    (tmp_path / "org1").mkdir()
    (tmp_path / "org1" / "notes.txt").write_text("mine")
    with pytest.raises(CaExistsError, match="not empty"):
        CertificateAuthority.create(tmp_path / "org1", "org1")
    (tmp_path / "empty").mkdir()
    assert CertificateAuthority.create(tmp_path / "empty", "org2").org == "org2"


@pytest.mark.parametrize("org", ["", "Org1", "1org", "org_1", "a" * 33, "../etc", "org 1"])
def test_an_invalid_org_id_is_refused(tmp_path: Path, org: str) -> None:
    with pytest.raises(InvalidOrgIdError):
        CertificateAuthority.create(tmp_path / "ca", org)
    assert not (tmp_path / "ca").exists()


@pytest.mark.parametrize("name", ["", "../alice", "a/b", ".hidden", "with space", "x" * 65])
def test_an_invalid_common_name_is_refused(authority: CertificateAuthority, name: str) -> None:
    with pytest.raises(InvalidCommonNameError):
        authority.issue(name, Role.CLIENT)
    assert authority.list() == ()


def test_zero_days_and_a_reused_key_name_are_refused(authority: CertificateAuthority) -> None:
    with pytest.raises(InvalidValidityError):
        authority.issue("alice", Role.CLIENT, days=0)
    authority.issue("alice", Role.CLIENT)
    with pytest.raises(KeyFileError, match="already exists"):
        authority.issue("alice", Role.ADMIN)  # would overwrite alice's key
    assert len(authority.list()) == 1


def test_a_missing_or_damaged_ca_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NoCaError):
        CertificateAuthority.load(tmp_path / "nothing")
    authority = CertificateAuthority.create(tmp_path / "org1", "org1")
    index = authority.directory / INDEX_FILE
    index.write_text("{not json")
    with pytest.raises(DamagedCaError, match=r"index\.json cannot be read"):
        CertificateAuthority.load(authority.directory)
    other = CertificateAuthority.create(tmp_path / "org2", "org2")
    (other.directory / CA_CERT_FILE).replace(authority.directory / CA_CERT_FILE)
    with pytest.raises(DamagedCaError, match="is not the key of"):
        CertificateAuthority.load(authority.directory)
