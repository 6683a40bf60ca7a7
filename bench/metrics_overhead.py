"""What the application's metrics cost: the wrapper around `Application.handle`.

    .venv/bin/python -m bench.metrics_overhead [--count N]

1. The wrapper alone: a handler that answers a canned CheckTx, called directly and through
   `AppMetrics.instrument`; the difference per call is the cost added to every CheckTx.
2. Real CheckTx (signature, nonce, membership) on two fresh applications, one measured, for
   the same signed notary anchors: the cost relative to the work.
3. A FinalizeBlock and Commit of 1,000 transactions: counting their results by module and code.

Times are this process's CPU time (`time.process_time`), so other processes on a busy machine
disturb them less than they would wall time; each figure is the best of five rounds.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from collections.abc import Callable

from tendermint.abci import types_pb2 as pb

from cornerstone.abci.app import Application
from cornerstone.abci.metrics import AppMetrics
from cornerstone.state import MemoryStore
from cornerstone.testing import TestChain
from cornerstone.tx import sign_transaction
from tests.conftest import CHAIN_ID, genesis, org_key

ROUNDS = 5


def best(run: Callable[[], float]) -> float:
    return min(run() for _ in range(ROUNDS))


def best_pair(first: Callable[[], float], second: Callable[[], float]) -> tuple[float, float]:
    """The best of each, their rounds interleaved so that a busy moment hits both alike."""
    rounds = [(first(), second()) for _ in range(ROUNDS)]
    return min(a for a, _ in rounds), min(b for _, b in rounds)


def wrapper_alone(count: int) -> tuple[float, float]:
    """Seconds per call, direct and measured, of a handler doing nothing."""
    request = pb.Request(check_tx=pb.RequestCheckTx(tx=b"x", type=pb.CheckTxType.NEW))
    response = pb.Response(check_tx=pb.ResponseCheckTx(code=0, gas_wanted=1))

    def canned(_: pb.Request) -> pb.Response:
        return response

    measured = AppMetrics(height=lambda: 0).instrument(canned)

    def timed(handler: Callable[[pb.Request], pb.Response]) -> float:
        started = time.process_time()
        for _ in range(count):
            handler(request)
        return (time.process_time() - started) / count

    return best_pair(lambda: timed(canned), lambda: timed(measured))


def anchors(count: int) -> list[pb.Request]:
    key = org_key("org1")
    return [
        pb.Request(
            check_tx=pb.RequestCheckTx(
                tx=sign_transaction(
                    key,
                    chain_id=CHAIN_ID,
                    nonce=nonce,
                    module="notary",
                    operation="anchor",
                    args={"digest": hashlib.sha256(b"%d" % nonce).digest(), "metadata": {}},
                    gas_limit=100_000,
                ).encode(),
                type=pb.CheckTxType.NEW,
            )
        )
        for nonce in range(count)
    ]


def real_check_tx(count: int) -> tuple[float, float]:
    """Seconds per CheckTx of a fresh application, direct and measured."""
    requests = anchors(count)

    def timed(measure: bool) -> float:
        app = Application(MemoryStore())
        TestChain(app, app.handle, CHAIN_ID).init_chain(genesis())
        handle = AppMetrics(height=lambda: 0).instrument(app.handle) if measure else app.handle
        started = time.process_time()
        for request in requests:
            assert handle(request).check_tx.code == 0
        return (time.process_time() - started) / count

    return best_pair(lambda: timed(False), lambda: timed(True))


def block_accounting(txs: int) -> float:
    """Seconds to count a FinalizeBlock of `txs` successful transactions and its Commit."""
    tx_event = pb.Event(
        type="tx",
        attributes=[
            pb.EventAttribute(key="module", value="notary", index=True),
            pb.EventAttribute(key="operation", value="anchor", index=True),
        ],
    )
    request = pb.Request(
        finalize_block=pb.RequestFinalizeBlock(height=5, txs=[b"%d" % n for n in range(txs)])
    )
    response = pb.Response(
        finalize_block=pb.ResponseFinalizeBlock(
            tx_results=[pb.ExecTxResult(code=0, events=[tx_event]) for _ in range(txs)]
        )
    )
    commit = pb.Request(commit=pb.RequestCommit())
    committed = pb.Response(commit=pb.ResponseCommit())
    answers = {"finalize_block": response, "commit": committed}
    handle = AppMetrics(height=lambda: 0).instrument(lambda r: answers[r.WhichOneof("value") or ""])

    def timed() -> float:
        started = time.process_time()
        handle(request)
        handle(commit)
        return time.process_time() - started

    return best(timed)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.metrics_overhead")
    parser.add_argument("--count", type=int, default=2000, help="CheckTx calls per round")
    args = parser.parse_args()
    direct, measured = wrapper_alone(args.count * 50)
    print(
        f"wrapper alone: {direct * 1e6:.2f} us direct, {measured * 1e6:.2f} us measured, "
        f"+{(measured - direct) * 1e6:.2f} us per CheckTx"
    )
    direct, measured = real_check_tx(args.count)
    print(
        f"real CheckTx:  {direct * 1e6:.1f} us direct, {measured * 1e6:.1f} us measured "
        f"({(measured - direct) / direct:+.1%})"
    )
    print(f"FinalizeBlock + Commit of 1,000 txs, counting: {block_accounting(1000) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
