"""The ABCI application: it translates CometBFT's requests into calls of the execution layer
and the results back. No decision is made here.

Life of a block: CheckTx admits transactions to the mempool against `_check_state`;
PrepareProposal chooses the mempool's transactions that pass their check in turn and fit, on a
scratch state, and when one of them may change later checks (membership, governance) executes
them instead and keeps the result; ProcessProposal takes that result for the proposer's own
block, or executes the proposal on a scratch state (refusing it if any transaction fails its
check), and keeps it by block hash; FinalizeBlock takes that result for the decided block, or
runs `apply_block` when it has none, and keeps it pending; Commit persists it in one LMDB
transaction. A crash at any point loses at most the pending block, which CometBFT replays after
`Info` tells it the last committed height.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping

from tendermint.abci import types_pb2 as pb
from tendermint.crypto import keys_pb2, proof_pb2

from cornerstone import __version__
from cornerstone.abci.wire import encode_tx_results
from cornerstone.chain import get_params
from cornerstone.errors import (
    CornerstoneError,
    HeightNotKeptError,
    LatestOnlyError,
    PeerRefusedError,
    QueryFailedError,
    TransactionError,
    UnknownQueryPathError,
)
from cornerstone.execution import (
    Block,
    BlockResult,
    InvalidProposal,
    apply_block,
    execute_proposal,
    init_chain,
    prepare_block,
    run_query,
    select_transactions,
)
from cornerstone.execution.mempool import MempoolChecker
from cornerstone.execution.query import run_batch
from cornerstone.module import Event
from cornerstone.modules.membership.state import node_is_member
from cornerstone.state import MemoryStore, State, Store
from cornerstone.types import Height, Timestamp

APP_VERSION = 1
"""The application's protocol version, reported in Info and in block headers."""
PROOF_OP_TYPE = "cornerstone/smt/v1"
STORE_QUERY_PATH = "/store"
PEER_FILTER_PATH = "/p2p/filter/"
BATCH_QUERY_PATH = "/batch"
ACCEPTED_RESPONSES = 64
"""CheckTx acceptances kept ready, one per gas limit (clients use a handful of limits)."""

log = logging.getLogger("cornerstone.app")


