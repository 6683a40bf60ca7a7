"""Proposals, votes, and the end of voting: a proposal executes, exactly once, in the block
where its policy is met; it is rejected as soon as it can no longer pass; it expires after its
deadline height. Every vote is kept with the outcome."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

from cornerstone.chain import get_params as get_chain_params
from cornerstone.chain import put_params as put_chain_params
from cornerstone.errors import TransactionError
from cornerstone.module import Action, Context, Event, Events, Identity, Writer, parse_message
from cornerstone.modules.governance.errors import (
    InvalidActionError,
    InvalidParamError,
    InvalidPolicyError,
    NoSuchProposalError,
    NotEligibleError,
    ProposalClosedError,
    UnknownActionError,
    UnknownParamError,
    UnknownResourceError,
    VotingPeriodError,
)
from cornerstone.modules.governance.messages import CastVote, Propose, SetParam, SetPolicy
from cornerstone.modules.governance.state import (
    EXECUTED,
    EXPIRED,
    FAILED,
    MAX_VOTING_PERIOD,
    OPEN,
    REJECTED,
    Params,
    Proposal,
    Vote,
    get_params,
    get_policy,
    get_proposal,
    next_proposal_id,
    open_due,
    put_params,
    put_policy,
    put_proposal,
)
from cornerstone.modules.membership import active_org_ids
from cornerstone.policy import SUBJECT_ORG, Policy, parse_policy
from cornerstone.types import Height, Timestamp

PARAM_RANGES: Final[Mapping[str, tuple[int, int]]] = {
    "max_tx_bytes": (1024, 1 << 20),
    "voting_period": (1, MAX_VOTING_PERIOD),
}


# ---------------------------------------------------------------------------- operations
def propose(state: Writer, ctx: Context, msg: Propose) -> Events:
    action, message = find_action(msg.module, msg.action, msg.args)
    resource = f"{msg.module}.{msg.action}"
    policy = effective_policy(state, resource, action.policy)
    subject = action.subject(message) if action.subject else None
    members = active_org_ids(state)
    _require_eligible(policy, ctx.sender, members, subject, resource)
    period = msg.voting_period or get_params(state).voting_period
    if not 0 < period <= MAX_VOTING_PERIOD:
        raise VotingPeriodError(limit=MAX_VOTING_PERIOD, blocks=period)
    _dry_run(state, ctx, action, message)
    proposal = Proposal(
        id=next_proposal_id(state),
        module=msg.module,
        action=msg.action,
        args=dict(msg.args),  # type: ignore[arg-type]  # checked canonical by the decoder
        title=msg.title,
        policy=policy,
        subject=subject,
        proposer=ctx.sender.id,
        org=ctx.sender.org,
        height=ctx.height,
        deadline=Height(ctx.height + period),
        status=OPEN,
        votes={ctx.sender.org: _vote(ctx, approve=True)},
    )
    proposed = Event(
        "governance.proposed",
        (
            ("proposal", str(proposal.id)),
            ("resource", resource),
            ("org", proposal.org),
            ("deadline", str(proposal.deadline)),
        ),
    )
    return (proposed, *_settle(state, ctx, proposal, members))


def vote(state: Writer, ctx: Context, msg: CastVote) -> Events:
    proposal = get_proposal(state, msg.proposal)
    if proposal is None:
        raise NoSuchProposalError(proposal=msg.proposal)
    if proposal.status != OPEN:
        raise ProposalClosedError(
            proposal=proposal.id, status=proposal.status, height=proposal.closed_at
        )
    members = active_org_ids(state)
    _require_eligible(proposal.policy, ctx.sender, members, proposal.subject, proposal.resource)
    votes = {**proposal.votes, ctx.sender.org: _vote(ctx, approve=msg.approve)}
    proposal = replace(proposal, votes=dict(sorted(votes.items())))
    voted = Event(
        "governance.voted",
        (
            ("proposal", str(proposal.id)),
            ("org", ctx.sender.org),
            ("approve", "true" if msg.approve else "false"),
        ),
    )
    return (voted, *_settle(state, ctx, proposal, members))


def end_block(state: Writer, height: Height, _time: Timestamp) -> Events:
    """Close the proposals whose last height this block was."""
    events = []
    for proposal_id in open_due(state, height):
        proposal = get_proposal(state, proposal_id)
        assert proposal is not None and proposal.status == OPEN
        put_proposal(state, replace(proposal, status=EXPIRED, closed_at=height))
        events.append(Event("governance.expired", (("proposal", str(proposal_id)),)))
    return tuple(events)


# ---------------------------------------------------------------------------- actions
def set_policy(state: Writer, _ctx: Context, msg: SetPolicy) -> Events:
    _, has_subject = resource_default(msg.resource)
    try:
        policy = parse_policy(msg.policy)
    except ValueError as exc:
        raise InvalidPolicyError(resource=msg.resource, reason=str(exc)) from None
    if policy.orgs == SUBJECT_ORG and not has_subject:
        raise InvalidPolicyError(
            resource=msg.resource,
            reason='it concerns no particular organization, so "self" names none',
        )
    put_policy(state, msg.resource, policy)
    return (
        Event("governance.policy_set", (("resource", msg.resource), ("policy", policy.describe()))),
    )


def set_param(state: Writer, _ctx: Context, msg: SetParam) -> Events:
    bounds = PARAM_RANGES.get(msg.name)
    if bounds is None:
        raise UnknownParamError(name=msg.name, names=", ".join(PARAM_RANGES))
    low, high = bounds
    if not low <= msg.value <= high:
        raise InvalidParamError(name=msg.name, low=low, high=high, value=msg.value)
    if msg.name == "max_tx_bytes":
        put_chain_params(state, replace(get_chain_params(state), max_tx_bytes=msg.value))
    else:
        put_params(state, Params(voting_period=msg.value))
    return (Event("governance.param_set", (("name", msg.name), ("value", str(msg.value)))),)


# ---------------------------------------------------------------------------- helpers
def _dry_run(state: Writer, ctx: Context, action: Action, message: Any) -> None:
    """Run the action now and undo it, so that a proposal it would refuse in today's state (an
    unknown parameter, a root certificate of another organization, an organization that exists)
    is refused at once with the action's own error, instead of after every vote. A proposal
    that needs another to execute first is therefore proposed after it."""
    state.begin_transaction()
    try:
        action.execute(state, ctx, message)
    finally:
        state.rollback_transaction()


def find_action(module_name: str, action_name: str, args: Mapping[str, Any]) -> tuple[Action, Any]:
    """The action and its parsed message, or UnknownActionError / InvalidActionError."""
    from cornerstone.modules import BY_NAME  # the registry includes this module

    module = BY_NAME.get(module_name)
    action = module.actions.get(action_name) if module is not None else None
    if action is None:
        raise UnknownActionError(module=module_name, action=action_name)
    try:
        return action, parse_message(action.message, args)
    except ValueError as exc:
        raise InvalidActionError(module=module_name, action=action_name, reason=str(exc)) from None


def effective_policy(state: Writer, resource: str, default: Policy) -> Policy:
    return get_policy(state, resource) or default


def resource_default(resource: str) -> tuple[Policy, bool]:
    """The default policy of a resource and whether it concerns one organization."""
    from cornerstone.modules import BY_NAME

    module_name, _, name = resource.partition(".")
    module = BY_NAME.get(module_name)
    if module is not None:
        guarded = module.operations.get(name) or module.actions.get(name)
        if guarded is not None:
            return guarded.policy, guarded.subject is not None
    raise UnknownResourceError(resource=resource)


def _require_eligible(
    policy: Policy,
    sender: Identity,
    members: tuple[str, ...],
    subject: str | None,
    resource: str,
) -> None:
    if sender.role not in policy.roles or sender.org not in policy.eligible(members, subject):
        raise NotEligibleError(
            org=sender.org, role=sender.role.value, resource=resource, policy=policy.describe()
        )


def _vote(ctx: Context, *, approve: bool) -> Vote:
    return Vote(approve=approve, voter=ctx.sender.id, role=ctx.sender.role, height=ctx.height)


def _settle(state: Writer, ctx: Context, proposal: Proposal, members: tuple[str, ...]) -> Events:
    verdict = proposal.policy.evaluate(
        {org: (v.role,) for org, v in proposal.votes.items() if v.approve},
        members=members,
        subject=proposal.subject,
        refusals=[org for org, v in proposal.votes.items() if not v.approve],
    )
    ref = ("proposal", str(proposal.id))
    if verdict.passed:
        action, message = find_action(proposal.module, proposal.action, proposal.args)
        state.begin_transaction()
        try:
            events = tuple(action.execute(state, ctx, message))
        except TransactionError as error:
            state.rollback_transaction()
            failed = replace(proposal, status=FAILED, closed_at=ctx.height, outcome=error.message)
            put_proposal(state, failed)
            return (Event("governance.failed", (ref, ("reason", error.message))),)
        state.commit_transaction()
        put_proposal(state, replace(proposal, status=EXECUTED, closed_at=ctx.height))
        return (Event("governance.executed", (ref, ("resource", proposal.resource))), *events)
    if verdict.failed:
        put_proposal(state, replace(proposal, status=REJECTED, closed_at=ctx.height))
        return (Event("governance.rejected", (ref,)),)
    put_proposal(state, proposal)
    return ()
