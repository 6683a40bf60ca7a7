"""Request size and rate limits answer 413 and 429 problems; health and metrics are never
limited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from fastapi.testclient import TestClient

from cornerstone.gateway import RateLimit, create_app
from cornerstone.gateway.auth import AuthSettings
from cornerstone.gateway.errors import BodyTooLargeError, RateLimitedError
from tests.unit.gateway.conftest import OCTETS, settings
from tests.unit.gateway.fake_node import FakeNode


def test_a_body_over_the_limit_is_413_whether_announced_or_streamed(
    node: FakeNode, tmp_path: Path
) -> None:
    app = create_app(settings(node, tmp_path, max_body_bytes=100))
    with TestClient(app) as http:
        announced = http.post("/v1/transactions", content=b"\x01" * 101, headers=OCTETS)
        assert announced.status_code == 413
        assert announced.headers["content-type"] == "application/problem+json"
        assert announced.json()["code"] == BodyTooLargeError.code

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            for _ in range(5):
                yield b"\x01" * 40

        streamed = http.post("/v1/transactions", content=chunks(), headers=OCTETS)
        assert streamed.status_code == 413
        assert node.broadcasts == 0


def test_each_client_has_its_own_bucket(node: FakeNode, tmp_path: Path) -> None:
    now = [0.0]
    app = create_app(
        settings(
            node,
            tmp_path,
            rate_limit=RateLimit(rate=1.0, burst=2),
            # Anonymous addresses get a fifth of a member's by default: the same here.
            auth=AuthSettings(anonymous_rate_limit=RateLimit(rate=1.0, burst=2)),
            clock=lambda: now[0],
            trust_identity_header=True,
        )
    )
    with TestClient(app) as http:
        assert [http.get("/v1/blocks").status_code for _ in range(2)] == [200, 200]
        refused = http.get("/v1/blocks")
        assert refused.status_code == 429
        assert refused.json()["code"] == RateLimitedError.code
        assert refused.headers["retry-after"] == "1"
        other = {"X-Cornerstone-Identity": "org2/billing"}
        assert http.get("/v1/blocks", headers=other).status_code == 200
        assert http.get("/healthz").status_code in (200, 503)  # answered, not limited
        assert http.get("/metrics").status_code == 200
        now[0] += 1.0  # one token back
        assert http.get("/v1/blocks").status_code == 200
        assert http.get("/v1/blocks").status_code == 429


def test_an_identity_header_is_ignored_unless_trusted(node: FakeNode, tmp_path: Path) -> None:
    app = create_app(settings(node, tmp_path, rate_limit=RateLimit(rate=0.001, burst=1)))
    with TestClient(app) as http:
        assert http.get("/v1/blocks").status_code == 200
        for name in ("a", "b", "c"):  # a fresh name per request buys nothing
            answer = http.get("/v1/blocks", headers={"X-Cornerstone-Identity": name})
            assert answer.status_code == 429
            assert answer.json()["detail"].startswith("too many requests from ip:testclient")


def test_an_anonymous_address_gets_a_fifth_of_a_members_limit_unless_told(
    node: FakeNode, tmp_path: Path
) -> None:
    app = create_app(settings(node, tmp_path, rate_limit=RateLimit(rate=0.001, burst=10)))
    with TestClient(app) as http:
        answers = [http.get("/v1/blocks").status_code for _ in range(3)]
        assert answers == [200, 200, 429]


def test_a_bucket_that_never_refills_answers_a_finite_retry_after(
    node: FakeNode, tmp_path: Path
) -> None:
    app = create_app(
        settings(
            node, tmp_path, rate_limit=RateLimit(rate=0.0, burst=1), auth=AuthSettings(mode="none")
        )
    )
    with TestClient(app) as http:
        assert http.get("/v1/blocks").status_code == 200
        refused = http.get("/v1/blocks")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "86400"
