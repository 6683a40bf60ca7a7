"""An open-loop load generator over the CometBFT RPC, and commit detection by watching blocks.

Open loop: transaction k of a stream is due `k / rate` seconds after the start, however fast
the network commits. Each stream (one per node) is one asyncio task that, every TICK, sends
every transaction due by then as ONE JSON-RPC batch POST of `broadcast_tx_async` requests; the
next batch leaves when the previous one has been answered, so a slow node gets bigger batches
and the schedule is kept. CometBFT runs a batch's requests one after another in order, and
hands them to its mempool in that order, so one sender's nonces arrive in sequence.

Every transaction is signed and encoded into its request before the clock starts.

A watcher polls one node for each next executed block (`/block_results?height=h`, then
`/block?height=h` for its transactions), hashes the transactions (sha256, which is both
CometBFT's and our transaction hash) and notes when each was first seen, and its result code:
latency = first seen - sent. After the last send it keeps watching until every accepted
transaction is in a block, or nothing new commits for DRAIN_IDLE seconds (bounded by
DRAIN_LIMIT).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

TICK: Final = 0.05
"""Seconds between batches of one stream, and between polls for the next block."""
MAX_BATCH: Final = 1000
"""Requests in one POST at most. CometBFT refuses a batch of more than rpc.max_request_batch_size
requests (default 10: nodes must be configured with at least this) and a body over
rpc.max_body_bytes (default 1 MB; a request for a ~200-byte transaction is ~330 bytes)."""
HTTP_TIMEOUT: Final = 30.0
DRAIN_IDLE: Final = 20.0
"""After the last send, stop waiting for commits once this many seconds bring none."""
DRAIN_LIMIT: Final = 90.0
"""After the last send, stop waiting for commits after this many seconds in any case."""
SEND_SLACK: Final = 10.0
"""A stream still sending this many seconds after its last transaction was due gives up."""
SATURATED_SHARE: Final = 0.9
"""A network that commits less than this share of the offered rate is saturated."""

_UNSENT, _ACCEPTED, _REFUSED = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Stream:
    """The transactions for one node, in the order they must reach its mempool."""

    rpc_url: str
    """The node's CometBFT RPC, e.g. http://127.0.0.1:30001."""
    txs: tuple[bytes, ...]
    """Signed, encoded transactions."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """The offered load: `rate` for `warmup` + `duration` seconds; only `duration` is measured."""

    rate: float
    """Transactions per second over all streams together."""
    warmup: float
    """Seconds of load before the measurement window opens."""
    duration: float
    """Seconds of the measurement window."""

    def count(self, streams: int) -> int:
        """Transactions each of `streams` streams needs for the whole schedule."""
        return math.ceil(self.rate / streams * (self.warmup + self.duration))


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What one run offered, what committed, and how fast."""

    offered_rate: float
    """Transactions per second offered (the schedule's rate)."""
    window_s: float
    """Seconds of the measurement window."""
    sent: int
    """Transactions a node accepted from broadcast_tx_async (whole run, warm-up included)."""
    refused: int
    """Transactions whose broadcast_tx_async answered an error (e.g. a full mempool)."""
    unsent: int
    """Transactions never sent: the generator fell more than SEND_SLACK behind schedule."""
    committed: int
    """Sent transactions found in a block with code 0, by the end of the drain."""
    failed: int
    """Sent transactions found in a block with a non-zero code."""
    committed_in_window: int
    """Our transactions in blocks first seen inside the measurement window."""
    throughput: float
    """Committed transactions per second in the window (see `committed_rate`)."""
    latency_p50_ms: float | None
    """Median of first-seen-in-a-block minus sent, over transactions sent in the window."""
    latency_p99_ms: float | None
    latency_samples: int
    """Transactions sent in the window that committed (the latency sample)."""
    uncommitted_in_window: int
    """Transactions sent in the window that never committed (missing from the latency)."""
    blocks_in_window: int
    max_block_txs: int
    """The largest number of our transactions in one block of the window."""
    send_lag_max_ms: float
    """How late the most behind-schedule batch left (a node answering a batch slowly makes the
    next one late; the schedule is kept by sending more in it)."""
    mempool_peak: int
    """The most transactions the watched node's mempool held after a block."""
    first_error: str
    """The first error a node answered to a broadcast, if any."""
    drain_s: float
    """Seconds spent after the last send waiting for commits."""
    cpu_s: dict[str, float] = field(default_factory=dict)
    """CPU seconds by process kind during the measurement window (filled in by the caller)."""

    @property
    def saturated(self) -> bool:
        return self.throughput < SATURATED_SHARE * self.offered_rate

    def to_json(self) -> dict[str, Any]:
        return {
            "offered_rate": self.offered_rate,
            "window_s": self.window_s,
            "throughput": round(self.throughput, 1),
            "saturated": self.saturated,
            "sent": self.sent,
            "refused": self.refused,
            "unsent": self.unsent,
            "committed": self.committed,
            "failed": self.failed,
            "committed_in_window": self.committed_in_window,
            "latency_p50_ms": _round(self.latency_p50_ms),
            "latency_p99_ms": _round(self.latency_p99_ms),
            "latency_samples": self.latency_samples,
            "uncommitted_in_window": self.uncommitted_in_window,
            "blocks_in_window": self.blocks_in_window,
            "max_block_txs": self.max_block_txs,
            "send_lag_max_ms": round(self.send_lag_max_ms, 1),
            "mempool_peak": self.mempool_peak,
            "first_error": self.first_error,
            "drain_s": round(self.drain_s, 1),
            "cpu_s": {kind: round(seconds, 1) for kind, seconds in self.cpu_s.items()},
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass(frozen=True, slots=True)
class _Block:
    """A block the watcher saw."""

    height: int
    seen: float
    """When the watcher first got it (monotonic clock)."""
    ours: tuple[int, ...]
    """Positions in the block of the transactions this run sent."""


@dataclass(slots=True)
class _Book:
    """Per-transaction bookkeeping of a run, indexed [stream][position]."""

    status: list[list[int]]
    sent_at: list[list[float]]
    seen_at: list[list[float]]
    where: dict[bytes, tuple[int, int]]
    """Transaction hash -> (stream, position)."""
    blocks: list[_Block] = field(default_factory=list)
    """Every block watched, in height order."""
    seen: int = 0
    """Our transactions seen in a block."""
    failed: int = 0
    """Those of them with a non-zero result code."""
    mempool_peak: int = 0
    """The most transactions the watched node's mempool held after a block."""
    last_seen: float = 0.0
    send_lag_max: float = 0.0
    first_error: str = ""


def encode_requests(txs: Sequence[bytes]) -> list[bytes]:
    """One JSON-RPC `broadcast_tx_async` request per transaction (bytes go as base64)."""
    return [
        b'{"jsonrpc":"2.0","id":%d,"method":"broadcast_tx_async","params":{"tx":"%s"}}'
        % (i, base64.b64encode(tx))
        for i, tx in enumerate(txs)
    ]


async def run_load(
    streams: Sequence[Stream],
    schedule: Schedule,
    *,
    watch_url: str,
    on_window_open: Callable[[], None] | None = None,
    on_window_close: Callable[[], None] | None = None,
    drain_limit: float = DRAIN_LIMIT,
) -> LoadResult:
    """Offer `schedule` through `streams`, watch `watch_url` for blocks, and measure.

    `on_window_open` / `on_window_close` (no-argument callables) run when the measurement window
    opens and closes, e.g. to read CPU counters. `drain_limit` bounds the wait for commits after
    the last send (a capacity search does not need an overloaded run's backlog to drain).
    """
    requests = [encode_requests(stream.txs) for stream in streams]
    book = _Book(
        status=[[_UNSENT] * len(s.txs) for s in streams],
        sent_at=[[math.nan] * len(s.txs) for s in streams],
        seen_at=[[math.nan] * len(s.txs) for s in streams],
        where={
            hashlib.sha256(tx).digest(): (i, k)
            for i, stream in enumerate(streams)
            for k, tx in enumerate(stream.txs)
        },
    )
    per_stream_rate = schedule.rate / len(streams)
    limits = httpx.Limits(max_connections=len(streams) + 2)
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, limits=limits, trust_env=False) as client:
        first_height = await _latest_height(client, watch_url) + 1
        start = time.monotonic()
        window_open = start + schedule.warmup
        window_close = window_open + schedule.duration
        stop_watching = asyncio.Event()
        watcher = asyncio.create_task(
            _watch(
                client,
                watch_url,
                first_height,
                book,
                stop_watching,
                deadline=window_close,
                drain_limit=drain_limit,
            )
        )
        timer = asyncio.create_task(
            _window_timer(window_open, window_close, on_window_open, on_window_close)
        )
        try:
            senders = [
                _send_stream(
                    client,
                    index=i,
                    url=stream.rpc_url,
                    requests=requests[i],
                    rate=per_stream_rate,
                    start=start,
                    book=book,
                )
                for i, stream in enumerate(streams)
            ]
            await asyncio.gather(*senders)
            await timer
            sending_done = time.monotonic()
            await _drain(book, watcher, limit=drain_limit)
            drain_s = time.monotonic() - sending_done
            stop_watching.set()
            await asyncio.wait_for(watcher, timeout=HTTP_TIMEOUT + 5)
        finally:
            for task in (watcher, timer):
                if not task.done():
                    task.cancel()
            await asyncio.gather(watcher, timer, return_exceptions=True)
    return _summarise(
        book,
        schedule=schedule,
        window=(window_open, window_close),
        drain_s=drain_s,
    )


