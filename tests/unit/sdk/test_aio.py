"""The asynchronous client and signer against the real application behind the in-memory node:
the same answers as the synchronous client, and the same errors."""

from __future__ import annotations

import asyncio
import hashlib

import httpx
import pytest

from cornerstone import encoding
from cornerstone.crypto import PrivateKey
from cornerstone.errors import ClientError, ProofError, TransactionRejectedError
from cornerstone.sdk import AsyncClient, AsyncSigner, Client
from tests.conftest import digest, genesis
from tests.unit.cli.fake_rpc import URL, FakeRpc


@pytest.fixture
def rpc() -> FakeRpc:
    return FakeRpc.started(genesis())


def anchor(label: str) -> dict[str, encoding.Value]:
    return {"digest": digest(label), "metadata": {}}


def test_submit_wait_query_and_read_verified(rpc: FakeRpc, alice: PrivateKey) -> None:
    async def run() -> None:
        async with AsyncClient(URL, transport=rpc.transport) as client:
            signer = AsyncSigner(client, alice)
            committed = await signer.submit("notary", "anchor", anchor("one"))
            assert committed.height == await client.height()
            assert "notary.anchored" in [kind for kind, _ in committed.events]
            again = await client.wait_for_commit(committed.hash)
            assert again == committed
            found = await client.query("notary", "lookup", digest=digest("one"))
            assert isinstance(found, dict)
            proven = await client.read_verified(b"notary/doc/" + digest("one"))
            assert proven.value is not None
            absent = await client.read_verified(b"notary/doc/" + digest("none"))
            assert absent.value is None
            assert await client.next_nonce(alice.public_key.fingerprint) == 1
            with Client(URL, transport=rpc.transport) as sync:  # the twin agrees
                assert sync.query("notary", "lookup", digest=digest("one")) == found
                assert sync.read_verified(proven.key, height=proven.height) == proven

    asyncio.run(run())


def test_concurrent_signs_take_consecutive_nonces(rpc: FakeRpc, alice: PrivateKey) -> None:
    async def run() -> list[int]:
        async with AsyncClient(URL, transport=rpc.transport) as client:
            signer = AsyncSigner(client, alice)
            labels = [f"tx {n}" for n in range(4)]
            txs = await asyncio.gather(
                *(signer.sign("notary", "anchor", anchor(x)) for x in labels)
            )
            committed = [await client.submit(tx) for tx in txs]
            assert len({c.height for c in committed}) == 4
            return [tx.nonce for tx in txs]

    assert sorted(asyncio.run(run())) == [0, 1, 2, 3]


def test_a_refused_transaction_raises_and_the_nonce_is_read_again(
    rpc: FakeRpc, alice: PrivateKey
) -> None:
    async def run() -> None:
        async with AsyncClient(URL, transport=rpc.transport) as client:
            signer = AsyncSigner(client, alice)
            await signer.sign("notary", "anchor", anchor("never sent"))  # takes nonce 0
            with pytest.raises(TransactionRejectedError):  # nonce 1 while the chain wants 0
                await signer.submit("notary", "anchor", anchor("too early"))
            committed = await signer.submit("notary", "anchor", anchor("in step"))
            assert committed.height == await client.height()
            assert await client.next_nonce(alice.public_key.fingerprint) == 1

    asyncio.run(run())


def test_waiting_for_an_unknown_transaction_times_out(rpc: FakeRpc) -> None:
    async def run() -> None:
        async with AsyncClient(URL, transport=rpc.transport) as client:
            with pytest.raises(ClientError, match="not committed within"):
                await client.wait_for_commit(hashlib.sha256(b"never").digest(), timeout=0.15)

    asyncio.run(run())


def test_a_node_that_does_not_answer_is_a_client_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async def run() -> None:
        async with AsyncClient(URL, transport=httpx.MockTransport(refuse)) as client:
            with pytest.raises(ClientError, match="cannot reach the node"):
                await client.status()

    asyncio.run(run())


def test_a_proof_that_does_not_match_the_header_is_refused(rpc: FakeRpc) -> None:
    async def run() -> None:
        async with AsyncClient(URL, transport=rpc.transport) as client:
            await client.read_verified(b"notary/doc/" + digest("x"))
            rpc.app_hashes = {h: b"\x01" * 32 for h in rpc.app_hashes}  # a lying header
            with pytest.raises(ProofError):
                await client.read_verified(b"notary/doc/" + digest("x"))

    asyncio.run(run())


def test_neither_client_reads_proxies_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("ALL_PROXY", "http://proxy.invalid:3128")

    async def run() -> None:
        async with AsyncClient(URL) as client:
            assert client._http.trust_env is False

    asyncio.run(run())
    with Client(URL) as client:
        assert client._http.trust_env is False
