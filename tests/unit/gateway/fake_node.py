"""The in-memory CometBFT RPC of `tests/unit/cli/fake_rpc.py`, with the two calls the gateway's
indexer makes besides: `block` and `block_results`, in CometBFT v0.38's JSON shape.

The gateway calls its node from request threads and from its indexer thread, and the fake runs
the real application, which expects one caller at a time (as CometBFT's connections give it):
`LockedTransport` lets one request through at a time.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
from tendermint.abci import types_pb2 as pb

from tests.unit.cli.fake_rpc import FakeRpc, RpcError, _exec_result

PROPOSER = "AB" * 20


class FakeNode(FakeRpc):
    """A single-validator chain's RPC that also serves its blocks and their results."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.blocks: dict[int, tuple[list[bytes], pb.ResponseFinalizeBlock, int]] = {}
        self._methods["block"] = self._block
        self._methods["block_results"] = self._block_results
        # The fake commits each transaction as it is broadcast: its mempool is always empty.
        self._methods["num_unconfirmed_txs"] = lambda _: {
            "n_txs": "0",
            "total": "0",
            "total_bytes": "0",
            "txs": None,
        }
        self.reachable = True
        """False: every call fails as a connection to a stopped node does."""

    @classmethod
    def started(cls, app_state: Mapping[str, Any], chain_id: str = "test-chain") -> FakeNode:
        node = super().started(app_state, chain_id)
        assert isinstance(node, FakeNode)
        return node

    def produce(self, txs: list[bytes]) -> pb.ResponseFinalizeBlock:
        finalized = super().produce(txs)
        self.blocks[self.chain.height] = (list(txs), finalized, self.chain.time_ns)
        return finalized

    def _handle(self, request: httpx.Request) -> httpx.Response:
        if not self.reachable:
            raise httpx.ConnectError("connection refused", request=request)
        return super()._handle(request)

    def _known(self, params: Mapping[str, str]) -> int:
        height = int(params.get("height", str(self.chain.height)))
        if height not in self.blocks:
            raise RpcError(
                f"height {height} must be less than or equal to the current blockchain height "
                f"{self.chain.height}"
            )
        return height

    def _block(self, params: Mapping[str, str]) -> dict[str, Any]:
        height = self._known(params)
        txs, _, time_ns = self.blocks[height]
        stamp = datetime.fromtimestamp(time_ns / 1e9, UTC).isoformat().replace("+00:00", "Z")
        header = {
            "chain_id": self.chain.chain_id,
            "height": str(height),
            "time": stamp,
            "app_hash": self.app_hashes[height - 1].hex().upper(),
            "proposer_address": PROPOSER,
        }
        return {
            "block_id": {"hash": hashlib.sha256(b"block %d" % height).hexdigest().upper()},
            "block": {
                "header": header,
                "data": {"txs": [base64.b64encode(tx).decode() for tx in txs]},
            },
        }

    def _block_results(self, params: Mapping[str, str]) -> dict[str, Any]:
        height = self._known(params)
        _, finalized, _ = self.blocks[height]
        results = [_exec_result(result) for result in finalized.tx_results]
        return {
            "height": str(height),
            "txs_results": results or None,  # CometBFT writes null for a block without any
            "finalize_block_events": [
                {
                    "type": event.type,
                    "attributes": [
                        {"key": a.key, "value": a.value, "index": a.index} for a in event.attributes
                    ],
                }
                for event in finalized.events
            ],
            "app_hash": finalized.app_hash.hex().upper(),
        }


class LockedTransport(httpx.BaseTransport):
    """One request at a time through `inner`."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            response = self.inner.handle_request(request)
            response.read()
            return response
