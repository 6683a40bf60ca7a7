"""What operators and client generators read: /healthz, /metrics and /openapi.json."""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute

from cornerstone.crypto import PrivateKey
from tests.unit.gateway.conftest import OCTETS, Harness


def test_health_tells_whether_the_index_follows_a_reachable_node(
    harness: Harness, alice: PrivateKey
) -> None:
    harness.commit(alice, 7)
    behind = harness.http.get("/healthz")
    assert behind.status_code == 503
    assert behind.json()["lag"] == 8 and behind.json()["node_reachable"]
    harness.sync()
    healthy = harness.http.get("/healthz").json()
    assert healthy["ok"] and healthy["lag"] == 0 and healthy["chain_id"] == "test-chain"
    harness.node.reachable = False
    down = harness.http.get("/healthz")
    assert down.status_code == 503
    assert down.json()["node_reachable"] is False and down.json()["chain_height"] is None


def test_metrics_count_heights_transactions_requests_and_submits(
    harness: Harness, alice: PrivateKey
) -> None:
    harness.commit(alice, 2)
    harness.http.post(
        "/v1/transactions?wait=commit", content=harness.tx(alice).encode(), headers=OCTETS
    )
    harness.sync()
    harness.http.get("/v1/blocks/2")
    harness.http.get("/v1/blocks/999")
    answer = harness.http.get("/metrics")
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = parse_metrics(answer.text)
    assert samples["cornerstone_gateway_chain_height"] == 4
    assert samples["cornerstone_gateway_index_height"] == 4
    assert samples["cornerstone_gateway_indexed_transactions"] == 3
    requests = 'cornerstone_gateway_requests_total{route="/v1/blocks/{height}",method="GET",'
    assert samples[requests + 'status="200"}'] == 1
    assert samples[requests + 'status="404"}'] == 1
    assert samples['cornerstone_gateway_submit_seconds_count{wait="none"}'] == 2
    assert samples['cornerstone_gateway_submit_seconds_count{wait="commit"}'] == 1
    assert samples['cornerstone_gateway_submit_seconds_bucket{wait="commit",le="+Inf"}'] == 1
    assert samples["cornerstone_gateway_mempool_txs"] == 0  # the node's, from its RPC
    harness.node.reachable = False
    unreachable = parse_metrics(harness.http.get("/metrics").text)
    assert "cornerstone_gateway_mempool_txs" not in unreachable  # unknown, not a false zero
    assert unreachable["cornerstone_gateway_index_height"] == 4


def parse_metrics(text: str) -> dict[str, float]:
    """Samples by name and labels; every metric has HELP and TYPE before its samples."""
    samples: dict[str, float] = {}
    described: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            described.add(line.split()[2])
        elif line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            base = re.sub(r"(_bucket|_sum|_count)?\{.*$", "", name)
            assert base in described or name.split("{")[0] in described, line
            samples[name] = float(value)
    return samples


def test_the_openapi_document_lists_every_route_with_its_schemas(harness: Harness) -> None:
    document = harness.http.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    routes = {
        (route.path_format, method.lower())
        for route in harness.http.app.routes  # type: ignore[attr-defined]
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    listed = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes == listed
    schemas = document["components"]["schemas"]
    for name in ("Problem", "Block", "Transaction", "EventOut", "BlockPage", "Health"):
        assert name in schemas, name
    assert "The block it is in." in schemas["Transaction"]["properties"]["height"]["description"]
    for ref in refs(document):
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    submit = document["paths"]["/v1/transactions"]["post"]
    assert set(submit["requestBody"]["content"]) == {"application/json", "application/octet-stream"}
    assert submit["responses"]["422"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    assert submit["responses"]["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Accepted"
    }


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in refs(value)]
    return []
