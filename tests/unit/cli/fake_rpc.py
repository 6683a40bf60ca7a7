"""A node's CometBFT RPC in memory, for the SDK `Client` behind the CLI: the endpoints it calls,
answered by a `TestChain` that runs the real application in-process.

    rpc = FakeRpc.started(genesis())
    Client("http://fake", transport=rpc.transport)

Each transaction CheckTx admits goes into a block of its own at once, so a commit is immediate.
A real chain also makes blocks with no transactions; here one is made when a client waits for
the header after a proven height (`Client.read_verified` needs it), so nothing sleeps. Each
block's header is signed by the chain's one validator (`light_chain`), so the SDK's light client
verifies it as it would a real node's; `forge` makes the node answer a header it did not sign.

Answers have the shape CometBFT v0.38 gives them: JSON-RPC results, int64 as strings, bytes as
base64 (hex for hashes), errors as `{"error": {"code", "message", "data"}}`.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from tendermint.abci import types_pb2 as pb

from cornerstone.sdk import Client
from cornerstone.sdk.light.types import signed_header_json, validators_json
from cornerstone.state import MemoryStore
from cornerstone.testing import TestChain
from tests.unit.sdk.light_chain import LightChain

URL = "http://fake-node:26657"
INTERNAL_ERROR = -32603
METHOD_NOT_FOUND = -32601


class RpcError(Exception):
    """An RPC call CometBFT would answer with an error object."""

    def __init__(self, data: str, code: int = INTERNAL_ERROR) -> None:
        super().__init__(data)
        self.data = data
        self.code = code


class FakeRpc:
    """The RPC of one node of a single-validator chain."""

    def __init__(self, chain: TestChain, genesis_app_hash: bytes) -> None:
        self.chain = chain
        self.transport = httpx.MockTransport(self._handle)
        self.app_hashes: dict[int, bytes] = {0: genesis_app_hash}
        """The app hash after each height: the header of height h + 1 carries that of h."""
        self.results: dict[bytes, dict[str, Any]] = {}
        """Committed transactions by hash, as the `tx` endpoint answers them."""
        self.broadcasts = 0
        self.light_chain = LightChain.of(1, chain.chain_id)
        """The signed headers, one per block."""
        self.forged: dict[int, bytes] = {}
        """Heights whose header the node answers with another app hash, unsigned."""
        self._header_wanted = 0
        self._methods: dict[str, Callable[[Mapping[str, str]], Any]] = {
            "status": self._status,
            "broadcast_tx_sync": self._broadcast_tx_sync,
            "tx": self._tx,
            "abci_query": self._abci_query,
            "commit": self._commit,
            "validators": self._validators,
        }

    @classmethod
    def started(cls, app_state: Mapping[str, Any], chain_id: str = "test-chain") -> FakeRpc:
        """A chain from `app_state` with its first block made, as CometBFT makes it at once
        (before it, the genesis state is not committed and cannot be proven)."""
        chain = TestChain.in_process(MemoryStore(), chain_id)
        initialized = chain.init_chain(app_state)
        rpc = cls(chain, initialized.app_hash)
        rpc.produce([])
        return rpc

    def client(self, url: str = URL) -> Client:
        """A client of this node (the URL only names it: nothing leaves the process)."""
        return Client(url, transport=self.transport)

    def produce(self, txs: list[bytes]) -> pb.ResponseFinalizeBlock:
        """One block with `txs`; their results become readable through `tx`."""
        finalized = self.chain.produce_block(txs)
        assert len(finalized.tx_results) == len(txs), "the proposer includes every checked tx"
        height = self.chain.height
        self.app_hashes[height] = finalized.app_hash
        self.light_chain.next(app_hash=self.app_hashes[height - 1])
        for index, (raw, result) in enumerate(zip(txs, finalized.tx_results, strict=True)):
            tx_hash = hashlib.sha256(raw).digest()
            self.results[tx_hash] = {
                "hash": tx_hash.hex().upper(),
                "height": str(height),
                "index": index,
                "tx_result": _exec_result(result),
                "tx": base64.b64encode(raw).decode(),
            }
        return finalized

    # ------------------------------------------------------------------ HTTP
    def _handle(self, request: httpx.Request) -> httpx.Response:
        method = request.url.path.strip("/")
        params = dict(request.url.params)
        handler = self._methods.get(method)
        try:
            if handler is None:
                raise RpcError(f"method {method!r} is not served by the fake", METHOD_NOT_FOUND)
            body: dict[str, Any] = {"jsonrpc": "2.0", "id": -1, "result": handler(params)}
        except RpcError as error:
            message = "Method not found" if error.code == METHOD_NOT_FOUND else "Internal error"
            body = {
                "jsonrpc": "2.0",
                "id": -1,
                "error": {"code": error.code, "message": message, "data": error.data},
            }
        return httpx.Response(200, json=body)

    # ------------------------------------------------------------------ endpoints
    def _status(self, _params: Mapping[str, str]) -> dict[str, Any]:
        # A client waiting for the header after a proven height: the next block comes along.
        while self.chain.height < self._header_wanted:
            self.produce([])
        height = self.chain.height
        return {
            "node_info": {"network": self.chain.chain_id, "moniker": "fake"},
            "sync_info": {
                "latest_block_height": str(height),
                "latest_app_hash": self.app_hashes[height].hex().upper(),
                "catching_up": False,
            },
        }

    def _broadcast_tx_sync(self, params: Mapping[str, str]) -> dict[str, Any]:
        raw = _hex_param(params, "tx")
        self.broadcasts += 1
        tx_hash = hashlib.sha256(raw).digest().hex().upper()
        checked = self.chain.check_tx(raw)
        if checked.code == 0:
            self.produce([raw])
        return {
            "code": checked.code,
            "data": "",
            "log": checked.log,
            "codespace": checked.codespace,
            "hash": tx_hash,
        }

    def _tx(self, params: Mapping[str, str]) -> dict[str, Any]:
        tx_hash = _hex_param(params, "hash")
        found = self.results.get(tx_hash)
        if found is None:
            raise RpcError(f"tx ({tx_hash.hex().upper()}) not found")
        return found

    def _abci_query(self, params: Mapping[str, str]) -> dict[str, Any]:
        path = params.get("path", "").strip('"')
        data = _hex_param(params, "data") if "data" in params else b""
        prove = params.get("prove", "false") == "true"
        height = int(params.get("height", "0"))
        answer = self.chain.query(path, data, prove=prove, height=height)
        if prove and answer.code == 0:
            self._header_wanted = max(self._header_wanted, answer.height + 1)
        ops = [
            {
                "type": op.type,
                "key": base64.b64encode(op.key).decode(),
                "data": base64.b64encode(op.data).decode(),
            }
            for op in answer.proof_ops.ops
        ]
        return {
            "response": {
                "code": answer.code,
                "log": answer.log,
                "info": answer.info,
                "index": str(answer.index),
                "key": base64.b64encode(answer.key).decode() if answer.key else None,
                "value": base64.b64encode(answer.value).decode() if answer.value else None,
                "proofOps": {"ops": ops} if ops else None,
                "height": str(answer.height),
                "codespace": answer.codespace,
            }
        }

    def _commit(self, params: Mapping[str, str]) -> dict[str, Any]:
        height = int(params.get("height", str(self.chain.height)))
        if not 1 <= height <= self.chain.height:
            raise RpcError(
                f"height {height} must be less than or equal to the current blockchain height "
                f"{self.chain.height}"
            )
        signed = signed_header_json(self.light_chain.blocks[height].signed_header)
        if height in self.forged:  # a lying node: its own app hash, the real commit
            signed["header"]["app_hash"] = self.forged[height].hex().upper()
        return {"signed_header": signed, "canonical": True}

    def _validators(self, params: Mapping[str, str]) -> dict[str, Any]:
        block = self.light_chain.blocks[int(params["height"])]
        assert block.validators is not None
        listed = validators_json(block.validators)
        per_page = min(int(params.get("per_page", "30")), 100)  # CometBFT's default and most
        start = (int(params.get("page", "1")) - 1) * per_page
        page = listed[start : start + per_page]
        return {
            "block_height": params["height"],
            "validators": page,
            "count": str(len(page)),
            "total": str(len(listed)),
        }


def _hex_param(params: Mapping[str, str], name: str) -> bytes:
    value = params.get(name, "")
    if not value.startswith("0x"):
        raise RpcError(f"{name} must be 0x-prefixed hex in this fake")
    return bytes.fromhex(value[2:])


def _exec_result(result: pb.ExecTxResult) -> dict[str, Any]:
    return {
        "code": result.code,
        "data": base64.b64encode(result.data).decode() if result.data else None,
        "log": result.log,
        "info": result.info,
        "gas_wanted": str(result.gas_wanted),
        "gas_used": str(result.gas_used),
        "events": [
            {
                "type": event.type,
                "attributes": [
                    {"key": a.key, "value": a.value, "index": a.index} for a in event.attributes
                ],
            }
            for event in result.events
        ],
        "codespace": result.codespace,
    }
