"""wait=commit on the indexer's word: with the indexer following its node, a submitted
transaction's answer comes from the block the indexer wrote, without polling the node's `tx`
endpoint and without holding a server thread; nothing is left waiting afterwards. And the
indexer takes a block whose results are not there yet at its next look, without an error."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from cornerstone.crypto import PrivateKey
from cornerstone.gateway import create_app
from cornerstone.gateway.app import Gateway
from tests.conftest import make_tx
from tests.unit.cli.fake_rpc import RpcError
from tests.unit.gateway.conftest import OCTETS, Harness, settings
from tests.unit.gateway.fake_node import FakeNode

DEADLINE = 20.0


def wait_until(what: str, check: Any) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_a_following_gateway_answers_wait_commit_from_its_index(
    node: FakeNode, tmp_path: Path, alice: PrivateKey
) -> None:
    asked: list[Mapping[str, str]] = []
    lookup = node._methods["tx"]

    def counted(params: Mapping[str, str]) -> Any:
        asked.append(params)
        return lookup(params)

    node._methods["tx"] = counted
    app = create_app(settings(node, tmp_path / "gateway", follow=True))
    with TestClient(app) as http:
        gateway: Gateway = app.state.gateway
        wait_until("the indexer to reach the node", gateway.index_keeps_up)
        for nonce in range(3):
            tx = make_tx(alice, nonce)
            answer = http.post("/v1/transactions?wait=commit", content=tx.encode(), headers=OCTETS)
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert body["hash"] == tx.hash.hex()
            assert body["height"] == node.chain.height
            assert (body["code"], body["log"]) == (0, "")
            assert [event["type"] for event in body["events"]] == ["tx", "notary.anchored"]
            assert body["events"][1]["id"] == f"{body['height']}:0:1"
        assert asked == [], "the node's tx endpoint was polled"
        assert gateway.commits is not None and len(gateway.commits) == 0


def test_the_newest_block_not_executed_yet_is_taken_at_the_next_look(
    harness: Harness, alice: PrivateKey
) -> None:
    """CometBFT stores a block before it executes it: for a moment its height is the node's
    but its results are not there. The indexer stops before it, without an error (an error
    pauses indexing for a second and sends waiting requests to the node)."""
    harness.commit(alice, 2)
    newest = harness.node.chain.height
    results = harness.node._methods["block_results"]

    def not_yet(params: Mapping[str, str]) -> Any:
        if int(params["height"]) == newest:
            raise RpcError(f"block_results: could not find results for height #{newest}")
        return results(params)

    harness.node._methods["block_results"] = not_yet
    assert harness.sync() == newest - 1
    assert harness.gateway.indexer.last_error is None

    harness.node._methods["block_results"] = results
    assert harness.sync() == newest
