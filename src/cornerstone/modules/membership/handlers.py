"""One function per membership message: the operations an organization's admin sends, and the
actions a governance proposal carries out when its policy is met."""

from __future__ import annotations

from dataclasses import replace

from cornerstone.identity.certs import root_info, serial_hex
from cornerstone.identity.errors import CertificateError
from cornerstone.identity.roles import Role
from cornerstone.module import Context, Event, Events, Reader, Writer
from cornerstone.modules.membership.errors import (
    AlreadyRevokedError,
    InvalidRootCertificateError,
    LastValidatorError,
    MemberExistsError,
    NodeOwnedError,
    NoSuchOrganizationError,
    OrganizationExistsError,
    OrganizationRemovedError,
    UnknownMemberError,
    UnknownValidatorError,
    ValidatorOwnedError,
)
from cornerstone.modules.membership.messages import (
    AddOrganization,
    RegisterMember,
    RemoveMember,
    RemoveOrganization,
    RevokeCertificate,
    RotateRoot,
    SetNodes,
    SetValidator,
    member_key_of,
)
from cornerstone.modules.membership.state import (
    ACTIVE,
    REMOVED,
    Member,
    Organization,
    Revocation,
    Validator,
    delete_member,
    get_member,
    get_org,
    get_validator,
    is_revoked,
    iter_orgs,
    iter_validators,
    put_member,
    put_org,
    put_revocation,
    put_validator,
)


# ---------------------------------------------------------------------------- operations
def register_member(state: Writer, ctx: Context, msg: RegisterMember) -> Events:
    active_org(state, msg.org)
    key = member_key_of(msg.public_key, msg.suite)
    known = get_member(state, key.fingerprint)
    if known is not None:
        raise MemberExistsError(key=key.hex(), org=known.org)
    put_member(state, Member(public_key=key, org=msg.org, role=Role(msg.role), name=msg.name))
    return (
        Event(
            "membership.member_registered",
            (
                ("org", msg.org),
                ("member", key.fingerprint.hex()),
                ("role", msg.role),
                ("by", ctx.sender.id.hex()),
            ),
        ),
    )


def remove_member(state: Writer, ctx: Context, msg: RemoveMember) -> Events:
    key = member_key_of(msg.public_key, msg.suite)
    known = get_member(state, key.fingerprint)
    if known is None or known.org != msg.org:
        raise UnknownMemberError(key=key.hex(), org=msg.org)
    delete_member(state, key.fingerprint)
    return (
        Event(
            "membership.member_removed",
            (("org", msg.org), ("member", key.fingerprint.hex()), ("by", ctx.sender.id.hex())),
        ),
    )


# ---------------------------------------------------------------------------- actions
def add_organization(state: Writer, ctx: Context, msg: AddOrganization) -> Events:
    if get_org(state, msg.id) is not None:
        raise OrganizationExistsError(org=msg.id)
    check_root(msg.id, msg.root_certificate)
    _check_nodes_free(state, msg.id, msg.nodes)
    for key in msg.validators:
        if get_validator(state, key) is not None:
            owner = get_validator(state, key)
            raise ValidatorOwnedError(key=key.hex(), owner=owner.org if owner else "", org=msg.id)
    put_org(
        state,
        Organization(
            id=msg.id,
            name=msg.name,
            root=msg.root_certificate,
            nodes=tuple(sorted(msg.nodes)),
            status=ACTIVE,
            since=ctx.height,
        ),
    )
    for key in msg.validators:
        put_validator(state, Validator(public_key=key, org=msg.id, power=msg.power))
    return (
        Event(
            "membership.organization_added",
            (("org", msg.id), ("validators", str(len(msg.validators)))),
        ),
    )


def remove_organization(state: Writer, ctx: Context, msg: RemoveOrganization) -> Events:
    org = active_org(state, msg.id)
    for validator in tuple(iter_validators(state)):
        if validator.org == org.id:
            put_validator(state, replace(validator, power=0))
    _require_a_validator(state)
    put_org(state, replace(org, status=REMOVED, removed_at=ctx.height))
    return (Event("membership.organization_removed", (("org", org.id),)),)


def rotate_root(state: Writer, _ctx: Context, msg: RotateRoot) -> Events:
    org = active_org(state, msg.org)
    check_root(org.id, msg.root_certificate)
    put_org(state, replace(org, root=msg.root_certificate))
    return (Event("membership.root_rotated", (("org", org.id),)),)


def revoke_certificate(state: Writer, ctx: Context, msg: RevokeCertificate) -> Events:
    if get_org(state, msg.org) is None:
        raise NoSuchOrganizationError(org=msg.org)
    if is_revoked(state, msg.org, msg.serial):
        raise AlreadyRevokedError(serial=serial_hex(msg.serial), org=msg.org)
    put_revocation(
        state, Revocation(org=msg.org, serial=msg.serial, reason=msg.reason, height=ctx.height)
    )
    return (
        Event(
            "membership.certificate_revoked",
            (("org", msg.org), ("serial", serial_hex(msg.serial)), ("reason", msg.reason)),
        ),
    )


def set_validator(state: Writer, _ctx: Context, msg: SetValidator) -> Events:
    active_org(state, msg.org)
    known = get_validator(state, msg.public_key)
    if known is not None and known.org != msg.org:
        raise ValidatorOwnedError(key=msg.public_key.hex(), owner=known.org, org=msg.org)
    if known is None and msg.power == 0:
        raise UnknownValidatorError(key=msg.public_key.hex())
    put_validator(state, Validator(public_key=msg.public_key, org=msg.org, power=msg.power))
    _require_a_validator(state)
    return (
        Event(
            "membership.validator_set",
            (("org", msg.org), ("key", msg.public_key.hex()), ("power", str(msg.power))),
        ),
    )


def set_nodes(state: Writer, _ctx: Context, msg: SetNodes) -> Events:
    org = active_org(state, msg.org)
    _check_nodes_free(state, org.id, msg.nodes)
    put_org(state, replace(org, nodes=tuple(sorted(msg.nodes))))
    return (Event("membership.nodes_set", (("org", org.id), ("nodes", ",".join(msg.nodes)))),)


# ---------------------------------------------------------------------------- shared checks
def active_org(state: Reader, org_id: str) -> Organization:
    org = get_org(state, org_id)
    if org is None:
        raise NoSuchOrganizationError(org=org_id)
    if not org.active:
        raise OrganizationRemovedError(org=org_id, height=org.removed_at)
    return org


def check_root(org_id: str, root: bytes) -> None:
    try:
        info = root_info(root)
    except CertificateError as error:
        raise InvalidRootCertificateError(org=org_id, reason=error.message) from None
    if info.org != org_id:
        raise InvalidRootCertificateError(
            org=org_id, reason=f"its subject names the organization {info.org!r}"
        )


def _check_nodes_free(state: Reader, org_id: str, nodes: tuple[str, ...]) -> None:
    for other in iter_orgs(state):
        if other.id == org_id or not other.active:
            continue
        for node in nodes:
            if node in other.nodes:
                raise NodeOwnedError(node=node, owner=other.id)


def _require_a_validator(state: Reader) -> None:
    if not any(v.power > 0 for v in iter_validators(state)):
        raise LastValidatorError()
