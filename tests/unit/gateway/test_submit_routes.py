"""The submit operation's two routes: a plain query takes the lean route, any other the
documented FastAPI one; clients see one operation, with the same answers and problems."""

from __future__ import annotations

import time

import pytest

from cornerstone.crypto import PrivateKey
from cornerstone.gateway.errors import BadParameterError
from cornerstone.gateway.routes.submit import DEFAULT_COMMIT_TIMEOUT, _plain_query
from tests.unit.gateway.conftest import OCTETS, Harness

DEADLINE = 10.0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (b"", ("none", DEFAULT_COMMIT_TIMEOUT)),
        (b"wait=none", ("none", DEFAULT_COMMIT_TIMEOUT)),
        (b"wait=commit", ("commit", DEFAULT_COMMIT_TIMEOUT)),
        (b"wait=commit&timeout=60", ("commit", 60.0)),
        (b"wait=commit&timeout=0.5", ("commit", 0.5)),
        (b"wait=commit&timeout=120", ("commit", 120.0)),
        (b"wait=commit&timeout=0", None),
        (b"wait=commit&timeout=121", None),
        (b"timeout=5&wait=commit", None),
        (b"wait=soon", None),
        (b"wait=commit&wait=none", None),
        (b"wait=%63ommit", None),
    ],
)
def test_only_plain_queries_take_the_lean_route(
    query: bytes, expected: tuple[str, float] | None
) -> None:
    assert _plain_query(query) == expected


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("wait=soon", "query.wait: Input should be 'none' or 'commit'"),
        ("wait=commit&timeout=0", "query.timeout: Input should be greater than 0"),
        ("wait=commit&timeout=500", "query.timeout: Input should be less than or equal to 120"),
    ],
)
def test_a_query_the_lean_route_leaves_is_validated_as_documented(
    harness: Harness, alice: PrivateKey, query: str, reason: str
) -> None:
    tx = harness.tx(alice)
    answer = harness.http.post(f"/v1/transactions?{query}", content=tx.encode(), headers=OCTETS)
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert (problem["codespace"], problem["code"]) == ("gateway", BadParameterError.code)
    assert problem["detail"] == reason
    assert tx.hash not in harness.node.results, "a refused request submits nothing"


def test_both_routes_answer_alike_and_count_as_one_operation(
    harness: Harness, alice: PrivateKey
) -> None:
    lean = harness.tx(alice)
    documented = harness.tx(alice)
    plain = harness.http.post("/v1/transactions?wait=commit", content=lean.encode(), headers=OCTETS)
    # An unknown parameter is not plain: FastAPI's route takes it, and ignores the parameter.
    other = harness.http.post(
        "/v1/transactions?wait=commit&trace=1", content=documented.encode(), headers=OCTETS
    )
    assert (plain.status_code, other.status_code) == (200, 200)
    assert plain.json().keys() == other.json().keys()
    assert (plain.json()["hash"], other.json()["hash"]) == (lean.hash.hex(), documented.hash.hex())
    counted = (
        'cornerstone_gateway_requests_total{route="/v1/transactions",method="POST",status="200"}'
    )
    # A request is counted once its answer is sent: the count may trail the answer a moment.
    deadline = time.monotonic() + DEADLINE
    while f"{counted} 2" not in harness.http.get("/metrics").text:
        assert time.monotonic() < deadline, "the two submissions were not counted as one route"
        time.sleep(0.01)
