"""Schemathesis against the gateway's own OpenAPI document, in-process over ASGI: for every
documented operation, generated requests (valid and invalid) must get no server error, a
documented status code, a documented content type, and a body that fits the documented schema.

The gateway runs over the fake node with a few blocks, transactions and events indexed, a
managed key with its console token, and its blob token, so the generated requests reach the
routes' real work rather than only their refusals. The run is bounded and repeatable:
derandomized generation, a few examples per operation, no deadline (the first request of an
operation may be slow on a busy machine, which says nothing about the API).

`from_asgi` starts the app's lifespan; schemathesis's pytest plugin ends it when each test
ends. The operations are looped over here rather than parametrized with
`schemathesis.pytest.from_fixture`, whose lazy schema fails on this pytest (it sets a private
`_nodeid` that pytest 9 no longer has).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from hypothesis.strategies import SearchStrategy
from schemathesis import Case, CheckFunction, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cornerstone.crypto import save_key
from cornerstone.gateway import create_app
from cornerstone.gateway.limits import RateLimit
from tests.conftest import admin_key, make_tx, validator_key
from tests.unit.gateway.conftest import settings
from tests.unit.gateway.fake_node import FakeNode

KEY_NAME = "org1-admin"
BLOB_TOKEN = "schema-test-blob-token-0123456789"
BLOCKS = 4
"""Blocks with a transaction each, indexed before the run."""
TOP = BLOCKS + 1
"""The chain's height once they are made (the fake starts at one empty block)."""
EXAMPLES = 20
"""Generated requests per operation."""
REQUEST_TIMEOUT = 10.0
"""Seconds a request may take: none should come near it."""
CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def gateway_schema(node: FakeNode, tmp_path: Path) -> schemathesis.BaseSchema:
    key = admin_key("org1")
    key_file = tmp_path / "keys" / f"{KEY_NAME}.json"
    save_key(key_file, key, name="org1 admin")
    blob_token_file = tmp_path / "blob.token"
    blob_token_file.write_text(BLOB_TOKEN)
    blob_token_file.chmod(0o600)
    app = create_app(
        settings(
            node,
            tmp_path / "gateway",
            managed_keys=((KEY_NAME, key_file),),
            console_token_file=tmp_path / "console.token",
            blob_token_file=blob_token_file,
            # Hundreds of requests from one client: the rate limit has its own tests.
            rate_limit=RateLimit(rate=1e9, burst=10**9),
        )
    )
    for nonce in range(BLOCKS):
        node.produce([make_tx(key, nonce).encode()])
    assert app.state.gateway.indexer.catch_up() == TOP
    serve_network(node)
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_answers_as_documented(
    gateway_schema: schemathesis.BaseSchema, tmp_path: Path, mode: GenerationMode
) -> None:
    console_token = (tmp_path / "console.token").read_text().strip()
    for result in gateway_schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        headers: dict[str, str] = {}
        query = None
        checks = CHECKS
        if operation.path == "/healthz":
            # Its documented answer when the index trails the node is 503; the fake node makes
            # a block at each status call, and this index does not follow it.
            checks = [check for check in CHECKS if check is not not_a_server_error]
        elif operation.path == "/v1/stream":
            # Without an end the stream waits for blocks that never come: end it at the top.
            query = {"to_height": TOP}
        elif operation.path.startswith("/v1/managed"):
            headers["authorization"] = f"Bearer {console_token}"
        elif operation.path.startswith("/v1/blobs"):
            headers["authorization"] = f"Bearer {BLOB_TOKEN}"
        try:
            check_operation(
                operation.as_strategy(generation_mode=mode, query=query),
                headers=headers,
                checks=checks,
            )
        except hypothesis.errors.Unsatisfiable:
            # Every request the document allows is valid (path parameters that are any text,
            # no query, no body): there is no invalid one to make.
            assert mode is GenerationMode.NEGATIVE, operation.label
        except Exception as error:
            error.add_note(f"in {operation.label}, {mode.value} examples")
            raise


def check_operation(
    cases: SearchStrategy[Case[Any]], *, headers: dict[str, str], checks: list[CheckFunction]
) -> None:
    """Send `EXAMPLES` of `cases` and check each answer."""

    @hypothesis.given(case=cases)
    @hypothesis.settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[
            hypothesis.HealthCheck.too_slow,
            hypothesis.HealthCheck.filter_too_much,
        ],
    )
    def answers_as_documented(case: Case[Any]) -> None:
        case.call_and_validate(headers=headers, checks=checks, timeout=REQUEST_TIMEOUT)

    answers_as_documented()


def serve_network(node: FakeNode) -> None:
    """The RPC calls of /v1/network the fake node does not serve, as CometBFT v0.38 answers."""
    plain_status = node._methods["status"]

    def status(params: Mapping[str, str]) -> dict[str, Any]:
        answer: dict[str, Any] = plain_status(params)
        answer["node_info"] |= {"id": "ab" * 20, "version": "0.38.26"}
        answer["sync_info"]["latest_block_time"] = "2026-12-01T14:00:00.123456789Z"
        return answer

    def validators(_params: Mapping[str, str]) -> dict[str, Any]:
        key = validator_key("org1").public_key.raw
        validator = {
            "address": "CD" * 20,
            "pub_key": {
                "type": "tendermint/PubKeyEd25519",
                "value": base64.b64encode(key).decode(),
            },
            "voting_power": "10",
            "proposer_priority": "0",
        }
        return {"validators": [validator]}

    def net_info(_params: Mapping[str, str]) -> dict[str, Any]:
        return {"n_peers": "0", "peers": []}

    node._methods |= {"status": status, "validators": validators, "net_info": net_info}


def test_the_streams_events_fit_the_document(gateway_schema: schemathesis.BaseSchema) -> None:
    """Generated stream requests rarely start low enough to see an event: this one sees them
    all, and each event's `data` is checked against the document's EventOut."""
    case = gateway_schema["/v1/stream"]["GET"].Case(query={"from_height": 1, "to_height": TOP})
    streamed = case.call_and_validate(checks=CHECKS, timeout=REQUEST_TIMEOUT)
    listed = gateway_schema["/v1/events"]["GET"].Case(query={"limit": 100}).call().json()
    assert listed["items"], "the fixture indexed events"
    assert streamed.text.count("data: ") == len(listed["items"])
