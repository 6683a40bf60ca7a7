"""The gateways of a real four-organization network: they start with it, and a transaction
submitted through one organization's gateway reaches another's index and event stream."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import httpx
import pytest

from cornerstone.crypto import load_key
from cornerstone.errors import StaleNonceError
from cornerstone.gateway.errors import AlreadySubmittedError
from cornerstone.localnet import Localnet
from cornerstone.tx import sign_transaction
from tests.network.conftest import LocalnetFactory

pytestmark = pytest.mark.network

TIMEOUT = 30.0


def wait_for(what: str, check: Any, *, timeout: float = TIMEOUT) -> Any:
    """`check()` once it is truthy; fails naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"{what} within {timeout:g} s"
        time.sleep(0.1)


def test_a_transaction_through_one_gateway_reaches_anothers_index_and_stream(
    localnets: LocalnetFactory,
) -> None:
    net: Localnet = localnets.make(app="cornerstone")
    first, second = net.node(1), net.node(2)
    assert all(status.gateway_running for status in net.status())
    with httpx.Client(timeout=TIMEOUT, trust_env=False) as http:

        def healthy(url: str) -> bool:
            answer = http.get(f"{url}/healthz")
            return answer.status_code == 200 and bool(answer.json()["ok"])

        wait_for("node1's gateway to follow its node", lambda: healthy(first.gateway_url))
        wait_for("node2's gateway to follow its node", lambda: healthy(second.gateway_url))

        tx = sign_transaction(
            load_key(net.key_file(2)),
            chain_id=net.chain_id,
            nonce=0,
            module="notary",
            operation="anchor",
            args={"digest": hashlib.sha256(b"through the gateway").digest(), "metadata": {}},
            gas_limit=100_000,
        )
        submitted = http.post(
            f"{second.gateway_url}/v1/transactions",
            params={"wait": "commit"},
            content=tx.encode(),
            headers={"content-type": "application/octet-stream"},
        )
        assert submitted.status_code == 200, submitted.text
        committed = submitted.json()
        assert committed["code"] == 0 and committed["hash"] == tx.hash.hex()
        height = committed["height"]

        def indexed() -> dict[str, Any] | None:
            answer = http.get(f"{first.gateway_url}/v1/transactions/{tx.hash.hex()}")
            return answer.json() if answer.status_code == 200 else None

        found = wait_for("node1's gateway to index the transaction", indexed)
        assert (found["height"], found["module"]) == (height, "notary")
        assert [event["type"] for event in found["events"]] == ["tx", "notary.anchored"]

        streamed = []
        with http.stream(
            "GET",
            f"{first.gateway_url}/v1/stream",
            params={"from_height": height, "to_height": height, "types": "notary.*"},
        ) as answer:
            assert answer.status_code == 200
            for line in answer.iter_lines():
                if line.startswith("data: "):
                    streamed.append(json.loads(line.removeprefix("data: ")))
        assert [(event["tx_hash"], event["type"]) for event in streamed] == [
            (tx.hash.hex(), "notary.anchored")
        ]

        again = http.post(
            f"{first.gateway_url}/v1/transactions",
            content=tx.encode(),
            headers={"content-type": "application/octet-stream"},
        )
        assert again.status_code == 409, again.text  # CometBFT's cache knows these bytes
        assert again.json()["code"] == AlreadySubmittedError.code
        stale = sign_transaction(
            load_key(net.key_file(2)),
            chain_id=net.chain_id,
            nonce=0,  # used already
            module="notary",
            operation="anchor",
            args={"digest": hashlib.sha256(b"another").digest(), "metadata": {}},
            gas_limit=100_000,
        )
        refused = http.post(
            f"{first.gateway_url}/v1/transactions",
            content=stale.encode(),
            headers={"content-type": "application/octet-stream"},
        )
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert (refused.json()["codespace"], refused.json()["code"]) == ("tx", StaleNonceError.code)

        proven = http.get(f"{first.gateway_url}/v1/state/membership/org/org2").json()
        assert proven["decoded"]["name"] == "Organization 2" and proven["proof"]
