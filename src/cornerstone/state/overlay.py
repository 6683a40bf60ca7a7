"""The mutable view of state that a block executes on.

`State` layers the writes of the block being executed over the last committed store. Nothing
reaches the store until the block commits. Within a block, each transaction runs inside
`begin_transaction` ... `commit_transaction` / `rollback_transaction`, so a failed transaction
leaves no trace. Reads and writes are charged to the current gas meter, if one is set.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from typing import Final, Protocol

from cornerstone import gas
from cornerstone.gas import GasMeter
from cornerstone.state.store import PendingCommit

_ABSENT: Final = object()
"""Journal marker: the key had no pending write before this transaction touched it."""


class Committed(Protocol):
    """What a State needs from the committed store beneath it."""

    def get(self, key: bytes) -> bytes | None: ...

    def iterate(
        self, prefix: bytes, start: bytes | None = None
    ) -> Iterator[tuple[bytes, bytes]]: ...

    def compute(self, height: int, writes: Mapping[bytes, bytes | None]) -> PendingCommit: ...


class State:
    """Pending writes over a committed store, with nested transactions and gas metering."""

    def __init__(self, base: Committed, writes: Mapping[bytes, bytes | None] | None = None) -> None:
        self._base = base
        self._writes: dict[bytes, bytes | None] = dict(writes or {})
        self._journals: list[dict[bytes, object]] = []
        self.meter: GasMeter | None = None

    # ------------------------------------------------------------------ reads and writes
    def get(self, key: bytes) -> bytes | None:
        value = self._writes[key] if key in self._writes else self._base.get(key)
        if self.meter is not None:
            self.meter.charge(gas.READ_BASE + gas.READ_BYTE * (len(key) + len(value or b"")))
        return value

    def set(self, key: bytes, value: bytes) -> None:
        if self.meter is not None:
            self.meter.charge(gas.WRITE_BASE + gas.WRITE_BYTE * (len(key) + len(value)))
        self._record(key)
        self._writes[key] = value

    def delete(self, key: bytes) -> None:
        if self.meter is not None:
            self.meter.charge(gas.WRITE_BASE + gas.WRITE_BYTE * len(key))
        self._record(key)
        self._writes[key] = None

    def iterate(self, prefix: bytes, start: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        """Pairs whose key starts with `prefix`, in key order, pending writes included."""
        low = start if start is not None and start > prefix else prefix
        pending = sorted(
            (k, v) for k, v in self._writes.items() if k.startswith(prefix) and k >= low
        )
        committed = ((k, v) for k, v in self._base.iterate(prefix, start) if k not in self._writes)
        for key, value in heapq.merge(pending, committed, key=lambda kv: kv[0]):
            if value is None:
                continue
            if self.meter is not None:
                self.meter.charge(gas.READ_BASE + gas.READ_BYTE * (len(key) + len(value)))
            yield key, value

    # ------------------------------------------------------------------ transactions
    def begin_transaction(self) -> None:
        self._journals.append({})

    def commit_transaction(self) -> None:
        journal = self._journals.pop()
        if self._journals:
            outer = self._journals[-1]
            for key, previous in journal.items():
                outer.setdefault(key, previous)

    def rollback_transaction(self) -> None:
        journal = self._journals.pop()
        for key, previous in journal.items():
            if previous is _ABSENT:
                del self._writes[key]
            else:
                self._writes[key] = previous  # type: ignore[assignment]

    def _record(self, key: bytes) -> None:
        if self._journals:
            journal = self._journals[-1]
            if key not in journal:
                journal[key] = self._writes.get(key, _ABSENT)

    # ------------------------------------------------------------------ the block's outcome
    def writes(self) -> dict[bytes, bytes | None]:
        """Every pending write, in key order."""
        return dict(sorted(self._writes.items()))

    def commitment(self, height: int) -> PendingCommit:
        """The new root of the state with this block's writes, nothing persisted."""
        if self._journals:
            raise RuntimeError("a transaction is still open")
        return self._base.compute(height, self.writes())
