"""Policies: rules over organizations and roles, judged the same way on every node."""

from __future__ import annotations

import pytest

from cornerstone.identity.roles import Role
from cornerstone.policy import parse_policy, policy

MEMBERS = ("org1", "org2", "org3", "org4", "org5")
ADMIN = (Role.ADMIN,)


@pytest.mark.parametrize(
    ("rule", "needed"),
    [("ANY", 1), ("ALL", 5), ("MAJORITY", 3), ("2", 2), ("2/3", 4), ("1/2", 3), ("1/5", 1)],
)
def test_each_rule_needs_its_number_of_organizations(rule: str, needed: int) -> None:
    rules = policy(rule, "*", Role.ADMIN)
    approvals = {org: ADMIN for org in MEMBERS[: needed - 1]}
    assert not rules.evaluate(approvals, members=MEMBERS).passed
    approvals[MEMBERS[needed - 1]] = ADMIN
    verdict = rules.evaluate(approvals, members=MEMBERS)
    assert verdict.passed and verdict.threshold == needed


def test_only_eligible_organizations_and_roles_count() -> None:
    rules = policy("ALL", ["org1", "org2", "org9"], Role.ADMIN)
    assert rules.eligible(MEMBERS, None) == ("org1", "org2"), "org9 is no member"
    verdict = rules.evaluate(
        {"org1": ADMIN, "org2": (Role.CLIENT,), "org3": ADMIN}, members=MEMBERS
    )
    assert verdict.approved == ("org1",) and not verdict.passed
    own = policy("ANY", "self", Role.ADMIN)
    assert own.evaluate({"org2": ADMIN}, members=MEMBERS, subject="org2").passed
    assert not own.evaluate({"org1": ADMIN}, members=MEMBERS, subject="org2").passed


def test_a_policy_fails_once_the_refusals_make_it_unreachable() -> None:
    rules = policy("MAJORITY", "*", Role.ADMIN)
    assert not rules.evaluate({}, members=MEMBERS, refusals=["org1", "org2"]).failed
    assert rules.evaluate({}, members=MEMBERS, refusals=["org1", "org2", "org3"]).failed


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"rule": "SOME", "orgs": "*", "roles": ["admin"]}, "is not ANY"),
        ({"rule": "0", "orgs": "*", "roles": ["admin"]}, "is not ANY"),
        ({"rule": "3/2", "orgs": "*", "roles": ["admin"]}, "more than all"),
        ({"rule": "ANY", "orgs": [], "roles": ["admin"]}, "'orgs'"),
        ({"rule": "ANY", "orgs": ["a", "a"], "roles": ["admin"]}, "twice"),
        ({"rule": "ANY", "orgs": "*", "roles": []}, "'roles'"),
        ({"rule": "ANY", "orgs": "*", "roles": ["king"]}, "roles are among"),
        ({"rule": "ANY", "orgs": "*", "roles": ["admin"], "extra": 1}, "no field"),
        ("ANY", "a map"),
    ],
)
def test_bad_policies_are_refused_with_a_sentence(value: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_policy(value)


def test_a_policy_round_trips_through_its_map_form() -> None:
    rules = policy("2/3", ["org2", "org1"], Role.CLIENT, Role.ADMIN)
    assert parse_policy(rules.to_value()) == rules
    assert rules.describe() == "2/3 of org1, org2 (admin, client)"
