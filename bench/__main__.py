"""`make bench`: our capacity against CometBFT's kvstore's, state commit time, contract calls.

Throughput is compared on the same four-validator network; then block commit time against the
size of the state, and a contract call against a native module.

    .venv/bin/python -m bench [--rate TX_PER_S] [--kvstore-rate TX_PER_S] [...]; see --help
    BENCH_ONLY=throughput .venv/bin/python -m bench     # one step: throughput, state,
                                                        # contracts or gateway

Each run starts a fresh four-validator network on this machine (identical CometBFT settings
for both applications) and drives it with the same open-loop load (`bench.loadgen`): a rate
for warm-up + duration seconds, a quarter of it to each node; only the duration is measured.

1. Throughput: the capacity of each application, searched the same way for both. A rate is
   kept up when the committed rate over the window is at least KEPT_UP_SHARE of the offered
   one and the p99 latency at most P99_LIMIT_MS (a queue that grows shows in both). Starting
   from `--rate` (ours, notary anchors signed before the clock starts) and `--kvstore-rate`
   (unique key=value transactions of the same size), the rate goes up or down by STEP until
   one is kept up and one is not, then bisects until they are within RESOLUTION; the probes of
   the applications alternate, so a change in the machine's load hits all. An application's
   capacity is the committed rate of its highest kept-up probe. kvstore is measured twice: built
   into CometBFT (the issue's baseline) and as `abci-cli kvstore` over the ABCI socket, as ours
   runs (`--socket-rate`; see bench/network.py): the second ratio is the application's cost
   alone, without the transport that no out-of-process application escapes.
2. `bench.state_commit`: one block of 1,000 changed keys over 10,000 and 1,000,000 keys.
3. `cornerstone.contracts.benchmark`: a contract call doing 10 state reads and 10 writes
   against a native handler doing the same (issue 4's target: a ratio of at most 3).
4. `bench.gateway`: submit-and-commit through the gateways against straight to CometBFT's RPC
   (issue 6's target: within 10%), settings in BENCH_GATEWAY_* variables (see there).

Results go to stdout and to .artifacts/bench.json. The last two lines are
`ratio_vs_kvstore_socket=<ours / kvstore over the socket>` and
`ratio_vs_kvstore=<our capacity / built-in kvstore's capacity>`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from bench import gateway as gateway_step
from bench.calibrate import describe, machine_speed
from bench.loadgen import MAX_BATCH, LoadResult, Schedule, Stream, run_load
from bench.network import BenchApp, CpuMeter, network_processes, running_network
from bench.state_commit import measure_commit
from bench.workload import GAS_LIMIT, kvstore_streams, mean_size, notary_streams
from cornerstone.contracts.benchmark import measure_native_reads_writes, measure_reads_writes
from cornerstone.localnet import Localnet
from cornerstone.localnet.cometbft import find_cometbft, version
from cornerstone.localnet.config import MEMPOOL, consensus_timeouts

STEPS: Final = ("throughput", "state", "contracts", "gateway")
"""What BENCH_ONLY (comma-separated) may name; all of them run by default."""
DEFAULT_RATE: Final = 1200.0
"""Our first probe, tx/s: about what our application committed on a two-core machine."""
DEFAULT_KVSTORE_RATE: Final = 2800.0
"""kvstore's first probe: it committed 2,700-3,300 tx/s at saturation on two cores."""
DEFAULT_SOCKET_RATE: Final = 1000.0
"""kvstore over the ABCI socket's first probe: it committed ~800 tx/s on two cores."""
DEFAULT_DURATION: Final = 15.0
DEFAULT_WARMUP: Final = 5.0
KEPT_UP_SHARE: Final = 0.95
"""A probe is kept up when it commits at least this share of the offered rate..."""
P99_LIMIT_MS: Final = 5000.0
"""...and its p99 latency is at most this (blocks of a run that keeps up take 1-2 s)."""
STEP: Final = 1.3
"""Factor between probes until the capacity is bracketed."""
RESOLUTION: Final = 1.1
"""The search stops once the lowest failed rate is within this factor of the highest kept up."""
MAX_PROBES: Final = 5
"""Probes per application at most (each takes about 40 s)."""
PROBE_DRAIN_S: Final = 15.0
"""How long a probe waits for its backlog after the last send: an overloaded probe has failed
whatever its backlog, and a kept-up one drains in a block or two."""
STATE_SIZES: Final = (10_000, 1_000_000)
STATE_CHANGED: Final = 1000
STATE_ROUNDS: Final = 20

