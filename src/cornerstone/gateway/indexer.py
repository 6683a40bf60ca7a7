"""The indexer: follows the node block by block and copies what the chain decided into the index.

    indexer = Indexer(node, index)
    indexer.catch_up()          # every block the node has and the index lacks; returns the height
    indexer.follow(stop)        # catch up, wait a moment, again, until `stop` is set

It reads `block` and `block_results` of each missing height and writes both in one SQL
transaction, so a crash leaves whole blocks only, and a restart continues after the last one.
When an indexed block changed membership or governance (an event of those modules), the
organizations and proposals are read again from the modules' own queries: the index copies the
chain's answers and never works out state from events itself. The datasets, DIDs, anchors and
contracts a block's events name are queued in the block's SQL transaction and read the same way
once the blocks are written (record_sources.py), each once however many blocks named it.

An index built from another chain (another chain id, or another block 1 on a reused port) is
cleared and rebuilt from height 1.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from cornerstone import encoding
from cornerstone.errors import CornerstoneError
from cornerstone.gateway.errors import NodeRefusedError
from cornerstone.gateway.index import BlockRecord, Index, TxRecord
from cornerstone.gateway.node import ChainRefusal, Node, events_of
from cornerstone.gateway.record_sources import RecordSources, named
from cornerstone.gateway.record_sources import to_json as to_json  # noqa: PLC0414 - re-exported
from cornerstone.tx import decode_transaction

log = logging.getLogger("cornerstone.gateway.indexer")

FOLLOW_INTERVAL = 0.2
"""Seconds between looks at the node's height when the index is at its tip (a localnet makes a
block about every 0.65 s)."""
RETRY_INTERVAL = 1.0
"""Seconds before trying again when the node does not answer."""
BATCH = 100
"""Blocks indexed between two looks at the node's height while catching up."""
RECORD_MODULES = ("membership.", "governance.")
"""Events of these modules change the organizations or proposals the index copies."""
PROPOSALS_PAGE = 100
"""The governance module's largest page of proposals."""
RECORDS_PAGE = 200
"""Queued module records read between two SQL transactions."""
RESULTS_PENDING = "could not find results for height"
"""CometBFT's answer to block_results for a block it stored but has not executed yet."""


