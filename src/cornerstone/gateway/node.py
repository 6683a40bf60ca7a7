"""The gateway's one way to its node: the SDK client of the node's CometBFT RPC.

Every call goes through `cornerstone.sdk.Client.rpc`, so tests give the gateway the same
in-memory transport they give the SDK. Submissions, the gateway's hot path, go instead through
lean keep-alive connections on the serving event loop (`abroadcast`, `acommitted`; node_http.py),
opened with the loop (`open_async`): no worker thread, no HTTP library's overhead per call; the
answers are read by the SDK's own `rpc_result`, so they mean the same either way.

Failures become gateway errors here, at the boundary: a node that does not answer is
`NodeUnavailableError` (503), an error answer `NodeRefusedError` (502), and a refusal the chain
decided (CheckTx, a module query) a `ChainRefusal` that keeps the chain's own code and codespace.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from cornerstone import encoding
from cornerstone.errors import ClientError
from cornerstone.gateway.errors import (
    AlreadySubmittedError,
    CommitTimeoutError,
    NodeRefusedError,
    NodeUnavailableError,
)
from cornerstone.gateway.node_http import RpcConnectionError, RpcConnections
from cornerstone.sdk import Client
from cornerstone.sdk.client import rpc_result
from cornerstone.state.proof import Proof, ProofError, verify_proof

PROOF_OP_TYPE = "cornerstone/smt/v1"
COMMIT_POLL = 0.1
"""Seconds between looks for a transaction awaited with `wait=commit`."""
HEADER_WAIT = 10.0
"""Seconds to wait for the block after a proven height (its header holds the app hash)."""
RPC_TIMEOUT = 10.0
MEMPOOL_CACHE_HIT = "tx already exists in cache"
"""CometBFT's error for bytes its mempool cache holds (pending, or recently committed)."""

# Chain codes (codespace "tx") that mean the bytes are not a transaction at all.
MALFORMED_CODES = range(1, 20)
UNKNOWN_ROUTE_CODES = (40, 41)
"""tx codes for an unknown module or operation: for a query, "not found"."""
QUERY_NOT_FOUND = ("query", 2)
"""No state is kept for that height."""


class ChainRefusal(Exception):
    """The chain refused: CheckTx refused a transaction, or a query refused its arguments.

    Not a `CornerstoneError` of the gateway: the code and codespace are the chain's, passed on
    unchanged so clients match on one set of numbers.
    """

    def __init__(self, *, code: int, codespace: str, log: str, status: int) -> None:
        super().__init__(log)
        self.code = code
        self.codespace = codespace
        self.log = log
        self.status = status
        """The HTTP status: 400 for bytes that are no transaction, 404 for an unknown query,
        422 for a well-formed request the chain refuses."""


@dataclass(frozen=True, slots=True)
class TxOutcome:
    """A committed transaction, as the node's `tx` endpoint reports it."""

    hash: bytes
    """Its hash."""
    height: int
    """Its block."""
    index: int
    """Its position in the block."""
    code: int
    """0 for success, else the chain's error code."""
    codespace: str
    """Who defined `code`."""
    log: str
    """The chain's sentence for a failure."""
    gas_used: int
    """Gas used."""
    events: tuple[tuple[str, dict[str, str]], ...]
    """Its events."""


@dataclass(frozen=True, slots=True)
class Proven:
    """A state value (or absence) whose proof the gateway checked against a block header."""

    key: bytes
    """The key read."""
    value: bytes | None
    """Its value; None when absent."""
    height: int
    """The state's height."""
    app_hash: bytes
    """The app hash in the header of block `height + 1`, which the proof verified against."""
    proof: bytes
    """The proof's encoding, for clients to check again."""


