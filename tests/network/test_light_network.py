"""The SDK's light client against a real four-validator CometBFT network: our header hashes,
validator-set hashes and vote sign bytes are CometBFT's (every real commit verifies, each header
names its parent's hash as ours computes it), headers fetched through a gateway verify from the
genesis validators, `read_verified` of a real key passes, `cornerstone query notary` proves its
record, and a node answering a forged header is refused.

A validator-set change is not made here (it needs a governance round on a real network); the
unit tests make one (tests/unit/sdk/test_light_client.py)."""

from __future__ import annotations

import hashlib
import itertools
import json
import time

import httpx
import pytest

from cornerstone.crypto import load_key
from cornerstone.errors import ProofError
from cornerstone.localnet import Localnet
from cornerstone.modules.notary.keys import doc_key
from cornerstone.sdk import Client, Signer
from cornerstone.sdk.light import (
    Fetch,
    GenesisRoot,
    LightBlock,
    LightClient,
    Trust,
    header_hash,
    light_block_from_json,
    run,
)
from cornerstone.sdk.light.verify import verify_self
from tests.network.conftest import LocalnetFactory
from tests.network.test_cli import cornerstone
from tests.network.test_gateway import wait_for

pytestmark = pytest.mark.network

TIMEOUT = 30.0


class ForgingTransport(httpx.BaseTransport):
    """A node that lies: the real node's answers, with another app hash in every header."""

    def __init__(self) -> None:
        self._real = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._real.handle_request(request)
        if request.url.path != "/commit":
            return response
        body = json.loads(response.read())
        response.close()
        body["result"]["signed_header"]["header"]["app_hash"] = "AB" * 32
        return httpx.Response(response.status_code, json=body)

    def close(self) -> None:
        self._real.close()


def test_real_headers_verify_and_a_forged_one_is_refused(localnets: LocalnetFactory) -> None:
    net: Localnet = localnets.make(app="cornerstone")
    first, second = net.node(1), net.node(2)
    genesis = GenesisRoot.load(first.cometbft_home / "config" / "genesis.json")
    digest = hashlib.sha256(b"proven through a light client").digest()

    with Client(first.rpc_url, trust=Trust(root=genesis, persist=False)) as client:
        signer = Signer(client, load_key(net.key_file(1)))
        committed = signer.submit("notary", "anchor", {"digest": digest, "metadata": {}})
        verified = client.read_verified(doc_key(digest))
        assert verified.value is not None
        assert verified.height >= committed.height

    with httpx.Client(base_url=second.gateway_url, timeout=TIMEOUT, trust_env=False) as http:

        def light_block(fetch: Fetch) -> LightBlock:
            answer = http.get(f"/v1/light/{fetch.height}")
            assert answer.status_code == 200, answer.text
            return light_block_from_json(answer.json())

        top = verified.height + 2
        wait_for(
            "node2's gateway to serve the block after the proof",
            lambda: http.get(f"/v1/light/{top}").status_code == 200,
        )
        blocks = [light_block(Fetch(height)) for height in range(1, top + 1)]
        for block in blocks:  # each real commit signs the hash we compute for its header
            verify_self(net.chain_id, block)
        for parent, child in itertools.pairwise(blocks):
            assert child.header.last_block_id.hash == header_hash(parent.header)
        assert blocks[0].validators is not None
        assert len(blocks[0].validators.validators) == 4

        light = LightClient(Trust(root=genesis, persist=False))
        header = run(light.plan(net.chain_id, top, time.time_ns()), light_block)
        assert header == blocks[-1].header
        assert blocks[verified.height].header.app_hash == verified.app_hash  # header h + 1

    with Client(first.rpc_url, transport=ForgingTransport(), trust=Trust(persist=False)) as liar:
        with pytest.raises(ProofError) as refused:
            liar.read_verified(doc_key(digest))
        assert (refused.value.codespace, refused.value.code) == ("light", 1)

    proven = cornerstone("query", "notary", "--digest", digest.hex(), home=net.home)
    assert "proof: verified against app hash" in proven.stdout
    assert (net.home / "trust" / f"{net.chain_id}.json").exists()  # pinned from the genesis
