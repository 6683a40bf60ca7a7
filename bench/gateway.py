"""Issue 6: submit-and-commit through the gateways against straight to CometBFT's RPC.

    BENCH_ONLY=gateway make bench        # this step alone; in `make bench` it runs after the rest

One four-validator network with its four gateways, and ACCOUNTS client keys registered in its
genesis (a quarter per organization). Every phase offers an open-loop load of pre-signed notary
anchors, transaction k due k / rate seconds after the start and sent by account k mod ACCOUNTS
to its organization's node, by one of three paths:

- rpc: `broadcast_tx_sync` to the node's CometBFT RPC (JSON-RPC over HTTP);
- gateway_commit: POST /v1/transactions?wait=commit to the organization's gateway, which
  answers once the transaction is in a block: how users wait for a commit;
- gateway_none: the same without wait (the gateway answers once the mempool took it).

A transaction's nonce follows the previous one of its account, so each account sends one request
at a time over its own keep-alive connection (bench/http1.py), from its own loopback address: the
gateways see ACCOUNTS clients, each well under their rate limit. "Committed" means the same for
every path: a watcher sees the transaction in a block whose results node1 has (as bench.loadgen
does). Latency is measured from the time a transaction was due, so a path that cannot keep up
shows it; for gateway_commit the time until its answer is given too.

Each phase runs at the same offered load (SAME_RATE, below capacity) and at a saturating one
(SATURATING_RATE), the paths interleaved (rpc, gateway_commit, gateway_none, then again) for
ROUNDS rounds; figures are medians over the rounds. The last line printed is
`gateway_vs_rpc=<gateway_commit tx/s / rpc tx/s at the saturating load>`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import httpx

from bench.http1 import Answer, Connection, HttpError, source_address
from bench.loadgen import MAX_BATCH, SATURATED_SHARE, percentile
from bench.network import CpuMeter, Process, network_processes
from bench.workload import GAS_LIMIT
from cornerstone import encoding
from cornerstone.crypto import PrivateKey
from cornerstone.localnet import Localnet
from cornerstone.localnet.ports import HOST, find_free_base_port
from cornerstone.localnet.tomlfile import set_values
from cornerstone.tx import sign_transaction

MODES: Final = ("rpc", "gateway_commit", "gateway_none")
ACCOUNTS: Final = 2000
"""Client keys. gateway_commit has one request per account in flight for about a block's time
(~1 s), so this many accounts can offer ~2,000 tx/s: above what the network commits."""
SAME_RATE: Final = 200.0
"""Offered tx/s that the network sustains on two shared cores, by every path."""
SATURATING_RATE: Final = 700.0
"""Offered tx/s above what the network commits with its gateways on two cores (the application
alone commits ~750 tx/s there unshared; more offered only lengthens the mempool's drain)."""
ROUNDS: Final = 2
DURATION: Final = 10.0
WARMUP: Final = 3.0
COMMIT_TIMEOUT: Final = 60.0
"""The gateway's `timeout` for wait=commit: a saturated network queues transactions for long."""
SEND_SLACK: Final = 5.0
"""An account still sending this long after the last transaction was due gives up the rest."""
DRAIN_IDLE: Final = 10.0
DRAIN_LIMIT: Final = 45.0
SETTLE_TIMEOUT: Final = 120.0
"""Seconds to wait for the mempools to empty between phases."""
TICK: Final = 0.05
CONFIG: Final = {"rpc": {"max_request_batch_size": MAX_BATCH}}
"""As `make bench`: nonces are read in JSON-RPC batches."""
NONCE_PREFIX: Final = b"core/nonce/"
ARTIFACT: Final = Path(".artifacts") / "bench-gateway.json"

_UNSENT, _ACCEPTED, _REFUSED = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Options:
    accounts: int = ACCOUNTS
    same_rate: float = SAME_RATE
    saturating_rate: float = SATURATING_RATE
    rounds: int = ROUNDS
    duration: float = DURATION
    warmup: float = WARMUP
    modes: tuple[str, ...] = MODES

    @classmethod
    def from_env(cls) -> Options:
        def number(name: str, default: float) -> float:
            return float(os.environ.get(name, default))

        options = cls(
            accounts=int(number("BENCH_GATEWAY_ACCOUNTS", ACCOUNTS)),
            same_rate=number("BENCH_GATEWAY_RATE", SAME_RATE),
            saturating_rate=number("BENCH_GATEWAY_SATURATING_RATE", SATURATING_RATE),
            rounds=int(number("BENCH_GATEWAY_ROUNDS", ROUNDS)),
            duration=number("BENCH_GATEWAY_DURATION", DURATION),
            warmup=number("BENCH_GATEWAY_WARMUP", WARMUP),
            modes=tuple(os.environ.get("BENCH_GATEWAY_MODES", ",".join(MODES)).split(",")),
        )
        if not (
            4 <= options.accounts <= 3000
            and 0 < options.same_rate <= 5000
            and 0 < options.saturating_rate <= 5000
            and 1 <= options.rounds <= 10
            and 0 < options.duration <= 120
            and 0 <= options.warmup <= 30
            and options.modes
            and set(options.modes) <= set(MODES)
        ):
            raise SystemExit(
                "BENCH_GATEWAY_*: choose 4 <= ACCOUNTS <= 3000, rates in (0, 5000], "
                "1 <= ROUNDS <= 10, 0 < DURATION <= 120, 0 <= WARMUP <= 30, MODES of "
                + ",".join(MODES)
            )
        return options


@dataclass(frozen=True, slots=True)
class PhaseResult:
    """One path at one offered load, once."""

    mode: str
    rate: float
    round: int
    throughput: float
    """Our transactions committed per second in the window (seen in blocks)."""
    sent: int
    committed: int
    failed: int
    """Committed with a non-zero code."""
    refused: int
    """Answered with an error (the account then stops: its next nonces could not follow)."""
    unsent: int
    latency_p50_ms: float | None
    """Due to seen in a block, over transactions due in the window."""
    latency_p99_ms: float | None
    answer_p50_ms: float | None
    """Due to answered (gateway_commit: the answer says committed)."""
    answer_p99_ms: float | None
    samples: int
    cpu_share: dict[str, float]
    """CPU by process kind over the window, 1.0 = one core."""
    first_error: str

    @property
    def saturated(self) -> bool:
        return self.throughput < SATURATED_SHARE * self.rate


@dataclass(slots=True)
class _Book:
    """Per transaction (global index k) bookkeeping of one phase."""

    due: list[float]
    status: list[int]
    answered: list[float]
    seen: list[float]
    where: dict[bytes, int]
    """Transaction hash -> k."""
    blocks: list[tuple[float, int]] = field(default_factory=list)
    """(seen, our committed transactions in it) per block watched."""
    last_seen: float = 0.0
    failed: int = 0
    first_error: str = ""


# ------------------------------------------------------------------------------------ network
@contextmanager
def bench_network(accounts: Sequence[PrivateKey]) -> Iterator[Localnet]:
    """A started four-organization network with its gateways, `accounts` registered as client
    keys in its genesis (account a in organization a mod 4 + 1); deleted on the way out."""
    with tempfile.TemporaryDirectory(prefix="cornerstone-bench-gateway-") as directory:
        net = Localnet.create(
            Path(directory) / "net",
            orgs=4,
            base_port=find_free_base_port(4),
            chain_id="bench-gateway",
        )
        genesis_path = net.nodes[0].cometbft_home / "config" / "genesis.json"
        genesis = json.loads(genesis_path.read_text())
        organizations = genesis["app_state"]["membership"]["organizations"]
        for a, key in enumerate(accounts):
            organizations[a % len(net.nodes)]["members"].append(
                {
                    "public_key": key.public_key.raw.hex(),
                    "suite": key.public_key.suite.value,
                    "role": "client",
                    "name": f"bench{a}",
                }
            )
        genesis_text = json.dumps(genesis, indent=2) + "\n"
        for node in net.nodes:
            (node.cometbft_home / "config" / "genesis.json").write_text(genesis_text)
            path = node.cometbft_home / "config" / "config.toml"
            path.write_text(set_values(path.read_text(), CONFIG))
        try:
            net.start()
            yield net
        finally:
            net.stop()


def _processes(net: Localnet) -> list[Process]:
    found = network_processes(net)
    for node in net.nodes:
        try:
            pid = int((node.home / "gateway.pid").read_text().strip())
        except (FileNotFoundError, ValueError):
            continue
        found.append(Process(label=f"{node.name} gateway", kind="gateway", pid=pid))
    return found


async def _rpc(client: httpx.AsyncClient, url: str, method: str, **params: str) -> Any:
    """The call's result; None when there is none (yet) or the node did not answer (a busy
    node may drop an idle keep-alive connection: the callers ask again)."""
    try:
        response = await client.get(f"{url}/{method}", params=params)
        body = response.json()
    except (httpx.HTTPError, ValueError):
        return None
    return body.get("result") if isinstance(body, dict) else None


async def _nonces(client: httpx.AsyncClient, url: str, keys: Sequence[PrivateKey]) -> list[int]:
    """Each account's next nonce, read from the committed state in JSON-RPC batches."""
    nonces: list[int] = []
    for begin in range(0, len(keys), MAX_BATCH):
        batch = [
            {
                "jsonrpc": "2.0",
                "id": i,
                "method": "abci_query",
                "params": {
                    "path": "/store",
                    "data": (NONCE_PREFIX + key.public_key.fingerprint).hex(),
                },
            }
            for i, key in enumerate(keys[begin : begin + MAX_BATCH])
        ]
        answers = None
        for _ in range(5):  # a busy node may drop the idle connection: ask again
            try:
                answers = (await client.post(url, json=batch)).json()
                break
            except (httpx.HTTPError, ValueError):
                await asyncio.sleep(1.0)
        if not isinstance(answers, list):
            raise RuntimeError(f"{url} did not give the accounts' nonces")
        by_id = {answer["id"]: answer["result"]["response"] for answer in answers}
        for i in range(len(batch)):
            response = by_id[i]
            value = response.get("value")
            absent = response.get("log") == "absent" or not value
            nonces.append(0 if absent else encoding.decode_int(base64.b64decode(value)))
    return nonces


async def _settle(client: httpx.AsyncClient, net: Localnet) -> None:
    """Wait until every node's mempool is empty: the previous phase is all committed."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while time.monotonic() < deadline:
        counts = [
            int((await _rpc(client, node.rpc_url, "num_unconfirmed_txs") or {}).get("n_txs", 1))
            for node in net.nodes
        ]
        if not any(counts):
            return
        await asyncio.sleep(0.25)
    raise RuntimeError(f"the mempools did not empty within {SETTLE_TIMEOUT:g} s")


# ------------------------------------------------------------------------------------ a phase
def _sign(
    keys: Sequence[PrivateKey], nonces: Sequence[int], *, count: int, chain_id: str
) -> list[bytes]:
    """Transaction k: an anchor by account k mod len(keys), at that account's next nonce."""
    salt = os.urandom(8).hex()
    txs = []
    for k in range(count):
        a = k % len(keys)
        txs.append(
            sign_transaction(
                keys[a],
                chain_id=chain_id,
                nonce=nonces[a] + k // len(keys),
                module="notary",
                operation="anchor",
                args={"digest": hashlib.sha256(f"{salt}/{k}".encode()).digest(), "metadata": {}},
                gas_limit=GAS_LIMIT,
            ).encode()
        )
    return txs


def _request(mode: str, raw: bytes, k: int) -> tuple[str, bytes, str]:
    """Path, body and content type of transaction `raw` by `mode`."""
    if mode == "rpc":
        body = b'{"jsonrpc":"2.0","id":%d,"method":"broadcast_tx_sync","params":{"tx":"%s"}}' % (
            k,
            base64.b64encode(raw),
        )
        return "/", body, "application/json"
    wait = "commit" if mode == "gateway_commit" else "none"
    return (
        f"/v1/transactions?wait={wait}&timeout={COMMIT_TIMEOUT:g}",
        raw,
        "application/octet-stream",
    )


def _refusal(mode: str, answer: Answer) -> str | None:
    """Why `answer` is not an acceptance, or None."""
    if mode == "rpc":
        try:
            document = json.loads(answer.body)
        except ValueError:
            return f"HTTP {answer.status}: {answer.body[:200]!r}"
        if "error" in document:
            return str(document["error"].get("data") or document["error"].get("message"))
        result = document.get("result") or {}
        if int(result.get("code", 0)):
            return f"CheckTx code {result.get('code')}: {result.get('log')}"
        return None
    expected = 200 if mode == "gateway_commit" else 202
    if answer.status != expected:
        return f"HTTP {answer.status}: {answer.body[:300].decode(errors='replace')}"
    return None


async def _account(
    connection: Connection,
    mode: str,
    positions: range,
    requests: Sequence[tuple[str, bytes, str]],
    book: _Book,
    *,
    give_up: float,
) -> None:
    """Send the account's transactions (global positions `positions`) in order, each when due
    or as soon as the previous one is answered."""
    for k in positions:
        wait = book.due[k] - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        if time.monotonic() > give_up:
            return
        path, body, content_type = requests[k]
        try:
            answer = await connection.post(path, body, content_type=content_type)
        except (OSError, HttpError, asyncio.IncompleteReadError) as exc:
            why: str | None = f"{exc.__class__.__name__}: {exc}"
        else:
            why = _refusal(mode, answer)
        book.answered[k] = time.monotonic()
        if why is not None:
            book.status[k] = _REFUSED
            book.first_error = book.first_error or why
            return  # its later nonces cannot follow
        book.status[k] = _ACCEPTED


async def _watch(
    client: httpx.AsyncClient, url: str, height: int, book: _Book, stop: asyncio.Event
) -> None:
    """Note when each of our transactions is first seen in a block node1 has executed."""
    while True:
        results = await _rpc(client, url, "block_results", height=str(height))
        if results is None:
            if stop.is_set():
                return
            await asyncio.sleep(TICK)
            continue
        seen = time.monotonic()
        block = await _rpc(client, url, "block", height=str(height))
        if block is None:
            continue  # asked again, results first
        outcomes = results.get("txs_results") or []
        ours = 0
        for position, encoded in enumerate(block["block"]["data"].get("txs") or ()):
            k = book.where.get(hashlib.sha256(base64.b64decode(encoded)).digest())
            if k is None or not math.isnan(book.seen[k]):
                continue
            book.seen[k] = seen
            if int(outcomes[position].get("code", 0)):
                book.failed += 1
            else:
                ours += 1
        book.blocks.append((seen, ours))
        if ours:
            book.last_seen = seen
        height += 1


def _committed_rate(blocks: Sequence[tuple[float, int]], opens: float, closes: float) -> float:
    """Committed per second between the last block before the window and the last in it (a
    count over the window is off by up to a whole block); see bench.loadgen.committed_rate."""
    before = [b for b in blocks if b[0] < opens]
    inside = [b for b in blocks if opens <= b[0] < closes]
    span = [*before[-1:], *inside]
    if len(span) >= 2 and span[-1][0] - span[0][0] >= (closes - opens) / 2:
        return sum(n for _, n in span[1:]) / (span[-1][0] - span[0][0])
    return sum(n for _, n in inside) / (closes - opens)


async def run_phase(
    net: Localnet,
    keys: Sequence[PrivateKey],
    *,
    mode: str,
    rate: float,
    round_number: int,
    options: Options,
) -> PhaseResult:
    """Offer `rate` by `mode` for warm-up + duration seconds; measure the duration."""
    watch_url = net.nodes[0].rpc_url
    async with httpx.AsyncClient(timeout=30.0, trust_env=False) as client:
        await _settle(client, net)
        nonces = await _nonces(client, watch_url, keys)
        count = math.ceil(rate * (options.warmup + options.duration))
        txs = _sign(keys, nonces, count=count, chain_id=net.chain_id)
        requests = [_request(mode, raw, k) for k, raw in enumerate(txs)]
        book = _Book(
            due=[0.0] * count,
            status=[_UNSENT] * count,
            answered=[math.nan] * count,
            seen=[math.nan] * count,
            where={hashlib.sha256(raw).digest(): k for k, raw in enumerate(txs)},
        )
        nodes = net.nodes
        connections = [
            Connection(
                HOST,
                nodes[a % len(nodes)].rpc_port
                if mode == "rpc"
                else nodes[a % len(nodes)].gateway_port,
                source=source_address(a),
            )
            for a in range(len(keys))
        ]
        meter = CpuMeter(_processes(net))
        status = None
        while status is None:
            status = await _rpc(client, watch_url, "status")
        height = int(status["sync_info"]["latest_block_height"])
        stop = asyncio.Event()
        watcher = asyncio.create_task(_watch(client, watch_url, height + 1, book, stop))
        start = time.monotonic() + 0.5
        book.due = [start + k / rate for k in range(count)]
        opens, closes = start + options.warmup, start + options.warmup + options.duration
        timer = asyncio.create_task(_window(opens, closes, meter))
        try:
            give_up = book.due[-1] + SEND_SLACK
            await asyncio.gather(
                *(
                    _account(
                        connection,
                        mode,
                        range(a, count, len(keys)),
                        requests,
                        book,
                        give_up=give_up,
                    )
                    for a, connection in enumerate(connections)
                )
            )
            await timer
            await _drain(book, watcher)
            stop.set()
            await asyncio.wait_for(watcher, timeout=60)
        finally:
            for task in (watcher, timer):
                task.cancel()
            await asyncio.gather(watcher, timer, return_exceptions=True)
            await asyncio.gather(*(c.close() for c in connections))
    return _summarise(
        book, mode=mode, rate=rate, round_number=round_number, meter=meter, window=(opens, closes)
    )


async def _window(opens: float, closes: float, meter: CpuMeter) -> None:
    await asyncio.sleep(max(0.0, opens - time.monotonic()))
    meter.start()
    await asyncio.sleep(max(0.0, closes - time.monotonic()))
    meter.stop()


async def _drain(book: _Book, watcher: asyncio.Task[None]) -> None:
    """Until every accepted transaction is seen, commits stop for DRAIN_IDLE, or DRAIN_LIMIT."""
    began = time.monotonic()
    while not watcher.done():
        accepted = book.status.count(_ACCEPTED)
        seen = sum(1 for s in book.seen if not math.isnan(s))
        now = time.monotonic()
        if seen >= accepted or now - max(book.last_seen, began) > DRAIN_IDLE:
            return
        if now - began > DRAIN_LIMIT:
            return
        await asyncio.sleep(0.2)


def _summarise(
    book: _Book,
    *,
    mode: str,
    rate: float,
    round_number: int,
    meter: CpuMeter,
    window: tuple[float, float],
) -> PhaseResult:
    opens, closes = window
    latencies, answers = [], []
    for due, status, answered, seen in zip(
        book.due, book.status, book.answered, book.seen, strict=True
    ):
        if status != _ACCEPTED or not opens <= due < closes or math.isnan(seen):
            continue
        latencies.append((seen - due) * 1000)
        answers.append((answered - due) * 1000)
    latencies.sort()
    answers.sort()
    length = closes - opens
    committed = sum(1 for s in book.seen if not math.isnan(s)) - book.failed

    def pct(values: list[float], share: float) -> float | None:
        return round(percentile(values, share), 1) if values else None

    commit_answers = mode == "gateway_commit"
    return PhaseResult(
        mode=mode,
        rate=rate,
        round=round_number,
        throughput=round(_committed_rate(book.blocks, opens, closes), 1),
        sent=book.status.count(_ACCEPTED),
        committed=committed,
        failed=book.failed,
        refused=book.status.count(_REFUSED),
        unsent=book.status.count(_UNSENT),
        latency_p50_ms=pct(latencies, 0.5),
        latency_p99_ms=pct(latencies, 0.99),
        answer_p50_ms=pct(answers, 0.5) if commit_answers else None,
        answer_p99_ms=pct(answers, 0.99) if commit_answers else None,
        samples=len(latencies),
        cpu_share={kind: round(s / length, 2) for kind, s in sorted(meter.by_kind().items())},
        first_error=book.first_error,
    )


# ------------------------------------------------------------------------------------ the step
def run_step(options: Options | None = None) -> float:
    """Run the comparison, print it, write ARTIFACT; the gateway_vs_rpc ratio."""
    options = options or Options.from_env()
    began = time.monotonic()
    print(
        f"\n== gateway against CometBFT RPC (issue 6): one 4-validator network with its "
        f"gateways, {options.accounts:,} client accounts; {options.rounds} rounds of "
        f"{' / '.join(options.modes)} at {options.same_rate:g} and "
        f"{options.saturating_rate:g} tx/s offered, {options.warmup:g} s warm-up + "
        f"{options.duration:g} s measured each",
        flush=True,
    )
    keys = [PrivateKey.generate() for _ in range(options.accounts)]
    results: list[PhaseResult] = []
    with bench_network(keys) as net:
        for round_number in range(1, options.rounds + 1):
            for rate in (options.same_rate, options.saturating_rate):
                for mode in options.modes:
                    result = asyncio.run(
                        run_phase(
                            net,
                            keys,
                            mode=mode,
                            rate=rate,
                            round_number=round_number,
                            options=options,
                        )
                    )
                    results.append(result)
                    print(_phase_line(result), flush=True)
    summary = _summary(results, options)
    for line in _summary_lines(summary, options):
        print(line)
    ratio = summary["gateway_vs_rpc"]
    _write_artifact(options, results, summary, elapsed=time.monotonic() - began)
    print(f"   (took {time.monotonic() - began:.0f} s; results in {ARTIFACT})")
    print(f"gateway_vs_rpc={ratio:.2f}", flush=True)
    return float(ratio)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _phase_line(r: PhaseResult) -> str:
    answer = (
        f", answered p50 {_ms(r.answer_p50_ms)} p99 {_ms(r.answer_p99_ms)} ms"
        if r.mode == "gateway_commit"
        else ""
    )
    cpu = " ".join(f"{kind} {share:.0%}" for kind, share in r.cpu_share.items())
    problems = (
        f"; refused {r.refused}, unsent {r.unsent}, failed {r.failed}"
        if (r.refused or r.unsent or r.failed)
        else ""
    )
    error = f"; first error: {r.first_error[:160]}" if r.first_error else ""
    return (
        f"   round {r.round} {r.mode:<15}{r.rate:>6g} offered: {r.throughput:>7.1f} tx/s, "
        f"in a block p50 {_ms(r.latency_p50_ms)} p99 {_ms(r.latency_p99_ms)} ms{answer}; "
        f"CPU {cpu}{problems}{error}"
    )


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 2) if present else None


