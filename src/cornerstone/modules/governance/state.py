"""The only code that reads and writes the governance module's keys."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from cornerstone import encoding
from cornerstone.identity.roles import Role
from cornerstone.module import Reader, Writer
from cornerstone.modules.governance.keys import (
    NEXT_KEY,
    OPEN_PREFIX,
    PARAMS_KEY,
    POLICY_PREFIX,
    PROPOSAL_PREFIX,
    open_key,
    policy_key,
    proposal_key,
)
from cornerstone.policy import Policy, decode_policy, parse_policy
from cornerstone.types import Height

OPEN: Final = "open"
EXECUTED: Final = "executed"
FAILED: Final = "failed"
"""The policy was met but the action was refused when it ran (e.g. the organization it adds
exists by then); nothing of it was applied."""
REJECTED: Final = "rejected"
EXPIRED: Final = "expired"

DEFAULT_VOTING_PERIOD: Final = 100
MAX_VOTING_PERIOD: Final = 1_000_000


@dataclass(frozen=True, slots=True)
class Vote:
    """One organization's vote, as its latest vote left it."""

    approve: bool
    voter: bytes
    """The identity id of the admin who cast it."""
    role: Role
    height: Height


@dataclass(frozen=True, slots=True)
class Proposal:
    """A change put to the organizations' vote."""

    id: int
    module: str
    action: str
    args: Mapping[str, encoding.Value]
    """The action's arguments, as sent."""
    title: str
    policy: Policy
    """The policy of the action's resource when it was proposed: the one it is judged by."""
    subject: str | None
    """The organization the action concerns, for policies over "self"."""
    proposer: bytes
    org: str
    """The proposer's organization."""
    height: Height
    """Height it was proposed at."""
    deadline: Height
    """Last height at which it can pass; still open after that block, it expires."""
    status: str
    votes: Mapping[str, Vote]
    """Organization id -> its vote."""
    closed_at: Height | None = None
    outcome: str = ""
    """Why it failed, when it did."""

    @property
    def resource(self) -> str:
        return f"{self.module}.{self.action}"


@dataclass(frozen=True, slots=True)
class Params:
    voting_period: int
    """Blocks a proposal stays open when its proposer does not say."""


# ---------------------------------------------------------------------------- policies
def get_policy(state: Reader, resource: str) -> Policy | None:
    raw = state.get(policy_key(resource))
    return None if raw is None else _policy(raw)


@functools.lru_cache(maxsize=256)
def _policy(raw: bytes) -> Policy:
    # Read for every transaction; a pure function of the record's bytes.
    return decode_policy(raw)


def put_policy(state: Writer, resource: str, policy: Policy) -> None:
    state.set(policy_key(resource), policy.encode())


def iter_policies(state: Reader) -> Iterator[tuple[str, Policy]]:
    for key, raw in state.iterate(POLICY_PREFIX):
        yield key[len(POLICY_PREFIX) :].decode("ascii"), _policy(raw)


# ---------------------------------------------------------------------------- params
def get_params(state: Reader) -> Params:
    raw = state.get(PARAMS_KEY)
    if raw is None:
        return Params(voting_period=DEFAULT_VOTING_PERIOD)
    record = encoding.decode(raw)
    assert isinstance(record, dict)
    period = record["voting_period"]
    assert type(period) is int
    return Params(voting_period=period)


def put_params(state: Writer, params: Params) -> None:
    state.set(PARAMS_KEY, encoding.encode({"voting_period": params.voting_period}))


# ---------------------------------------------------------------------------- proposals
def next_proposal_id(state: Writer) -> int:
    raw = state.get(NEXT_KEY)
    proposal_id = 1 if raw is None else encoding.decode_int(raw)
    state.set(NEXT_KEY, encoding.encode_int(proposal_id + 1))
    return proposal_id


def get_proposal(state: Reader, proposal_id: int) -> Proposal | None:
    if not 0 < proposal_id < 1 << 64:
        return None
    raw = state.get(proposal_key(proposal_id))
    return None if raw is None else _decode_proposal(proposal_id, raw)


def put_proposal(state: Writer, proposal: Proposal) -> None:
    state.set(proposal_key(proposal.id), encoding.encode(_proposal_value(proposal)))
    if proposal.status == OPEN:
        state.set(open_key(proposal.deadline, proposal.id), b"")
    else:
        state.delete(open_key(proposal.deadline, proposal.id))


def iter_proposals(state: Reader, *, start: int = 1) -> Iterator[Proposal]:
    for key, raw in state.iterate(PROPOSAL_PREFIX, proposal_key(start)):
        yield _decode_proposal(int.from_bytes(key[len(PROPOSAL_PREFIX) :], "big"), raw)


def open_due(state: Reader, height: int) -> list[int]:
    """Ids of the open proposals whose deadline is `height` or earlier, by deadline."""
    due = []
    for key, _ in state.iterate(OPEN_PREFIX):
        deadline = int.from_bytes(key[len(OPEN_PREFIX) : len(OPEN_PREFIX) + 8], "big")
        if deadline > height:
            break
        due.append(int.from_bytes(key[len(OPEN_PREFIX) + 8 :], "big"))
    return due


def iter_open(state: Reader) -> Iterator[tuple[int, int]]:
    """(deadline, id) of every open proposal."""
    for key, _ in state.iterate(OPEN_PREFIX):
        body = key[len(OPEN_PREFIX) :]
        yield int.from_bytes(body[:8], "big"), int.from_bytes(body[8:], "big")


def _proposal_value(p: Proposal) -> dict[str, encoding.Value]:
    value: dict[str, encoding.Value] = {
        "module": p.module,
        "action": p.action,
        "args": dict(p.args),
        "title": p.title,
        "policy": p.policy.to_value(),
        "subject": p.subject,
        "proposer": p.proposer,
        "org": p.org,
        "height": p.height,
        "deadline": p.deadline,
        "status": p.status,
        "votes": {
            org: {
                "approve": vote.approve,
                "voter": vote.voter,
                "role": vote.role.value,
                "height": vote.height,
            }
            for org, vote in p.votes.items()
        },
        "outcome": p.outcome,
    }
    if p.closed_at is not None:
        value["closed_at"] = p.closed_at
    return value


def _decode_proposal(proposal_id: int, raw: bytes) -> Proposal:
    record = encoding.decode(raw)
    assert isinstance(record, dict)
    votes = record["votes"]
    args = record["args"]
    subject = record["subject"]
    closed_at = record.get("closed_at")
    assert isinstance(votes, dict) and isinstance(args, dict)
    return Proposal(
        id=proposal_id,
        module=str(record["module"]),
        action=str(record["action"]),
        args=args,
        title=str(record["title"]),
        policy=parse_policy(record["policy"]),
        subject=None if subject is None else str(subject),
        proposer=_bytes(record["proposer"]),
        org=str(record["org"]),
        height=Height(_int(record["height"])),
        deadline=Height(_int(record["deadline"])),
        status=str(record["status"]),
        votes={org: _vote(vote) for org, vote in votes.items()},
        closed_at=None if closed_at is None else Height(_int(closed_at)),
        outcome=str(record["outcome"]),
    )


def _vote(value: encoding.Value) -> Vote:
    assert isinstance(value, dict)
    approve = value["approve"]
    assert isinstance(approve, bool)
    return Vote(
        approve=approve,
        voter=_bytes(value["voter"]),
        role=Role(str(value["role"])),
        height=Height(_int(value["height"])),
    )


def _bytes(value: encoding.Value) -> bytes:
    assert isinstance(value, bytes)
    return value


def _int(value: encoding.Value) -> int:
    assert type(value) is int
    return value