async def _window_timer(
    opens: float,
    closes: float,
    on_open: Callable[[], None] | None,
    on_close: Callable[[], None] | None,
) -> None:
    await asyncio.sleep(max(0.0, opens - time.monotonic()))
    if on_open is not None:
        on_open()
    await asyncio.sleep(max(0.0, closes - time.monotonic()))
    if on_close is not None:
        on_close()


async def _send_stream(
    client: httpx.AsyncClient,
    *,
    index: int,
    url: str,
    requests: list[bytes],
    rate: float,
    start: float,
    book: _Book,
) -> None:
    """Send stream `index` on schedule: at each tick, everything due, in order, in batches."""
    total = len(requests)
    deadline = start + total / rate + SEND_SLACK
    k = 0
    while k < total and time.monotonic() < deadline:
        now = time.monotonic()
        due = min(total, int((now - start) * rate) + 1)
        while k < due:
            end = min(due, k + MAX_BATCH)
            book.send_lag_max = max(book.send_lag_max, now - (start + k / rate))
            body = b"[" + b",".join(requests[k:end]) + b"]"
            sent_at = time.monotonic()
            answers = await _post_batch(client, url, body)
            _record_answers(book, index, k, end, sent_at, answers)
            k = end
        ticks_done = math.floor((time.monotonic() - start) / TICK) + 1
        await asyncio.sleep(max(0.0, start + ticks_done * TICK - time.monotonic()))


