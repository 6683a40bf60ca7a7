"""X.509 certificates of organizations: building them, and checking a member's against its root.

Each organization has one self-signed root CA certificate (subject O=<org id>) that signs its
members' certificates (subject O=<org id>, OU=<role>, CN=<name>). Checking is pure: the same
bytes give the same answer on every node. Time and revocation are not checked by parsing but by
`check_validity` and `check_not_revoked`, against the block's time and the chain's state.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from cornerstone.crypto import PrivateKey, PublicKey, Suite
from cornerstone.identity.errors import (
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateRevokedError,
    InvalidOrgIdError,
    MalformedCertificateError,
    NotIssuedByOrgError,
    NotMemberCertificateError,
    NotRootCertificateError,
    UnknownOrganizationError,
    UnknownRoleError,
)
from cornerstone.identity.roles import Role

ORG_ID_RE = re.compile(r"[a-z][a-z0-9-]{0,31}")
NS_PER_S = 1_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# The hash each suite signs certificates with; Ed25519 hashes internally.
_SIGNATURE_HASH: dict[Suite, hashes.SHA256 | None] = {
    Suite.ED25519: None,
    Suite.P256: hashes.SHA256(),
}
# A critical extension we do not understand must make us refuse the certificate (RFC 5280).
_UNDERSTOOD_CRITICAL = frozenset({x509.BasicConstraints.oid, x509.KeyUsage.oid})
_PARSE_ERRORS = (ValueError, TypeError, UnsupportedAlgorithm, x509.DuplicateExtension)

_E = TypeVar("_E", bound=x509.ExtensionType)


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """What the chain needs from a member certificate that verified against its root."""

    org: str
    """The organization id (subject O, the same as the root's)."""
    role: Role
    """The role granted (subject OU)."""
    common_name: str
    """The member's name within the organization (subject CN)."""
    serial: int
    """The serial number, unique within the organization's CA."""
    public_key: PublicKey
    """The member's signing key."""
    not_before_ns: int
    """Start of validity, nanoseconds since the epoch (UTC)."""
    not_after_ns: int
    """End of validity (inclusive), nanoseconds since the epoch (UTC)."""
    fingerprint: bytes
    """sha256 of the certificate's DER bytes."""
    issuer_fingerprint: bytes
    """sha256 of the root certificate's DER bytes."""


class RootInfo(NamedTuple):
    """What a valid organization root certificate says."""

    org: str
    """The organization id (subject O)."""
    fingerprint: bytes
    """sha256 of the root certificate's DER bytes."""
    public_key: PublicKey
    """The key that signs the organization's member certificates."""


def valid_org_id(org: str) -> bool:
    """1-32 characters of a-z, 0-9 and '-', starting with a letter."""
    return ORG_ID_RE.fullmatch(org) is not None


def serial_hex(serial: int) -> str:
    """How a serial is shown to people and named in files: 16 hex digits (or more)."""
    return f"{serial:016x}"


def format_utc_ns(ns: int) -> str:
    """ISO 8601 UTC to the second, e.g. "2030-01-01T00:00:00Z"."""
    moment = _EPOCH + timedelta(seconds=ns // NS_PER_S)
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


# ---------------------------------------------------------------------------- building
def make_root_certificate(
    org_id: str,
    key: PrivateKey,
    *,
    not_before_s: int,
    not_after_s: int,
    name: str | None = None,
) -> bytes:
    """A self-signed root CA certificate (DER) for organization `org_id`."""
    if not valid_org_id(org_id):
        raise InvalidOrgIdError(org=org_id)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org_id),
            x509.NameAttribute(NameOID.COMMON_NAME, name or f"{org_id} root CA"),
        ]
    )
    public = key.public_key.to_cryptography()
    builder = (
        _dated(x509.CertificateBuilder(), not_before_s, not_after_s)
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    return _sign(builder, key)


def issue_member_certificate(
    ca_key: PrivateKey,
    ca_cert_der: bytes,
    *,
    subject_key: PublicKey,
    common_name: str,
    role: Role,
    serial: int,
    not_before_s: int,
    not_after_s: int,
) -> bytes:
    """A member certificate (DER) signed by the organization's root CA."""
    root = root_info(ca_cert_der)
    if root.public_key != ca_key.public_key:
        raise ValueError("the CA key is not the key of the CA certificate")
    ca_cert = x509.load_der_x509_certificate(ca_cert_der)
    ca_key_id = _extension(ca_cert, x509.SubjectKeyIdentifier)
    if ca_key_id is None:
        ca_key_id = x509.SubjectKeyIdentifier.from_public_key(root.public_key.to_cryptography())
    public = subject_key.to_cryptography()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, root.org),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role.value),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    builder = (
        _dated(x509.CertificateBuilder(), not_before_s, not_after_s)
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(serial)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_key_id),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    return _sign(builder, ca_key)


