"""The SQL index: it catches up from the node, copies what the chain decided, continues where
it stopped after a restart, and is rebuilt when it belongs to another chain."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cornerstone.crypto import PrivateKey
from cornerstone.gateway import create_app
from cornerstone.gateway.index import BlockRecord, Index
from cornerstone.modules.notary.errors import NotOwnerError
from tests.conftest import admin_key, digest, genesis, make_tx, org_key
from tests.unit.gateway.conftest import OCTETS, Harness, settings
from tests.unit.gateway.fake_node import FakeNode


def rows(index: Index) -> dict[str, list[tuple[object, ...]]]:
    with index.reader() as db:
        return {
            table: [tuple(row) for row in db.execute(f"SELECT * FROM {table} ORDER BY 1, 2")]
            for table in ("blocks", "transactions", "events", "organizations", "proposals")
        }


def test_catch_up_copies_every_block_transaction_and_event(
    harness: Harness, alice: PrivateKey, bob: PrivateKey
) -> None:
    sent = harness.commit(alice, 3) + harness.commit(bob, 2)
    assert harness.sync() == harness.node.chain.height == 6  # block 1 is empty

    blocks = harness.http.get("/v1/blocks?order=asc").json()["items"]
    assert [block["height"] for block in blocks] == [1, 2, 3, 4, 5, 6]
    assert [block["tx_count"] for block in blocks] == [0, 1, 1, 1, 1, 1]
    assert blocks[1]["app_hash"] == harness.node.app_hashes[1].hex()

    found = harness.http.get(f"/v1/transactions/{sent[3].hash.hex()}").json()
    assert found["sender"] == bob.public_key.fingerprint.hex()
    assert (found["module"], found["operation"], found["nonce"]) == ("notary", "anchor", 0)
    assert (found["height"], found["index"], found["code"]) == (5, 0, 0)
    assert found["raw"] == sent[3].encode().hex()
    assert [event["type"] for event in found["events"]] == ["tx", "notary.anchored"]

    events = harness.http.get("/v1/events?type=notary.anchored").json()["items"]
    assert [event["tx_hash"] for event in events] == [tx.hash.hex() for tx in sent]


def test_a_failed_transaction_is_indexed_with_the_chains_code(harness: Harness) -> None:
    document = digest("doc")
    harness.http.post(
        "/v1/transactions",
        content=harness.tx(org_key("org1"), args={"digest": document, "metadata": {}}).encode(),
        headers=OCTETS,
    )
    revise = harness.tx(
        org_key("org2"), operation="revise", args={"document": document, "digest": digest("x")}
    )
    harness.http.post("/v1/transactions", content=revise.encode(), headers=OCTETS)
    harness.sync()
    failed = harness.http.get("/v1/transactions?failed=true").json()["items"]
    assert [(tx["hash"], tx["codespace"], tx["code"]) for tx in failed] == [
        (revise.hash.hex(), "notary", NotOwnerError.code)
    ]
    assert "owner" in failed[0]["log"]


def test_organizations_and_proposals_are_the_modules_answers(harness: Harness) -> None:
    harness.sync()
    orgs = harness.http.get("/v1/organizations").json()["items"]
    assert [org["id"] for org in orgs] == ["org1", "org2", "org3", "org4"]
    assert orgs[0]["status"] == "active" and orgs[0]["record"]["name"] == "Organization org1"
    assert harness.http.get("/v1/proposals").json()["items"] == []

    propose = harness.tx(
        admin_key("org1"),
        module="governance",
        operation="propose",
        args={
            "module": "governance",
            "action": "set_param",
            "args": {"name": "voting_period", "value": 7},
            "title": "shorter votes",
        },
    )
    committed = harness.http.post(
        "/v1/transactions?wait=commit", content=propose.encode(), headers=OCTETS
    )
    assert committed.json()["code"] == 0, committed.json()
    harness.sync()
    [proposal] = harness.http.get("/v1/proposals?status=open").json()["items"]
    assert (proposal["id"], proposal["org"], proposal["action"]) == (1, "org1", "set_param")
    assert proposal["record"]["title"] == "shorter votes"
    assert proposal["as_of_height"] == harness.node.chain.height


def test_a_restart_continues_where_the_index_stopped(
    node: FakeNode, tmp_path: Path, alice: PrivateKey
) -> None:
    folder = tmp_path / "gateway"
    with TestClient(create_app(settings(node, folder))) as http:
        for nonce in range(3):
            http.post("/v1/transactions", content=make_tx(alice, nonce).encode(), headers=OCTETS)
        http.app.state.gateway.indexer.catch_up(limit=2)  # type: ignore[attr-defined]
        assert http.app.state.gateway.index.height() == 2  # type: ignore[attr-defined]
    with TestClient(create_app(settings(node, folder))) as http:
        gateway = http.app.state.gateway  # type: ignore[attr-defined]
        assert gateway.index.height() == 2
        gateway.indexer.catch_up()
        first = rows(gateway.index)
        gateway.indexer.catch_up()  # nothing new: nothing changes
        assert rows(gateway.index) == first
    assert [row[0] for row in first["blocks"]] == [1, 2, 3, 4]
    assert len(first["transactions"]) == 3 and len(first["events"]) == 6
    with TestClient(create_app(settings(node, tmp_path / "in-one-go"))) as http:
        # The same chain indexed without a stop gives exactly the same rows.
        http.app.state.gateway.indexer.catch_up()  # type: ignore[attr-defined]
        assert rows(http.app.state.gateway.index) == first  # type: ignore[attr-defined]


def test_a_block_is_written_only_after_the_one_before(tmp_path: Path) -> None:
    index = Index(tmp_path)
    try:
        later = BlockRecord(
            height=2, hash=b"\x01", time="t", proposer=b"", app_hash=b"", txs=(), block_events=()
        )
        with pytest.raises(ValueError, match="does not follow"):
            index.write_block(later)
        assert index.height() == 0
    finally:
        index.close()


def test_an_index_of_another_chain_is_rebuilt(node: FakeNode, tmp_path: Path) -> None:
    folder = tmp_path / "gateway"
    with TestClient(create_app(settings(node, folder))) as http:
        gateway = http.app.state.gateway  # type: ignore[attr-defined]
        for nonce in range(2):
            node.produce([make_tx(org_key("org1"), nonce).encode()])
        gateway.indexer.catch_up()
        assert gateway.index.height() == 3
    other = FakeNode.started(genesis(), chain_id="other-chain")
    with TestClient(create_app(settings(other, folder))) as http:
        gateway = http.app.state.gateway  # type: ignore[attr-defined]
        assert gateway.indexer.catch_up() == 1
        assert gateway.index.meta("chain_id") == "other-chain"
        assert gateway.index.counts()["transactions"] == 0


def test_the_running_counts_match_the_rows(harness: Harness, alice: PrivateKey) -> None:
    harness.commit(alice, 3)
    harness.sync()
    index = harness.gateway.index
    with index.reader() as db:
        actual = {
            table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("transactions", "events")
        }
    assert index.counts() == actual == {"transactions": 3, "events": 6}