def _summary(results: Sequence[PhaseResult], options: Options) -> dict[str, Any]:
    table: dict[str, dict[str, Any]] = {}
    for label, rate in (("same", options.same_rate), ("saturating", options.saturating_rate)):
        for mode in options.modes:
            runs = [r for r in results if r.mode == mode and r.rate == rate]
            table[f"{label}/{mode}"] = {
                "offered": rate,
                "throughput": _median([r.throughput for r in runs]),
                "latency_p50_ms": _median([r.latency_p50_ms for r in runs]),
                "latency_p99_ms": _median([r.latency_p99_ms for r in runs]),
                "answer_p50_ms": _median([r.answer_p50_ms for r in runs]),
                "answer_p99_ms": _median([r.answer_p99_ms for r in runs]),
                "loadgen_cpu": _median([r.cpu_share.get("loadgen", 0.0) for r in runs]),
                "gateway_cpu": _median([r.cpu_share.get("gateway", 0.0) for r in runs]),
                "saturated": sum(r.saturated for r in runs) > len(runs) / 2,
            }

    def ratio(label: str, mode: str) -> float:
        ours = table.get(f"{label}/{mode}", {}).get("throughput") or 0.0
        theirs = table.get(f"{label}/rpc", {}).get("throughput") or 0.0
        return round(ours / theirs, 2) if theirs else 0.0

    return {
        "table": table,
        "gateway_vs_rpc": ratio("saturating", "gateway_commit"),
        "gateway_vs_rpc_same_load": ratio("same", "gateway_commit"),
        "gateway_none_vs_rpc": ratio("saturating", "gateway_none"),
    }


