"""A client of one node: submit signed transactions, wait for their commit, and read state with
proofs verified against block headers.

It speaks the CometBFT RPC over HTTP through one `httpx.Client`, so tests can give it an
in-memory transport. `cornerstone.sdk.aio.AsyncClient` is the same client on `httpx.AsyncClient`:
both send the requests the functions at the end of this module build and read the answers they
parse, so the two differ only in how they wait.

Neither client reads proxy settings from the environment (`trust_env=False`): a node is usually
on loopback or a private network, and an `HTTP_PROXY` meant for the internet must never catch
those calls.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

import httpx

from cornerstone import encoding
from cornerstone.crypto import PrivateKey
from cornerstone.errors import (
    ClientError,
    FutureNonceError,
    StaleNonceError,
    TransactionError,
    TransactionFailedError,
    TransactionRejectedError,
)
from cornerstone.sdk.auth import RequestSigner
from cornerstone.sdk.light import Header, LightClient, Trust, over_rpc, run
from cornerstone.state.proof import Proof, ProofError, verify_proof
from cornerstone.tx import Transaction, sign_transaction

PROOF_OP_TYPE = "cornerstone/smt/v1"
NONCE_PREFIX = b"core/nonce/"
DEFAULT_GAS_LIMIT = 100_000
"""Enough for any native operation (a notary anchor uses about 16,000)."""
POLL_INTERVAL = 0.1
"""Seconds between two looks at the node while waiting for a commit or a block."""


@dataclass(frozen=True, slots=True)
class Committed:
    """A transaction that is in a block."""

    hash: bytes
    """Its hash."""
    height: int
    """The block it is in."""
    gas_used: int
    """Gas it used."""
    events: tuple[tuple[str, dict[str, str]], ...]
    """Its events: type and attributes."""


Outcome: TypeAlias = "Committed | TransactionRejectedError | TransactionFailedError"
"""What became of one call of `submit_many`: committed, refused by CheckTx (so in no block and
its nonce unused), or failed in its block."""


@dataclass(frozen=True, slots=True)
class Call:
    """One transaction for `submit_many` to sign: an operation of a module and its arguments."""

    module: str
    operation: str
    args: Mapping[str, encoding.Value]
    gas_limit: int = DEFAULT_GAS_LIMIT


@dataclass(frozen=True, slots=True)
class VerifiedValue:
    """A state value (or its absence) proven against a block header's app hash."""

    key: bytes
    """The state key."""
    value: bytes | None
    """Its value; None when the proof shows the key absent."""
    height: int
    """The state's height (after that block)."""
    app_hash: bytes
    """The app hash the proof was checked against, from the header at height + 1 (verified by
    the light client: signed by +2/3 of a validator set it trusts)."""


def http_options(base_url: str, timeout: float, signing_key: PrivateKey | None) -> dict[str, Any]:
    """What the sync and async clients give their HTTP client. Proxy settings from the
    environment are ignored (a node is named exactly); with a member's key every request is
    signed (sdk/auth.py), for a gateway or an authenticating proxy that wants to know who calls."""
    return {
        "base_url": base_url,
        "timeout": timeout,
        "trust_env": False,
        "auth": None if signing_key is None else RequestSigner(signing_key),
    }


