"""The benchmark functions run (their numbers are for `make bench`, never asserted here)."""

from __future__ import annotations

from cornerstone.contracts.benchmark import measure_native_reads_writes, measure_reads_writes


def test_the_measurements_run() -> None:
    assert measure_reads_writes(10, calls=3, repeats=1) > 0
    assert measure_native_reads_writes(10, calls=3, repeats=1) > 0