def _dated(
    builder: x509.CertificateBuilder, not_before_s: int, not_after_s: int
) -> x509.CertificateBuilder:
    return builder.not_valid_before(_EPOCH + timedelta(seconds=not_before_s)).not_valid_after(
        _EPOCH + timedelta(seconds=not_after_s)
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    """A CA signs certificates (and CRLs); a member signs transactions."""
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _sign(builder: x509.CertificateBuilder, key: PrivateKey) -> bytes:
    return builder.sign(key.to_cryptography(), _SIGNATURE_HASH[key.suite]).public_bytes(
        Encoding.DER
    )


# ---------------------------------------------------------------------------- checking
def root_info(root_der: bytes) -> RootInfo:
    """Check that `root_der` is an organization root CA certificate, and say what it names."""
    root = _load(root_der)
    if root.subject != root.issuer:
        raise NotRootCertificateError(
            reason="it is not self-signed (its issuer is not its subject)"
        )
    constraints = _extension(root, x509.BasicConstraints)
    if constraints is None or not constraints.ca:
        raise NotRootCertificateError(reason="its basic constraints do not make it a CA")
    usage = _extension(root, x509.KeyUsage)
    if usage is None or not usage.key_cert_sign:
        raise NotRootCertificateError(reason="its key usage does not include keyCertSign")
    _refuse_unknown_critical(root)
    public_key = _public_key(root)
    if not _issued_by(root, root):
        raise NotRootCertificateError(reason="its self-signature does not verify")
    org = _root_org(root)
    return RootInfo(org=org, fingerprint=hashlib.sha256(root_der).digest(), public_key=public_key)


def parse_member_certificate(der: bytes, root_der: bytes) -> CertificateInfo:
    """Check that `der` is a member certificate issued by the root `root_der`; say what it names.

    Neither time nor revocation is checked here: see `check_validity` and `check_not_revoked`.
    `root_der` is trusted to have passed `root_info` when its organization was registered.
    """
    root = _load(root_der)
    org = _root_org(root)
    cert = _load(der)
    if cert.issuer != root.subject or not _issued_by(cert, root):
        raise NotIssuedByOrgError(org=org, reason="the root CA's signature does not verify")
    _require_end_entity(cert)
    claimed = _values(cert.subject, NameOID.ORGANIZATION_NAME)
    if claimed != [org]:
        raise NotIssuedByOrgError(
            org=org, reason=f"its subject names the organization(s) {claimed!r}"
        )
    role = _role(cert)
    names = _values(cert.subject, NameOID.COMMON_NAME)
    if len(names) != 1 or not names[0]:
        raise MalformedCertificateError(reason="its subject must have exactly one common name")
    if cert.serial_number <= 0:
        raise MalformedCertificateError(reason="its serial number is not positive")
    return CertificateInfo(
        org=org,
        role=role,
        common_name=names[0],
        serial=cert.serial_number,
        public_key=_public_key(cert),
        not_before_ns=utc_ns(cert.not_valid_before_utc),
        not_after_ns=utc_ns(cert.not_valid_after_utc),
        fingerprint=hashlib.sha256(der).digest(),
        issuer_fingerprint=hashlib.sha256(root_der).digest(),
    )


def certificate_org(der: bytes) -> str:
    """The organization a certificate claims (unverified: only to find the root to check it)."""
    claimed = _values(_load(der).subject, NameOID.ORGANIZATION_NAME)
    if len(claimed) != 1:
        raise MalformedCertificateError(reason="its subject must name exactly one organization")
    return claimed[0]


def parse_sender_certificate(der: bytes, roots: Mapping[str, bytes]) -> CertificateInfo:
    """`parse_member_certificate` against the root of the organization the certificate claims."""
    org = certificate_org(der)
    root_der = roots.get(org)
    if root_der is None:
        raise UnknownOrganizationError(org=org)
    return parse_member_certificate(der, root_der)


def check_validity(info: CertificateInfo, at_ns: int) -> None:
    """Refuse a certificate outside its validity at `at_ns` (the block's time, never a clock)."""
    if at_ns < info.not_before_ns:
        raise CertificateNotYetValidError(
            serial=serial_hex(info.serial),
            org=info.org,
            not_before=format_utc_ns(info.not_before_ns),
        )
    if at_ns > info.not_after_ns:
        raise CertificateExpiredError(
            serial=serial_hex(info.serial), org=info.org, not_after=format_utc_ns(info.not_after_ns)
        )


def check_not_revoked(info: CertificateInfo, revoked_serials: Container[int]) -> None:
    """Refuse a certificate whose serial the organization revoked."""
    if info.serial in revoked_serials:
        raise CertificateRevokedError(serial=serial_hex(info.serial), org=info.org)


# ---------------------------------------------------------------------------- helpers
def _load(der: bytes) -> x509.Certificate:
    """Parse `der`, touching every part we read later so that any parse error surfaces here."""
    try:
        cert = x509.load_der_x509_certificate(der)
        _ = (cert.subject, cert.issuer, cert.extensions, cert.serial_number)
        _ = (cert.not_valid_before_utc, cert.not_valid_after_utc)
    except _PARSE_ERRORS as exc:
        raise MalformedCertificateError(reason=str(exc) or type(exc).__name__) from None
    return cert


def _extension(cert: x509.Certificate, kind: type[_E]) -> _E | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _values(name: x509.Name, oid: x509.ObjectIdentifier) -> list[str]:
    values = [attribute.value for attribute in name.get_attributes_for_oid(oid)]
    texts = [value for value in values if isinstance(value, str)]
    if len(texts) != len(values):
        raise MalformedCertificateError(
            reason=f"its name attribute {oid.dotted_string} is not text"
        )
    return texts


def _root_org(root: x509.Certificate) -> str:
    orgs = _values(root.subject, NameOID.ORGANIZATION_NAME)
    if len(orgs) != 1 or not valid_org_id(orgs[0]):
        raise NotRootCertificateError(
            reason=f"its subject must name one organization id, not {orgs!r}"
        )
    return orgs[0]


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def _require_end_entity(cert: x509.Certificate) -> None:
    constraints = _extension(cert, x509.BasicConstraints)
    if constraints is not None and constraints.ca:
        raise NotMemberCertificateError(reason="it is a CA certificate")
    usage = _extension(cert, x509.KeyUsage)
    if usage is None or not usage.digital_signature:
        raise NotMemberCertificateError(reason="its key usage does not include digitalSignature")
    if usage.key_cert_sign:
        raise NotMemberCertificateError(reason="its key may sign certificates")
    _refuse_unknown_critical(cert)


def _refuse_unknown_critical(cert: x509.Certificate) -> None:
    for extension in cert.extensions:
        if extension.critical and extension.oid not in _UNDERSTOOD_CRITICAL:
            raise MalformedCertificateError(
                reason=f"it has a critical extension unknown here ({extension.oid.dotted_string})"
            )


def _role(cert: x509.Certificate) -> Role:
    units = _values(cert.subject, NameOID.ORGANIZATIONAL_UNIT_NAME)
    roles = ", ".join(Role)
    if len(units) != 1:
        raise UnknownRoleError(
            reason=f"its subject has {len(units)} OU attributes, not 1", roles=roles
        )
    try:
        return Role(units[0])
    except ValueError:
        raise UnknownRoleError(reason=f"its OU is {units[0]!r}", roles=roles) from None


def _public_key(cert: x509.Certificate) -> PublicKey:
    try:
        return PublicKey.from_cryptography(cert.public_key())
    except (ValueError, UnsupportedAlgorithm):
        raise MalformedCertificateError(
            reason=f"its key is not one of {', '.join(Suite)}"
        ) from None


def utc_ns(moment: datetime) -> int:
    """Nanoseconds since the epoch, in integers only (a float would round)."""
    delta = moment - _EPOCH
    return ((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds) * 1_000