def _summary_lines(summary: Mapping[str, Any], options: Options) -> list[str]:
    lines = [
        f"   medians over {options.rounds} rounds:",
        f"   {'load/path':<27}{'offered':>8}{'tx/s':>8}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'answer p50':>11}{'p99':>7}{'loadgen':>9}{'gateways':>9}  saturated",
    ]
    for key, row in summary["table"].items():
        lines.append(
            f"   {key:<27}{row['offered']:>8g}{row['throughput'] or 0:>8.1f}"
            f"{_ms(row['latency_p50_ms']):>8}{_ms(row['latency_p99_ms']):>8}"
            f"{_ms(row['answer_p50_ms']):>11}{_ms(row['answer_p99_ms']):>7}"
            f"{row['loadgen_cpu'] or 0:>9.0%}{row['gateway_cpu'] or 0:>9.0%}  "
            f"{'yes' if row['saturated'] else 'no'}"
        )
    lines.append(
        f"   gateway (wait=commit) / RPC committed tx/s: {summary['gateway_vs_rpc']:.2f} "
        f"saturating, {summary['gateway_vs_rpc_same_load']:.2f} at {options.same_rate:g} tx/s "
        f"(target: within 10%); without wait {summary['gateway_none_vs_rpc']:.2f} saturating"
    )
    return lines


def _write_artifact(
    options: Options,
    results: Sequence[PhaseResult],
    summary: Mapping[str, Any],
    *,
    elapsed: float,
) -> None:
    document = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "BENCH_ONLY=gateway make bench  # or the gateway step of make bench",
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        },
        "options": asdict(options),
        "phases": [
            {**{k: v for k, v in asdict(r).items()}, "saturated": r.saturated} for r in results
        ],
        **summary,
        "elapsed_s": round(elapsed),
    }
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps(document, indent=2) + "\n")
