"""Submitting signed transactions through the gateway: accepted, committed, refused (problem
details with the chain's own code), and a node that does not answer."""

from __future__ import annotations

import base64

from cornerstone.crypto import PrivateKey
from cornerstone.errors import MalformedTransactionError, StaleNonceError
from cornerstone.gateway.errors import BadRequestBodyError, NodeUnavailableError
from cornerstone.modules.notary.errors import NotOwnerError
from tests.conftest import admin_key, digest, org_key
from tests.unit.gateway.conftest import OCTETS, Harness

PROBLEM = "application/problem+json"


def test_raw_bytes_are_accepted_and_named_by_their_hash(
    harness: Harness, alice: PrivateKey
) -> None:
    tx = harness.tx(alice)
    answer = harness.http.post("/v1/transactions", content=tx.encode(), headers=OCTETS)
    assert answer.status_code == 202
    assert answer.json() == {"hash": tx.hash.hex()}
    assert harness.node.results[tx.hash]["tx_result"]["code"] == 0


def test_wait_for_commit_returns_height_code_and_events(
    harness: Harness, alice: PrivateKey
) -> None:
    tx = harness.tx(alice)
    answer = harness.http.post(
        "/v1/transactions?wait=commit", json={"hex": "0x" + tx.encode().hex()}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["hash"] == tx.hash.hex()
    assert body["height"] == harness.node.chain.height
    assert (body["code"], body["codespace"], body["log"]) == (0, "", "")
    assert body["gas_used"] > 0
    assert [event["type"] for event in body["events"]] == ["tx", "notary.anchored"]
    assert body["events"][1]["id"] == f"{body['height']}:0:1"
    assert body["events"][0]["attributes"]["sender"] == alice.public_key.fingerprint.hex()


def test_base64_bodies_work_too(harness: Harness, alice: PrivateKey) -> None:
    tx = harness.tx(alice)
    answer = harness.http.post(
        "/v1/transactions", json={"base64": base64.b64encode(tx.encode()).decode()}
    )
    assert answer.status_code == 202


def test_a_refusal_is_a_problem_with_the_chains_code_and_sentence(
    harness: Harness, alice: PrivateKey
) -> None:
    first = harness.tx(alice)
    harness.http.post("/v1/transactions", content=first.encode(), headers=OCTETS)
    harness.nonces[alice.public_key.raw] = 0  # the same nonce again
    again = harness.tx(alice, args={"digest": digest("other"), "metadata": {}})
    answer = harness.http.post("/v1/transactions", content=again.encode(), headers=OCTETS)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert (problem["codespace"], problem["code"]) == ("tx", StaleNonceError.code)
    assert problem["status"] == 422
    assert "was already used; the next nonce is 1" in problem["detail"]
    assert problem["type"] == f"urn:cornerstone:tx:{StaleNonceError.code}"
    assert problem["instance"] == "/v1/transactions"


def test_a_transaction_that_fails_in_its_block_is_committed_with_its_code(
    harness: Harness,
) -> None:
    owner, other = org_key("org1"), org_key("org2")
    document = digest("contract")
    harness.http.post(
        "/v1/transactions",
        content=harness.tx(owner, args={"digest": document, "metadata": {}}).encode(),
        headers=OCTETS,
    )
    revise = harness.tx(
        other, operation="revise", args={"document": document, "digest": digest("v2")}
    )
    answer = harness.http.post(
        "/v1/transactions?wait=commit", content=revise.encode(), headers=OCTETS
    )
    assert answer.status_code == 200
    body = answer.json()
    assert (body["codespace"], body["code"]) == ("notary", NotOwnerError.code)
    assert body["log"] and body["events"] == []


def test_bytes_that_are_no_transaction_are_400_with_the_decoders_code(harness: Harness) -> None:
    answer = harness.http.post("/v1/transactions", content=b"\x01\x02", headers=OCTETS)
    assert answer.status_code == 400
    assert (answer.json()["codespace"], answer.json()["code"]) == (
        "tx",
        MalformedTransactionError.code,
    )
    assert harness.node.broadcasts == 0, "malformed bytes never reach the node"


def test_a_body_without_a_transaction_is_refused(harness: Harness) -> None:
    for body in ({}, {"hex": "aa", "base64": "qg=="}, {"hex": "zz"}, {"hex": ""}):
        answer = harness.http.post("/v1/transactions", json=body)
        assert answer.status_code == 400, body
        assert (answer.json()["codespace"], answer.json()["code"]) == (
            "gateway",
            BadRequestBodyError.code,
        )
    text = harness.http.post(
        "/v1/transactions", content=b"hi", headers={"content-type": "text/plain"}
    )
    assert text.status_code == 400


def test_a_node_that_does_not_answer_is_503(harness: Harness) -> None:
    harness.node.reachable = False
    answer = harness.http.post(
        "/v1/transactions", content=harness.tx(admin_key("org1")).encode(), headers=OCTETS
    )
    assert answer.status_code == 503
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["code"] == NodeUnavailableError.code
    assert "does not answer" in answer.json()["detail"]