async def _post_batch(client: httpx.AsyncClient, url: str, body: bytes) -> list[Any] | str:
    """The answers to a batch, or why there are none."""
    try:
        response = await client.post(
            url, content=body, headers={"Content-Type": "application/json"}
        )
        answers = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        return f"{exc.__class__.__name__}: {exc}"
    if isinstance(answers, dict) and "id" in answers:
        return [answers]  # CometBFT answers a batch of one with a bare object
    if not isinstance(answers, list):
        return f"HTTP {response.status_code}: {str(answers)[:300]}"
    return answers


def _record_answers(
    book: _Book, index: int, begin: int, end: int, sent_at: float, answers: list[Any] | str
) -> None:
    status = book.status[index]
    sent = book.sent_at[index]
    for k in range(begin, end):
        status[k] = _REFUSED
        sent[k] = sent_at
    if isinstance(answers, str):
        book.first_error = book.first_error or answers
        return
    for answer in answers:
        position = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(position, int) or not begin <= position < end:
            continue
        if "error" in answer:
            error = answer["error"]
            book.first_error = book.first_error or str(error.get("data") or error.get("message"))
        else:
            status[position] = _ACCEPTED


async def _latest_height(client: httpx.AsyncClient, url: str) -> int:
    response = await client.get(f"{url}/status")
    return int(response.json()["result"]["sync_info"]["latest_block_height"])


async def _get(client: httpx.AsyncClient, url: str, method: str, height: int | None) -> Any:
    """The `result` of `method`?height=h, or None when there is none (yet)."""
    params = {} if height is None else {"height": str(height)}
    try:
        response = await client.get(f"{url}/{method}", params=params)
        body = response.json()
    except (httpx.HTTPError, ValueError):
        return None
    return body.get("result") if isinstance(body, dict) else None