CONFIG: Final[Mapping[str, Mapping[str, int]]] = {"rpc": {"max_request_batch_size": MAX_BATCH}}
"""CometBFT settings changed on both networks on top of the local network's: a JSON-RPC batch
may carry MAX_BATCH requests (CometBFT's default allows 10). This is how the load arrives, not
part of what is compared."""
ARTIFACT: Final = Path(".artifacts") / "bench.json"


@dataclass(frozen=True, slots=True)
class Run:
    """One network run: which application, at which offered rate, and why."""

    key: str
    """Its name in the JSON results."""
    app: BenchApp
    title: str
    rate: float


@dataclass(frozen=True, slots=True)
class Outcome:
    run: Run
    result: LoadResult
    tx_size: int
    """Mean transaction size in bytes."""
    cpu_by_process: dict[str, float]
    """CPU seconds of each process during the measurement window."""


def kept_up(result: LoadResult) -> bool:
    """Whether a run committed what was offered, without a growing queue."""
    p99 = result.latency_p99_ms
    return (
        result.throughput >= KEPT_UP_SHARE * result.offered_rate
        and p99 is not None
        and p99 <= P99_LIMIT_MS
    )


@dataclass(slots=True)
class CapacitySearch:
    """The rates to probe for one application, from what the earlier probes showed."""

    app: BenchApp
    start: float
    max_probes: int = MAX_PROBES
    outcomes: list[Outcome] = field(default_factory=list)

    def best(self) -> Outcome | None:
        """The highest kept-up probe."""
        kept = [o for o in self.outcomes if kept_up(o.result)]
        return max(kept, key=lambda o: o.run.rate, default=None)

    def lowest_failed(self) -> Outcome | None:
        failed = [o for o in self.outcomes if not kept_up(o.result)]
        return min(failed, key=lambda o: o.run.rate, default=None)

    def next_rate(self) -> float | None:
        """The next rate to offer, or None when the search is over."""
        if len(self.outcomes) >= self.max_probes:
            return None
        best, failed = self.best(), self.lowest_failed()
        if best is None and failed is None:
            rate = self.start
        elif failed is None:
            assert best is not None
            rate = best.run.rate * STEP
        elif best is None:
            rate = failed.run.rate / STEP
        elif failed.run.rate <= best.run.rate * RESOLUTION:
            return None
        else:
            rate = math.sqrt(best.run.rate * failed.run.rate)
        return float(max(10, round(rate / 10) * 10))

    def capacity(self) -> float:
        """Committed tx/s of the highest kept-up probe (0 if none kept up)."""
        best = self.best()
        return best.result.throughput if best is not None else 0.0

    def verdict(self) -> str:
        best, failed = self.best(), self.lowest_failed()
        if best is None:
            return f"no probe kept up (lowest tried {failed.run.rate:g} tx/s)" if failed else ""
        if failed is None:
            return (
                f"every probe kept up: a lower bound (raise the start rate above {best.run.rate:g})"
            )
        return f"kept up at {best.run.rate:g}, not at {failed.run.rate:g} tx/s offered"


