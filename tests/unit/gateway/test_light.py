"""GET /v1/light/{height}: a block's signed header and its whole validator set, in CometBFT's
JSON, which the SDK's light client verifies."""

from __future__ import annotations

from cornerstone.sdk.light import light_block_from_json
from cornerstone.sdk.light.verify import verify_self
from tests.unit.gateway.conftest import Harness
from tests.unit.sdk.light_chain import LightChain


def test_a_light_block_verifies_with_every_page_of_validators(harness: Harness) -> None:
    node = harness.node
    many = LightChain.of(150, node.chain.chain_id)  # more than one page of /validators
    for height in range(1, node.chain.height + 1):
        many.next(app_hash=node.app_hashes[height - 1])
    node.light_chain = many
    answer = harness.http.get(f"/v1/light/{node.chain.height}")
    assert answer.status_code == 200, answer.text
    block = light_block_from_json(answer.json())
    assert block.validators is not None
    assert len(block.validators.validators) == 150
    verify_self(node.chain.chain_id, block)
    assert block.header.app_hash == node.app_hashes[node.chain.height - 1]


def test_a_block_not_made_yet_is_not_found(harness: Harness) -> None:
    answer = harness.http.get(f"/v1/light/{harness.node.chain.height + 5}")
    assert answer.status_code == 404
    assert answer.json()["codespace"] == "gateway"


def test_the_answer_is_documented(harness: Harness) -> None:
    document = harness.http.get("/openapi.json").json()
    route = document["paths"]["/v1/light/{height}"]["get"]
    schema = route["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/LightBlock"}
    fields = document["components"]["schemas"]["LightBlock"]["properties"]
    assert set(fields) == {"height", "signed_header", "validators"}
