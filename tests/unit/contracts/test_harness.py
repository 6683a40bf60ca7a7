"""The harness contract authors use: a contract file, in-memory state, a clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from cornerstone.contracts import ContractAbortedError, ContractRefusedError, Harness
from cornerstone.contracts.harness import BLOCK_SECONDS, START_TIME, sender_of

TOKENS = '''"""A token that organizations mint and pay with."""
from cornerstone_contract import export, query, Map, context, emit, require, has_role

balances = Map("balances", key=str, value=int)


@export
def mint(to: str, amount: int) -> None:
    require(has_role("org1", "admin"), "only an admin of org1 mints")
    require(amount > 0, "the amount must be positive")
    balances[to] = balances.get(to, 0) + amount
    emit("minted", to=to, amount=amount)


@export
def pay(to: str, amount: int) -> int:
    mine = balances.get(context.org, 0)
    require(0 < amount <= mine, "not enough funds")
    balances[context.org] = mine - amount
    balances[to] = balances.get(to, 0) + amount
    emit("paid", by=context.org, to=to, amount=amount)
    return context.height


@query
def balance(org: str) -> int:
    return balances.get(org, 0)
'''


def test_a_contract_file_runs_against_memory(tmp_path: Path) -> None:
    path = tmp_path / "tokens.py"
    path.write_text(TOKENS)
    h = Harness.from_file(path)
    h.call("mint", {"to": "org2", "amount": 10}, org="org1", role="admin")
    assert h.call("pay", {"to": "org3", "amount": 4}, org="org2") == 1
    assert h.state("balances") == {"org2": 6, "org3": 4}
    assert h.get("balances", "org3") == 4
    assert h.query("balance", {"org": "org2"}) == 6
    assert [e.type for e in h.events] == ["contract.tokens.minted", "contract.tokens.paid"]
    assert h.events[-1].attributes == (("by", "org2"), ("to", "org3"), ("amount", "4"))
    assert h.last_gas > 0


def test_a_refused_call_leaves_state_and_reports_gas() -> None:
    h = Harness(TOKENS, name="tokens")
    with pytest.raises(ContractAbortedError, match="only an admin of org1 mints"):
        h.call("mint", {"to": "org2", "amount": 10}, org="org2", role="admin")
    assert h.state("balances") == {}
    assert h.last_gas > 0
    assert h.events == []


def test_the_clock_and_the_sender() -> None:
    h = Harness(
        TOKENS
        + "\n\n@export\ndef when() -> list:\n"
        + "    return [context.height, context.time, context.sender]\n",
        name="tokens",
    )
    assert h.call("when") == [1, START_TIME, sender_of("org1")]
    h.next_block(3)
    assert h.call("when", org="org4", role="admin") == [
        4,
        START_TIME + 3 * BLOCK_SECONDS * 10**9,
        sender_of("org4", "admin"),
    ]
    assert h.call("when", sender=b"me", height=99)[::2] == [99, b"me"]  # type: ignore[index]


def test_a_contract_that_breaks_a_rule_is_refused_on_add() -> None:
    with pytest.raises(ContractRefusedError, match="import"):
        Harness("import os\n")


def test_unknown_maps_are_reported() -> None:
    h = Harness(TOKENS, name="tokens")
    with pytest.raises(KeyError):
        h.state("nothing")
