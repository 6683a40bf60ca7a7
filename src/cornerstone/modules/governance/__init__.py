"""Governance: policies for every protected resource, and proposals that the organizations vote
on. A proposal executes its action exactly once, in the block where its policy is met."""

from cornerstone.identity.roles import Role
from cornerstone.module import Action, Genesis, Module, Operation, Query
from cornerstone.modules.governance import genesis, handlers, invariants, queries
from cornerstone.modules.governance.messages import CastVote, Propose, SetParam, SetPolicy
from cornerstone.policy import ALL_ORGS, policy

ADMINS = policy("ANY", ALL_ORGS, Role.ADMIN)
"""Who may send a proposal or a vote at all; the action's own policy then decides whose
approval counts."""
CONSORTIUM = policy("MAJORITY", ALL_ORGS, Role.ADMIN)

MODULE = Module(
    name="governance",
    changes_checks=True,
    operations={
        "propose": Operation(Propose, handlers.propose, ADMINS),
        "vote": Operation(CastVote, handlers.vote, ADMINS),
    },
    actions={
        "set_policy": Action(SetPolicy, handlers.set_policy, CONSORTIUM),
        "set_param": Action(SetParam, handlers.set_param, CONSORTIUM),
    },
    queries={
        "proposal": Query(queries.ProposalQuery, queries.proposal),
        "proposals": Query(queries.Proposals, queries.proposals),
        "policies": Query(queries.Policies, queries.policies),
        "params": Query(queries.ParamsQuery, queries.params),
    },
    genesis=Genesis(validate=genesis.validate, init=genesis.init, export=genesis.export),
    invariants={
        "open_index_matches_open_proposals": invariants.open_index_matches_open_proposals,
        "closed_proposals_say_when": invariants.closed_proposals_say_when,
    },
    end_block=handlers.end_block,
)

__all__ = ["MODULE"]