def main() -> None:
    args = _parse_args()
    began = time.monotonic()
    cores = os.cpu_count() or 1
    timeouts = consensus_timeouts(None)
    print(
        f"Cornerstone benchmark ({', '.join(args.only)}): 4 validators on this machine "
        f"({cores} cores); each run offers its rate for {args.warmup:g} s warm-up + "
        f"{args.duration:g} s measured, a quarter per node.\nConsensus on both: "
        f"{', '.join(f'{k} {v}' for k, v in timeouts.items())}; mempool {MEMPOOL['size']:,} "
        f"transactions.",
        flush=True,
    )
    speed = machine_speed()
    print(describe(speed), flush=True)
    searches: list[CapacitySearch] = []
    if "throughput" in args.only:
        print(
            f"\n== throughput: each application's capacity, the highest offered rate it keeps "
            f"up with (committed >= {KEPT_UP_SHARE:.0%} of offered, p99 <= {P99_LIMIT_MS:,.0f} "
            f"ms); probes alternate between the applications",
            flush=True,
        )
        searches = [
            CapacitySearch("cornerstone", args.rate, max_probes=args.probes),
            CapacitySearch("kvstore", args.kvstore_rate, max_probes=args.probes),
            CapacitySearch("kvstore-socket", args.socket_rate, max_probes=args.probes),
        ]
        _search(searches, args, cores=cores)

    state: list[dict[str, float]] = []
    if "state" in args.only and args.state_rounds > 0:
        print(
            f"\n== block commit time: {STATE_CHANGED:,} changed keys per block, "
            f"Store.compute + Store.commit over {args.state_rounds} blocks (bench.state_commit)",
            flush=True,
        )
        for n_keys in STATE_SIZES:
            measured = measure_commit(n_keys, changed=STATE_CHANGED, rounds=args.state_rounds)
            state.append(measured)
            print(_state_line(measured), flush=True)

    contracts: dict[str, float] = {}
    if "contracts" in args.only:
        print("\n== contract call, 10 reads + 10 writes, against a native handler", flush=True)
        contract_s, native_s = measure_reads_writes(10), measure_native_reads_writes(10)
        contracts = {
            "contract_us": round(contract_s * 1e6, 1),
            "native_us": round(native_s * 1e6, 1),
            "ratio": round(contract_s / native_s, 2),
        }
        print(
            f"   contract {contracts['contract_us']} us, native {contracts['native_us']} us "
            f"per call: ratio {contracts['ratio']} (target: at most 3)"
        )

    if "gateway" in args.only:
        gateway_step.run_step()  # gateway against CometBFT RPC (issue 6): bench/gateway.py

    elapsed = time.monotonic() - began
    if not searches:
        print(f"(took {elapsed:.0f} s)")
        return
    print("\n== summary")
    _print_table([o for search in searches for o in search.outcomes])
    ours, theirs, over_socket = searches
    ratio = ours.capacity() / theirs.capacity() if theirs.capacity() else 0.0
    socket_ratio = ours.capacity() / over_socket.capacity() if over_socket.capacity() else 0.0
    for search in searches:
        print(f"Capacity of {search.app}: {search.capacity():.0f} tx/s ({search.verdict()}).")
    _write_artifact(
        args=args,
        speed=speed,
        searches=searches,
        state=state,
        contracts=contracts,
        ratio=ratio,
        socket_ratio=socket_ratio,
        elapsed=elapsed,
    )
    print(f"(took {elapsed:.0f} s; results in {ARTIFACT})")
    print(
        f"ratio_vs_kvstore_socket={socket_ratio:.2f}  (kvstore out of process, over the ABCI "
        "socket as ours is)"
    )
    print(f"ratio_vs_kvstore={ratio:.2f}")


def _search(searches: list[CapacitySearch], args: argparse.Namespace, *, cores: int) -> None:
    """Probe the applications in turn until every search is over."""
    tx_size = 0
    while True:
        progressed = False
        for search in searches:
            rate = search.next_rate()
            if rate is None:
                continue
            progressed = True
            number = len(search.outcomes) + 1
            run = Run(f"{search.app}_{number}", search.app, f"{search.app}, probe {number}", rate)
            outcome = _run(run, args, tx_size=tx_size)
            tx_size = tx_size or (outcome.tx_size if run.app == "cornerstone" else 0)
            search.outcomes.append(outcome)
            _print_outcome(outcome, cores=cores)
        if not progressed:
            return


