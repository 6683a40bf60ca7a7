"""Module records in a real network's gateway index: an anchor and a DID submitted through one
organization's gateway are listed, filtered and read by id through another's, as their modules
answer on that node (the DID's organization read from the node's state at a height)."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest

from cornerstone.crypto import load_key
from cornerstone.localnet import Localnet
from cornerstone.tx import sign_transaction
from tests.network.conftest import LocalnetFactory
from tests.network.test_gateway import TIMEOUT, wait_for

pytestmark = pytest.mark.network


def test_records_submitted_through_one_gateway_are_listed_by_another(
    localnets: LocalnetFactory,
) -> None:
    net: Localnet = localnets.make(app="cornerstone")
    writer, reader = net.node(2), net.node(1)
    key = load_key(net.key_file(2))
    document = hashlib.sha256(b"a record for the index").digest()
    with httpx.Client(timeout=TIMEOUT, trust_env=False) as http:
        for node in (writer, reader):
            wait_for(
                f"{node.name}'s gateway to follow its node",
                lambda url=node.gateway_url: http.get(f"{url}/healthz").status_code == 200,
            )

        def submit(nonce: int, module: str, operation: str, args: Any) -> dict[str, Any]:
            tx = sign_transaction(
                key,
                chain_id=net.chain_id,
                nonce=nonce,
                module=module,
                operation=operation,
                args=args,
                gas_limit=1_000_000,
            )
            answer = http.post(
                f"{writer.gateway_url}/v1/transactions",
                params={"wait": "commit"},
                content=tx.encode(),
                headers={"content-type": "application/octet-stream"},
            )
            assert answer.status_code == 200, answer.text
            committed: dict[str, Any] = answer.json()
            assert committed["code"] == 0, committed
            return committed

        anchored = submit(0, "notary", "anchor", {"digest": document, "metadata": {"n": "1"}})
        created = submit(1, "did", "create", {"name": "records", "services": []})
        [did] = [e["attributes"]["did"] for e in created["events"] if e["type"] == "did.created"]

        def listed(path: str, **params: str) -> list[dict[str, Any]]:
            answer = http.get(f"{reader.gateway_url}{path}", params=params)
            assert answer.status_code == 200, answer.text
            items: list[dict[str, Any]] = answer.json()["items"]
            return items

        [found] = wait_for("the reader's index to list the DID", lambda: listed("/v1/dids"))
        assert (found["id"], found["org"], found["status"]) == (did, "org2", "active")
        assert found["created_height"] == created["height"] == found["updated_height"]
        assert found["record"]["didDocument"]["id"] == did
        assert listed("/v1/dids", org="org1") == []

        [document_row] = listed("/v1/anchors", org="org2")
        assert document_row["id"] == document.hex()
        assert document_row["created_height"] == anchored["height"]
        assert document_row["owner"] == key.public_key.fingerprint.hex()
        one = http.get(f"{reader.gateway_url}/v1/anchors/{document.hex()}")
        assert one.status_code == 200 and one.json()["record"]["metadata"] == {"n": "1"}
