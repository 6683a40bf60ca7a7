"""What one running gateway holds: its settings, its node, its index and indexer, the requests
waiting for a commit; app.py builds the HTTP application around it."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from cornerstone.gateway import auth, blobs, stream
from cornerstone.gateway.auth import AuthSettings
from cornerstone.gateway.commits import CommitWaiters
from cornerstone.gateway.errors import CommitTimeoutError
from cornerstone.gateway.index import BlockRecord, Index
from cornerstone.gateway.indexer import Indexer
from cornerstone.gateway.limits import RateLimit, TokenBuckets
from cornerstone.gateway.metrics import Metrics
from cornerstone.gateway.node import COMMIT_POLL, Node, TxOutcome
from cornerstone.gateway.tls import TlsSettings
from cornerstone.tx import MAX_TX_BYTES

MAX_BODY_BYTES = 4 * MAX_TX_BYTES
"""A transaction's bytes as hex in JSON take twice its size; twice that again is room enough."""
MAX_LAG = 5
"""Blocks the index may trail the node and still be healthy."""
INDEX_CHECK = 1.0
"""Seconds between looks, while waiting for a commit on the indexer's word, at whether the
indexer still keeps up with the node (else the node is asked directly)."""
INDEX_GRACE = 5.0
"""Seconds the indexer may fail or trail by more than MAX_LAG blocks before waiting requests
ask the node instead. Its slips are short (a retry a second later); every waiting request
polling the node meanwhile cost more CPU than the wait itself (docs/benchmarks.md)."""
DEFAULT_RATE = RateLimit(rate=100.0, burst=200)


@dataclass(frozen=True, slots=True)
class Settings:
    """How one gateway runs."""

    rpc_url: str
    """Its node's CometBFT RPC."""
    data_dir: Path
    """Where the index lives (SQLite), unless `database` names another place."""
    database: str | None = None
    """The index's PostgreSQL database, postgresql://USER@HOST:PORT/NAME; None: SQLite in
    `data_dir`."""
    max_body_bytes: int = MAX_BODY_BYTES
    """Largest request body accepted (413 beyond)."""
    rate_limit: RateLimit = DEFAULT_RATE
    """Requests per client (429 beyond)."""
    trust_identity_header: bool = False
    """Name clients by `X-Cornerstone-Identity` (set by an authenticating proxy in front)
    rather than by their address."""
    follow: bool = True
    """Run the indexer thread (tests that drive the indexer themselves turn it off)."""
    transport: httpx.BaseTransport | None = field(default=None, compare=False)
    """The RPC transport (tests give the fake node's)."""
    clock: Callable[[], float] = time.monotonic
    """The rate limiter's clock (tests give their own)."""
    managed_keys: tuple[tuple[str, Path], ...] = ()
    """Keys the gateway signs with for the console's authenticated user: (name, key file)."""
    console_token_file: Path | None = None
    """Where the gateway writes, at start, the token that allows managed signing (mode 0600)."""
    max_blob_bytes: int = blobs.DEFAULT_MAX_BLOB_BYTES
    """Largest blob uploaded to /v1/blobs (413 beyond); `max_body_bytes` is for the rest."""
    blob_token_file: Path | None = None
    """The token blob uploads need (read, or made and written with mode 0600, at start); None:
    `<data_dir>/blob.token`."""
    auth: AuthSettings = field(default_factory=AuthSettings)
    """Who may call: member authentication policy, freshness window, anonymous rate (auth.py)."""
    tls: TlsSettings | None = None
    """Serve HTTPS, and take members' certificates as client certificates (tls.py); None: HTTP."""


class Gateway:
    """What one running gateway holds: its node, its index, its indexer, its counts."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.node = Node(settings.rpc_url, transport=settings.transport)
        self.index = Index(settings.data_dir, database=settings.database)
        self.indexer = Indexer(
            Node(settings.rpc_url, transport=settings.transport),
            self.index,
            on_indexed=self._indexed,
            on_block=self._block_indexed,
        )
        self.commits: CommitWaiters | None = None
        """Requests waiting for their transaction's block (set once the loop runs)."""
        self._index_slipped: float | None = None
        """When the indexer last stopped keeping up (monotonic); None while it keeps up."""
        self.metrics = Metrics()
        self.buckets = TokenBuckets(settings.rate_limit, clock=settings.clock)
        self.auth = auth.Authenticator(settings.auth, self.node)
        self.signal: stream.IndexSignal | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.stopping = False
        """Set when the server begins to shut down: event streams end instead of waiting."""

    def _indexed(self, height: int) -> None:
        if self.signal is not None:
            self.signal.notify(height)

    def _block_indexed(self, record: BlockRecord) -> None:
        if self.commits is not None:
            self.commits.indexed(record)

    def start(self, signal: stream.IndexSignal) -> None:
        self.signal = signal
        self.commits = CommitWaiters(asyncio.get_running_loop())
        self.node.open_async()
        if self.settings.follow:
            self._thread = threading.Thread(
                target=self.indexer.follow, args=(self._stop,), name="indexer", daemon=True
            )
            self._thread.start()

    def begin_shutdown(self) -> None:
        """End the event streams now, so the server's graceful shutdown need not cut them."""
        self.stopping = True
        if self.signal is not None:
            self.signal.notify()

    def index_keeps_up(self) -> bool:
        """The indexer runs, and its last attempt succeeded with at most MAX_LAG blocks to go,
        or did so less than INDEX_GRACE seconds ago."""
        indexer = self.indexer
        if self._thread is None or not self._thread.is_alive():
            return False
        if (
            indexer.last_error is None
            and indexer.chain_height > 0
            and indexer.chain_height - indexer.indexed_height <= MAX_LAG
        ):
            self._index_slipped = None
            return True
        now = time.monotonic()
        if self._index_slipped is None:
            self._index_slipped = now
        return now - self._index_slipped < INDEX_GRACE

    async def submit_and_wait(self, raw: bytes, *, timeout: float) -> TxOutcome:
        """Broadcast `raw` and wait until it is in a block: on the indexer's word while it keeps
        up with the node (commits.py), else by asking the node, without holding a thread."""
        tx_hash = hashlib.sha256(raw).digest()
        waiters = self.commits
        future = None if waiters is None else waiters.expect(tx_hash)  # before the broadcast
        try:
            await self.node.abroadcast(raw)
            deadline = time.monotonic() + timeout
            while (remaining := deadline - time.monotonic()) > 0:
                if future is not None and self.index_keeps_up():
                    with contextlib.suppress(TimeoutError):
                        return await asyncio.wait_for(
                            asyncio.shield(future), min(remaining, INDEX_CHECK)
                        )
                    continue
                found = await self.node.acommitted(tx_hash)
                if found is not None:
                    return found
                await asyncio.sleep(min(COMMIT_POLL, max(0.0, deadline - time.monotonic())))
            raise CommitTimeoutError(tx_hash=tx_hash.hex(), timeout=f"{timeout:g}")
        finally:
            if waiters is not None and future is not None:
                waiters.forget(tx_hash, future)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.indexer.node.close()
        self.node.close()
        self.index.close()
