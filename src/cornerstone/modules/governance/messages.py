"""Messages of the governance module: proposals and votes, and governance's own actions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

NAME_RE: Final = re.compile(r"[a-z][a-z0-9_]{0,63}")
MAX_TITLE: Final = 256


@dataclass(frozen=True, slots=True)
class Propose:
    """Put an action to the vote of the organizations its policy names. The proposer's
    organization approves it; it executes in the block where its policy is met."""

    module: str
    """The module that owns the action, e.g. "membership"."""
    action: str
    """The action, e.g. "add_organization"."""
    args: Mapping[str, object] = field(default_factory=dict)
    """The action's arguments."""
    title: str = ""
    """What it is for, for people."""
    voting_period: int = 0
    """Blocks it stays open; 0 takes the chain's default."""

    def __post_init__(self) -> None:
        if not NAME_RE.fullmatch(self.module) or not NAME_RE.fullmatch(self.action):
            raise ValueError("module and action are lowercase names")
        if len(self.title) > MAX_TITLE:
            raise ValueError(f"a title is at most {MAX_TITLE} characters")
        if self.voting_period < 0:
            raise ValueError("a voting period is not negative")


@dataclass(frozen=True, slots=True)
class CastVote:
    """An admin's vote for its organization; a later vote of the same organization replaces
    it while the proposal is open."""

    proposal: int
    approve: bool


@dataclass(frozen=True, slots=True)
class SetPolicy:
    """Set the policy of a resource ("<module>.<operation or action>")."""

    resource: str
    policy: Mapping[str, object]
    """{"rule": ..., "orgs": ..., "roles": [...]}, see `cornerstone.policy`."""


@dataclass(frozen=True, slots=True)
class SetParam:
    """Set a chain parameter."""

    name: str
    value: int
