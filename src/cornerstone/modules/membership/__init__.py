"""Membership: the consortium's organizations (each with its root CA certificate, nodes and
validators), the keys their admins register, revoked certificates, and who a sender is.

Admins register and remove their own organization's keys directly; admitting or removing an
organization, rotating a root, revoking a certificate, changing validators or an organization's
nodes are actions of governance proposals.
"""

from typing import Any

from cornerstone.identity.roles import Role
from cornerstone.module import Action, Genesis, Module, Operation, Query
from cornerstone.modules.membership import genesis, handlers, invariants, queries
from cornerstone.modules.membership.identity import resolve_sender
from cornerstone.modules.membership.messages import (
    AddOrganization,
    RegisterMember,
    RemoveMember,
    RemoveOrganization,
    RevokeCertificate,
    RotateRoot,
    SetNodes,
    SetValidator,
)
from cornerstone.modules.membership.state import (
    Member,
    Organization,
    active_org_ids,
    get_member,
    get_org,
    iter_orgs,
    take_validator_updates,
)
from cornerstone.policy import ALL_ORGS, SUBJECT_ORG, policy

OWN_ADMIN = policy("ANY", SUBJECT_ORG, Role.ADMIN)
"""An admin of the organization concerned, alone."""
CONSORTIUM = policy("MAJORITY", ALL_ORGS, Role.ADMIN)
"""Admins of more than half of the member organizations."""


def _org(msg: Any) -> str:
    return str(msg.org)


def _id(msg: Any) -> str:
    return str(msg.id)


MODULE = Module(
    name="membership",
    changes_checks=True,
    operations={
        "register_member": Operation(
            RegisterMember, handlers.register_member, OWN_ADMIN, subject=_org
        ),
        "remove_member": Operation(RemoveMember, handlers.remove_member, OWN_ADMIN, subject=_org),
    },
    actions={
        "add_organization": Action(
            AddOrganization, handlers.add_organization, CONSORTIUM, subject=_id
        ),
        "remove_organization": Action(
            RemoveOrganization, handlers.remove_organization, CONSORTIUM, subject=_id
        ),
        "rotate_root": Action(RotateRoot, handlers.rotate_root, CONSORTIUM, subject=_org),
        "revoke_certificate": Action(
            RevokeCertificate, handlers.revoke_certificate, OWN_ADMIN, subject=_org
        ),
        "set_validator": Action(SetValidator, handlers.set_validator, CONSORTIUM, subject=_org),
        "set_nodes": Action(SetNodes, handlers.set_nodes, OWN_ADMIN, subject=_org),
    },
    queries={
        "organizations": Query(queries.Organizations, queries.organizations),
        "organization": Query(queries.OrganizationQuery, queries.organization),
        "member": Query(queries.MemberOf, queries.member),
        "certificate": Query(queries.CertificateStatus, queries.certificate_status),
        "validators": Query(queries.Validators, queries.validators),
    },
    genesis=Genesis(validate=genesis.validate, init=genesis.init, export=genesis.export),
    invariants={
        "members_belong_to_organizations": invariants.members_belong_to_organizations,
        "validators_belong_to_active_organizations": (
            invariants.validators_belong_to_active_organizations
        ),
        "no_validator_update_outlives_its_block": invariants.no_validator_update_outlives_its_block,
    },
)

__all__ = [
    "MODULE",
    "Member",
    "Organization",
    "active_org_ids",
    "get_member",
    "get_org",
    "iter_orgs",
    "resolve_sender",
    "take_validator_updates",
]
