"""Certificates: a member's verifies only against its own organization's root, and every way it
can be wrong is refused with its own stable code."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from cornerstone import errors
from cornerstone.crypto import PrivateKey, PublicKey, Suite
from cornerstone.identity import (
    Role,
    certificate_org,
    check_not_revoked,
    check_validity,
    issue_member_certificate,
    make_root_certificate,
    parse_member_certificate,
    parse_sender_certificate,
    require_role,
    root_info,
)
from cornerstone.identity.certs import NS_PER_S, format_utc_ns
from cornerstone.identity.errors import (
    CertificateError,
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateRevokedError,
    InvalidOrgIdError,
    MalformedCertificateError,
    NotIssuedByOrgError,
    NotMemberCertificateError,
    NotRootCertificateError,
    RoleNotAllowedError,
    UnknownOrganizationError,
    UnknownRoleError,
)

NOT_BEFORE_S = 1_900_000_000  # 2030-03-17T17:46:40Z
NOT_AFTER_S = NOT_BEFORE_S + 30 * 86_400  # 2030-04-16T17:46:40Z
SERIAL = 0x1234_5678_9ABC_DEF0


@dataclass(frozen=True)
class Org:
    id: str
    key: PrivateKey
    root: bytes


def make_org(org_id: str, suite: Suite = Suite.ED25519) -> Org:
    key = PrivateKey.generate(suite)
    root = make_root_certificate(org_id, key, not_before_s=0, not_after_s=NOT_AFTER_S * 2)
    return Org(org_id, key, root)


def member(
    org: Org, key: PublicKey | None = None, role: Role = Role.CLIENT, serial: int = SERIAL
) -> bytes:
    return issue_member_certificate(
        org.key,
        org.root,
        subject_key=key or PrivateKey.generate().public_key,
        common_name="alice",
        role=role,
        serial=serial,
        not_before_s=NOT_BEFORE_S,
        not_after_s=NOT_AFTER_S,
    )


def hand_made(
    org: Org,
    subject: Sequence[tuple[x509.ObjectIdentifier, str]],
    *,
    key: object = None,
    ca: bool = False,
    digital_signature: bool = True,
    extra: Sequence[x509.ExtensionType] = (),
) -> bytes:
    """A certificate signed by `org`'s root with whatever subject and extensions a test needs."""
    public = key or PrivateKey.generate().public_key.to_cryptography()
    root = x509.load_der_x509_certificate(org.root)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(oid, value) for oid, value in subject]))
        .issuer_name(root.subject)
        .public_key(public)  # type: ignore[arg-type]
        .serial_number(SERIAL)
        .not_valid_before(root.not_valid_before_utc)
        .not_valid_after(root.not_valid_after_utc)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=digital_signature,
                content_commitment=not digital_signature,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    for extension in extra:
        builder = builder.add_extension(extension, critical=True)
    algorithm = None if org.key.suite is Suite.ED25519 else hashes.SHA256()
    return builder.sign(org.key.to_cryptography(), algorithm).public_bytes(Encoding.DER)


def refused(kind: type[CertificateError], code: int, der: bytes, root: bytes) -> str:
    with pytest.raises(kind) as caught:
        parse_member_certificate(der, root)
    assert caught.value.code == code and caught.value.codespace == "identity"
    return caught.value.message


ORG, OU, CN = NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME, NameOID.COMMON_NAME


# ---------------------------------------------------------------------------- good ones
@pytest.mark.parametrize("ca_suite", list(Suite))
@pytest.mark.parametrize("member_suite", list(Suite))
def test_a_member_certificate_parses_to_what_it_says(ca_suite: Suite, member_suite: Suite) -> None:
    org = make_org("org1", ca_suite)
    key = PrivateKey.generate(member_suite).public_key
    der = member(org, key, Role.VALIDATOR)
    info = parse_member_certificate(der, org.root)
    assert info.org == "org1"
    assert info.role is Role.VALIDATOR
    assert info.common_name == "alice"
    assert info.serial == SERIAL
    assert info.public_key == key
    assert info.not_before_ns == NOT_BEFORE_S * NS_PER_S
    assert info.not_after_ns == NOT_AFTER_S * NS_PER_S
    assert info.fingerprint == hashlib.sha256(der).digest()
    assert info.issuer_fingerprint == hashlib.sha256(org.root).digest()
    assert parse_member_certificate(der, org.root) == info  # pure: same bytes, same answer


