"""Read-only queries of the membership module. Each answer can be proven against the app hash
by reading the state keys it names (see `keys.py`) with `/store` and prove=true."""

from __future__ import annotations

from dataclasses import dataclass

from cornerstone import encoding
from cornerstone.crypto import Suite
from cornerstone.identity.certs import CertificateInfo, check_validity, serial_hex
from cornerstone.identity.errors import CertificateError
from cornerstone.module import Reader
from cornerstone.modules.membership.identity import verified_certificate
from cornerstone.modules.membership.messages import member_key_of
from cornerstone.modules.membership.state import (
    Organization,
    get_member,
    get_org,
    is_revoked,
    iter_members,
    iter_orgs,
    iter_revocations,
    iter_validators,
)


@dataclass(frozen=True, slots=True)
class Organizations:
    """Every organization, active and removed, with its validators and member count."""


def organizations(state: Reader, _query: Organizations) -> encoding.Value:
    return [_org_value(state, org) for org in iter_orgs(state)]


@dataclass(frozen=True, slots=True)
class OrganizationQuery:
    """One organization with its members, validators and revoked certificates."""

    id: str


def organization(state: Reader, query: OrganizationQuery) -> encoding.Value:
    org = get_org(state, query.id)
    if org is None:
        return None
    value = _org_value(state, org)
    value["members"] = [
        {
            "id": m.id,
            "public_key": m.public_key.raw,
            "suite": m.public_key.suite.value,
            "role": m.role.value,
            "name": m.name,
        }
        for m in iter_members(state)
        if m.org == org.id
    ]
    value["revoked"] = [
        {"serial": serial_hex(r.serial), "reason": r.reason, "height": r.height}
        for r in iter_revocations(state, org.id)
    ]
    return value


@dataclass(frozen=True, slots=True)
class MemberOf:
    """The registered member with this public key, if any."""

    public_key: bytes
    suite: str = Suite.ED25519.value


def member(state: Reader, query: MemberOf) -> encoding.Value:
    try:
        key = member_key_of(query.public_key, query.suite)
    except ValueError:
        return None
    found = get_member(state, key.fingerprint)
    if found is None:
        return None
    return {
        "id": found.id,
        "public_key": found.public_key.raw,
        "suite": found.public_key.suite.value,
        "org": found.org,
        "role": found.role.value,
        "name": found.name,
    }


@dataclass(frozen=True, slots=True)
class CertificateStatus:
    """Whether a member certificate would be accepted now, and if not why."""

    certificate: bytes
    """Its DER."""
    at: int = 0
    """Nanoseconds since the epoch to judge validity at (0: not checked)."""


def certificate_status(state: Reader, query: CertificateStatus) -> encoding.Value:
    try:
        info = verified_certificate(state, query.certificate)
    except CertificateError as error:
        return {"status": "refused", "code": error.code, "reason": error.message}
    answer = _certificate_value(info)
    if is_revoked(state, info.org, info.serial):
        return {**answer, "status": "revoked"}
    if query.at:
        try:
            check_validity(info, query.at)
        except CertificateError as error:
            return {**answer, "status": "invalid", "code": error.code, "reason": error.message}
    return {**answer, "status": "valid"}


@dataclass(frozen=True, slots=True)
class Validators:
    """The validator set as the application knows it, with each validator's organization."""


def validators(state: Reader, _query: Validators) -> encoding.Value:
    return [
        {"public_key": v.public_key, "org": v.org, "power": v.power} for v in iter_validators(state)
    ]


def _org_value(state: Reader, org: Organization) -> dict[str, encoding.Value]:
    value: dict[str, encoding.Value] = {
        "id": org.id,
        "name": org.name,
        "status": org.status,
        "since": org.since,
        "root_certificate": org.root,
        "nodes": list(org.nodes),
        "validators": [
            {"public_key": v.public_key, "power": v.power}
            for v in iter_validators(state)
            if v.org == org.id
        ],
    }
    if org.removed_at is not None:
        value["removed_at"] = org.removed_at
    return value


def _certificate_value(info: CertificateInfo) -> dict[str, encoding.Value]:
    return {
        "org": info.org,
        "role": info.role.value,
        "common_name": info.common_name,
        "serial": serial_hex(info.serial),
        "not_before": info.not_before_ns,
        "not_after": info.not_after_ns,
        "public_key": info.public_key.raw,
        "suite": info.public_key.suite.value,
    }
