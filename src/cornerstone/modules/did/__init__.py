"""DIDs and the on-chain half of verifiable credentials: the did:cornerstone method (create,
update, deactivate by the DID's controller; every version kept, so a DID resolves as of any
height), bindings of DIDs to organizations and members, the trust lists that say which issuers
verifiers accept for a credential type, and the issuers' Bitstring Status Lists.

Credentials themselves never go on chain: `cornerstone.vc` issues and verifies them off chain
against what this module records.
"""

from typing import Any

from cornerstone.identity.roles import Role
from cornerstone.module import Action, Genesis, Module, Operation, Query
from cornerstone.modules.did import genesis, handlers, invariants, queries
from cornerstone.modules.did.messages import (
    AllocateStatus,
    Bind,
    ChangeStatus,
    Create,
    Deactivate,
    DistrustIssuer,
    TrustIssuer,
    Update,
)
from cornerstone.policy import ALL_ORGS, SUBJECT_ORG, policy

MEMBERS = policy("ANY", ALL_ORGS, Role.ADMIN, Role.CLIENT)
"""Any admin or client of a member organization may send DID operations; which keys may
change a given DID is the DID document's own rule (handlers.py)."""
OWN_ADMIN = policy("ANY", SUBJECT_ORG, Role.ADMIN)
"""Binding a DID to an organization or member: that organization's admin."""
CONSORTIUM = policy("MAJORITY", ALL_ORGS, Role.ADMIN)
"""Trust lists: admins of more than half of the organizations, like other consortium-wide
rules (governance can set another policy for did.trust_issuer and did.distrust_issuer)."""


def _org(msg: Any) -> str:
    return str(msg.org)


MODULE = Module(
    name="did",
    operations={
        "create": Operation(Create, handlers.create, MEMBERS),
        "update": Operation(Update, handlers.update, MEMBERS),
        "deactivate": Operation(Deactivate, handlers.deactivate, MEMBERS),
        "bind": Operation(Bind, handlers.bind, OWN_ADMIN, subject=_org),
        "allocate_status": Operation(AllocateStatus, handlers.allocate_status, MEMBERS),
        "revoke_status": Operation(ChangeStatus, handlers.revoke_status, MEMBERS),
        "suspend_status": Operation(ChangeStatus, handlers.suspend_status, MEMBERS),
        "reinstate_status": Operation(ChangeStatus, handlers.reinstate_status, MEMBERS),
    },
    actions={
        "trust_issuer": Action(TrustIssuer, handlers.trust_issuer, CONSORTIUM),
        "distrust_issuer": Action(DistrustIssuer, handlers.distrust_issuer, CONSORTIUM),
    },
    queries={
        "resolve": Query(queries.Resolve, queries.resolve),
        "history": Query(queries.History, queries.history),
        "binding": Query(queries.Binding, queries.binding),
        "trusted": Query(queries.Trusted, queries.trusted),
        "status": Query(queries.Status, queries.status),
        "status_list": Query(queries.StatusList, queries.status_list),
    },
    genesis=Genesis(validate=genesis.validate, init=genesis.init, export=genesis.export),
    invariants={
        "versions_are_numbered_and_ordered": invariants.versions_are_numbered_and_ordered,
        "active_dids_have_a_controller": invariants.active_dids_have_a_controller,
        "status_indexes_are_below_the_counter": invariants.status_indexes_are_below_the_counter,
        "bindings_point_to_their_dids": invariants.bindings_point_to_their_dids,
    },
)

__all__ = ["MODULE"]