@pytest.mark.parametrize("suite", list(Suite))
def test_a_root_certificate_names_its_org_and_key(suite: Suite) -> None:
    org = make_org("bank-7", suite)
    info = root_info(org.root)
    assert info == ("bank-7", hashlib.sha256(org.root).digest(), org.key.public_key)
    root = x509.load_der_x509_certificate(org.root)
    assert root.subject.get_attributes_for_oid(CN)[0].value == "bank-7 root CA"
    constraints = root.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0


def test_the_sender_certificate_is_checked_against_the_root_it_names() -> None:
    org1, org2 = make_org("org1"), make_org("org2", Suite.P256)
    roots = {"org1": org1.root, "org2": org2.root}
    der = member(org2)
    assert certificate_org(der) == "org2"
    assert parse_sender_certificate(der, roots).org == "org2"
    with pytest.raises(UnknownOrganizationError) as caught:
        parse_sender_certificate(der, {"org1": org1.root})
    assert caught.value.code == 3 and "'org2'" in caught.value.message


# ---------------------------------------------------------------------------- bad ones
def test_a_certificate_of_another_org_or_an_impostor_root_is_refused() -> None:
    org1, org2 = make_org("org1"), make_org("org2")
    message = refused(NotIssuedByOrgError, 2, member(org2), org1.root)
    assert "'org1'" in message
    impostor = make_org("org1", Suite.P256)  # same name, another key
    refused(NotIssuedByOrgError, 2, member(impostor), org1.root)


def test_a_subject_naming_another_org_is_refused() -> None:
    org1 = make_org("org1")
    der = hand_made(org1, [(ORG, "org2"), (OU, "client"), (CN, "mallory")])
    assert "org2" in refused(NotIssuedByOrgError, 2, der, org1.root)


def test_a_tampered_or_truncated_certificate_is_refused() -> None:
    org = make_org("org1", Suite.P256)
    der = member(org)
    position = der.index(b"alice")
    tampered = der[:position] + b"alica" + der[position + 5 :]
    refused(NotIssuedByOrgError, 2, tampered, org.root)
    refused(MalformedCertificateError, 1, der[:-1], org.root)
    refused(MalformedCertificateError, 1, der + b"\x00", org.root)
    refused(MalformedCertificateError, 1, b"not a certificate", org.root)


def test_a_ca_certificate_is_not_a_member() -> None:
    org = make_org("org1")
    assert "CA certificate" in refused(NotMemberCertificateError, 9, org.root, org.root)
    sub_ca = hand_made(org, [(ORG, "org1"), (OU, "admin"), (CN, "sub")], ca=True)
    refused(NotMemberCertificateError, 9, sub_ca, org.root)


def test_a_certificate_that_may_not_sign_is_not_a_member() -> None:
    org = make_org("org1")
    der = hand_made(org, [(ORG, "org1"), (OU, "client"), (CN, "x")], digital_signature=False)
    assert "digitalSignature" in refused(NotMemberCertificateError, 9, der, org.root)


@pytest.mark.parametrize(
    ("units", "reason"),
    [((), "0 OU"), (("king",), "'king'"), (("client", "admin"), "2 OU"), (("Client",), "'Client'")],
)
def test_a_missing_or_unknown_role_is_refused(units: tuple[str, ...], reason: str) -> None:
    org = make_org("org1")
    der = hand_made(org, [(ORG, "org1"), *((OU, unit) for unit in units), (CN, "x")])
    message = refused(UnknownRoleError, 8, der, org.root)
    assert reason in message and "admin, client, validator, auditor" in message


def test_a_key_of_another_suite_is_refused() -> None:
    org = make_org("org1")
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    der = hand_made(org, [(ORG, "org1"), (OU, "client"), (CN, "x")], key=p384)
    assert "ed25519, ecdsa-p256" in refused(MalformedCertificateError, 1, der, org.root)


