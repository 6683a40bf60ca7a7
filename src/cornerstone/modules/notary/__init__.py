"""Notary: anchor a document's digest with metadata, look it up, and let only its owner revise."""

from cornerstone.identity.roles import Role
from cornerstone.module import Genesis, Module, Operation, Query
from cornerstone.modules.notary import genesis, handlers, invariants, queries
from cornerstone.modules.notary.messages import Anchor, Revise
from cornerstone.policy import ALL_ORGS, policy

SENDERS = policy("ANY", ALL_ORGS, Role.ADMIN, Role.CLIENT)
"""By default any admin or client of any member organization may anchor and revise."""

MODULE = Module(
    name="notary",
    operations={
        "anchor": Operation(Anchor, handlers.anchor, SENDERS),
        "revise": Operation(Revise, handlers.revise, SENDERS),
    },
    queries={"lookup": Query(queries.Lookup, queries.lookup)},
    genesis=Genesis(validate=genesis.validate, init=genesis.init, export=genesis.export),
    invariants={
        "every_digest_points_to_its_version": invariants.every_digest_points_to_its_version,
        "revisions_are_numbered_without_gaps": invariants.revisions_are_numbered_without_gaps,
    },
)

__all__ = ["MODULE", "Anchor", "Revise"]