def _parse_args() -> argparse.Namespace:
    def env(name: str, default: float) -> float:
        return float(os.environ.get(name, default))

    parser = argparse.ArgumentParser(
        prog="python -m bench", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=env("BENCH_RATE", DEFAULT_RATE),
        help=f"our first probe, tx/s (env BENCH_RATE, default {DEFAULT_RATE:g})",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=env("BENCH_DURATION", DEFAULT_DURATION),
        help=f"measured seconds per run (env BENCH_DURATION, default {DEFAULT_DURATION:g})",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=env("BENCH_WARMUP", DEFAULT_WARMUP),
        help=f"seconds of load before measuring (env BENCH_WARMUP, default {DEFAULT_WARMUP:g})",
    )
    parser.add_argument(
        "--kvstore-rate",
        type=float,
        default=env("BENCH_KVSTORE_RATE", DEFAULT_KVSTORE_RATE),
        help="kvstore's first probe, tx/s "
        f"(env BENCH_KVSTORE_RATE, default {DEFAULT_KVSTORE_RATE:g})",
    )
    parser.add_argument(
        "--socket-rate",
        type=float,
        default=env("BENCH_SOCKET_RATE", DEFAULT_SOCKET_RATE),
        help="kvstore-over-the-socket's first probe, tx/s "
        f"(env BENCH_SOCKET_RATE, default {DEFAULT_SOCKET_RATE:g})",
    )
    parser.add_argument(
        "--probes",
        type=int,
        default=int(env("BENCH_PROBES", MAX_PROBES)),
        help=f"probes per application at most (env BENCH_PROBES, default {MAX_PROBES})",
    )
    parser.add_argument(
        "--only",
        default=os.environ.get("BENCH_ONLY", ",".join(STEPS)),
        help=f"comma-separated steps to run, of {', '.join(STEPS)} (env BENCH_ONLY; default all)",
    )
    parser.add_argument(
        "--state-rounds",
        type=int,
        default=int(env("BENCH_STATE_ROUNDS", STATE_ROUNDS)),
        help=f"blocks timed per state size; 0 skips it "
        f"(env BENCH_STATE_ROUNDS, default {STATE_ROUNDS})",
    )
    args = parser.parse_args()
    args.only = [step.strip() for step in args.only.split(",") if step.strip()]
    unknown = [step for step in args.only if step not in STEPS]
    if unknown or not args.only:
        parser.error(f"--only / BENCH_ONLY names steps of {', '.join(STEPS)}, not {unknown}")
    if not all(0 < rate <= 20_000 for rate in (args.rate, args.kvstore_rate, args.socket_rate)):
        parser.error("choose start rates above 0 and at most 20000 tx/s")
    if not 1 <= args.probes <= 20:
        parser.error("choose 1 <= probes <= 20")
    if not (0 < args.duration <= 300 and 0 <= args.warmup <= 60):
        parser.error("choose 0 < duration <= 300 and 0 <= warmup <= 60")
    if not 0 <= args.state_rounds <= 1000:
        parser.error("choose 0 <= state-rounds <= 1000")
    return args


def _run(run: Run, args: argparse.Namespace, *, tx_size: int) -> Outcome:
    """Start a network for `run`, sign its load, drive it, and stop it."""
    schedule = Schedule(rate=run.rate, warmup=args.warmup, duration=args.duration)
    make_streams: Callable[[Localnet], list[Stream]]
    if run.app == "cornerstone":

        def make_streams(net: Localnet) -> list[Stream]:
            return notary_streams(net, schedule)
    else:

        def make_streams(net: Localnet) -> list[Stream]:
            return kvstore_streams(net, schedule, tx_size=tx_size or 190)

    print(f"\n== {run.title}: {run.rate:g} tx/s offered; starting 4 validators…", flush=True)
    # Without gateways: kvstore has none, and the applications are what is compared.
    with running_network(run.app, config=CONFIG, gateways=False) as net:
        signing = time.monotonic()
        streams = make_streams(net)
        count = sum(len(stream.txs) for stream in streams)
        print(
            f"   {count:,} transactions signed and encoded in {time.monotonic() - signing:.1f} s; "
            "sending…",
            flush=True,
        )
        meter = CpuMeter(network_processes(net))
        result = asyncio.run(
            run_load(
                streams,
                schedule,
                watch_url=net.nodes[0].rpc_url,
                on_window_open=meter.start,
                on_window_close=meter.stop,
                drain_limit=PROBE_DRAIN_S,
            )
        )
    return Outcome(
        run=run,
        result=replace(result, cpu_s=meter.by_kind()),
        tx_size=mean_size(streams),
        cpu_by_process=dict(meter.used),
    )


