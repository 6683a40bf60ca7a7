"""HTTP Message Signatures: our signature base matches RFC 9421's own example byte for byte, the
parsers refuse what they do not support, and the SDK's clients sign every request."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from typing import Any

import httpx
import pytest

from cornerstone.crypto import PrivateKey, PublicKey
from cornerstone.sdk import Client
from cornerstone.sdk.aio import AsyncClient
from cornerstone.sdk.auth import RequestSigner, parts_of
from cornerstone.sdk.httpsig import (
    RequestParts,
    parse_byte_dictionary,
    parse_signature_input,
    signature_base,
)

# RFC 9421 Appendix B.1.4 (test-key-ed25519) and B.2.6 (signing a request using ed25519).
RFC_KEY_SEED = "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU="
RFC_INPUT = (
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)
RFC_SIGNATURE = (
    "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBK"
    "RCw==:"
)
RFC_REQUEST = RequestParts(
    method="POST",
    scheme="https",
    authority="example.com",
    path="/foo",
    query="param=Value&Pet=dog",
    headers={
        "date": "Tue, 20 Apr 2021 02:07:55 GMT",
        "content-type": "application/json",
        "content-length": "18",
    },
)


def test_the_rfc_example_signs_and_verifies_byte_for_byte() -> None:
    key = PrivateKey.from_seed(base64.urlsafe_b64decode(RFC_KEY_SEED))
    params = parse_signature_input(RFC_INPUT)["sig-b26"]
    base = signature_base(RFC_REQUEST, params)
    assert base.endswith(f'"@signature-params": {RFC_INPUT.removeprefix("sig-b26=")}'.encode())
    expected = parse_byte_dictionary(RFC_SIGNATURE)["sig-b26"]
    assert key.sign(base) == expected  # Ed25519 is deterministic
    assert key.public_key.verify(expected, base)


@pytest.mark.parametrize(
    "text",
    [
        'sig1=("@method" "@method");created=1',  # a component twice
        'sig1=("@method";req);created=1',  # component parameters
        'sig1=("@method");created=1.5',  # a decimal
        'sig1=("@method");created=1;created=2',  # a parameter twice
        'sig1=("@method"), sig1=("@path")',  # a label twice
        'sig1=("@method"',  # not closed
        'sig1=("@method");keyid="a\\nb"',  # a bad escape
        'sig1=("@method"),',  # a trailing comma
    ],
)
def test_the_parser_refuses_what_it_does_not_support(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_signature_input(text)


def test_byte_sequences_must_be_base64() -> None:
    with pytest.raises(ValueError, match="base64"):
        parse_byte_dictionary("sig1=:not base64!:")


def _verified(request: httpx.Request, key: PublicKey) -> None:
    inputs = parse_signature_input(request.headers["signature-input"])
    signatures = parse_byte_dictionary(request.headers["signature"])
    params = inputs["sig1"]
    assert params.get("keyid") == key.fingerprint.hex()
    assert set(params.components) >= {"@method", "@authority", "@path", "@query"}
    assert key.verify(signatures["sig1"], signature_base(parts_of(request), params))
    if request.content:
        digest = hashlib.sha256(request.content).digest()
        assert parse_byte_dictionary(request.headers["content-digest"])["sha-256"] == digest
        assert "content-digest" in params.components


def _status(request: httpx.Request) -> httpx.Response:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": -1, "result": {"node_info": {"network": "x"}}}
    return httpx.Response(200, json=body)


def test_the_sync_and_async_clients_sign_every_request_with_the_given_key() -> None:
    key = PrivateKey.generate()
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        _verified(request, key.public_key)
        seen.append(request)
        return _status(request)

    with Client("http://node:26657", transport=httpx.MockTransport(handler), signing_key=key) as c:
        assert c.chain_id() == "x"

    async def run() -> None:
        async with AsyncClient(
            "http://node:26657", transport=httpx.MockTransport(handler), signing_key=key
        ) as client:
            assert await client.chain_id() == "x"

    asyncio.run(run())
    assert len(seen) == 2
    nonces = {
        parse_signature_input(r.headers["signature-input"])["sig1"].get("nonce") for r in seen
    }
    assert len(nonces) == 2, "each request has a fresh nonce"


def test_a_body_gets_its_digest_covered() -> None:
    key = PrivateKey.generate()
    request = httpx.Request("POST", "http://gw:8080/v1/transactions?wait=commit", content=b"tx")
    RequestSigner(key).sign(request)
    _verified(request, key.public_key)
    assert repr(RequestSigner(key)) == f"RequestSigner(keyid={key.public_key.fingerprint.hex()})"
