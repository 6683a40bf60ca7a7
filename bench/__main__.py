"""`make bench`: Cornerstone against CometBFT's kvstore on the same four-validator network, then
block commit time against the size of the state.

    .venv/bin/python -m bench [--rate TX_PER_S] [--duration S] [--warmup S] [...]; see --help

Each run starts a fresh four-validator network on this machine (identical CometBFT settings
for both applications) and drives it with the same open-loop load (`bench.loadgen`): a rate
for warm-up + duration seconds, a quarter of it to each node; only the duration is measured.

1. cornerstone at `--rate`: notary anchors, signed before the clock starts. The default rate is
   above what our application commits on a two-core machine, so this measures its capacity.
2. kvstore at the same `--rate`: the same load on CometBFT's built-in application.
3. kvstore at `--kvstore-rate`: a rate that saturates kvstore too, for its capacity.
4. cornerstone at `--latency-rate` (default half the capacity measured in 1): its latency at a
   load it sustains, since a saturated run's latency is only queueing time.
5. `bench.state_commit`: one block of 1,000 changed keys over 10,000 and 1,000,000 keys.
6. `cornerstone.contracts.benchmark`: a contract call doing 10 state reads and 10 writes
   against a native handler doing the same (issue 4's target: a ratio of at most 3).

Results go to stdout and to .artifacts/bench.json. The last line is
`ratio_vs_kvstore=<cornerstone tx/s / kvstore tx/s>`, each application's committed rate when
saturated (its capacity); the ratio at the same offered load is printed above it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from bench.loadgen import MAX_BATCH, SATURATED_SHARE, LoadResult, Schedule, Stream, run_load
from bench.network import CpuMeter, network_processes, running_network
from bench.state_commit import measure_commit
from bench.workload import GAS_LIMIT, kvstore_streams, mean_size, notary_streams
from cornerstone.contracts.benchmark import measure_native_reads_writes, measure_reads_writes
from cornerstone.localnet import AppKind, Localnet
from cornerstone.localnet.cometbft import find_cometbft, version
from cornerstone.localnet.config import MEMPOOL, consensus_timeouts

DEFAULT_RATE: Final = 1100.0
"""Offered tx/s for the comparison runs: about 1.4x the ~750 tx/s our application commits on a
two-core machine. Much more and its mempool (20,000 transactions) overflows within the run
(1,400 offered: 1,110 transactions dropped)."""
DEFAULT_KVSTORE_RATE: Final = 4000.0
"""Offered tx/s for kvstore's capacity run: above the 2,700-3,300 tx/s it commits on two cores
(3,500 offered was not always enough), and not so far above that its mempool overflows within
the run or the overload itself costs much (5,500 offered: 2,350 committed)."""
DEFAULT_DURATION: Final = 20.0
DEFAULT_WARMUP: Final = 5.0
LATENCY_SHARE: Final = 0.5
"""The latency run offers this share of our measured capacity."""
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
    app: AppKind
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


def main() -> None:
    args = _parse_args()
    began = time.monotonic()
    cores = os.cpu_count() or 1
    timeouts = consensus_timeouts(None)
    print(
        f"Cornerstone benchmark: 4 validators on this machine ({cores} cores); each run offers "
        f"its rate for {args.warmup:g} s warm-up + {args.duration:g} s measured, a quarter per "
        f"node.\nConsensus on both: {', '.join(f'{k} {v}' for k, v in timeouts.items())}; "
        f"mempool {MEMPOOL['size']:,} transactions.",
        flush=True,
    )
    runs = [
        Run("cornerstone", "cornerstone", "cornerstone (notary anchors)", args.rate),
        Run("kvstore", "kvstore", "kvstore (key=value), same load", args.rate),
    ]
    if args.kvstore_rate > 0:
        runs.append(Run("kvstore_capacity", "kvstore", "kvstore, saturating", args.kvstore_rate))
    outcomes: dict[str, Outcome] = {}
    tx_size = 0
    for run in runs:
        outcome = _run(run, args, tx_size=tx_size)
        tx_size = tx_size or outcome.tx_size
        outcomes[run.key] = outcome
        _print_outcome(outcome, cores=cores)

    ours = outcomes["cornerstone"].result
    latency_rate = args.latency_rate
    if latency_rate < 0:
        latency_rate = round(LATENCY_SHARE * min(ours.throughput, args.rate) / 10) * 10
    if latency_rate > 0:
        run = Run(
            "cornerstone_latency", "cornerstone", "cornerstone, sustainable load", latency_rate
        )
        outcomes[run.key] = _run(run, args, tx_size=tx_size)
        _print_outcome(outcomes[run.key], cores=cores)

    state: list[dict[str, float]] = []
    if args.state_rounds > 0:
        print(
            f"\n== block commit time: {STATE_CHANGED:,} changed keys per block, "
            f"Store.compute + Store.commit over {args.state_rounds} blocks (bench.state_commit)",
            flush=True,
        )
        for n_keys in STATE_SIZES:
            measured = measure_commit(n_keys, changed=STATE_CHANGED, rounds=args.state_rounds)
            state.append(measured)
            print(_state_line(measured), flush=True)

    print("\n== contract call, 10 reads + 10 writes, against a native handler", flush=True)
    contract_s, native_s = measure_reads_writes(10), measure_native_reads_writes(10)
    contracts = {
        "contract_us": round(contract_s * 1e6, 1),
        "native_us": round(native_s * 1e6, 1),
        "ratio": round(contract_s / native_s, 2),
    }
    print(
        f"   contract {contracts['contract_us']} us, native {contracts['native_us']} us per "
        f"call: ratio {contracts['ratio']} (target: at most 3)"
    )

    print("\n== summary")
    _print_table(outcomes)
    theirs = max(
        (o.result for o in outcomes.values() if o.run.app == "kvstore"),
        key=lambda result: result.throughput,
    )
    ratio = ours.throughput / theirs.throughput if theirs.throughput else 0.0
    same_load = outcomes["kvstore"].result
    same_ratio = ours.throughput / same_load.throughput if same_load.throughput else 0.0
    for line in _verdict(ours, theirs):
        print(line)
    print(
        f"At the same offered load ({args.rate:g} tx/s): cornerstone {ours.throughput:.0f}, "
        f"kvstore {same_load.throughput:.0f} tx/s, ratio {same_ratio:.2f}."
    )
    elapsed = time.monotonic() - began
    _write_artifact(
        args=args,
        outcomes=outcomes,
        state=state,
        contracts=contracts,
        ratio=ratio,
        same_load_ratio=same_ratio,
        elapsed=elapsed,
    )
    print(f"(took {elapsed:.0f} s; results in {ARTIFACT})")
    print(f"ratio_vs_kvstore={ratio:.2f}")


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
        help=f"offered tx/s of the comparison runs (env BENCH_RATE, default {DEFAULT_RATE:g})",
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
        help="offered tx/s of kvstore's capacity run; 0 skips it "
        f"(env BENCH_KVSTORE_RATE, default {DEFAULT_KVSTORE_RATE:g})",
    )
    parser.add_argument(
        "--latency-rate",
        type=float,
        default=env("BENCH_LATENCY_RATE", -1),
        help="offered tx/s of our latency run; 0 skips it (env BENCH_LATENCY_RATE, default "
        f"{LATENCY_SHARE:g} x the committed rate measured at --rate)",
    )
    parser.add_argument(
        "--state-rounds",
        type=int,
        default=int(env("BENCH_STATE_ROUNDS", STATE_ROUNDS)),
        help=f"blocks timed per state size; 0 skips it "
        f"(env BENCH_STATE_ROUNDS, default {STATE_ROUNDS})",
    )
    args = parser.parse_args()
    rates = (args.rate, args.kvstore_rate, args.latency_rate)
    if not (args.rate > 0 and all(rate <= 20_000 for rate in rates)):
        parser.error("choose rates of at most 20000 tx/s (and --rate above 0)")
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
    with running_network(run.app, config=CONFIG) as net:
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
        f"SATURATED (committed < {SATURATED_SHARE:.0%} of offered)"
        if result.saturated
        else "kept up with the offered load"
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
        if result.saturated:
            print(
                "   (saturated: that latency is time queued in the mempool and grows with the "
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


def _print_table(outcomes: Mapping[str, Outcome]) -> None:
    print(
        f"   {'run':<22}{'offered':>9}{'tx/s':>9}{'sent':>9}{'committed':>11}"
        f"{'p50 ms':>9}{'p99 ms':>9}  saturated"
    )
    for key, outcome in outcomes.items():
        r = outcome.result
        p50 = "-" if r.latency_p50_ms is None else f"{r.latency_p50_ms:,.0f}"
        p99 = "-" if r.latency_p99_ms is None else f"{r.latency_p99_ms:,.0f}"
        print(
            f"   {key:<22}{r.offered_rate:>9,.0f}{r.throughput:>9,.1f}{r.sent:>9,}"
            f"{r.committed:>11,}{p50:>9}{p99:>9}  {'yes' if r.saturated else 'no'}"
        )


def _state_line(measured: Mapping[str, float]) -> str:
    return (
        f"   {int(measured['n_keys']):>9,} keys: compute + commit median "
        f"{measured['total_median_ms']:.1f} ms (p90 {measured['total_p90_ms']:.1f}); "
        f"compute {measured['compute_median_ms']:.1f} ms, commit "
        f"{measured['commit_median_ms']:.1f} ms; fill {measured['fill_s']:.1f} s, "
        f"store {measured['store_mb']:.0f} MB"
    )


def _verdict(ours: LoadResult, theirs: LoadResult) -> list[str]:
    """What the ratio means, given which runs saturated."""
    lines = [
        f"Capacity: cornerstone {ours.throughput:.0f} tx/s at {ours.offered_rate:g} offered "
        f"({'saturated' if ours.saturated else 'NOT saturated'}); kvstore "
        f"{theirs.throughput:.0f} tx/s at {theirs.offered_rate:g} offered "
        f"({'saturated' if theirs.saturated else 'NOT saturated'})."
    ]
    if ours.saturated and theirs.saturated:
        lines.append("Both saturated: the ratio below compares capacities.")
    elif ours.saturated:
        lines.append(
            "kvstore did not saturate, so its capacity is higher than measured: the ratio "
            "below is an upper bound (raise --kvstore-rate)."
        )
    elif theirs.saturated:
        lines.append(
            "cornerstone did not saturate, so its capacity is higher than measured: the ratio "
            "below is a lower bound (raise --rate)."
        )
    else:
        lines.append("Neither saturated: the ratio below compares offered loads, not capacities.")
    return lines


def _write_artifact(
    *,
    args: argparse.Namespace,
    outcomes: Mapping[str, Outcome],
    state: list[dict[str, float]],
    contracts: Mapping[str, float],
    ratio: float,
    same_load_ratio: float,
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
        },
        "settings": {
            "warmup_s": args.warmup,
            "duration_s": args.duration,
            "validators": 4,
            "consensus": consensus_timeouts(None),
            "config": CONFIG,
            "mempool": dict(MEMPOOL),
            "notary_gas_limit": GAS_LIMIT,
        },
        "runs": {
            key: {
                "app": o.run.app,
                "title": o.run.title,
                "tx_size": o.tx_size,
                **o.result.to_json(),
                "cpu_s_by_process": {label: round(s, 1) for label, s in o.cpu_by_process.items()},
            }
            for key, o in outcomes.items()
        },
        "state_commit": state,
        "contract_vs_native": contracts,
        "ratio_vs_kvstore": round(ratio, 2),
        "ratio_at_same_offered_load": round(same_load_ratio, 2),
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
