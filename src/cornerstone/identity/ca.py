"""An organization's certificate authority, kept in one folder on the organization's machine.

    <dir>/ca.key.json            the CA's private key (mode 0600)
    <dir>/ca.crt                 the root certificate (PEM), what the chain registers
    <dir>/index.json             every certificate issued: the source of truth of this folder
    <dir>/issued/<serial>.crt    each member certificate (PEM), named by its 16-hex-digit serial
    <dir>/issued/<name>.key.json a member's key, when the CA generated it (mode 0600)

Every write replaces its file atomically (a temporary file in the same folder, then rename), and
a new CA folder appears whole or not at all, so an interrupted command never leaves half a file.
Commands that change the index hold a lock, so two at once cannot lose an update.

This is a tool off the chain: it reads the wall clock. Revoking here changes only the local
record; the chain learns of a revocation through a governance proposal.
"""

from __future__ import annotations

import contextlib
import enum
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from cornerstone.crypto import PrivateKey, PublicKey, Suite, load_key, save_key
from cornerstone.identity.certs import (
    NS_PER_S,
    format_utc_ns,
    issue_member_certificate,
    make_root_certificate,
    root_info,
    serial_hex,
    utc_ns,
    valid_org_id,
)
from cornerstone.identity.errors import (
    AlreadyRevokedError,
    CaExistsError,
    CertificateError,
    DamagedCaError,
    InvalidCommonNameError,
    InvalidOrgIdError,
    InvalidValidityError,
    NoCaError,
    RevokedRenewalError,
    UnknownSerialError,
)
from cornerstone.identity.roles import Role

CA_KEY_FILE = "ca.key.json"
CA_CERT_FILE = "ca.crt"
INDEX_FILE = "index.json"
ISSUED_DIR = "issued"
LOCK_FILE = ".lock"
INDEX_FORMAT = "cornerstone/ca-index"
INDEX_VERSION = 1
SECONDS_PER_DAY = 86_400
CLOCK_SKEW_S = 300
"""A new certificate is valid from 5 minutes ago, so a node whose clock lags still accepts it."""
COMMON_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
"""A member's name is also a file name: no '/', no spaces, no leading dot."""


