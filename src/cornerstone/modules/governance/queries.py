"""Read-only queries of the governance module."""

from __future__ import annotations

from dataclasses import dataclass

from cornerstone import encoding
from cornerstone.chain import get_params as chain_params
from cornerstone.module import Reader
from cornerstone.modules.governance.genesis import all_defaults
from cornerstone.modules.governance.state import (
    Proposal,
    get_params,
    get_policy,
    get_proposal,
    iter_proposals,
)

MAX_PAGE = 100


@dataclass(frozen=True, slots=True)
class ProposalQuery:
    """One proposal with its votes and outcome."""

    id: int


def proposal(state: Reader, query: ProposalQuery) -> encoding.Value:
    found = get_proposal(state, query.id)
    return None if found is None else proposal_value(found)


@dataclass(frozen=True, slots=True)
class Proposals:
    """Proposals in id order from `start`, optionally only those with `status`."""

    start: int = 1
    limit: int = 20
    status: str = ""


def proposals(state: Reader, query: Proposals) -> encoding.Value:
    limit = max(1, min(query.limit, MAX_PAGE))
    found: list[encoding.Value] = []
    for p in iter_proposals(state, start=max(query.start, 1)):
        if query.status and p.status != query.status:
            continue
        found.append(proposal_value(p))
        if len(found) == limit:
            break
    return found


@dataclass(frozen=True, slots=True)
class Policies:
    """The policy in force for every resource."""


def policies(state: Reader, _query: Policies) -> encoding.Value:
    return {
        resource: (get_policy(state, resource) or default).to_value()
        for resource, default in sorted(all_defaults().items())
    }


@dataclass(frozen=True, slots=True)
class ParamsQuery:
    """Governance's parameters."""


def params(state: Reader, _query: ParamsQuery) -> encoding.Value:
    """Every parameter `set_param` changes: the chain's and governance's own."""
    chain = chain_params(state)
    return {
        "voting_period": get_params(state).voting_period,
        "max_tx_bytes": chain.max_tx_bytes,
        "block_max_gas": chain.block_max_gas,
    }


def proposal_value(p: Proposal) -> dict[str, encoding.Value]:
    return {
        "id": p.id,
        "module": p.module,
        "action": p.action,
        "resource": p.resource,
        "args": dict(p.args),
        "title": p.title,
        "policy": p.policy.to_value(),
        "policy_text": p.policy.describe(),
        "subject": p.subject,
        "proposer": p.proposer,
        "org": p.org,
        "height": p.height,
        "deadline": p.deadline,
        "status": p.status,
        "votes": {
            org: {"approve": v.approve, "voter": v.voter, "role": v.role.value, "height": v.height}
            for org, v in p.votes.items()
        },
        "closed_at": p.closed_at,
        "outcome": p.outcome,
    }