class Node:
    """One node's RPC, with the calls the gateway makes."""

    def __init__(self, rpc_url: str, *, transport: httpx.BaseTransport | None = None) -> None:
        self.rpc_url = rpc_url.rstrip("/")
        self.client = Client(self.rpc_url, timeout=RPC_TIMEOUT, transport=transport)
        self._transport = transport
        self._async: RpcConnections | None = None

    def close(self) -> None:
        self.client.close()

    def open_async(self) -> None:
        """Use lean connections for `acall`, on the event loop that calls it (until `aclose`).
        Not with a test's transport, nor an https RPC: those calls go through the SDK client,
        in a worker thread."""
        if self._transport is None and self.rpc_url.startswith("http://"):
            self._async = RpcConnections(self.rpc_url, timeout=RPC_TIMEOUT)

    async def aclose(self) -> None:
        client, self._async = self._async, None
        if client is not None:
            await client.aclose()

    def call(self, method: str, **params: str) -> Any:
        """The result of one RPC call; NodeUnavailableError or NodeRefusedError on failure."""
        try:
            return self.client.rpc(method, **params)
        except ClientError as exc:
            raise self._failure(method, exc) from None

    async def acall(self, method: str, **params: str) -> Any:
        """`call` without a thread, once `open_async` opened the lean connections (else in a
        worker thread)."""
        connections = self._async
        if connections is None:
            return await asyncio.to_thread(self.call, method, **params)
        try:
            status, body = await connections.get(f"/{method}?{urlencode(params, quote_via=quote)}")
        except RpcConnectionError as exc:
            raise NodeUnavailableError(rpc_url=self.rpc_url, reason=exc.kind) from None
        try:
            answer = json.loads(body)
            if "error" not in answer:
                return answer["result"]
        except (ValueError, KeyError, TypeError):
            pass  # not a result: the SDK's reading says why, as for the synchronous calls
        try:
            return rpc_result(self.rpc_url, method, httpx.Response(status, content=body))
        except ClientError as exc:
            raise self._failure(method, exc) from None

    def _failure(self, method: str, exc: ClientError) -> NodeUnavailableError | NodeRefusedError:
        # The SDK raises ClientError from None: the transport failure is its context.
        if isinstance(exc.__context__, httpx.HTTPError | ValueError):
            return NodeUnavailableError(rpc_url=self.rpc_url, reason=type(exc.__context__).__name__)
        return NodeRefusedError(method=method, reason=exc.message)

    # ------------------------------------------------------------------ chain
    def status(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call("status")
        return result

    def height(self) -> int:
        return int(self.status()["sync_info"]["latest_block_height"])

    def block(self, height: int) -> dict[str, Any]:
        result: dict[str, Any] = self.call("block", height=str(height))
        return result

    def block_results(self, height: int) -> dict[str, Any]:
        result: dict[str, Any] = self.call("block_results", height=str(height))
        return result

    # ------------------------------------------------------------------ transactions
    def broadcast(self, raw: bytes) -> bytes:
        """Hand the bytes to the mempool; ChainRefusal when CheckTx refuses them."""
        try:
            result = self.call("broadcast_tx_sync", tx="0x" + raw.hex())
        except NodeRefusedError as exc:
            raise _refused_broadcast(raw, exc) from None
        return _broadcast_hash(result)

    async def abroadcast(self, raw: bytes) -> bytes:
        """`broadcast` without a thread."""
        try:
            result = await self.acall("broadcast_tx_sync", tx="0x" + raw.hex())
        except NodeRefusedError as exc:
            raise _refused_broadcast(raw, exc) from None
        return _broadcast_hash(result)

    def wait_for_commit(self, tx_hash: bytes, *, timeout: float) -> TxOutcome:
        """The transaction's outcome once it is in a block; CommitTimeoutError after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.committed(tx_hash)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                raise CommitTimeoutError(tx_hash=tx_hash.hex(), timeout=f"{timeout:g}")
            time.sleep(COMMIT_POLL)

    def committed(self, tx_hash: bytes) -> TxOutcome | None:
        """The transaction's outcome if it is in a block, else None."""
        try:
            result = self.call("tx", hash="0x" + tx_hash.hex())
        except NodeRefusedError as exc:
            if "not found" not in exc.message:
                raise
            return None
        return _outcome(tx_hash, result)

    async def acommitted(self, tx_hash: bytes) -> TxOutcome | None:
        """`committed` without a thread."""
        try:
            result = await self.acall("tx", hash="0x" + tx_hash.hex())
        except NodeRefusedError as exc:
            if "not found" not in exc.message:
                raise
            return None
        return _outcome(tx_hash, result)

    # ------------------------------------------------------------------ state
    def abci_query(
        self, path: str, data: bytes, *, prove: bool = False, height: int = 0
    ) -> dict[str, Any]:
        """The application's answer to a query; ChainRefusal when it refuses."""
        params = {"path": f'"{path}"', "data": "0x" + data.hex(), "prove": str(prove).lower()}
        if height:
            params["height"] = str(height)
        response: dict[str, Any] = self.call("abci_query", **params)["response"]
        code = int(response.get("code", 0))
        if code:
            codespace = str(response.get("codespace", ""))
            not_found = (codespace == "tx" and code in UNKNOWN_ROUTE_CODES) or (
                codespace,
                code,
            ) == QUERY_NOT_FOUND
            raise ChainRefusal(
                code=code,
                codespace=codespace,
                log=str(response.get("log", "")),
                status=404 if not_found else 400,
            )
        return response

    def query(
        self, module: str, name: str, args: Mapping[str, encoding.Value]
    ) -> tuple[encoding.Value, int]:
        """A module query's answer, and the height of the state that gave it."""
        response = self.abci_query(f"/{module}/{name}", encoding.encode(dict(args)))
        return encoding.decode(_b64(response.get("value"))), int(response.get("height", 0))

    def query_batch(
        self, queries: Sequence[tuple[str, str, Mapping[str, encoding.Value]]]
    ) -> tuple[list[encoding.Value | ChainRefusal], int]:
        """Many module queries answered from one state in one round trip (the application's
        `/batch`): each one's answer or its own refusal, in order, and the state's height."""
        items: list[encoding.Value] = [
            [module, name, encoding.encode(dict(args))] for module, name, args in queries
        ]
        response = self.abci_query("/batch", encoding.encode(items))
        answers = encoding.decode(_b64(response.get("value")))
        if not isinstance(answers, list) or len(answers) != len(items):
            raise ValueError("the node's batch answer does not match its questions")
        found: list[encoding.Value | ChainRefusal] = []
        for answer in answers:
            if not isinstance(answer, dict):
                raise ValueError("the node's batch answer holds something else than answers")
            if "answer" in answer:
                encoded = answer["answer"]
                found.append(encoding.decode(encoded) if isinstance(encoded, bytes) else None)
            else:
                found.append(
                    ChainRefusal(
                        code=int(str(answer.get("code", 0))),
                        codespace=str(answer.get("codespace", "")),
                        log=str(answer.get("log", "")),
                        status=400,
                    )
                )
        return found, int(response.get("height", 0))

    def read(self, key: bytes, *, height: int = 0) -> tuple[bytes | None, int]:
        """A state key's value (None when absent) and its height, unproven."""
        response = self.abci_query("/store", key, height=height)
        value = None if response.get("log") == "absent" else _b64(response.get("value"))
        return value, int(response.get("height", 0))

    def read_proven(self, key: bytes, *, height: int = 0) -> Proven:
        """A state key's value or absence, its proof checked against the app hash in the header
        of the next block, as `Client.read_verified` does; the proof is kept for the client."""
        response = self.abci_query("/store", key, prove=True, height=height)
        at = int(response["height"])
        ops = (response.get("proofOps") or {}).get("ops") or []
        if len(ops) != 1 or ops[0].get("type") != PROOF_OP_TYPE:
            raise ProofError(reason="the node sent no proof of the expected kind")
        proof_bytes = _b64(ops[0]["data"])
        value = None if response.get("log") == "absent" else _b64(response.get("value"))
        app_hash = self._app_hash_after(at)
        verify_proof(app_hash, key, value, Proof.decode(proof_bytes))
        return Proven(key=key, value=value, height=at, app_hash=app_hash, proof=proof_bytes)

    def _app_hash_after(self, height: int) -> bytes:
        deadline = time.monotonic() + HEADER_WAIT
        while self.height() < height + 1:
            if time.monotonic() >= deadline:
                raise NodeUnavailableError(
                    rpc_url=self.rpc_url,
                    reason=f"no block after height {height} within {HEADER_WAIT:g} s",
                )
            time.sleep(COMMIT_POLL)
        header = self.call("commit", height=str(height + 1))["signed_header"]["header"]
        return bytes.fromhex(header["app_hash"])


def _refused_broadcast(
    raw: bytes, exc: NodeRefusedError
) -> NodeRefusedError | AlreadySubmittedError:
    if MEMPOOL_CACHE_HIT in exc.message:  # CometBFT's answer to bytes it has seen
        return AlreadySubmittedError(tx_hash=hashlib.sha256(raw).hexdigest())
    return exc


def _broadcast_hash(result: Mapping[str, Any]) -> bytes:
    """The hash `broadcast_tx_sync` answered; ChainRefusal when CheckTx refused the bytes."""
    code = int(result.get("code", 0))
    if code:
        codespace = str(result.get("codespace", ""))
        malformed = codespace == "tx" and code in MALFORMED_CODES
        raise ChainRefusal(
            code=code,
            codespace=codespace,
            log=str(result.get("log", "")),
            status=400 if malformed else 422,
        )
    return bytes.fromhex(result["hash"])


def _outcome(tx_hash: bytes, result: Mapping[str, Any]) -> TxOutcome:
    outcome = result["tx_result"]
    return TxOutcome(
        hash=tx_hash,
        height=int(result["height"]),
        index=int(result.get("index", 0)),
        code=int(outcome.get("code", 0)),
        codespace=str(outcome.get("codespace", "")),
        log=str(outcome.get("log", "")) if int(outcome.get("code", 0)) else "",
        gas_used=int(outcome.get("gas_used", 0)),
        events=events_of(outcome.get("events")),
    )


def events_of(raw: Any) -> tuple[tuple[str, dict[str, str]], ...]:
    """Events as CometBFT v0.38 writes them in JSON (attribute keys and values are strings)."""
    return tuple(
        (
            str(event["type"]),
            {str(a["key"]): str(a.get("value") or "") for a in event.get("attributes") or []},
        )
        for event in raw or []
    )


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""
