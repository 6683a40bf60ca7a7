"""What the application measures, taken at the one seam every ABCI request passes: the handler
the socket server calls.

`AppMetrics.instrument(handler)` wraps `Application.handle`. It reads only requests and
responses and times them with `perf_counter`, outside the handler: nothing in `apply_block` or
`check_transaction` reads a clock, so execution stays deterministic. Transactions count when
their block commits (a block finalized but lost in a crash is replayed, not counted twice).

    cornerstone_app_info                   gauge      1, labelled with the version
    cornerstone_app_height                 gauge      the last committed height
    cornerstone_app_blocks_total           counter    blocks committed since the process began
    cornerstone_app_transactions_total     counter    committed transactions, by module and
                                                      result (codespace, code; 0 = success)
    cornerstone_app_block_txs              histogram  transactions per committed block
    cornerstone_app_check_tx_total         counter    CheckTx answers by type (new, recheck)
                                                      and result
    cornerstone_app_check_state_txs        gauge      transactions the mempool's check state
                                                      admitted since the last commit
    cornerstone_app_proposals_total        counter    ProcessProposal answers, by status
    cornerstone_app_request_seconds        histogram  time to answer, by ABCI request
    cornerstone_app_request_failures_total counter    requests that raised (a bug: CometBFT
                                                      stops), by ABCI request
    cornerstone_app_abci_connections_opened gauge   ABCI connections CometBFT opened
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter as Tally
from collections.abc import Callable
from dataclasses import dataclass, field
from time import perf_counter

from tendermint.abci import types_pb2 as pb

from cornerstone import __version__
from cornerstone.abci.http import Answer, Route
from cornerstone.errors import TransactionError
from cornerstone.metrics import CONTENT_TYPE, Registry
from cornerstone.tx import decode_transaction

Handler = Callable[[pb.Request], pb.Response]

LATENCY_BUCKETS = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
"""Seconds: a CheckTx takes a fraction of a millisecond, a block of thousands a second or two."""
BLOCK_TXS_BUCKETS = (0, 1, 5, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
UNTIMED = frozenset({"flush", "echo"})
"""Requests too trivial to time: CometBFT sends a Flush after every batch."""
UNKNOWN_MODULE = "unknown"
"""The module label of a transaction whose bytes do not decode (only a faulty proposer's)."""

log = logging.getLogger("cornerstone.app")


@dataclass(frozen=True, slots=True)
class _Finalized:
    """What FinalizeBlock decided, counted when Commit persists it."""

    height: int
    txs: int
    results: Tally[tuple[str, str, str]] = field(default_factory=Tally)
    """Transactions by (module, codespace, code)."""
    seconds: float = 0.0


class AppMetrics:
    """The application's metric families, and the wrapper that keeps them."""

    def __init__(
        self, *, height: Callable[[], int], connections: Callable[[], int] | None = None
    ) -> None:
        """`height` reads the last committed height; `connections` the ABCI connections
        opened so far (the server counts them)."""
        # Updates and scrapes all run on the application's event loop: no locks needed.
        registry = self.registry = Registry(threadsafe=False)
        registry.gauge(
            "cornerstone_app_info", "The application's version.", labels=("version",)
        ).set(1, __version__)
        registry.gauge("cornerstone_app_height", "The last committed height.", read=height)
        self.blocks = registry.counter(
            "cornerstone_app_blocks_total", "Blocks committed since the application started."
        )
        self.transactions = registry.counter(
            "cornerstone_app_transactions_total",
            "Committed transactions, by module and result (code 0 is success).",
            labels=("module", "codespace", "code"),
        )
        self.block_txs = registry.histogram(
            "cornerstone_app_block_txs",
            "Transactions per committed block.",
            buckets=BLOCK_TXS_BUCKETS,
        )
        self.check_txs = registry.counter(
            "cornerstone_app_check_tx_total",
            "CheckTx answers, by type (new, recheck) and result (code 0 admits).",
            labels=("type", "codespace", "code"),
        )
        self.admitted = 0
        """Transactions the check state admitted since the last commit."""
        registry.gauge(
            "cornerstone_app_check_state_txs",
            "Transactions the mempool's check state admitted since the last commit.",
            read=lambda: self.admitted,
        )
        self.proposals = registry.counter(
            "cornerstone_app_proposals_total",
            "ProcessProposal answers, by status (accept, reject).",
            labels=("status",),
        )
        self.latency = registry.histogram(
            "cornerstone_app_request_seconds",
            "Time to answer an ABCI request, by request.",
            buckets=LATENCY_BUCKETS,
            labels=("request",),
        )
        self.failures = registry.counter(
            "cornerstone_app_request_failures_total",
            "ABCI requests that raised (a bug: CometBFT stops), by request.",
            labels=("request",),
        )
        self._height = height
        self._connections = connections
        if connections is not None:
            registry.gauge(
                "cornerstone_app_abci_connections_opened",
                "ABCI connections CometBFT opened since the application started.",
                read=connections,
            )
        self._finalized: _Finalized | None = None

    def endpoints(self) -> dict[str, Route]:
        """The routes of the application's HTTP endpoint: /metrics and /healthz (the process
        answers: its event loop runs; with its height and ABCI connections)."""

        def health() -> Answer:
            document = {
                "ok": True,
                "height": self._height(),
                "abci_connections": None if self._connections is None else self._connections(),
            }
            return Answer(200, "application/json", json.dumps(document).encode())

        return {
            "/metrics": lambda: Answer(200, CONTENT_TYPE, self.registry.render().encode()),
            "/healthz": health,
        }

    def connected(self) -> None:
        """A CometBFT (re)connected: its mempool, and so the check state, starts empty."""
        self.admitted = 0

    def instrument(self, handler: Handler) -> Handler:
        """`handler`, timed and counted."""
        latency = self.latency
        check_txs = self.check_txs
        recheck_type = pb.CheckTxType.RECHECK

        def handle(request: pb.Request) -> pb.Response:
            kind = request.WhichOneof("value") or ""
            if kind in UNTIMED:
                return handler(request)
            started = perf_counter()
            try:
                response = handler(request)
            except Exception:
                self.failures.inc(kind)
                raise
            seconds = perf_counter() - started
            try:
                latency.observe(seconds, kind)
                if kind == "check_tx":
                    result = response.check_tx
                    code = result.code
                    check_type = "recheck" if request.check_tx.type == recheck_type else "new"
                    if code:
                        check_txs.inc(check_type, result.codespace, str(code))
                    else:
                        check_txs.inc(check_type, "", "0")
                        self.admitted += 1
                elif kind == "finalize_block":
                    self._finalize(request.finalize_block, response.finalize_block, seconds)
                elif kind == "commit":
                    self._commit(seconds)
                elif kind == "process_proposal":
                    status = response.process_proposal.status
                    accepted = status == pb.ResponseProcessProposal.ACCEPT
                    self.proposals.inc("accept" if accepted else "reject")
            except Exception:  # a bug of the measuring must not stop the node: only say so
                log.exception("measuring ABCI %s failed", kind)
            return response

        return handle

    def _finalize(
        self, request: pb.RequestFinalizeBlock, response: pb.ResponseFinalizeBlock, seconds: float
    ) -> None:
        block = _Finalized(height=request.height, txs=len(request.txs), seconds=seconds)
        for raw, result in zip(request.txs, response.tx_results, strict=False):
            module = _module(raw, result)
            block.results[(module, result.codespace, str(result.code))] += 1
            if result.code:
                log.info(
                    "transaction failed in block %d: %s/%d",
                    request.height,
                    result.codespace,
                    result.code,
                    extra={
                        "height": request.height,
                        "tx_hash": hashlib.sha256(raw).hexdigest(),
                        "tx_module": module,  # `module` is a LogRecord attribute
                        "codespace": result.codespace,
                        "code": result.code,
                    },
                )
        self._finalized = block

    def _commit(self, seconds: float) -> None:
        block, self._finalized = self._finalized, None
        self.admitted = 0  # the check state starts again from the committed state
        if block is None:
            return
        self.blocks.inc()
        self.block_txs.observe(block.txs)
        failed = 0
        for (module, codespace, code), count in sorted(block.results.items()):
            self.transactions.inc(module, codespace, code, amount=count)
            if code != "0":
                failed += count
        log.info(
            "committed block %d with %d transactions",
            block.height,
            block.txs,
            extra={
                "height": block.height,
                "txs": block.txs,
                "failed": failed,
                "finalize_ms": round(block.seconds * 1000, 3),
                "commit_ms": round(seconds * 1000, 3),
            },
        )


def _module(raw: bytes, result: pb.ExecTxResult) -> str:
    """The module a transaction called: from its `tx` event when it succeeded, else from its
    bytes (a failure is rare, so the decoding is too)."""
    for event in result.events:
        if event.type == "tx":
            for attribute in event.attributes:
                if attribute.key == "module":
                    return attribute.value
    try:
        return decode_transaction(raw).module
    except TransactionError:  # the decoder refuses them: they name no module
        return UNKNOWN_MODULE
