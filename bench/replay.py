"""Per-transaction cost of each ABCI phase on one node, in-process, through the real server.

    .venv/bin/python -m bench.replay [--txs N] [--blocks B] [--profile PHASE | --calls]

What CometBFT sends one node under load, as serialized, length-prefixed frames fed to the
application's `AbciServer` (so protobuf decoding, dispatch, response encoding and framing are
counted): each block, CheckTx for 2N new notary anchors from the four organizations (nonces in
order); ProcessProposal of the first N (executed); this node's own PrepareProposal choosing
the same N (anchors are chosen by checking alone); FinalizeBlock, Commit, then a recheck of the
N left in the mempool. Prints CPU microseconds per transaction for each phase (best of the
blocks after the first: the machine is shared), and a node's total, in which it proposes one
block in four. `--profile check_tx` (or any
phase) runs cProfile over that phase and prints the top functions. `--calls` prints Python
function calls per transaction instead of time: a count that other work on the machine does not
change, to compare two versions when timings are too noisy.

"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import pstats
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from google.protobuf.timestamp_pb2 import Timestamp as PbTimestamp
from tendermint.abci import types_pb2 as pb

from cornerstone.abci.app import Application
from cornerstone.abci.server import AbciServer, frame
from cornerstone.state import Store
from cornerstone.testing import BLOCK_INTERVAL_NS, GENESIS_TIME_NS, TestChain
from cornerstone.tx import sign_transaction
from tests.conftest import ORGS, genesis, org_key

PHASES = ("check_tx", "process", "prepare", "finalize", "commit", "recheck")
PROPOSERS = 4
"""A node proposes one block in this many."""


def _serve(server: AbciServer, frames: bytes) -> float:
    """Seconds the server takes to answer `frames` (as if read at once; answers discarded)."""
    began = time.thread_time()
    _, used, _ = server.answer_frames(frames)
    assert used == len(frames), "every frame is complete"
    return time.thread_time() - began


def _frames(requests: Sequence[pb.Request]) -> bytes:
    flush = frame(pb.Request(flush=pb.RequestFlush()).SerializeToString())
    return b"".join(frame(r.SerializeToString()) for r in requests) + flush


def _timestamp(ns: int) -> PbTimestamp:
    return PbTimestamp(seconds=ns // 1_000_000_000, nanos=ns % 1_000_000_000)


def sign_anchors(count: int, *, chain_id: str, first_nonce: int, salt: str) -> list[bytes]:
    """`count` anchors, round-robin over the organizations' client keys, nonces in order."""
    keys = [org_key(org) for org in ORGS]
    txs = []
    for k in range(count):
        org = k % len(keys)
        nonce = first_nonce + k // len(keys)
        txs.append(
            sign_transaction(
                keys[org],
                chain_id=chain_id,
                nonce=nonce,
                module="notary",
                operation="anchor",
                args={"digest": hashlib.sha256(f"{salt}/{org}/{nonce}".encode()).digest()},
                gas_limit=30_000,
            ).encode()
        )
    return txs


