"""Policies: who must approve an action, as a rule over organizations and roles.

A policy names the organizations whose approval counts (every member organization, only the
organization the action concerns, or a list), the roles that may approve for them, and how
many of those organizations must approve:

    {"rule": "MAJORITY", "orgs": "*",    "roles": ["admin"]}    more than half of all members
    {"rule": "ANY",      "orgs": "self", "roles": ["admin"]}    an admin of the org concerned
    {"rule": "2/3",      "orgs": ["org1", "org2", "org3"], "roles": ["admin"]}
    {"rule": "2", ...}  {"rule": "ALL", ...}

An organization approves once, whichever of its members signs. A transaction sent directly is
the approval of its sender's organization alone; anything that needs more goes through a
governance proposal, whose votes are the approvals. Evaluation is pure integer arithmetic over
sorted organization ids, so every node reaches the same verdict.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from cornerstone import encoding
from cornerstone.identity.roles import Role

ALL_ORGS: Final = "*"
SUBJECT_ORG: Final = "self"

_COUNT = re.compile(r"[1-9][0-9]{0,3}")
_FRACTION = re.compile(r"([1-9][0-9]{0,3})/([1-9][0-9]{0,3})")

RuleKind = Literal["ANY", "ALL", "MAJORITY", "count", "fraction"]


@dataclass(frozen=True, slots=True)
class Rule:
    """How many of the eligible organizations must approve."""

    kind: RuleKind
    numerator: int = 0
    """The count for "count"; the numerator for "fraction"."""
    denominator: int = 1
    """The denominator for "fraction"."""

    def threshold(self, eligible: int) -> int:
        """Approvals needed out of `eligible` organizations (more than `eligible`: never met)."""
        if self.kind == "ANY":
            return 1
        if self.kind == "ALL":
            return max(eligible, 1)
        if self.kind == "MAJORITY":
            return eligible // 2 + 1
        if self.kind == "count":
            return self.numerator
        # ceil(eligible * n / d) in integers, and at least one approval.
        return max(-(-eligible * self.numerator // self.denominator), 1)

    def __str__(self) -> str:
        if self.kind == "count":
            return str(self.numerator)
        if self.kind == "fraction":
            return f"{self.numerator}/{self.denominator}"
        return self.kind


@dataclass(frozen=True, slots=True)
class Policy:
    """Who must approve an action."""

    rule: Rule
    orgs: str | tuple[str, ...]
    """ALL_ORGS, SUBJECT_ORG, or the organization ids whose approval counts."""
    roles: tuple[Role, ...]
    """The roles whose signature counts as their organization's approval (sorted)."""

    def eligible(self, members: Sequence[str], subject: str | None) -> tuple[str, ...]:
        """The member organizations whose approval counts, sorted."""
        if self.orgs == ALL_ORGS:
            return tuple(sorted(members))
        if self.orgs == SUBJECT_ORG:
            return (subject,) if subject is not None and subject in members else ()
        return tuple(sorted(org for org in self.orgs if org in members))

    def evaluate(
        self,
        approvals: Mapping[str, Iterable[Role]],
        *,
        members: Sequence[str],
        subject: str | None = None,
        refusals: Iterable[str] = (),
    ) -> Verdict:
        """Count `approvals` (organization -> roles of its members who approved) against the
        rule; `refusals` are organizations that voted no."""
        eligible = self.eligible(members, subject)
        approved = tuple(
            org for org in eligible if any(role in self.roles for role in approvals.get(org, ()))
        )
        refused = set(refusals)
        open_orgs = sum(1 for org in eligible if org not in approved and org not in refused)
        needed = self.rule.threshold(len(eligible))
        return Verdict(
            approved=approved,
            eligible=eligible,
            threshold=needed,
            passed=len(approved) >= needed,
            failed=len(approved) + open_orgs < needed,
        )

    def describe(self) -> str:
        """The policy as a sentence fragment, e.g. "MAJORITY of all organizations (admin)"."""
        if self.orgs == ALL_ORGS:
            whom = "all organizations"
        elif self.orgs == SUBJECT_ORG:
            whom = "the organization concerned"
        else:
            whom = ", ".join(self.orgs)
        return f"{self.rule} of {whom} ({', '.join(self.roles)})"

    def to_value(self) -> dict[str, encoding.Value]:
        orgs: encoding.Value = self.orgs if isinstance(self.orgs, str) else list(self.orgs)
        return {"rule": str(self.rule), "orgs": orgs, "roles": [r.value for r in self.roles]}

    def encode(self) -> bytes:
        return encoding.encode(self.to_value())


@dataclass(frozen=True, slots=True)
class Verdict:
    """The state of a policy's approvals."""

    approved: tuple[str, ...]
    """Eligible organizations that approved, sorted."""
    eligible: tuple[str, ...]
    """Organizations whose approval counts, sorted."""
    threshold: int
    """Approvals needed."""
    passed: bool
    """The threshold is met."""
    failed: bool
    """It can no longer be met, even if every organization that has not voted approves."""


def parse_policy(value: object) -> Policy:
    """A policy from its map form (genesis JSON or state); ValueError with a sentence."""
    if not isinstance(value, Mapping):
        raise ValueError("a policy is a map with 'rule', 'orgs' and 'roles'")
    unknown = sorted(set(value) - {"rule", "orgs", "roles"})
    if unknown:
        raise ValueError(f"a policy has no field {unknown[0]!r}")
    rule = parse_rule(value.get("rule"))
    orgs = value.get("orgs", ALL_ORGS)
    parsed_orgs: str | tuple[str, ...]
    if orgs in (ALL_ORGS, SUBJECT_ORG):
        parsed_orgs = str(orgs)
    elif isinstance(orgs, list | tuple) and orgs and all(isinstance(o, str) for o in orgs):
        if len(set(orgs)) != len(orgs):
            raise ValueError("a policy lists an organization twice")
        parsed_orgs = tuple(sorted(orgs))
    else:
        raise ValueError('a policy\'s \'orgs\' is "*", "self" or a non-empty list of ids')
    roles = value.get("roles")
    if not isinstance(roles, list | tuple) or not roles:
        raise ValueError("a policy's 'roles' is a non-empty list of roles")
    try:
        parsed_roles = tuple(sorted({Role(r) for r in roles}))
    except ValueError:
        raise ValueError(f"a policy's roles are among {', '.join(r.value for r in Role)}") from None
    if rule.kind == "fraction" and rule.numerator > rule.denominator:
        raise ValueError(f"the fraction {rule} is more than all organizations")
    return Policy(rule=rule, orgs=parsed_orgs, roles=parsed_roles)


def parse_rule(text: object) -> Rule:
    if text in ("ANY", "ALL", "MAJORITY"):
        return Rule(kind=text)
    if isinstance(text, str):
        if _COUNT.fullmatch(text):
            return Rule(kind="count", numerator=int(text))
        fraction = _FRACTION.fullmatch(text)
        if fraction:
            return Rule(
                kind="fraction",
                numerator=int(fraction.group(1)),
                denominator=int(fraction.group(2)),
            )
    raise ValueError(
        f'the rule {text!r} is not ANY, ALL, MAJORITY, a count like "2" or a fraction like "2/3"'
    )


def decode_policy(raw: bytes) -> Policy:
    return parse_policy(encoding.decode(raw))


def policy(rule: str, orgs: str | Sequence[str], *roles: Role) -> Policy:
    """A policy in code: `policy("MAJORITY", ALL_ORGS, Role.ADMIN)`."""
    return parse_policy(
        {"rule": rule, "orgs": orgs if isinstance(orgs, str) else list(orgs), "roles": roles}
    )
