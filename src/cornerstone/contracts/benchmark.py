"""The contract runtime's cost against a native module doing the same work, for `make bench`.

    from cornerstone.contracts.benchmark import measure_reads_writes, measure_native_reads_writes
    ratio = measure_reads_writes(10) / measure_native_reads_writes(10)     # target: <= 3

Both read n integer counters and write each one back incremented, on a `State` over a
`MemoryStore` (the state a block executes on). The native side is what a module handler does
(get, decode_int, encode_int, set, with the state's gas meter on); the contract side is a full
`invoke`: argument binding, the metered function, a Map per read and write, the write buffer
and its flush through `WriterStorage`. Neither includes signature checks or block commit, which
are the same for both.

These are measurements, never assertions: tests call them only to see that they run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from cornerstone import encoding
from cornerstone.contracts.instrument import compile_contract
from cornerstone.contracts.runtime import CallContext, invoke, load
from cornerstone.contracts.storage import WriterStorage
from cornerstone.gas import GasMeter
from cornerstone.state import MemoryStore, State
from cornerstone.types import Gas

GAS_LIMIT: Final = Gas(10_000_000)
CONTEXT: Final = CallContext(
    sender=b"\x01" * 32, org="org1", role="client", height=1, time=0, tx_hash=b"\x02" * 32
)
PREFIX: Final = b"c/bench/"


def contract_source(n: int) -> str:
    keys = "".join(f'"k{i}", ' for i in range(n))
    return f"""
from cornerstone_contract import export, Map

counters = Map("counters", key=str, value=int)
KEYS = ({keys})


@export
def bump() -> None:
    for key in KEYS:
        counters[key] = counters.get(key, 0) + 1
"""


def measure_reads_writes(n: int = 10, *, calls: int = 2000, repeats: int = 5) -> float:
    """Seconds per contract call that reads n keys and writes n keys (best of `repeats`)."""
    contract = load(compile_contract(contract_source(n), "<bench>"), "bench")
    state = State(MemoryStore())
    storage = WriterStorage(state, PREFIX)

    def one() -> None:
        invoke(contract, "bump", {}, storage=storage, context=CONTEXT, gas_limit=GAS_LIMIT)

    return _best(one, calls, repeats)


def measure_native_reads_writes(n: int = 10, *, calls: int = 2000, repeats: int = 5) -> float:
    """Seconds per native handler call doing the same reads and writes (best of `repeats`)."""
    state = State(MemoryStore())
    state.meter = GasMeter(Gas(10**15))
    keys = [PREFIX + b"counters\x00" + f"k{i}".encode() for i in range(n)]

    def one() -> None:
        for key in keys:
            raw = state.get(key)
            value = encoding.decode_int(raw) if raw is not None else 0
            state.set(key, encoding.encode_int(value + 1))

    return _best(one, calls, repeats)


def _best(work: Callable[[], None], calls: int, repeats: int) -> float:
    work()  # warm caches and the specializing interpreter
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            work()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def main() -> None:
    contract = measure_reads_writes()
    native = measure_native_reads_writes()
    print(f"contract call, 10 reads + 10 writes: {contract * 1e6:.1f} us")
    print(f"native handler, same work:           {native * 1e6:.1f} us")
    print(f"ratio={contract / native:.2f}")


if __name__ == "__main__":
    main()