class Indexer:
    """Copies one node's blocks into one index."""

    def __init__(
        self,
        node: Node,
        index: Index,
        *,
        on_indexed: Callable[[int], None] | None = None,
        on_block: Callable[[BlockRecord], None] | None = None,
    ) -> None:
        self.node = node
        self.index = index
        self.on_indexed = on_indexed
        """Called with the new index height after blocks were written (from the indexer's
        thread): the event stream wakes up on it."""
        self.on_block = on_block
        """Called with each block just written (from the indexer's thread): requests waiting
        for a transaction's commit are answered from it."""
        self.indexed_height = 0
        """The index's height when the indexer last wrote or looked."""
        self.sources = RecordSources(node)
        self._checked_chain = False
        self._records_stale = True
        self.last_error: str | None = None
        """Why the last attempt failed, for /healthz; None after a successful one."""
        self.chain_height = 0
        """The node's height when the indexer last looked."""

    def catch_up(self, *, limit: int | None = None) -> int:
        """Index every block the node has and the index lacks (at most `limit`); the height."""
        if not self._checked_chain:
            self._check_chain()
        target = self.chain_height = self.node.height()
        indexed = self.indexed_height = self.index.height()
        if limit is not None:
            target = min(target, indexed + limit)
        while indexed < target:
            top = min(target, indexed + BATCH)
            started = time.perf_counter()
            txs = 0
            for height in range(indexed + 1, top + 1):
                try:
                    record = self.fetch(height)
                except NodeRefusedError as exc:
                    if height < target or RESULTS_PENDING not in exc.message:
                        raise
                    # The node's newest block is stored before it is executed: its results
                    # come a moment later, and the next look takes it (no error, no pause).
                    target = top = height - 1
                    break
                self.index.write_block(record, named(record))
                self.indexed_height = height
                txs += len(record.txs)
                if self.on_block is not None:
                    self.on_block(record)
                if any(
                    kind.startswith(RECORD_MODULES)
                    for kind, _ in (
                        *record.block_events,
                        *(event for tx in record.txs for event in tx.events),
                    )
                ):
                    self._records_stale = True
            if top == indexed:
                break
            log.info(
                "indexed blocks %d to %d",
                indexed + 1,
                top,
                extra={
                    "from_height": indexed + 1,
                    "height": top,
                    "txs": txs,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                },
            )
            indexed = top
            if self.on_indexed is not None:
                self.on_indexed(indexed)
            self.copy_records()
        self.copy_records()  # also what a failed pass queued, or a break above left
        if self._records_stale and indexed > 0:
            self.refresh_records()
        self.last_error = None
        return indexed

    def follow(self, stop: threading.Event) -> None:
        """Catch up again and again until `stop` is set; a silent node is retried."""
        while not stop.is_set():
            try:
                self.catch_up()
                wait = FOLLOW_INTERVAL
            except CornerstoneError as exc:
                if self.last_error != exc.message:
                    log.warning(
                        "indexing paused: %s",
                        exc.message,
                        extra={
                            "height": self.indexed_height + 1,
                            "code": exc.code,
                            "codespace": exc.codespace,
                        },
                    )
                self.last_error = exc.message
                wait = RETRY_INTERVAL
            except Exception as exc:  # an answer we did not expect: say so, keep serving
                log.exception("indexing failed", extra={"height": self.indexed_height + 1})
                self.last_error = f"indexing failed: {exc!r}"
                wait = RETRY_INTERVAL
            stop.wait(wait)

    def fetch(self, height: int) -> BlockRecord:
        """Block `height` and its results, as the index will hold them."""
        block = self.node.block(height)
        results = self.node.block_results(height)
        header = block["block"]["header"]
        raws = [base64.b64decode(tx) for tx in block["block"]["data"].get("txs") or []]
        outcomes = results.get("txs_results") or []
        if len(outcomes) != len(raws):
            raise ValueError(
                f"block {height} has {len(raws)} transactions but {len(outcomes)} results"
            )
        return BlockRecord(
            height=int(header["height"]),
            hash=bytes.fromhex(block["block_id"]["hash"]),
            time=str(header["time"]),
            proposer=bytes.fromhex(header.get("proposer_address") or ""),
            app_hash=bytes.fromhex(header.get("app_hash") or ""),
            txs=tuple(
                _tx_record(raw, outcome) for raw, outcome in zip(raws, outcomes, strict=True)
            ),
            block_events=events_of(results.get("finalize_block_events")),
        )

    def copy_records(self) -> None:
        """Copy every queued module record from its module, RECORDS_PAGE at a time."""
        while queued := self.index.queued_records(RECORDS_PAGE):
            copies = [copy for copy in self.sources.copy_all(queued) if copy is not None]
            self.index.write_records(copies, done=queued)
            if len(queued) < RECORDS_PAGE:
                return

    def refresh_records(self) -> None:
        """Copy the organizations and proposals from the modules' queries."""
        try:
            self._copy_records()
        except ChainRefusal as refusal:  # an application without these modules
            log.warning("organizations and proposals are not indexed: %s", refusal.log)
        self._records_stale = False

    def _copy_records(self) -> None:
        organizations, at = self.node.query("membership", "organizations", {})
        self.index.write_organizations([_json(org) for org in _list(organizations)], as_of=at)
        proposals: list[dict[str, Any]] = []
        start = 1
        while True:
            page, at_proposals = self.node.query(
                "governance", "proposals", {"start": start, "limit": PROPOSALS_PAGE}
            )
            found = [_json(p) for p in _list(page)]
            proposals += found
            if len(found) < PROPOSALS_PAGE:
                break
            start = int(found[-1]["id"]) + 1
        self.index.write_proposals(proposals, as_of=at_proposals)

    def _check_chain(self) -> None:
        """Clear an index that another chain built: its chain id or block 1 differ."""
        chain_id = str(self.node.status()["node_info"]["network"])
        first = self.node.block(1)["block_id"]["hash"].lower() if self.node.height() else ""
        known = (self.index.meta("chain_id"), self.index.meta("block_1"))
        if known != (None, None) and known != (chain_id, first or known[1]):
            log.warning("the index was built from another chain; rebuilding it from height 1")
            self.index.clear()
        self.index.set_meta("chain_id", chain_id)
        if first:
            self.index.set_meta("block_1", first)
            self._checked_chain = True


def _tx_record(raw: bytes, outcome: dict[str, Any]) -> TxRecord:
    code = int(outcome.get("code", 0))
    try:
        tx = decode_transaction(raw)
    except CornerstoneError:
        tx = None  # not ours (another app, or refused bytes a faulty proposer included)
    return TxRecord(
        hash=hashlib.sha256(raw).digest(),
        raw=raw,
        sender=None if tx is None else tx.sender.id,
        public_key=None if tx is None else tx.sender.public_key.raw,
        module=None if tx is None else tx.module,
        operation=None if tx is None else tx.operation,
        nonce=None if tx is None else int(tx.nonce),
        code=code,
        codespace=str(outcome.get("codespace") or ""),
        log=str(outcome.get("log") or "") if code else "",
        gas_wanted=int(outcome.get("gas_wanted") or 0),
        gas_used=int(outcome.get("gas_used") or 0),
        events=events_of(outcome.get("events")),
    )


def _list(value: encoding.Value) -> list[encoding.Value]:
    return list(value) if isinstance(value, list | tuple) else []


def _json(value: encoding.Value) -> dict[str, Any]:
    converted = to_json(value)
    return converted if isinstance(converted, dict) else {}
