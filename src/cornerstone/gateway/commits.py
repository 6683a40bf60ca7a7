"""Waiting for a submitted transaction's commit on the indexer's word, not by asking the node.

    waiters = CommitWaiters(asyncio.get_running_loop())
    future = waiters.expect(tx_hash)        # on the event loop, before the broadcast
    ...                                      # the indexer thread: waiters.indexed(record)
    outcome = await future                   # the transaction's TxOutcome
    waiters.forget(tx_hash, future)          # always, whether it came or not

The indexer reads every block and its results anyway; telling the waiters what it wrote costs
one dictionary look-up per transaction. Polling the node's `tx` endpoint instead cost one RPC
call per waiting request every COMMIT_POLL seconds, and a thread of the server's pool for the
whole wait: the pool (40 threads) then capped the transactions in flight, and with them the
throughput of `wait=commit` (see docs/benchmarks.md).

A waiter is registered before its transaction is broadcast, so the block that holds it cannot be
indexed before anyone listens.
"""

from __future__ import annotations

import asyncio
import contextlib

from cornerstone.gateway.index import BlockRecord
from cornerstone.gateway.node import TxOutcome


class CommitWaiters:
    """Futures of submitted transactions by hash, resolved when the indexer writes their block.
    `expect` and `forget` run on the event loop; `indexed` may be called from any thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiting: dict[bytes, list[asyncio.Future[TxOutcome]]] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def expect(self, tx_hash: bytes) -> asyncio.Future[TxOutcome]:
        """A future of the outcome of `tx_hash`, set when its block is indexed."""
        future: asyncio.Future[TxOutcome] = self._loop.create_future()
        self._waiting.setdefault(tx_hash, []).append(future)
        return future

    def forget(self, tx_hash: bytes, future: asyncio.Future[TxOutcome]) -> None:
        """Stop waiting with `future` (its request answered, failed or timed out)."""
        futures = self._waiting.get(tx_hash)
        if futures is None:
            return
        with contextlib.suppress(ValueError):
            futures.remove(future)
        if not futures:
            del self._waiting[tx_hash]

    def indexed(self, record: BlockRecord) -> None:
        """The indexer wrote `record`: resolve the futures of its transactions."""
        # Read from the indexer's thread: a hash registered meanwhile cannot be in this block,
        # since its transaction is broadcast only after it is registered.
        waiting = self._waiting
        outcomes = [
            TxOutcome(
                hash=tx.hash,
                height=record.height,
                index=index,
                code=tx.code,
                codespace=tx.codespace,
                log=tx.log,
                gas_used=tx.gas_used,
                events=tx.events,
            )
            for index, tx in enumerate(record.txs)
            if tx.hash in waiting
        ]
        if not outcomes or self._loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop is closing: nobody is waiting
            self._loop.call_soon_threadsafe(self._resolve, outcomes)

    def _resolve(self, outcomes: list[TxOutcome]) -> None:
        for outcome in outcomes:
            for future in self._waiting.pop(outcome.hash, ()):
                if not future.done():
                    future.set_result(outcome)