class Application:
    """One node's application, over its store."""

    def __init__(self, store: Store | MemoryStore) -> None:
        self.store = store
        self._genesis: dict[bytes, bytes | None] = {}
        """Genesis writes, until the first block commits them."""
        self._pending: BlockResult | None = None
        self._executed: dict[tuple[int, bytes], BlockResult] = {}
        """Proposals this node executed in ProcessProposal, by height and block hash, until
        FinalizeBlock takes the decided one."""
        self._prepared: tuple[Block, BlockResult] | None = None
        """The block this node last proposed (its chosen transactions), when PrepareProposal
        had to execute it: its own ProcessProposal takes the result instead of running it
        again."""
        self._check_state = self._fresh_state()
        self._mempool = MempoolChecker()
        self._accepted: dict[int, pb.Response] = {}
        self._handlers: dict[str, Callable[[pb.Request], pb.Response]] = {
            "echo": lambda r: pb.Response(echo=pb.ResponseEcho(message=r.echo.message)),
            "flush": lambda r: pb.Response(flush=pb.ResponseFlush()),
            "info": lambda r: pb.Response(info=self.info(r.info)),
            "init_chain": lambda r: pb.Response(init_chain=self.init_chain(r.init_chain)),
            "query": lambda r: pb.Response(query=self.query(r.query)),
            "check_tx": self._answer_check_tx,
            "prepare_proposal": lambda r: pb.Response(
                prepare_proposal=self.prepare_proposal(r.prepare_proposal)
            ),
            "process_proposal": lambda r: pb.Response(
                process_proposal=self.process_proposal(r.process_proposal)
            ),
            "finalize_block": lambda r: pb.Response(
                finalize_block=self.finalize_block(r.finalize_block)
            ),
            "extend_vote": lambda r: pb.Response(extend_vote=pb.ResponseExtendVote()),
            "verify_vote_extension": lambda r: pb.Response(
                verify_vote_extension=pb.ResponseVerifyVoteExtension(
                    status=pb.ResponseVerifyVoteExtension.ACCEPT
                )
            ),
            "commit": lambda r: pb.Response(commit=self.commit()),
            "list_snapshots": lambda r: pb.Response(list_snapshots=pb.ResponseListSnapshots()),
            "offer_snapshot": lambda r: pb.Response(
                offer_snapshot=pb.ResponseOfferSnapshot(result=pb.ResponseOfferSnapshot.REJECT)
            ),
            "load_snapshot_chunk": lambda r: pb.Response(
                load_snapshot_chunk=pb.ResponseLoadSnapshotChunk()
            ),
            "apply_snapshot_chunk": lambda r: pb.Response(
                apply_snapshot_chunk=pb.ResponseApplySnapshotChunk(
                    result=pb.ResponseApplySnapshotChunk.ABORT
                )
            ),
        }

    def handle(self, request: pb.Request) -> pb.Response:
        """Answer one ABCI request (the server's single entry point)."""
        kind = request.WhichOneof("value")
        handler = self._handlers.get(kind or "")
        if handler is None:
            return pb.Response(exception=pb.ResponseException(error=f"unknown request {kind}"))
        return handler(request)

    def _fresh_state(self) -> State:
        return State(self.store, self._genesis)

    # ------------------------------------------------------------------ info connection
    def connected(self) -> None:
        """A CometBFT opened a connection: it has (re)started, with an empty mempool, so the
        nonces the previous one held must not block the senders' next transactions. (Info
        cannot be the signal: the public /abci_info RPC sends the same request.)"""
        self._check_state = self._fresh_state()
        self._executed.clear()
        self._prepared = None

    def info(self, _req: pb.RequestInfo) -> pb.ResponseInfo:
        height = self.store.height
        return pb.ResponseInfo(
            data="cornerstone",
            version=__version__,
            app_version=APP_VERSION,
            last_block_height=height,
            last_block_app_hash=self.store.root if height else b"",
        )

    def query(self, req: pb.RequestQuery) -> pb.ResponseQuery:
        height = self.store.height
        try:
            if req.path == STORE_QUERY_PATH:
                at = req.height or height
                if self.store.root_at(at) is None:
                    raise HeightNotKeptError(height=at)
                if req.prove:
                    value, proof = self.store.prove(req.data, at)
                    ops = proof_pb2.ProofOps(
                        ops=[
                            proof_pb2.ProofOp(type=PROOF_OP_TYPE, key=req.data, data=proof.encode())
                        ]
                    )
                    return pb.ResponseQuery(
                        key=req.data,
                        value=value or b"",
                        proof_ops=ops,
                        height=at,
                        log="exists" if value is not None else "absent",
                    )
                value, _ = self.store.prove(req.data, at)
                return pb.ResponseQuery(
                    key=req.data,
                    value=value or b"",
                    height=at,
                    log="exists" if value is not None else "absent",
                )
            if req.path == BATCH_QUERY_PATH:
                if req.height not in (0, height):
                    raise LatestOnlyError()
                batch = run_batch(self._fresh_state(), req.data)
                return pb.ResponseQuery(value=batch, height=height)
            if req.path.startswith(PEER_FILTER_PATH):
                return self._filter_peer(req.path[len(PEER_FILTER_PATH) :], height)
            parts = req.path.strip("/").split("/")
            if len(parts) != 2:
                raise UnknownQueryPathError(path=req.path)
            if req.height not in (0, height):
                raise LatestOnlyError()
            # On the fresh state: before the first block, genesis exists only there.
            value = run_query(self._fresh_state(), parts[0], parts[1], req.data)
            return pb.ResponseQuery(value=value, height=height)
        except CornerstoneError as error:
            return pb.ResponseQuery(
                code=error.code, codespace=error.codespace, log=error.message, height=height
            )
        except Exception:
            # A query reads and never writes, so a bug in one is no reason to stop the node:
            # the exception answer that CheckTx and FinalizeBlock give would make CometBFT exit,
            # and anyone who can reach a gateway could then halt it with one odd argument.
            log.exception("query %s failed", req.path)
            failed = QueryFailedError(path=req.path)
            return pb.ResponseQuery(
                code=failed.code, codespace=failed.codespace, log=failed.message, height=height
            )

    def _filter_peer(self, what: str, height: int) -> pb.ResponseQuery:
        """CometBFT with `filter_peers` asks before it keeps a connection: "addr/<ip:port>"
        (every address may try) and "id/<node id>" (only nodes of member organizations)."""
        kind, _, value = what.partition("/")
        if kind == "addr":
            return pb.ResponseQuery(height=height)
        if kind == "id" and node_is_member(self._fresh_state(), value):
            return pb.ResponseQuery(height=height)
        if kind != "id":
            raise UnknownQueryPathError(path=PEER_FILTER_PATH + what)
        log.warning("refused peer %s: it belongs to no member organization", value)
        raise PeerRefusedError(node=value)

    # ------------------------------------------------------------------ mempool connection
    def check_tx(self, req: pb.RequestCheckTx) -> pb.ResponseCheckTx:
        try:
            gas_wanted = self._mempool.check(self._check_state, req.tx)
        except TransactionError as error:
            return pb.ResponseCheckTx(code=error.code, codespace=error.codespace, log=error.message)
        return pb.ResponseCheckTx(gas_wanted=gas_wanted)

    def _answer_check_tx(self, request: pb.Request) -> pb.Response:
        """CheckTx as a whole response. An acceptance says only the gas wanted, so one response
        per gas limit is made once and reused (only ever read and serialized); rechecks of a
        backlog are thousands per block."""
        try:
            gas_wanted = self._mempool.check(self._check_state, request.check_tx.tx)
        except TransactionError as error:
            refused = pb.ResponseCheckTx(
                code=error.code, codespace=error.codespace, log=error.message
            )
            return pb.Response(check_tx=refused)
        accepted = self._accepted.get(gas_wanted)
        if accepted is None:
            accepted = pb.Response(check_tx=pb.ResponseCheckTx(gas_wanted=gas_wanted))
            if len(self._accepted) < ACCEPTED_RESPONSES:
                self._accepted[gas_wanted] = accepted
        return accepted

    # ------------------------------------------------------------------ consensus connection
    def init_chain(self, req: pb.RequestInitChain) -> pb.ResponseInitChain:
        app_state: Mapping[str, object] = (
            json.loads(req.app_state_bytes) if req.app_state_bytes.strip() else {}
        )
        state = State(self.store)
        init_chain(
            state,
            chain_id=req.chain_id,
            time=Timestamp(req.time.seconds * 1_000_000_000 + req.time.nanos),
            app_state=app_state,
            block_max_gas=req.consensus_params.block.max_gas,
            validators=[(v.pub_key.ed25519, v.power) for v in req.validators],
        )
        self._genesis = state.writes()
        self._check_state = self._fresh_state()
        initial = req.initial_height or 1
        app_hash = self.store.compute(initial, self._genesis).root
        log.info("genesis of chain %s, app hash %s", req.chain_id, app_hash.hex())
        return pb.ResponseInitChain(app_hash=app_hash)

    def prepare_proposal(self, req: pb.RequestPrepareProposal) -> pb.ResponsePrepareProposal:
        state = self._fresh_state()
        offered = _block(req)
        max_gas = get_params(state).block_max_gas
        self._prepared = None
        # Checking is quick and puts the proposal out sooner; executing is needed only when a
        # transaction may change what the checks of those after it read.
        chosen = select_transactions(state, offered, max_bytes=req.max_tx_bytes, max_gas=max_gas)
        if chosen is None:
            result = prepare_block(
                self._fresh_state(), offered, max_bytes=req.max_tx_bytes, max_gas=max_gas
            )
            chosen = result.txs
            self._prepared = (Block(offered.height, offered.time, chosen), result)
        return pb.ResponsePrepareProposal(txs=chosen)

    def process_proposal(self, req: pb.RequestProcessProposal) -> pb.ResponseProcessProposal:
        block = _block(req)
        prepared = self._prepared
        self._prepared = None
        if prepared is not None and prepared[0] == block:
            # Our own proposal, unchanged: same height, time, transactions and parent state.
            result = prepared[1]
        else:
            state = self._fresh_state()
            try:
                result = execute_proposal(state, block, max_gas=get_params(state).block_max_gas)
            except InvalidProposal as invalid:
                log.warning("rejecting the proposal for height %d: %s", req.height, invalid.reason)
                return pb.ResponseProcessProposal(status=pb.ResponseProcessProposal.REJECT)
        if req.hash:  # CometBFT always sends it; without it the block has no identity
            self._executed[(req.height, req.hash)] = result
        return pb.ResponseProcessProposal(status=pb.ResponseProcessProposal.ACCEPT)

    def finalize_block(self, req: pb.RequestFinalizeBlock) -> pb.ResponseFinalizeBlock:
        # The block was usually executed already when it was proposed (same height, same hash:
        # same transactions, time and parent state); if not, e.g. after a restart, run it now.
        result = self._executed.pop((req.height, req.hash), None)
        if result is None:
            result = apply_block(self._fresh_state(), _block(req))
        self._executed.clear()
        self._prepared = None
        self._pending = result
        response = pb.ResponseFinalizeBlock(
            events=[_event(e) for e in result.events],
            validator_updates=[
                pb.ValidatorUpdate(pub_key=keys_pb2.PublicKey(ed25519=key), power=power)
                for key, power in result.validator_updates
            ],
            app_hash=result.app_hash,
        )
        # Written as wire bytes and parsed once: no protobuf object per event and attribute.
        response.MergeFromString(encode_tx_results(result.tx_results))
        return response

    def commit(self) -> pb.ResponseCommit:
        pending = self._pending
        assert pending is not None, "Commit without FinalizeBlock"
        self.store.commit(pending.pending)
        self._mempool.committed(pending.pending.writes)
        self._pending = None
        self._genesis = {}
        self._check_state = self._fresh_state()
        return pb.ResponseCommit()


def _block(
    req: pb.RequestPrepareProposal | pb.RequestProcessProposal | pb.RequestFinalizeBlock,
) -> Block:
    return Block(
        height=Height(req.height),
        time=Timestamp(req.time.seconds * 1_000_000_000 + req.time.nanos),
        txs=tuple(req.txs),
    )


def _event(event: Event) -> pb.Event:
    return pb.Event(
        type=event.type,
        attributes=[pb.EventAttribute(key=k, value=v, index=True) for k, v in event.attributes],
    )
