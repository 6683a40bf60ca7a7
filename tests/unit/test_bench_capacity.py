"""The benchmark's capacity search: which rates it probes and what it calls the capacity."""

from __future__ import annotations

from bench.__main__ import CapacitySearch, Outcome, Run, kept_up
from bench.calibrate import describe, machine_speed
from bench.loadgen import LoadResult


def _result(offered: float, committed: float, p99_ms: float | None) -> LoadResult:
    return LoadResult(
        offered_rate=offered,
        window_s=15.0,
        sent=int(offered * 20),
        refused=0,
        unsent=0,
        committed=int(committed * 20),
        failed=0,
        committed_in_window=int(committed * 15),
        throughput=committed,
        latency_p50_ms=None if p99_ms is None else p99_ms / 2,
        latency_p99_ms=p99_ms,
        latency_samples=100,
        uncommitted_in_window=0,
        blocks_in_window=15,
        max_block_txs=100,
        send_lag_max_ms=0.0,
        mempool_peak=0,
        first_error="",
        drain_s=0.0,
    )


def _probe(search: CapacitySearch, capacity: float) -> float:
    """Run the next probe against an application that commits up to `capacity` tx/s."""
    rate = search.next_rate()
    assert rate is not None
    committed = min(rate, capacity)
    p99 = 1500.0 if rate <= capacity else 9000.0
    run = Run(f"x_{len(search.outcomes) + 1}", "cornerstone", "probe", rate)
    search.outcomes.append(Outcome(run, _result(rate, committed, p99), 189, {}))
    return rate


def test_kept_up_needs_the_offered_rate_and_a_bounded_p99() -> None:
    assert kept_up(_result(1000, 960, 2000))
    assert not kept_up(_result(1000, 900, 2000)), "5% or more missing"
    assert not kept_up(_result(1000, 1000, 8000)), "a queue that grows"
    assert not kept_up(_result(1000, 1000, None)), "nothing committed that was sent in the window"


def test_the_search_brackets_then_bisects_to_the_capacity() -> None:
    search = CapacitySearch("cornerstone", 1200, max_probes=8)
    rates = []
    while search.next_rate() is not None:
        rates.append(_probe(search, capacity=1700))
    assert rates[:3] == [1200, 1560, 2030], "up by 1.3x until a probe fails"
    best, failed = search.best(), search.lowest_failed()
    assert best is not None and failed is not None
    assert best.run.rate <= 1700 < failed.run.rate <= best.run.rate * 1.1
    assert search.capacity() == best.result.throughput
    assert "kept up at" in search.verdict()


def test_the_search_goes_down_from_a_start_above_capacity_and_stops_at_its_budget() -> None:
    search = CapacitySearch("kvstore", 2800, max_probes=3)
    rates = [_probe(search, capacity=1000) for _ in range(3)]
    assert rates == [2800, 2150, 1650]
    assert search.next_rate() is None
    assert search.capacity() == 0.0 and "no probe kept up" in search.verdict()


def test_the_machine_speed_printed_before_a_run_times_a_real_check_and_decode() -> None:
    speed = machine_speed()
    assert set(speed) == {"ed25519_verify_us", "decode_tx_us"}
    # Real work, not a no-op: a signature check costs more than decoding the transaction.
    assert 0 < speed["decode_tx_us"] < speed["ed25519_verify_us"] < 10_000
    assert f"{speed['ed25519_verify_us']:.1f} µs" in describe(speed)
