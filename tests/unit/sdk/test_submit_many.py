"""A batch of transactions from one signer, against the real application behind the in-memory
node: one outcome per call, a refused call leaves its nonce to the next, and concurrent async
submissions reach the node in the order of their nonces."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from cornerstone.crypto import PrivateKey
from cornerstone.errors import (
    FutureNonceError,
    InvalidArgumentsError,
    TransactionFailedError,
    TransactionRejectedError,
)
from cornerstone.modules.notary.errors import AlreadyAnchoredError
from cornerstone.sdk import AsyncClient, AsyncSigner, Call, Committed, Outcome, Signer
from tests.conftest import digest, genesis
from tests.unit.cli.fake_rpc import URL, FakeRpc


@pytest.fixture
def rpc() -> FakeRpc:
    return FakeRpc.started(genesis())


def anchor(label: str) -> Call:
    return Call("notary", "anchor", {"digest": digest(label), "metadata": {}})


MIXED: list[Call] = [
    anchor("a"),
    Call("notary", "anchor", {"digest": b"short", "metadata": {}}),  # refused by CheckTx
    anchor("b"),
    anchor("a"),  # anchored already, by the first call: fails in its block
    anchor("c"),
]


def assert_mixed_outcomes(outcomes: list[Outcome]) -> None:
    first, malformed, second, again, third = outcomes
    assert isinstance(first, Committed) and isinstance(second, Committed)
    assert isinstance(third, Committed)
    assert isinstance(malformed, TransactionRejectedError)
    assert malformed.fields["tx_code"] == InvalidArgumentsError.code
    assert isinstance(again, TransactionFailedError)
    assert again.fields["tx_code"] == AlreadyAnchoredError.code


def test_a_batch_gives_one_outcome_per_call_and_a_refusal_leaves_its_nonce_to_the_next(
    rpc: FakeRpc, alice: PrivateKey
) -> None:
    with rpc.client() as client:
        outcomes = Signer(client, alice).submit_many(MIXED)
        assert_mixed_outcomes(outcomes)
        # Four were sent and used nonces 0-3 with no gap; the refused one used none.
        assert client.next_nonce(alice.public_key.fingerprint) == 4
    assert rpc.broadcasts == 5


def test_the_async_signer_gives_the_same_outcomes(rpc: FakeRpc, alice: PrivateKey) -> None:
    async def run() -> list[Outcome]:
        async with AsyncClient(URL, transport=rpc.transport) as client:
            outcomes = await AsyncSigner(client, alice).submit_many(MIXED)
            assert await client.next_nonce(alice.public_key.fingerprint) == 4
            return outcomes

    assert_mixed_outcomes(asyncio.run(run()))


def test_a_refusal_of_the_nonce_itself_reads_the_nonce_again(
    rpc: FakeRpc, alice: PrivateKey
) -> None:
    with rpc.client() as client:
        signer = Signer(client, alice)
        signer.sign("notary", "anchor", {"digest": digest("never sent"), "metadata": {}})
        ahead, in_step = signer.submit_many([anchor("ahead"), anchor("in step")])
    assert isinstance(ahead, TransactionRejectedError)
    assert ahead.fields["tx_code"] == FutureNonceError.code
    assert isinstance(in_step, Committed)


def test_concurrent_async_submissions_reach_the_node_in_nonce_order(
    rpc: FakeRpc, alice: PrivateKey
) -> None:
    """The first broadcast is slow to arrive; the second must not overtake it, or the node
    would refuse it with a nonce ahead."""
    slow = _SlowFirstBroadcast(rpc.transport)

    async def run() -> list[Committed]:
        async with AsyncClient(URL, transport=slow) as client:
            signer = AsyncSigner(client, alice)
            labels = [f"gathered {n}" for n in range(4)]
            return await asyncio.gather(
                *(signer.submit("notary", "anchor", anchor(x).args) for x in labels)
            )

    committed = asyncio.run(run())
    assert [c.height for c in committed] == sorted(c.height for c in committed)
    assert slow.delayed == 1


class _SlowFirstBroadcast(httpx.AsyncBaseTransport):
    """The fake node's transport, with the first broadcast held back a while."""

    def __init__(self, inner: httpx.MockTransport) -> None:
        self.inner = inner
        self.delayed = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.strip("/") == "broadcast_tx_sync" and not self.delayed:
            self.delayed += 1
            await asyncio.sleep(0.2)
        return await self.inner.handle_async_request(request)