class Client:
    """A synchronous client of one node's CometBFT RPC. `trust` says which headers its light
    client believes (default: trust on first use, kept in ~/.cornerstone/trust)."""

    def __init__(
        self,
        rpc_url: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        trust: Trust | None = None,
        signing_key: PrivateKey | None = None,
    ) -> None:
        self.rpc_url = rpc_url.rstrip("/")
        self._http = httpx.Client(
            **http_options(self.rpc_url, timeout, signing_key), transport=transport
        )
        self._chain_id: str | None = None
        self.light = LightClient(trust)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ RPC
    def rpc(self, method: str, **params: str) -> Any:
        """Call one RPC method and return its `result`; ClientError when that fails."""
        try:
            response = self._http.get(f"/{method}", params=params)
        except httpx.HTTPError as exc:
            raise unreachable(self.rpc_url, exc) from None
        return rpc_result(self.rpc_url, method, response)

    def status(self) -> dict[str, Any]:
        result: dict[str, Any] = self.rpc("status")
        return result

    def chain_id(self) -> str:
        if self._chain_id is None:
            self._chain_id = str(self.status()["node_info"]["network"])
        return self._chain_id

    def height(self) -> int:
        return int(self.status()["sync_info"]["latest_block_height"])

    # ------------------------------------------------------------------ transactions
    def next_nonce(self, identity_id: bytes) -> int:
        """The next nonce of the sender whose identity id (its key's fingerprint) is given."""
        return nonce_from(self.read(NONCE_PREFIX + identity_id))

    def broadcast(self, tx: Transaction) -> bytes:
        """Hand `tx` to the node's mempool; TransactionRejectedError if CheckTx refuses it."""
        return broadcast_hash(self.rpc("broadcast_tx_sync", **broadcast_params(tx)))

    def wait_for_commit(self, tx_hash: bytes, *, timeout: float = 30.0) -> Committed:
        """Wait until the transaction is in a block; TransactionFailedError if it failed there."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                result = self.rpc("tx", hash="0x" + tx_hash.hex())
                break
            except ClientError as exc:
                still_waiting(exc, tx_hash, deadline=deadline, timeout=timeout)
                time.sleep(POLL_INTERVAL)
        return committed_from(tx_hash, result)

    def submit(self, tx: Transaction, *, timeout: float = 30.0) -> Committed:
        """Broadcast and wait for the commit."""
        return self.wait_for_commit(self.broadcast(tx), timeout=timeout)

    # ------------------------------------------------------------------ state
    def _abci_query(self, path: str, data: bytes, *, prove: bool, height: int = 0) -> Any:
        result = self.rpc("abci_query", **abci_query_params(path, data, prove=prove, height=height))
        return abci_response(path, result)

    def read(self, key: bytes) -> bytes | None:
        """The latest committed value of a state key, unverified (None when absent)."""
        return stored_value(self._abci_query("/store", key, prove=False))

    def query(self, module: str, name: str, **args: encoding.Value) -> encoding.Value:
        """A module query, e.g. `query("notary", "lookup", digest=...)`."""
        return query_value(
            self._abci_query(f"/{module}/{name}", encoding.encode(args), prove=False)
        )

    def read_verified(self, key: bytes, *, height: int = 0, timeout: float = 30.0) -> VerifiedValue:
        """A state key's value or absence, with its proof checked against the app hash in the
        header of the next block (where CometBFT records the state after `height`), that header
        verified by the light client; a ProofError (LightClientError) says why not."""
        proven = proven_value(key, self._abci_query("/store", key, prove=True, height=height))
        header = self.verified_header(proven.height + 1, timeout=timeout)
        return proven.verify(header.app_hash)

    def verified_header(self, height: int, *, timeout: float = 30.0) -> Header:
        """The header of `height` once it exists, verified by the light client."""
        deadline = time.monotonic() + timeout
        latest = self.height()
        while latest < height:
            no_block_yet(height - 1, deadline=deadline, timeout=timeout)
            time.sleep(POLL_INTERVAL)
            latest = self.height()
        plan = self.light.plan(self.chain_id(), height, time.time_ns(), latest=latest)
        return run(over_rpc(plan), lambda call: self.rpc(call.method, **call.params))


class Signer:
    """Signs and submits transactions for one key, keeping its nonce in step.

    With `certificate` (DER of a member certificate for `key`) the transactions carry it;
    without, `key` must be registered on chain by its organization's admin.
    """

    def __init__(self, client: Client, key: PrivateKey, certificate: bytes | None = None) -> None:
        self.client = client
        self.key = key
        self.certificate = certificate
        self._nonce: int | None = None

    def sign(
        self,
        module: str,
        operation: str,
        args: Mapping[str, encoding.Value],
        *,
        gas_limit: int = DEFAULT_GAS_LIMIT,
    ) -> Transaction:
        if self._nonce is None:
            self._nonce = self.client.next_nonce(self.key.public_key.fingerprint)
        tx = sign_transaction(
            self.key,
            chain_id=self.client.chain_id(),
            nonce=self._nonce,
            module=module,
            operation=operation,
            args=args,
            gas_limit=gas_limit,
            certificate=self.certificate,
        )
        self._nonce += 1
        return tx

    def submit(
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
        return self.client.wait_for_commit(
            self._send(Call(module, operation, args, gas_limit)), timeout=timeout
        )

    def submit_many(self, calls: Iterable[Call], *, timeout: float = 30.0) -> list[Outcome]:
        """Sign and broadcast every call in order without waiting for a block between them, then
        wait for them all: a batch commits in one block or a few, where `submit` in a loop
        takes a block per transaction. One outcome per call, in order: its Committed, the
        TransactionRejectedError of a call CheckTx refused (the next call takes its nonce), or
        the TransactionFailedError of one that failed in its block. ClientError if the node
        cannot be reached, or if the batch is not committed `timeout` seconds after it is sent.
        """
        sent = [self._try_send(call) for call in calls]  # all sent before any is waited for
        hashes = [s for s in sent if isinstance(s, bytes)]
        if hashes:  # nonces commit in order: once the last is in a block, all the others are
            self._settle(hashes[-1], timeout)
        return [self._settle(s, timeout) if isinstance(s, bytes) else s for s in sent]

    def _try_send(self, call: Call) -> bytes | TransactionRejectedError:
        try:
            return self._send(call)
        except TransactionRejectedError as refused:
            return refused

    def _settle(self, tx_hash: bytes, timeout: float) -> Committed | TransactionFailedError:
        try:
            return self.client.wait_for_commit(tx_hash, timeout=timeout)
        except TransactionFailedError as failed:
            return failed

    def _send(self, call: Call) -> bytes:
        """Sign `call` and broadcast it; its hash, or TransactionRejectedError."""
        tx = self.sign(call.module, call.operation, call.args, gas_limit=call.gas_limit)
        try:
            return self.client.broadcast(tx)
        except TransactionRejectedError as refused:
            self._nonce = nonce_after_refusal(refused, tx)
            raise


# ---------------------------------------------------------------------------- shared
# Requests and answers, with no I/O: `Client` and `AsyncClient` both use these.


def unreachable(rpc_url: str, exc: httpx.HTTPError) -> ClientError:
    """The error for a node that did not answer."""
    return ClientError(
        reason=f"cannot reach the node at {rpc_url} ({exc.__class__.__name__}): "
        "is it running? `cornerstone localnet status` shows the nodes"
    )


def rpc_result(rpc_url: str, method: str, response: httpx.Response) -> Any:
    """The `result` of a JSON-RPC answer; ClientError for an error or anything but JSON."""
    try:
        body = response.json()
    except ValueError:
        raise ClientError(reason=f"the node at {rpc_url} did not answer JSON") from None
    if "error" in body:
        error = body["error"]
        raise ClientError(reason=f"{method}: {error.get('data') or error.get('message')}")
    return body["result"]


def nonce_from(raw: bytes | None) -> int:
    """The next nonce, from the stored one (absent: 0)."""
    return 0 if raw is None else encoding.decode_int(raw)


def broadcast_params(tx: Transaction) -> dict[str, str]:
    return {"tx": "0x" + tx.encode().hex()}


def broadcast_hash(result: Mapping[str, Any]) -> bytes:
    """The hash `broadcast_tx_sync` answered; TransactionRejectedError if CheckTx refused."""
    if int(result["code"]) != 0:
        raise TransactionRejectedError(
            tx_code=int(result["code"]),
            codespace=result.get("codespace", ""),
            log=result["log"],
        )
    return bytes.fromhex(result["hash"])


def nonce_after_refusal(refused: TransactionRejectedError, tx: Transaction) -> int | None:
    """The nonce for a signer's next transaction after CheckTx refused `tx`: `tx`'s own, which
    the refusal left unused (reading the chain instead would give a nonce that transactions
    still in the mempool have taken), or None, read it again, when the refusal was about the
    nonce itself: then another signer is using the key."""
    nonce_codes = (StaleNonceError.code, FutureNonceError.code)
    fields = refused.fields
    if fields.get("codespace") == TransactionError.codespace and fields["tx_code"] in nonce_codes:
        return None
    return tx.nonce


def still_waiting(exc: ClientError, tx_hash: bytes, *, deadline: float, timeout: float) -> None:
    """Return when `exc` means "not committed yet" and there is time left; else raise."""
    if time.monotonic() > deadline:
        raise ClientError(
            reason=f"transaction {tx_hash.hex()} was not committed within {timeout:.0f} s"
        ) from None
    if "not found" not in str(exc):
        raise exc


def committed_from(tx_hash: bytes, result: Mapping[str, Any]) -> Committed:
    """The `tx` endpoint's answer as Committed; TransactionFailedError if it failed in its block."""
    outcome = result["tx_result"]
    height = int(result["height"])
    if int(outcome.get("code", 0)) != 0:
        raise TransactionFailedError(
            height=height,
            tx_code=int(outcome["code"]),
            codespace=outcome.get("codespace", ""),
            log=outcome.get("log", ""),
        )
    events = tuple(
        (e["type"], {a["key"]: a["value"] for a in e.get("attributes", [])})
        for e in outcome.get("events", [])
    )
    return Committed(
        hash=tx_hash, height=height, gas_used=int(outcome.get("gas_used", 0)), events=events
    )


