"""The asynchronous client and signer: `Client` and `Signer` on `httpx.AsyncClient`.

    async with AsyncClient("http://127.0.0.1:26601") as client:
        signer = AsyncSigner(client, key)
        committed = await signer.submit("notary", "anchor", {"digest": digest, "metadata": {}})
        proven = await client.read_verified(b"notary/doc/" + digest)

Requests are built and answers parsed by the same functions as the synchronous client's
(`cornerstone.sdk.client`), so the two agree by construction; only the waiting differs. Like
`Client`, it ignores proxy settings in the environment (`trust_env=False`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from cornerstone import encoding
from cornerstone.crypto import PrivateKey
from cornerstone.errors import ClientError, TransactionFailedError, TransactionRejectedError
from cornerstone.sdk.client import (
    DEFAULT_GAS_LIMIT,
    NONCE_PREFIX,
    POLL_INTERVAL,
    Call,
    Committed,
    Outcome,
    VerifiedValue,
    abci_query_params,
    abci_response,
    broadcast_hash,
    broadcast_params,
    committed_from,
    http_options,
    no_block_yet,
    nonce_after_refusal,
    nonce_from,
    proven_value,
    query_value,
    rpc_result,
    still_waiting,
    stored_value,
    unreachable,
)
from cornerstone.sdk.light import Header, LightClient, Trust, arun, over_rpc
from cornerstone.tx import Transaction, sign_transaction


class AsyncClient:
    """An asynchronous client of one node's CometBFT RPC, with `Client`'s methods as coroutines."""

    def __init__(
        self,
        rpc_url: str,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        trust: Trust | None = None,
        signing_key: PrivateKey | None = None,
    ) -> None:
        self.rpc_url = rpc_url.rstrip("/")
        self._http = httpx.AsyncClient(
            **http_options(self.rpc_url, timeout, signing_key), transport=transport
        )
        self._chain_id: str | None = None
        self.light = LightClient(trust)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ RPC
    async def rpc(self, method: str, **params: str) -> Any:
        """Call one RPC method and return its `result`; ClientError when that fails."""
        try:
            response = await self._http.get(f"/{method}", params=params)
        except httpx.HTTPError as exc:
            raise unreachable(self.rpc_url, exc) from None
        return rpc_result(self.rpc_url, method, response)

    async def status(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.rpc("status")
        return result

    async def chain_id(self) -> str:
        if self._chain_id is None:
            self._chain_id = str((await self.status())["node_info"]["network"])
        return self._chain_id

    async def height(self) -> int:
        return int((await self.status())["sync_info"]["latest_block_height"])

    # ------------------------------------------------------------------ transactions
    async def next_nonce(self, identity_id: bytes) -> int:
        """The next nonce of the sender whose identity id (its key's fingerprint) is given."""
        return nonce_from(await self.read(NONCE_PREFIX + identity_id))

    async def broadcast(self, tx: Transaction) -> bytes:
        """Hand `tx` to the node's mempool; TransactionRejectedError if CheckTx refuses it."""
        return broadcast_hash(await self.rpc("broadcast_tx_sync", **broadcast_params(tx)))

    async def wait_for_commit(self, tx_hash: bytes, *, timeout: float = 30.0) -> Committed:
        """Wait until the transaction is in a block; TransactionFailedError if it failed there."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                result = await self.rpc("tx", hash="0x" + tx_hash.hex())
                break
            except ClientError as exc:
                still_waiting(exc, tx_hash, deadline=deadline, timeout=timeout)
                await asyncio.sleep(POLL_INTERVAL)
        return committed_from(tx_hash, result)

    async def submit(self, tx: Transaction, *, timeout: float = 30.0) -> Committed:
        """Broadcast and wait for the commit."""
        return await self.wait_for_commit(await self.broadcast(tx), timeout=timeout)

    # ------------------------------------------------------------------ state
    async def _abci_query(self, path: str, data: bytes, *, prove: bool, height: int = 0) -> Any:
        params = abci_query_params(path, data, prove=prove, height=height)
        return abci_response(path, await self.rpc("abci_query", **params))

    async def read(self, key: bytes) -> bytes | None:
        """The latest committed value of a state key, unverified (None when absent)."""
        return stored_value(await self._abci_query("/store", key, prove=False))

    async def query(self, module: str, name: str, **args: encoding.Value) -> encoding.Value:
        """A module query, e.g. `await query("notary", "lookup", digest=...)`."""
        path = f"/{module}/{name}"
        return query_value(await self._abci_query(path, encoding.encode(args), prove=False))

    async def read_verified(
        self, key: bytes, *, height: int = 0, timeout: float = 30.0
    ) -> VerifiedValue:
        """A state key's value or absence, with its proof checked against the app hash in the
        header of the next block (where CometBFT records the state after `height`), that header
        verified by the light client; a ProofError (LightClientError) says why not."""
        response = await self._abci_query("/store", key, prove=True, height=height)
        proven = proven_value(key, response)
        header = await self.verified_header(proven.height + 1, timeout=timeout)
        return proven.verify(header.app_hash)

    async def verified_header(self, height: int, *, timeout: float = 30.0) -> Header:
        """The header of `height` once it exists, verified by the light client."""
        deadline = time.monotonic() + timeout
        latest = await self.height()
        while latest < height:
            no_block_yet(height - 1, deadline=deadline, timeout=timeout)
            await asyncio.sleep(POLL_INTERVAL)
            latest = await self.height()
        plan = self.light.plan(await self.chain_id(), height, time.time_ns(), latest=latest)
        return await arun(over_rpc(plan), lambda call: self.rpc(call.method, **call.params))


class AsyncSigner:
    """Signs and submits transactions for one key, keeping its nonce in step; `Signer` for an
    `AsyncClient`. Concurrent `sign` calls get consecutive nonces, and concurrent `submit` calls
    reach the node in the order of their nonces, so they can be gathered: the node takes them
    all and a block or two commits them."""

    def __init__(
        self, client: AsyncClient, key: PrivateKey, certificate: bytes | None = None
    ) -> None:
        self.client = client
        self.key = key
        self.certificate = certificate
        self._nonce: int | None = None
        self._lock = asyncio.Lock()
        """Held from signing to the end of the broadcast: a transaction that overtook the one
        before it would reach the node with a nonce ahead, and be refused."""

    async def sign(
        self,
        module: str,
        operation: str,
        args: Mapping[str, encoding.Value],
        *,
        gas_limit: int = DEFAULT_GAS_LIMIT,
    ) -> Transaction:
        async with self._lock:  # two first calls must not both read the nonce and reuse it
            return await self._sign(Call(module, operation, args, gas_limit))

    async def submit(
        self,
        module: str,
        operation: str,
        args: Mapping[str, encoding.Value],
        *,
        gas_limit: int = DEFAULT_GAS_LIMIT,
        timeout: float = 30.0,
    ) -> Committed:
        """Sign, broadcast and wait for the commit; TransactionRejectedError if CheckTx refuses
        it, TransactionFailedError if it fails in its block."""
        async with self._lock:
            tx_hash = await self._send(Call(module, operation, args, gas_limit))
        return await self.client.wait_for_commit(tx_hash, timeout=timeout)

    async def submit_many(self, calls: Iterable[Call], *, timeout: float = 30.0) -> list[Outcome]:
        """`Signer.submit_many`: every call signed and broadcast in order, then all waited for;
        one outcome per call."""
        async with self._lock:
            sent = [await self._try_send(call) for call in calls]
        hashes = [s for s in sent if isinstance(s, bytes)]
        if hashes:  # nonces commit in order: once the last is in a block, all the others are
            await self._settle(hashes[-1], timeout)
        return [await self._settle(s, timeout) if isinstance(s, bytes) else s for s in sent]

    async def _try_send(self, call: Call) -> bytes | TransactionRejectedError:
        try:
            return await self._send(call)
        except TransactionRejectedError as refused:
            return refused

    async def _settle(self, tx_hash: bytes, timeout: float) -> Committed | TransactionFailedError:
        try:
            return await self.client.wait_for_commit(tx_hash, timeout=timeout)
        except TransactionFailedError as failed:
            return failed

    async def _sign(self, call: Call) -> Transaction:
        """Sign `call` with the next nonce; the caller holds the lock."""
        if self._nonce is None:
            self._nonce = await self.client.next_nonce(self.key.public_key.fingerprint)
        chain_id = await self.client.chain_id()
        tx = sign_transaction(
            self.key,
            chain_id=chain_id,
            nonce=self._nonce,
            module=call.module,
            operation=call.operation,
            args=call.args,
            gas_limit=call.gas_limit,
            certificate=self.certificate,
        )
        self._nonce += 1
        return tx

    async def _send(self, call: Call) -> bytes:
        """Sign `call` and broadcast it; its hash, or TransactionRejectedError. The caller holds
        the lock."""
        tx = await self._sign(call)
        try:
            return await self.client.broadcast(tx)
        except TransactionRejectedError as refused:
            self._nonce = nonce_after_refusal(refused, tx)
            raise
