"""Drive an Application the way CometBFT does, in-process or over a real ABCI socket.

    chain = TestChain.in_process(store)            # or TestChain.over_socket(store)
    chain.init_chain(app_state)
    chain.check_tx(raw)                            # the mempool's view
    chain.produce_block([raw, ...])                # PrepareProposal, ProcessProposal,
                                                   # FinalizeBlock, Commit

Used by the application-tier tests, and by anyone who wants to run the real application with no
network. The two transports take identical requests, so one test body covers both.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp as PbTimestamp
from tendermint.abci import types_pb2 as pb
from tendermint.crypto import keys_pb2
from tendermint.types import params_pb2

from cornerstone.abci.app import Application
from cornerstone.abci.server import AbciServer, frame
from cornerstone.encoding import decode_uvarint
from cornerstone.state import MemoryStore, Store

Transport = Callable[[pb.Request], pb.Response]
GENESIS_TIME_NS = 1_767_225_600 * 1_000_000_000  # 2026-01-01T00:00:00Z
BLOCK_INTERVAL_NS = 1_000_000_000
MAX_BLOCK_BYTES = 4 * 1024 * 1024


class SocketTransport:
    """Serves an Application on a loopback port in a background thread and talks to it through
    one ABCI connection, with the same framing and Flush as CometBFT."""

    def __init__(self, app: Application) -> None:
        self._loop = asyncio.new_event_loop()
        self._server = AbciServer(app.handle, on_connect=app.connected)
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        port = asyncio.run_coroutine_threadsafe(
            self._server.start("127.0.0.1", 0), self._loop
        ).result(timeout=10)
        self._sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self._buffer = b""

    def __call__(self, request: pb.Request) -> pb.Response:
        flush = pb.Request(flush=pb.RequestFlush())
        self._sock.sendall(frame(request.SerializeToString()) + frame(flush.SerializeToString()))
        response = pb.Response.FromString(self._read_frame())
        flushed = pb.Response.FromString(self._read_frame())
        assert flushed.WhichOneof("value") == "flush", "responses arrive in request order"
        return response

    def _read_frame(self) -> bytes:
        while True:
            if self._buffer:
                try:
                    length, start = decode_uvarint(self._buffer, 0)
                except ValueError:
                    length, start = -1, 0
                if length >= 0 and len(self._buffer) >= start + length:
                    message = self._buffer[start : start + length]
                    self._buffer = self._buffer[start + length :]
                    return message
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionError("the application closed the connection")
            self._buffer += chunk

    def close(self) -> None:
        self._sock.close()
        asyncio.run_coroutine_threadsafe(self._server.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


class TestChain:
    """A single-validator chain around one Application, driven through ABCI requests."""

    __test__ = False  # not a pytest test class

    def __init__(self, app: Application, transport: Transport, chain_id: str) -> None:
        self.app = app
        self.call = transport
        self.chain_id = chain_id
        self.height = app.store.height
        self.time_ns = GENESIS_TIME_NS + self.height * BLOCK_INTERVAL_NS

    @classmethod
    def in_process(cls, store: Store | MemoryStore, chain_id: str = "test-chain") -> TestChain:
        app = Application(store)
        return cls(app, app.handle, chain_id)

    @classmethod
    def over_socket(cls, store: Store | MemoryStore, chain_id: str = "test-chain") -> TestChain:
        app = Application(store)
        return cls(app, SocketTransport(app), chain_id)

    def close(self) -> None:
        if isinstance(self.call, SocketTransport):
            self.call.close()

    # ------------------------------------------------------------------ requests
    def info(self) -> pb.ResponseInfo:
        return self.call(pb.Request(info=pb.RequestInfo(version="test"))).info

    def init_chain(
        self, app_state: Mapping[str, Any], *, max_gas: int = -1
    ) -> pb.ResponseInitChain:
        # CometBFT's genesis lists the validators the organizations list in the app state.
        validators = [
            pb.ValidatorUpdate(
                pub_key=keys_pb2.PublicKey(ed25519=bytes.fromhex(v["public_key"])),
                power=v["power"],
            )
            for org in app_state.get("membership", {}).get("organizations", [])
            for v in org.get("validators", [])
        ]
        request = pb.RequestInitChain(
            time=_timestamp(GENESIS_TIME_NS),
            chain_id=self.chain_id,
            validators=validators,
            consensus_params=params_pb2.ConsensusParams(
                block=params_pb2.BlockParams(max_bytes=MAX_BLOCK_BYTES, max_gas=max_gas)
            ),
            app_state_bytes=json.dumps(app_state).encode(),
            initial_height=1,
        )
        return self.call(pb.Request(init_chain=request)).init_chain

    def check_tx(self, raw: bytes, *, recheck: bool = False) -> pb.ResponseCheckTx:
        kind = pb.CheckTxType.RECHECK if recheck else pb.CheckTxType.NEW
        return self.call(pb.Request(check_tx=pb.RequestCheckTx(tx=raw, type=kind))).check_tx

    def prepare(self, txs: Sequence[bytes], *, max_tx_bytes: int = MAX_BLOCK_BYTES) -> list[bytes]:
        request = pb.RequestPrepareProposal(
            max_tx_bytes=max_tx_bytes,
            txs=list(txs),
            height=self.height + 1,
            time=_timestamp(self.time_ns + BLOCK_INTERVAL_NS),
        )
        return list(self.call(pb.Request(prepare_proposal=request)).prepare_proposal.txs)

    def process(self, txs: Sequence[bytes]) -> bool:
        request = pb.RequestProcessProposal(
            txs=list(txs),
            height=self.height + 1,
            time=_timestamp(self.time_ns + BLOCK_INTERVAL_NS),
            hash=self._block_hash(txs),
        )
        status = self.call(pb.Request(process_proposal=request)).process_proposal.status
        return status == pb.ResponseProcessProposal.ACCEPT

    def finalize(self, txs: Sequence[bytes]) -> pb.ResponseFinalizeBlock:
        request = pb.RequestFinalizeBlock(
            txs=list(txs),
            height=self.height + 1,
            time=_timestamp(self.time_ns + BLOCK_INTERVAL_NS),
            hash=self._block_hash(txs),
        )
        return self.call(pb.Request(finalize_block=request)).finalize_block

    def _block_hash(self, txs: Sequence[bytes]) -> bytes:
        """A stand-in for the header hash CometBFT sends: it differs whenever the block does."""
        digest = hashlib.sha256(f"{self.chain_id}/{self.height + 1}/{self.time_ns}".encode())
        for tx in txs:
            digest.update(hashlib.sha256(tx).digest())
        return digest.digest()

    def commit(self) -> None:
        self.call(pb.Request(commit=pb.RequestCommit()))
        self.height += 1
        self.time_ns += BLOCK_INTERVAL_NS

    def produce_block(self, txs: Sequence[bytes]) -> pb.ResponseFinalizeBlock:
        """One whole height as a proposer would run it; the proposal must be accepted."""
        chosen = self.prepare(txs)
        assert self.process(chosen), "the application rejected its own proposal"
        result = self.finalize(chosen)
        self.commit()
        return result

    def query(
        self, path: str, data: bytes = b"", *, prove: bool = False, height: int = 0
    ) -> pb.ResponseQuery:
        request = pb.RequestQuery(path=path, data=data, prove=prove, height=height)
        return self.call(pb.Request(query=request)).query


def _timestamp(ns: int) -> PbTimestamp:
    return PbTimestamp(seconds=ns // 1_000_000_000, nanos=ns % 1_000_000_000)