def abci_query_params(path: str, data: bytes, *, prove: bool, height: int = 0) -> dict[str, str]:
    params = {"path": f'"{path}"', "data": "0x" + data.hex(), "prove": str(prove).lower()}
    if height:
        params["height"] = str(height)
    return params


def abci_response(path: str, result: Mapping[str, Any]) -> Any:
    """The `response` of an `abci_query` answer; ClientError when the query failed."""
    response = result["response"]
    if int(response.get("code", 0)) != 0:
        raise ClientError(reason=f"query {path}: {response.get('log')}")
    return response


def stored_value(response: Mapping[str, Any]) -> bytes | None:
    """The value a `/store` query answered; None when the key is absent."""
    return None if response.get("log") == "absent" else _b64(response.get("value"))


def query_value(response: Mapping[str, Any]) -> encoding.Value:
    """The value a module query answered."""
    return encoding.decode(_b64(response.get("value")))


@dataclass(frozen=True, slots=True)
class ProvenValue:
    """A `/store` answer with its proof, not yet checked against a header."""

    key: bytes
    """The state key."""
    value: bytes | None
    """Its value; None for absent."""
    height: int
    """The state's height."""
    proof: Proof
    """The proof the node sent."""

    def verify(self, app_hash: bytes) -> VerifiedValue:
        """The value, once its proof checks against `app_hash`; ProofError if it does not."""
        verify_proof(app_hash, self.key, self.value, self.proof)
        return VerifiedValue(key=self.key, value=self.value, height=self.height, app_hash=app_hash)


def proven_value(key: bytes, response: Mapping[str, Any]) -> ProvenValue:
    """A proven `/store` answer; ProofError when it carries no proof of our kind."""
    ops = (response.get("proofOps") or {}).get("ops") or []
    if len(ops) != 1 or ops[0].get("type") != PROOF_OP_TYPE:
        raise ProofError("the node sent no proof of the expected kind")
    return ProvenValue(
        key=key,
        value=stored_value(response),
        height=int(response["height"]),
        proof=Proof.decode(_b64(ops[0]["data"])),
    )


def no_block_yet(height: int, *, deadline: float, timeout: float) -> None:
    """Return while there is time left to wait for the block after `height`; else raise."""
    if time.monotonic() > deadline:
        raise ClientError(reason=f"no block after height {height} within {timeout:.0f} s")


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""
