"""Signed requests (RFC 9421) against the real gateway app and the fake node: the chain's
members get in, every way of faking or reusing a signature is refused with its own code, and
each identity has its own rate limit bucket."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient

from cornerstone.crypto import PrivateKey
from cornerstone.errors import ClientError
from cornerstone.gateway import RateLimit, create_app
from cornerstone.gateway.auth import AuthSettings
from cornerstone.gateway.errors import (
    AuthenticationRequiredError,
    ContentDigestMismatchError,
    MalformedSignatureError,
    NodeUnavailableError,
    RateLimitedError,
    ReplayedRequestError,
    SignatureMismatchError,
    StaleRequestError,
    UnknownKeyIdError,
)
from cornerstone.sdk import subscribe
from cornerstone.sdk.auth import RequestSigner
from cornerstone.sdk.httpsig import content_digest
from tests.conftest import admin_key, make_tx, org_key
from tests.unit.gateway.conftest import OCTETS, settings
from tests.unit.gateway.fake_node import FakeNode
from tests.unit.sdk.test_subscribe import GATEWAY, Cutting


@dataclass
class Gateway:
    http: TestClient
    node: FakeNode
    now: list[float]
    """The gateway's wall clock (and the signers'), moved by the test."""

    def signer(self, key: PrivateKey, *, skew: float = 0.0) -> RequestSigner:
        return RequestSigner(key, clock=lambda: self.now[0] + skew)


def gateway_with(node: FakeNode, folder: Path, **auth: object) -> Iterator[Gateway]:
    now = [time.time()]
    policy = AuthSettings(clock=lambda: now[0], **auth)  # type: ignore[arg-type]
    app = create_app(settings(node, folder, auth=policy))
    with TestClient(app) as http:
        yield Gateway(http=http, node=node, now=now)


@pytest.fixture
def required(node: FakeNode, tmp_path: Path) -> Iterator[Gateway]:
    # member_cache_s=0: each request asks the chain, so a removal shows at once.
    yield from gateway_with(node, tmp_path / "gw", mode="required", member_cache_s=0.0)


def code_of(answer: httpx2.Response) -> int:
    assert answer.headers["content-type"] == "application/problem+json", answer.text
    code: int = answer.json()["code"]
    return code


def signed_post(gw: Gateway, key: PrivateKey, body: bytes) -> httpx2.Request:
    request = gw.http.build_request("POST", "/v1/transactions", content=body, headers=OCTETS)
    gw.signer(key).sign(request)
    return request


def test_a_member_signed_request_is_accepted_and_an_unsigned_one_refused(
    required: Gateway,
) -> None:
    alice = org_key("org1")
    answer = required.http.get("/v1/blocks", params={"limit": 5}, auth=required.signer(alice))
    assert answer.status_code == 200, answer.text

    tx = make_tx(alice, 0).encode()
    sent = required.http.post(
        "/v1/transactions", content=tx, headers=OCTETS, auth=required.signer(alice)
    )
    assert sent.status_code == 202, sent.text
    assert required.node.broadcasts == 1

    refused = required.http.get("/v1/blocks")
    assert refused.status_code == 401
    assert code_of(refused) == AuthenticationRequiredError.code
    assert refused.json()["codespace"] == "gateway"
    assert refused.headers["www-authenticate"].startswith("Signature ")
    assert "keyid" in refused.headers["accept-signature"]


def test_public_routes_need_no_member_even_when_required(required: Gateway) -> None:
    for path in ("/healthz", "/metrics", "/openapi.json", "/console/"):
        assert required.http.get(path).status_code != 401, path
    assert required.http.get("/v1/blobs/" + "00" * 32).status_code == 404  # read, not refused
    put = required.http.put("/v1/blobs/" + "00" * 32, content=b"x")
    assert put.status_code == 401
    assert put.json()["code"] != AuthenticationRequiredError.code  # the blob token's own check


def test_a_changed_body_fails_at_its_digest_and_nothing_is_broadcast(required: Gateway) -> None:
    alice = org_key("org1")
    body = make_tx(alice, 0).encode()
    signed = signed_post(required, alice, body)
    tampered = bytes([body[0] ^ 1]) + body[1:]  # same length: only the digest can tell
    forged = required.http.build_request(
        "POST", signed.url, headers=dict(signed.headers), content=tampered
    )
    answer = required.http.send(forged)
    assert answer.status_code == 400
    assert code_of(answer) == ContentDigestMismatchError.code
    assert required.node.broadcasts == 0


def test_a_changed_digest_or_path_breaks_the_signature(required: Gateway) -> None:
    alice = org_key("org1")
    body = make_tx(alice, 0).encode()
    signed = signed_post(required, alice, body)
    signed.headers["Content-Digest"] = content_digest(b"something else")
    answer = required.http.send(signed)
    assert answer.status_code == 401
    assert code_of(answer) == SignatureMismatchError.code

    request = required.http.build_request("GET", "/v1/blocks", params={"limit": 1})
    required.signer(alice).sign(request)
    moved = required.http.build_request(
        "GET", "/v1/blocks", params={"limit": 2}, headers=dict(request.headers)
    )
    assert code_of(required.http.send(moved)) == SignatureMismatchError.code
    assert required.node.broadcasts == 0


def test_a_body_the_signature_does_not_cover_is_refused(required: Gateway) -> None:
    alice = org_key("org1")
    request = required.http.build_request("GET", "/v1/blocks")
    required.signer(alice).sign(request)  # no body: content-digest not covered
    with_body = required.http.build_request(
        "POST",
        "/v1/transactions",
        content=b"\x01",
        headers={k: v for k, v in request.headers.items() if k.startswith("signature")},
    )
    answer = required.http.send(with_body)
    assert answer.status_code == 401
    assert code_of(answer) == MalformedSignatureError.code
    assert "content-digest" in answer.json()["detail"]


def test_a_stale_or_future_signature_is_refused(required: Gateway) -> None:
    alice = org_key("org1")
    for skew in (-301.0, 301.0):
        answer = required.http.get("/v1/blocks", auth=required.signer(alice, skew=skew))
        assert answer.status_code == 401
        assert code_of(answer) == StaleRequestError.code
    inside = required.http.get("/v1/blocks", auth=required.signer(alice, skew=-299.0))
    assert inside.status_code == 200


def test_a_replayed_request_is_refused(required: Gateway) -> None:
    alice = org_key("org1")
    request = required.http.build_request("GET", "/v1/blocks")
    required.signer(alice).sign(request)
    assert required.http.send(request).status_code == 200
    again = required.http.send(request)
    assert again.status_code == 401
    assert code_of(again) == ReplayedRequestError.code


def test_an_unknown_key_and_a_removed_member_are_refused(required: Gateway) -> None:
    stranger = PrivateKey.generate()
    answer = required.http.get("/v1/blocks", auth=required.signer(stranger))
    assert answer.status_code == 401
    assert code_of(answer) == UnknownKeyIdError.code

    alice = org_key("org1")
    assert required.http.get("/v1/blocks", auth=required.signer(alice)).status_code == 200
    removal = make_tx(
        admin_key("org1"),
        0,
        "remove_member",
        {"org": "org1", "public_key": alice.public_key.raw, "suite": "ed25519"},
        module="membership",
    )
    finalized = required.node.produce([removal.encode()])
    assert finalized.tx_results[0].code == 0, finalized.tx_results[0].log
    removed = required.http.get("/v1/blocks", auth=required.signer(alice))
    assert removed.status_code == 401
    assert code_of(removed) == UnknownKeyIdError.code


def test_optional_lets_anonymous_in_but_not_a_bad_signature(node: FakeNode, tmp_path: Path) -> None:
    for gw in gateway_with(node, tmp_path / "gw", mode="optional"):
        assert gw.http.get("/v1/blocks").status_code == 200
        bad = gw.http.get("/v1/blocks", auth=gw.signer(PrivateKey.generate()))
        assert bad.status_code == 401
        assert code_of(bad) == UnknownKeyIdError.code
        garbled = gw.http.get(
            "/v1/blocks", headers={"Signature-Input": "sig1=(", "Signature": "sig1=:AA==:"}
        )
        assert code_of(garbled) == MalformedSignatureError.code


def test_none_checks_nothing(node: FakeNode, tmp_path: Path) -> None:
    for gw in gateway_with(node, tmp_path / "gw", mode="none"):
        bad = gw.http.get("/v1/blocks", auth=gw.signer(PrivateKey.generate()))
        assert bad.status_code == 200


def test_the_operator_token_passes_when_required(required: Gateway) -> None:
    required.http.app.state.gateway.auth.accept_bearer(lambda token: token == "operator-token")  # type: ignore[attr-defined]
    ok = required.http.get("/v1/blocks", headers={"Authorization": "Bearer operator-token"})
    assert ok.status_code == 200
    wrong = required.http.get("/v1/blocks", headers={"Authorization": "Bearer guessed"})
    assert code_of(wrong) == AuthenticationRequiredError.code


def test_each_identity_has_its_own_bucket_and_anonymous_a_smaller_one(
    node: FakeNode, tmp_path: Path
) -> None:
    now = [time.time()]
    policy = AuthSettings(
        mode="optional", clock=lambda: now[0], anonymous_rate_limit=RateLimit(rate=0.001, burst=1)
    )
    app = create_app(
        settings(
            node,
            tmp_path / "gw",
            auth=policy,
            rate_limit=RateLimit(rate=0.001, burst=3),
            clock=lambda: now[0],
        )
    )
    alice = RequestSigner(org_key("org1"), clock=lambda: now[0])
    bob = RequestSigner(org_key("org2"), clock=lambda: now[0])
    with TestClient(app) as http:
        assert [http.get("/v1/blocks", auth=alice).status_code for _ in range(3)] == [200] * 3
        limited = http.get("/v1/blocks", auth=alice)
        assert limited.status_code == 429
        assert code_of(limited) == RateLimitedError.code
        assert "member:" + alice.keyid in limited.json()["detail"]
        assert limited.headers["retry-after"]
        # Another member, and the anonymous address, each have their own bucket.
        assert [http.get("/v1/blocks", auth=bob).status_code for _ in range(3)] == [200] * 3
        assert [http.get("/v1/blocks").status_code for _ in range(2)] == [200, 429]
        # Failing signatures spend the address's tokens too: garbage cannot flood the chain.
        bad = http.get("/v1/blocks", auth=RequestSigner(PrivateKey.generate()))
        assert bad.status_code == 429


def test_the_sdks_subscription_signs_its_requests(required: Gateway) -> None:
    alice = org_key("org1")
    for nonce in range(2):
        required.node.produce([make_tx(alice, nonce).encode()])
    top = required.http.app.state.gateway.indexer.catch_up()  # type: ignore[attr-defined]
    transport = Cutting(required.http)
    got = list(
        subscribe(GATEWAY, from_height=1, to_height=top, transport=transport, signing_key=alice)
    )
    assert [event.type for event in got].count("notary.anchored") == 2
    assert all("signature" in request.headers for request in transport.streams())
    with pytest.raises(ClientError, match="401"):
        list(subscribe(GATEWAY, from_height=1, to_height=top, transport=transport))


def test_a_node_that_cannot_be_asked_is_503_not_a_refused_member(required: Gateway) -> None:
    required.node.reachable = False
    answer = required.http.get("/v1/blocks", auth=required.signer(org_key("org1")))
    assert answer.status_code == 503
    assert code_of(answer) == NodeUnavailableError.code
    required.node.reachable = True  # and the failure was not remembered as a refusal
    assert required.http.get("/v1/blocks", auth=required.signer(org_key("org1"))).status_code == 200