def _print_outcome(outcome: Outcome, *, cores: int) -> None:
    result = outcome.result
    verdict = (
        "kept up with the offered load"
        if kept_up(result)
        else f"NOT kept up (needs >= {KEPT_UP_SHARE:.0%} of offered and p99 <= "
        f"{P99_LIMIT_MS:,.0f} ms)"
    )
    print(f"   {outcome.tx_size}-byte transactions")
    print(
        f"   committed {result.throughput:.1f} tx/s of {result.offered_rate:g} offered: {verdict}"
    )
    print(
        f"   sent {result.sent:,}, committed {result.committed:,} "
        f"(failed in a block {result.failed}, refused by the RPC {result.refused}, "
        f"never sent {result.unsent})"
    )
    lost = result.sent - result.committed - result.failed
    if lost > 0:
        print(
            f"   {lost:,} accepted transactions never committed: a mempool dropped them (full), "
            "and for cornerstone the same sender's later nonces then fail too"
        )
    if result.first_error:
        print(f"   first RPC error: {result.first_error}")
    if result.latency_p50_ms is None or result.latency_p99_ms is None:
        print("   latency: no transaction sent in the window committed")
    else:
        print(
            f"   latency p50 {result.latency_p50_ms:,.0f} ms, p99 {result.latency_p99_ms:,.0f} ms "
            f"over the {result.latency_samples:,} transactions sent in the window"
            + (
                f" ({result.uncommitted_in_window:,} more never committed)"
                if result.uncommitted_in_window
                else ""
            )
        )
        if not kept_up(result):
            print(
                "   (not kept up: that latency is time queued in the mempool and grows with the "
                "run's length; it is not the latency at a load the network sustains)"
            )
    print(
        f"   {result.blocks_in_window} blocks in the window, the largest with "
        f"{result.max_block_txs:,} transactions; mempool peak {result.mempool_peak:,}; "
        f"generator lag at most {result.send_lag_max_ms:,.0f} ms; drain {result.drain_s:.1f} s"
    )
    shares = ", ".join(
        f"{kind} {seconds / result.window_s:.0%}" for kind, seconds in sorted(result.cpu_s.items())
    )
    print(f"   CPU in the window (100% = one core of {cores}): {shares}", flush=True)


def _print_table(outcomes: list[Outcome]) -> None:
    print(
        f"   {'run':<22}{'offered':>9}{'tx/s':>9}{'sent':>9}{'committed':>11}"
        f"{'p50 ms':>9}{'p99 ms':>9}  kept up"
    )
    for outcome in outcomes:
        r = outcome.result
        p50 = "-" if r.latency_p50_ms is None else f"{r.latency_p50_ms:,.0f}"
        p99 = "-" if r.latency_p99_ms is None else f"{r.latency_p99_ms:,.0f}"
        print(
            f"   {outcome.run.key:<22}{r.offered_rate:>9,.0f}{r.throughput:>9,.1f}{r.sent:>9,}"
            f"{r.committed:>11,}{p50:>9}{p99:>9}  {'yes' if kept_up(r) else 'no'}"
        )


def _state_line(measured: Mapping[str, float]) -> str:
    return (
        f"   {int(measured['n_keys']):>9,} keys: compute + commit median "
        f"{measured['total_median_ms']:.1f} ms (p90 {measured['total_p90_ms']:.1f}); "
        f"compute {measured['compute_median_ms']:.1f} ms, commit "
        f"{measured['commit_median_ms']:.1f} ms; fill {measured['fill_s']:.1f} s, "
        f"store {measured['store_mb']:.0f} MB"
    )


def _write_artifact(
    *,
    args: argparse.Namespace,
    speed: Mapping[str, float],
    searches: list[CapacitySearch],
    state: list[dict[str, float]],
    contracts: Mapping[str, float],
    ratio: float,
    socket_ratio: float,
    elapsed: float,
) -> None:
    document: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["make bench  # .venv/bin/python -m bench", *sys.argv[1:]]),
        "machine": {
            "cores": os.cpu_count(),
            "memory_gb": _memory_gb(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cometbft": version(find_cometbft()),
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
            "speed_at_start": dict(speed),
        },
        "settings": {
            "warmup_s": args.warmup,
            "duration_s": args.duration,
            "validators": 4,
            "consensus": consensus_timeouts(None),
            "config": CONFIG,
            "mempool": dict(MEMPOOL),
            "notary_gas_limit": GAS_LIMIT,
            "kept_up": {"share": KEPT_UP_SHARE, "p99_limit_ms": P99_LIMIT_MS},
            "search": {"step": STEP, "resolution": RESOLUTION, "max_probes": args.probes},
            "steps": args.only,
        },
        "capacity": {
            search.app: {"tx_per_s": round(search.capacity(), 1), "verdict": search.verdict()}
            for search in searches
        },
        "runs": {
            o.run.key: {
                "app": o.run.app,
                "title": o.run.title,
                "tx_size": o.tx_size,
                **o.result.to_json(),
                "cpu_s_by_process": {label: round(s, 1) for label, s in o.cpu_by_process.items()},
            }
            for search in searches
            for o in search.outcomes
        },
        "state_commit": state,
        "contract_vs_native": contracts,
        "ratio_vs_kvstore_socket": round(socket_ratio, 2),
        "ratio_vs_kvstore": round(ratio, 2),
        "elapsed_s": round(elapsed),
    }
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps(document, indent=2) + "\n")


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        return None
    return None


if __name__ == "__main__":
    main()
