"""How long a block takes to commit as the state grows: `Store.compute` + `Store.commit`.

A fresh LMDB store in a temporary directory is filled with `n_keys` random keys (committed in
batches, one height each), then `rounds` blocks are timed, each changing `changed` keys: half
updates of existing keys, half inserts of new ones. Keys are 32 bytes, values 64 bytes.

    .venv/bin/python -m bench.state_commit            # 10,000 and 1,000,000 keys, 1,000 changed
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Final

from cornerstone.state.store import Store

FILL_BATCH: Final = 100_000
"""Keys committed per height while filling the store."""

KEY_SIZE: Final = 32
VALUE_SIZE: Final = 64


def measure_commit(n_keys: int, changed: int, rounds: int) -> dict[str, float]:
    """Fill a fresh store with `n_keys` keys, then time `rounds` blocks of `changed` writes.

    Returns the fill time in seconds, the median and 90th percentile (ms) of compute, commit
    and both together, and the size of the store on disk (MB).
    """
    rng = random.Random(n_keys)
    with tempfile.TemporaryDirectory(prefix="cornerstone-bench-") as directory:
        store = Store(Path(directory) / "state")
        try:
            keys: list[bytes] = []
            started = time.perf_counter()
            while len(keys) < n_keys:
                batch = {
                    rng.randbytes(KEY_SIZE): rng.randbytes(VALUE_SIZE)
                    for _ in range(min(FILL_BATCH, n_keys - len(keys)))
                }
                store.commit(store.compute(store.height + 1, batch))
                keys.extend(batch)
            fill_seconds = time.perf_counter() - started

            compute_ms: list[float] = []
            commit_ms: list[float] = []
            for _ in range(rounds):
                writes = {key: rng.randbytes(VALUE_SIZE) for key in rng.sample(keys, changed // 2)}
                inserts = [rng.randbytes(KEY_SIZE) for _ in range(changed - len(writes))]
                writes.update((key, rng.randbytes(VALUE_SIZE)) for key in inserts)
                keys.extend(inserts)
                t0 = time.perf_counter()
                pending = store.compute(store.height + 1, writes)
                t1 = time.perf_counter()
                store.commit(pending)
                t2 = time.perf_counter()
                compute_ms.append((t1 - t0) * 1000)
                commit_ms.append((t2 - t1) * 1000)
        finally:
            store.close()
        size_mb = sum(f.stat().st_size for f in (Path(directory) / "state").iterdir()) / 1e6
    total_ms = [a + b for a, b in zip(compute_ms, commit_ms, strict=True)]
    return {
        "n_keys": n_keys,
        "changed": changed,
        "rounds": rounds,
        "fill_s": fill_seconds,
        "compute_median_ms": statistics.median(compute_ms),
        "compute_p90_ms": _p90(compute_ms),
        "commit_median_ms": statistics.median(commit_ms),
        "commit_p90_ms": _p90(commit_ms),
        "total_median_ms": statistics.median(total_ms),
        "total_p90_ms": _p90(total_ms),
        "store_mb": size_mb,
    }


def _p90(samples: list[float]) -> float:
    return (
        statistics.quantiles(samples, n=10, method="inclusive")[-1]
        if len(samples) > 1
        else samples[0]
    )


def main() -> None:
    for n_keys in (10_000, 1_000_000):
        r = measure_commit(n_keys, changed=1000, rounds=20)
        print(
            f"{n_keys:>9,} keys, {r['changed']:,} changed: fill {r['fill_s']:.1f} s; per block "
            f"compute {r['compute_median_ms']:.1f} ms (p90 {r['compute_p90_ms']:.1f}), "
            f"commit {r['commit_median_ms']:.1f} ms (p90 {r['commit_p90_ms']:.1f}), "
            f"total {r['total_median_ms']:.1f} ms (p90 {r['total_p90_ms']:.1f}); "
            f"store {r['store_mb']:.0f} MB",
            flush=True,
        )


if __name__ == "__main__":
    main()
