"""Contracts on a real network: installed by a vote of the organizations' admins, called through
different nodes, and a contract that loops forever is stopped by gas while the chain goes on and
every node keeps the same state."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from cornerstone.contracts.errors import ContractOutOfGasError
from cornerstone.crypto import load_key
from cornerstone.errors import TransactionFailedError
from cornerstone.localnet import Localnet
from cornerstone.localnet.ports import find_free_base_port
from cornerstone.sdk import Client, Signer

pytestmark = pytest.mark.network

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "contracts"
PROPOSAL_GAS = 2_000_000
"""Enough for a proposal that carries a contract's source and for the vote that installs it."""
CALL_GAS = 1_000_000
DEADLINE = 60.0

SPINNER = """
from cornerstone_contract import Map, export, query

marks = Map("marks", key=str, value=int)


@export
def spin() -> None:
    marks["before"] = 1
    while True:
        marks["before"] = marks["before"] + 1


@query
def mark() -> int:
    return marks.get("before", 0)
"""


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Localnet]:
    network = Localnet.create(
        tmp_path_factory.mktemp("contracts"), orgs=4, base_port=find_free_base_port(4)
    )
    try:
        network.start()
        yield network
    finally:
        network.stop()


def install(net: Localnet, name: str, source: str) -> None:
    """Org1's admin proposes; org2's and org3's admins vote, each through its own node."""
    with Client(net.node(1).rpc_url) as client:
        admin = Signer(client, load_key(net.admin_key_file(1)))
        args = {"name": name, "version": "1.0", "source": source, "org": "org1"}
        proposed = admin.submit(
            "governance",
            "propose",
            {"module": "contracts", "action": "install", "args": args},
            gas_limit=PROPOSAL_GAS,
        )
    [proposal] = [
        int(a["proposal"]) for kind, a in proposed.events if kind == "governance.proposed"
    ]
    for index in (2, 3):
        with Client(net.node(index).rpc_url) as client:
            voter = Signer(client, load_key(net.admin_key_file(index)))
            voter.submit(
                "governance",
                "vote",
                {"proposal": proposal, "approve": True},
                gas_limit=PROPOSAL_GAS,
            )
    # The last vote committed through node3; node1 may be a block behind it for a moment.
    with Client(net.node(1).rpc_url) as client:
        deadline = time.monotonic() + DEADLINE
        while (
            (found := client.query("governance", "proposal", id=proposal))
            and isinstance(found, dict)
            and found["status"] == "open"
            and time.monotonic() < deadline
        ):
            time.sleep(0.2)
        assert isinstance(found, dict) and found["status"] == "executed", found


def call(net: Localnet, org: int, contract: str, function: str, args: Mapping[str, Any]) -> None:
    with Client(net.node(org).rpc_url) as client:
        Signer(client, load_key(net.key_file(org))).submit(
            "contracts",
            "call",
            {"contract": contract, "function": function, "args": dict(args)},
            gas_limit=CALL_GAS,
        )


def query_everywhere(net: Localnet, contract: str, function: str, **args: Any) -> list[Any]:
    answers = []
    for node in net.nodes:
        with Client(node.rpc_url) as client:
            answers.append(
                client.query("contracts", "query", contract=contract, function=function, args=args)
            )
    return answers


def test_an_installed_contract_runs_the_same_on_every_node(net: Localnet) -> None:
    install(net, "registry", (EXAMPLES / "asset_registry.py").read_text())
    call(net, 1, "registry", "register", {"asset": "crane-7", "description": "harbour crane"})
    call(net, 1, "registry", "transfer", {"asset": "crane-7", "to": "org2"})
    net.wait_for_height(_height(net) + 1, timeout=DEADLINE)
    assert query_everywhere(net, "registry", "held_by", org="org2") == [["crane-7"]] * 4
    record = query_everywhere(net, "registry", "lookup", asset="crane-7")[0]
    assert record["owner"] == "org2" and record["transfers"] == 1


def test_a_contract_that_loops_forever_is_stopped_and_changes_nothing(net: Localnet) -> None:
    install(net, "spinner", SPINNER)
    with pytest.raises(TransactionFailedError) as failed:
        call(net, 2, "spinner", "spin", {})
    assert (failed.value.fields["codespace"], failed.value.fields["tx_code"]) == (
        "contract",
        ContractOutOfGasError.code,
    )
    start = _height(net)
    net.wait_for_height(start + 2, timeout=DEADLINE)
    assert query_everywhere(net, "spinner", "mark") == [0] * 4, "its writes were undone"
    hashes = net.app_hashes(start + 1)
    assert len(set(hashes.values())) == 1, hashes


def _height(net: Localnet) -> int:
    deadline = time.monotonic() + DEADLINE
    while True:
        heights = [status.height for status in net.status() if status.height is not None]
        if heights:
            return max(heights)
        if time.monotonic() > deadline:
            raise AssertionError("no node answers")
        time.sleep(0.2)
