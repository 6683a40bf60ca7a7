"""State through the gateway: keys with proofs a client can check again, and module queries
with typed arguments."""

from __future__ import annotations

from cornerstone import encoding
from cornerstone.crypto import PrivateKey
from cornerstone.errors import ProofError, UnknownModuleError
from cornerstone.gateway.errors import BadParameterError
from cornerstone.state.proof import Proof, verify_proof
from tests.conftest import digest
from tests.unit.gateway.conftest import Harness


def test_a_proven_value_comes_with_a_proof_the_client_can_check(harness: Harness) -> None:
    answer = harness.http.get("/v1/state/membership/org/org1")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["value"] and body["decoded"]["name"] == "Organization org1"
    assert body["app_hash"] == harness.node.app_hashes[body["height"]].hex()
    assert body["proof_type"] == "cornerstone/smt/v1"
    verify_proof(
        bytes.fromhex(body["app_hash"]),
        b"membership/org/org1",
        bytes.fromhex(body["value"]),
        Proof.decode(bytes.fromhex(body["proof"])),
    )


def test_absence_is_proven_too_and_binary_keys_are_hex(harness: Harness) -> None:
    body = harness.http.get("/v1/state/0x" + b"notary/nothing".hex()).json()
    assert body["key"] == b"notary/nothing".hex() and body["value"] is None
    verify_proof(
        bytes.fromhex(body["app_hash"]),
        b"notary/nothing",
        None,
        Proof.decode(bytes.fromhex(body["proof"])),
    )
    unproven = harness.http.get("/v1/state/membership/org/org1", params={"prove": "false"})
    assert unproven.json()["proof"] is None and unproven.json()["value"]
    assert harness.http.get("/v1/state/0xzz").status_code == 400


def test_module_queries_take_typed_arguments(harness: Harness, alice: PrivateKey) -> None:
    anchored = digest("anchored")
    harness.http.post(
        "/v1/transactions?wait=commit",
        json={"hex": harness.tx(alice, args={"digest": anchored, "metadata": {}}).encode().hex()},
    )
    found = harness.http.get("/v1/modules/notary/lookup", params={"digest": anchored.hex()})
    assert found.status_code == 200, found.text
    assert found.json()["value"]["owner"] == alice.public_key.fingerprint.hex()
    orgs = harness.http.get("/v1/modules/membership/organizations").json()["value"]
    assert [org["id"] for org in orgs] == ["org1", "org2", "org3", "org4"]
    page = harness.http.get("/v1/modules/governance/proposals", params={"limit": "5"})
    assert page.json()["value"] == []


def test_module_query_mistakes_are_problems(harness: Harness) -> None:
    unknown = harness.http.get("/v1/modules/nothing/here")
    assert unknown.status_code == 404
    assert (unknown.json()["codespace"], unknown.json()["code"]) == ("tx", UnknownModuleError.code)
    not_a_number = harness.http.get("/v1/modules/governance/proposal", params={"id": "x"})
    assert not_a_number.status_code == 400
    assert not_a_number.json()["code"] == BadParameterError.code
    extra = harness.http.get("/v1/modules/governance/proposal", params={"id": "1", "colour": "x"})
    assert extra.status_code == 400 and extra.json()["codespace"] == "tx"
    assert encoding.decode(encoding.encode(None)) is None


def test_a_proof_that_does_not_verify_is_a_bad_gateway(harness: Harness) -> None:
    height = harness.node.chain.height
    harness.node.app_hashes[height] = b"\x00" * 32  # the next header will carry a wrong hash
    answer = harness.http.get("/v1/state/membership/org/org1")
    assert answer.status_code == 502
    assert (answer.json()["codespace"], answer.json()["code"]) == ("cornerstone", ProofError.code)
