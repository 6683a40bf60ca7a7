"""Membership genesis: founding organizations and their keys."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cornerstone.errors import ConfigError
from cornerstone.modules.membership import MODULE, get_member
from cornerstone.state import MemoryStore, State
from tests.conftest import genesis, org_key


def test_genesis_round_trip_and_lookup() -> None:
    document = genesis()["membership"]
    MODULE.genesis.validate(document)
    state = State(MemoryStore())
    MODULE.genesis.init(state, document)
    member = get_member(state, org_key("org2").public_key.raw)
    assert member is not None and member.org == "org2"
    exported = json.loads(json.dumps(MODULE.genesis.export(state)))
    assert sorted(exported["organizations"], key=lambda o: o["id"]) == document["organizations"]
    for invariant in MODULE.invariants.values():
        invariant(state)


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({}, "non-empty list"),
        ({"organizations": [{"id": "Bad Id", "name": "x"}]}, "not valid"),
        ({"organizations": [{"id": "a", "name": "x"}, {"id": "a", "name": "y"}]}, "twice"),
        ({"organizations": [{"id": "a"}]}, "no name"),
        ({"organizations": [{"id": "a", "name": "x", "members": ["zz"]}]}, "not hex"),
        (
            {
                "organizations": [
                    {"id": "a", "name": "x", "members": ["ab" * 32]},
                    {"id": "b", "name": "y", "members": ["ab" * 32]},
                ]
            },
            "listed twice",
        ),
    ],
)
def test_bad_genesis_is_refused_with_a_sentence(document: dict[str, Any], reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        MODULE.genesis.validate(document)