def test_an_unknown_critical_extension_is_refused() -> None:
    org = make_org("org1")
    unknown = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00")
    der = hand_made(org, [(ORG, "org1"), (OU, "client"), (CN, "x")], extra=[unknown])
    assert "1.3.6.1.4.1.99999.1" in refused(MalformedCertificateError, 1, der, org.root)


def test_a_member_certificate_is_no_root() -> None:
    org = make_org("org1")
    with pytest.raises(NotRootCertificateError) as caught:
        root_info(member(org))
    assert caught.value.code == 10
    with pytest.raises(MalformedCertificateError):
        root_info(org.root[:-3])
    with pytest.raises(InvalidOrgIdError):
        make_root_certificate("Org One", org.key, not_before_s=0, not_after_s=1)


# ---------------------------------------------------------------------- time, revocation, roles
def test_validity_is_checked_against_the_given_time_inclusive() -> None:
    org = make_org("org1")
    info = parse_member_certificate(member(org), org.root)
    check_validity(info, NOT_BEFORE_S * NS_PER_S)
    check_validity(info, NOT_AFTER_S * NS_PER_S)
    with pytest.raises(CertificateNotYetValidError) as early:
        check_validity(info, NOT_BEFORE_S * NS_PER_S - 1)
    assert early.value.code == 5
    assert early.value.message == (
        "certificate 123456789abcdef0 of 'org1' is not valid before 2030-03-17T17:46:40Z"
    )
    with pytest.raises(CertificateExpiredError) as late:
        check_validity(info, NOT_AFTER_S * NS_PER_S + 1)
    assert late.value.code == 4
    assert late.value.message.endswith("expired at 2030-04-16T17:46:40Z")


def test_a_revoked_serial_is_refused() -> None:
    org = make_org("org1")
    info = parse_member_certificate(member(org), org.root)
    check_not_revoked(info, {SERIAL + 1})
    with pytest.raises(CertificateRevokedError) as caught:
        check_not_revoked(info, {SERIAL})
    assert caught.value.code == 6 and "123456789abcdef0" in caught.value.message


def test_a_role_outside_the_allowed_ones_is_refused() -> None:
    require_role(Role.ADMIN, operation="vote", allowed=[Role.ADMIN])
    with pytest.raises(RoleNotAllowedError) as caught:
        require_role(Role.AUDITOR, operation="anchor a document", allowed={Role.CLIENT, Role.ADMIN})
    assert caught.value.code == 7
    assert caught.value.message == (
        "the role 'auditor' may not anchor a document; allowed roles: admin, client"
    )


def test_times_are_formatted_in_utc_to_the_second() -> None:
    assert format_utc_ns(0) == "1970-01-01T00:00:00Z"
    assert format_utc_ns(NOT_BEFORE_S * NS_PER_S + 999_999_999) == "2030-03-17T17:46:40Z"


def test_identity_codes_are_published() -> None:
    registered = {key: cls.__name__ for key, cls in errors.all_codes().items()}
    expected = {
        ("identity", 1): "MalformedCertificateError",
        ("identity", 2): "NotIssuedByOrgError",
        ("identity", 3): "UnknownOrganizationError",
        ("identity", 4): "CertificateExpiredError",
        ("identity", 5): "CertificateNotYetValidError",
        ("identity", 6): "CertificateRevokedError",
        ("identity", 7): "RoleNotAllowedError",
        ("identity", 8): "UnknownRoleError",
        ("identity", 9): "NotMemberCertificateError",
        ("identity", 10): "NotRootCertificateError",
        ("client", 20): "CaExistsError",
        ("client", 21): "NoCaError",
        ("client", 22): "UnknownSerialError",
        ("client", 23): "AlreadyRevokedError",
        ("client", 24): "InvalidOrgIdError",
        ("client", 25): "InvalidCommonNameError",
        ("client", 26): "DamagedCaError",
        ("client", 27): "InvalidValidityError",
        ("client", 28): "RevokedRenewalError",
        ("client", 29): "InvalidRoleError",
    }
    for key, name in expected.items():
        assert registered.get(key) == name, key