def replay(
    txs_per_block: int, blocks: int, *, profile: str | None = None, calls: bool = False
) -> dict[str, list[float]]:
    """Seconds (or with `calls`, function calls) per transaction, per phase and block."""
    timings: dict[str, list[float]] = {phase: [] for phase in PHASES}
    with tempfile.TemporaryDirectory(prefix="cornerstone-replay-") as home:
        store = Store(Path(home) / "state")
        try:
            chain = TestChain.in_process(store)
            chain.init_chain(genesis())
            app: Application = chain.app
            server = AbciServer(app.handle)
            per_org = txs_per_block // len(ORGS)
            backlog: list[bytes] = sign_anchors(
                txs_per_block, chain_id=chain.chain_id, first_nonce=0, salt="b0"
            )
            first_nonce = per_org
            for height in range(1, blocks + 1):
                new = sign_anchors(
                    txs_per_block,
                    chain_id=chain.chain_id,
                    first_nonce=first_nonce,
                    salt=f"{height}",
                )
                first_nonce += per_org
                if height == 1:
                    new = backlog + new
                    backlog = []
                checks = [
                    pb.Request(check_tx=pb.RequestCheckTx(tx=raw, type=pb.CheckTxType.NEW))
                    for raw in new
                ]
                mempool = backlog + new
                block, backlog = mempool[:txs_per_block], mempool[txs_per_block:]
                time_ns = GENESIS_TIME_NS + height * BLOCK_INTERVAL_NS
                block_hash = hashlib.sha256(f"{height}".encode()).digest()
                steps: list[tuple[str, Sequence[pb.Request], int]] = [
                    ("check_tx", checks, len(new)),
                    (
                        "process",
                        [
                            pb.Request(
                                process_proposal=pb.RequestProcessProposal(
                                    txs=block,
                                    height=height,
                                    time=_timestamp(time_ns),
                                    hash=block_hash,
                                )
                            )
                        ],
                        len(block),
                    ),
                    (
                        "prepare",
                        [
                            pb.Request(
                                prepare_proposal=pb.RequestPrepareProposal(
                                    max_tx_bytes=sum(len(raw) for raw in block),
                                    txs=mempool,
                                    height=height,
                                    time=_timestamp(time_ns),
                                )
                            )
                        ],
                        len(block),
                    ),
                    (
                        "finalize",
                        [
                            pb.Request(
                                finalize_block=pb.RequestFinalizeBlock(
                                    txs=block,
                                    height=height,
                                    time=_timestamp(time_ns),
                                    hash=block_hash,
                                )
                            )
                        ],
                        len(block),
                    ),
                    ("commit", [pb.Request(commit=pb.RequestCommit())], len(block)),
                    (
                        "recheck",
                        [
                            pb.Request(
                                check_tx=pb.RequestCheckTx(tx=raw, type=pb.CheckTxType.RECHECK)
                            )
                            for raw in backlog
                        ],
                        len(backlog),
                    ),
                ]
                for phase, requests, count in steps:
                    data = _frames(requests)
                    profiled = calls or (phase == profile and height > 1)
                    profiler = cProfile.Profile() if profiled else None
                    if profiler is not None:
                        profiler.enable()
                    seconds = _serve(server, data)
                    if profiler is not None:
                        profiler.disable()
                        stats = pstats.Stats(profiler)
                        if calls:
                            seconds = stats.total_calls  # type: ignore[attr-defined]
                        else:
                            print(f"--- profile of {phase}, block {height} ({count} txs)")
                            stats.sort_stats("tottime").print_stats(25)
                    timings[phase].append(seconds / max(count, 1))
                if app.store.height != height:
                    raise RuntimeError(f"block {height} did not commit")
        finally:
            store.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.replay")
    parser.add_argument("--txs", type=int, default=2000, help="transactions per block")
    parser.add_argument("--blocks", type=int, default=4)
    parser.add_argument("--profile", choices=PHASES, default=None)
    parser.add_argument("--calls", action="store_true", help="count function calls, not time")
    args = parser.parse_args()
    timings = replay(args.txs, args.blocks, profile=args.profile, calls=args.calls)
    unit, scale = ("calls/tx", 1.0) if args.calls else ("us/tx", 1e6)
    node = 0.0
    for phase in PHASES:
        kept = timings[phase][1:] or timings[phase]
        best = min(kept) * scale
        share = 1 / PROPOSERS if phase == "prepare" else 1.0
        node += best * share
        blocks = ", ".join(f"{s * scale:.1f}" for s in timings[phase])
        print(f"{phase:<10}{best:8.1f} {unit}   (blocks: {blocks})")
    print(f"{'per node':<10}{node:8.1f} {unit}   (proposing one block in {PROPOSERS})")


if __name__ == "__main__":
    main()