class Status(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    """One line of the index: a certificate this CA issued."""

    serial: int
    """Random, 64 bits, unique within this CA."""
    common_name: str
    """The member's name (subject CN)."""
    role: Role
    """The role granted (subject OU)."""
    public_key: PublicKey
    """The member's key."""
    not_before_s: int
    """Start of validity, seconds since the epoch (UTC)."""
    not_after_s: int
    """End of validity, seconds since the epoch (UTC)."""
    cert_file: str
    """The certificate's PEM file, relative to the CA folder."""
    key_file: str | None = None
    """The member's key file, relative to the CA folder, when this CA generated the key."""
    status: Status = Status.VALID
    """Whether the CA revoked it (in its local record)."""
    revoked_at_s: int | None = None
    """When it was revoked, seconds since the epoch (UTC)."""
    reason: str | None = None
    """Why it was revoked."""
    renewed_from: int | None = None
    """The serial of the certificate this one renews."""

    def to_json(self) -> dict[str, Any]:
        # Serials are hex strings: JSON numbers above 2**53 lose digits in many readers.
        return {
            "serial": serial_hex(self.serial),
            "common_name": self.common_name,
            "role": self.role.value,
            "suite": self.public_key.suite.value,
            "public_key": self.public_key.hex(),
            "not_before": _iso(self.not_before_s),
            "not_after": _iso(self.not_after_s),
            "status": self.status.value,
            "revoked_at": None if self.revoked_at_s is None else _iso(self.revoked_at_s),
            "reason": self.reason,
            "file": self.cert_file,
            "key_file": self.key_file,
            "renewed_from": None if self.renewed_from is None else serial_hex(self.renewed_from),
        }

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> IssuedCertificate:
        revoked_at = item["revoked_at"]
        renewed_from = item["renewed_from"]
        return cls(
            serial=int(item["serial"], 16),
            common_name=str(item["common_name"]),
            role=Role(item["role"]),
            public_key=PublicKey(bytes.fromhex(item["public_key"]), Suite(item["suite"])),
            not_before_s=_parse_iso(item["not_before"]),
            not_after_s=_parse_iso(item["not_after"]),
            cert_file=str(item["file"]),
            key_file=None if item["key_file"] is None else str(item["key_file"]),
            status=Status(item["status"]),
            revoked_at_s=None if revoked_at is None else _parse_iso(revoked_at),
            reason=None if item["reason"] is None else str(item["reason"]),
            renewed_from=None if renewed_from is None else int(renewed_from, 16),
        )


class CertificateAuthority:
    """An organization's CA folder. Build one with `create` or `load`."""

    __slots__ = ("_key", "certificate_der", "directory", "not_after_s", "org")

    def __init__(
        self, directory: Path, *, org: str, key: PrivateKey, certificate_der: bytes
    ) -> None:
        self.directory = directory
        self.org = org
        self.certificate_der = certificate_der
        not_after = x509.load_der_x509_certificate(certificate_der).not_valid_after_utc
        self.not_after_s = utc_ns(not_after) // NS_PER_S
        self._key = key

    @property
    def suite(self) -> Suite:
        return self._key.suite

    @property
    def public_key(self) -> PublicKey:
        return self._key.public_key

    @property
    def fingerprint(self) -> bytes:
        """sha256 of the root certificate's DER bytes."""
        return hashlib.sha256(self.certificate_der).digest()

    # ------------------------------------------------------------------------ the folder
    @classmethod
    def create(
        cls,
        directory: Path,
        org_id: str,
        *,
        suite: Suite = Suite.ED25519,
        days: int = 3650,
        now_s: int | None = None,
    ) -> CertificateAuthority:
        """A new CA with a new key, in `directory` (which must not exist or be empty)."""
        if not valid_org_id(org_id):
            raise InvalidOrgIdError(org=org_id)
        _check_days(days)
        _refuse_existing(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        # Built aside and renamed into place: a CA folder is whole or absent (mode 0700).
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
        try:
            key = PrivateKey.generate(suite)
            save_key(staging / CA_KEY_FILE, key, name=f"{org_id} root CA")
            now = _now(now_s)
            der = make_root_certificate(
                org_id,
                key,
                not_before_s=now - CLOCK_SKEW_S,
                not_after_s=now + days * SECONDS_PER_DAY,
            )
            _write_atomic(staging / CA_CERT_FILE, _pem(der), mode=0o644)
            (staging / ISSUED_DIR).mkdir()
            _write_index(staging, org_id, ())
            try:
                staging.rename(directory)
            except OSError:
                raise CaExistsError(path=str(directory), reason="the folder is not empty") from None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return cls.load(directory)

    @classmethod
    def load(cls, directory: Path) -> CertificateAuthority:
        """The CA in `directory`, checked: its certificate is a root and its key matches."""
        cert_path = directory / CA_CERT_FILE
        if not cert_path.is_file():
            raise NoCaError(path=str(directory))
        try:
            der = x509.load_pem_x509_certificate(cert_path.read_bytes()).public_bytes(Encoding.DER)
            info = root_info(der)
        except ValueError:
            raise DamagedCaError(path=str(directory), reason=f"{CA_CERT_FILE} is not PEM") from None
        except CertificateError as exc:
            raise DamagedCaError(path=str(directory), reason=exc.message) from None
        key = load_key(directory / CA_KEY_FILE)
        if key.public_key != info.public_key:
            raise DamagedCaError(
                path=str(directory), reason=f"{CA_KEY_FILE} is not the key of {CA_CERT_FILE}"
            )
        authority = cls(directory, org=info.org, key=key, certificate_der=der)
        authority.list()  # the index must be readable, and of this organization
        return authority

    # ------------------------------------------------------------------------ certificates
    def list(self) -> tuple[IssuedCertificate, ...]:
        """Every certificate issued, oldest first."""
        try:
            document = json.loads((self.directory / INDEX_FILE).read_text())
            if document["format"] != INDEX_FORMAT or document["version"] != INDEX_VERSION:
                raise ValueError("unknown index format")
            if document["org"] != self.org:
                raise ValueError(f"the index is of organization {document['org']!r}")
            return tuple(IssuedCertificate.from_json(item) for item in document["certificates"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DamagedCaError(
                path=str(self.directory), reason=f"{INDEX_FILE} cannot be read ({exc})"
            ) from None

    def get(self, serial: int) -> IssuedCertificate:
        return _find(self.list(), serial, self.org)

    def certificate(self, serial: int) -> bytes:
        """The DER bytes of the certificate with `serial`."""
        path = self.directory / self.get(serial).cert_file
        return x509.load_pem_x509_certificate(path.read_bytes()).public_bytes(Encoding.DER)

    def issue(
        self,
        common_name: str,
        role: Role,
        *,
        public_key: PublicKey | None = None,
        key_suite: Suite | None = None,
        days: int = 365,
        now_s: int | None = None,
    ) -> IssuedCertificate:
        """A certificate for `public_key`, or for a new key (of `key_suite`, default the CA's)
        written to issued/<common_name>.key.json with mode 0600."""
        if not COMMON_NAME_RE.fullmatch(common_name):
            raise InvalidCommonNameError(name=common_name)
        _check_days(days)
        with self._locked():
            issued = self.list()
            key_file = None
            if public_key is None:
                member_key = PrivateKey.generate(key_suite or self.suite)
                key_file = f"{ISSUED_DIR}/{common_name}.key.json"
                save_key(self.directory / key_file, member_key, name=common_name)
                public_key = member_key.public_key
            try:
                return self._sign(
                    issued,
                    common_name=common_name,
                    role=role,
                    public_key=public_key,
                    key_file=key_file,
                    days=days,
                    now_s=now_s,
                    renewed_from=None,
                )
            except BaseException:
                if key_file is not None:  # a key with no certificate would block a retry
                    (self.directory / key_file).unlink(missing_ok=True)
                raise

    def renew(self, serial: int, *, days: int = 365, now_s: int | None = None) -> IssuedCertificate:
        """A new certificate (new serial) for the same key, name and role. The old one stays
        valid until it expires or is revoked."""
        _check_days(days)
        with self._locked():
            issued = self.list()
            old = _find(issued, serial, self.org)
            if old.status is Status.REVOKED:
                raise RevokedRenewalError(serial=serial_hex(serial), org=self.org)
            return self._sign(
                issued,
                common_name=old.common_name,
                role=old.role,
                public_key=old.public_key,
                key_file=old.key_file,
                days=days,
                now_s=now_s,
                renewed_from=old.serial,
            )

    def revoke(self, serial: int, reason: str, *, now_s: int | None = None) -> IssuedCertificate:
        """Mark a certificate revoked in the local record (the chain is told by governance)."""
        with self._locked():
            issued = self.list()
            old = _find(issued, serial, self.org)
            if old.status is Status.REVOKED:
                assert old.revoked_at_s is not None
                raise AlreadyRevokedError(
                    serial=serial_hex(serial), org=self.org, revoked_at=_iso(old.revoked_at_s)
                )
            new = replace(old, status=Status.REVOKED, revoked_at_s=_now(now_s), reason=reason)
            _write_index(self.directory, self.org, tuple(new if c is old else c for c in issued))
            return new

    def _sign(
        self,
        issued: Sequence[IssuedCertificate],
        *,
        common_name: str,
        role: Role,
        public_key: PublicKey,
        key_file: str | None,
        days: int,
        now_s: int | None,
        renewed_from: int | None,
    ) -> IssuedCertificate:
        now = _now(now_s)
        serial = _new_serial(issued)
        not_before = now - CLOCK_SKEW_S
        # A member certificate cannot outlive the root that vouches for it.
        not_after = min(now + days * SECONDS_PER_DAY, self.not_after_s)
        der = issue_member_certificate(
            self._key,
            self.certificate_der,
            subject_key=public_key,
            common_name=common_name,
            role=role,
            serial=serial,
            not_before_s=not_before,
            not_after_s=not_after,
        )
        cert_file = f"{ISSUED_DIR}/{serial_hex(serial)}.crt"
        _write_atomic(self.directory / cert_file, _pem(der), mode=0o644)
        entry = IssuedCertificate(
            serial=serial,
            common_name=common_name,
            role=role,
            public_key=public_key,
            not_before_s=not_before,
            not_after_s=not_after,
            cert_file=cert_file,
            key_file=key_file,
            renewed_from=renewed_from,
        )
        _write_index(self.directory, self.org, (*issued, entry))
        return entry

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the CA's lock: the index read, changed and written by one command at a time."""
        fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def __repr__(self) -> str:
        return f"CertificateAuthority(org={self.org}, directory={self.directory})"


# ---------------------------------------------------------------------------- helpers
def _refuse_existing(directory: Path) -> None:
    if not directory.exists():
        return
    if (directory / CA_KEY_FILE).exists() or (directory / CA_CERT_FILE).exists():
        raise CaExistsError(path=str(directory), reason="there is one there already")
    if not directory.is_dir() or any(directory.iterdir()):
        raise CaExistsError(path=str(directory), reason="the folder is not empty")


def _find(issued: Sequence[IssuedCertificate], serial: int, org: str) -> IssuedCertificate:
    for certificate in issued:
        if certificate.serial == serial:
            return certificate
    raise UnknownSerialError(org=org, serial=serial_hex(serial))


def _new_serial(issued: Sequence[IssuedCertificate]) -> int:
    """Random 64 bits, positive: unguessable, and unique within the CA."""
    taken = {c.serial for c in issued}
    while True:
        serial = 1 + secrets.randbelow(2**64 - 1)
        if serial not in taken:
            return serial


def _check_days(days: int) -> None:
    if days < 1:
        raise InvalidValidityError(days=days)


def _write_index(directory: Path, org: str, issued: Sequence[IssuedCertificate]) -> None:
    document = {
        "format": INDEX_FORMAT,
        "version": INDEX_VERSION,
        "org": org,
        "certificates": [c.to_json() for c in issued],
    }
    _write_atomic(directory / INDEX_FILE, (json.dumps(document, indent=2) + "\n").encode(), 0o644)


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    """Replace `path` with `data` so that a reader sees the old file or the new one, never half."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _pem(der: bytes) -> bytes:
    return x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM)


def _now(now_s: int | None) -> int:
    return time.time_ns() // NS_PER_S if now_s is None else now_s


def _iso(seconds: int) -> str:
    return format_utc_ns(seconds * NS_PER_S)


def _parse_iso(text: str) -> int:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return delta.days * SECONDS_PER_DAY + delta.seconds