async def _watch(
    client: httpx.AsyncClient,
    url: str,
    height: int,
    book: _Book,
    stop: asyncio.Event,
    *,
    deadline: float,
    drain_limit: float,
) -> None:
    """Fetch each next block as soon as it is executed, and note when our transactions are seen.

    A block is in `/block` as soon as consensus decides it, and in `/block_results` once the
    application has executed it (FinalizeBlock); a transaction counts as committed at the
    latter, when a client can read its outcome. Runs until `stop` is set and no further block
    is there (or DRAIN_LIMIT past `deadline`).
    """
    hard_stop = deadline + SEND_SLACK + drain_limit + HTTP_TIMEOUT
    while time.monotonic() < hard_stop:
        results = await _get(client, url, "block_results", height)
        if results is None:
            if stop.is_set():
                return
            await asyncio.sleep(TICK)
            continue
        seen = time.monotonic()
        block = await _get(client, url, "block", height)
        if block is None:
            raise RuntimeError(f"{url} has the results of block {height} but not the block")
        outcomes = results.get("txs_results") or []
        ours = []
        for position, encoded in enumerate(block["block"]["data"].get("txs") or ()):
            place = book.where.get(hashlib.sha256(base64.b64decode(encoded)).digest())
            if place is None:
                continue
            stream, k = place
            if math.isnan(book.seen_at[stream][k]):
                book.seen_at[stream][k] = seen
                ours.append(position)
                if int(outcomes[position].get("code", 0)):
                    book.failed += 1
        book.blocks.append(_Block(height=height, seen=seen, ours=tuple(ours)))
        if ours:
            book.seen += len(ours)
            book.last_seen = seen
        pending = await _get(client, url, "num_unconfirmed_txs", None)
        if pending is not None:
            book.mempool_peak = max(book.mempool_peak, int(pending.get("n_txs", 0)))
        height += 1


async def _drain(book: _Book, watcher: asyncio.Task[None], *, limit: float) -> None:
    """Wait until every accepted transaction is seen, or commits stop, or `limit` passes."""
    began = time.monotonic()
    while not watcher.done():
        now = time.monotonic()
        accepted = sum(s.count(_ACCEPTED) for s in book.status)
        idle_since = max(book.last_seen, began)
        if book.seen >= accepted or now - idle_since > DRAIN_IDLE or now - began > limit:
            return
        await asyncio.sleep(TICK * 4)


def percentile(ordered: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of sorted `ordered` (share 0.5 = median, 0.99 = p99)."""
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def committed_rate(blocks: Sequence[_Block], *, opens: float, closes: float) -> float:
    """Our transactions committed per second over the window [opens, closes).

    Counting the blocks seen in the window and dividing by its length is off by up to a whole
    block, which matters when a saturated network makes blocks of thousands of transactions
    seconds apart. So the rate is measured between block boundaries: from the last block seen
    by `opens` to the last block seen before `closes`, the transactions of the blocks after the
    first over the time between them. When those blocks span less than half the window (the
    network stalled), it falls back to the plain count over the window's length.
    """
    before = [b for b in blocks if b.seen < opens]
    inside = [b for b in blocks if opens <= b.seen < closes]
    count = sum(len(b.ours) for b in inside)
    span = [*before[-1:], *inside]
    if len(span) >= 2 and span[-1].seen - span[0].seen >= (closes - opens) / 2:
        return sum(len(b.ours) for b in span[1:]) / (span[-1].seen - span[0].seen)
    return count / (closes - opens)


def _summarise(
    book: _Book,
    *,
    schedule: Schedule,
    window: tuple[float, float],
    drain_s: float,
) -> LoadResult:
    opens, closes = window
    latencies: list[float] = []
    uncommitted_in_window = 0
    for sent_row, seen_row, status_row in zip(book.sent_at, book.seen_at, book.status, strict=True):
        for sent, seen, status in zip(sent_row, seen_row, status_row, strict=True):
            if status != _ACCEPTED or not opens <= sent < closes:
                continue
            if math.isnan(seen):
                uncommitted_in_window += 1
            else:
                latencies.append((seen - sent) * 1000)
    latencies.sort()
    in_window = [len(block.ours) for block in book.blocks if opens <= block.seen < closes]
    committed_in_window = sum(in_window)
    return LoadResult(
        offered_rate=schedule.rate,
        window_s=schedule.duration,
        sent=sum(s.count(_ACCEPTED) for s in book.status),
        refused=sum(s.count(_REFUSED) for s in book.status),
        unsent=sum(s.count(_UNSENT) for s in book.status),
        committed=book.seen - book.failed,
        failed=book.failed,
        committed_in_window=committed_in_window,
        throughput=committed_rate(book.blocks, opens=opens, closes=closes),
        latency_p50_ms=percentile(latencies, 0.5) if latencies else None,
        latency_p99_ms=percentile(latencies, 0.99) if latencies else None,
        latency_samples=len(latencies),
        uncommitted_in_window=uncommitted_in_window,
        blocks_in_window=len(in_window),
        max_block_txs=max(in_window, default=0),
        send_lag_max_ms=book.send_lag_max * 1000,
        mempool_peak=book.mempool_peak,
        first_error=book.first_error,
        drain_s=drain_s,
    )


def dumps(result: LoadResult) -> str:
    return json.dumps(result.to_json(), indent=2)
