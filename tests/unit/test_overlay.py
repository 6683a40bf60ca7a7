"""The per-block state overlay: reads see pending writes, failed transactions leave no trace."""

from __future__ import annotations

import pytest

from cornerstone.errors import OutOfGasError
from cornerstone.gas import GasMeter
from cornerstone.state import MemoryStore, State
from cornerstone.types import Gas


@pytest.fixture
def base() -> MemoryStore:
    store = MemoryStore()
    pending = store.compute(1, {b"p/a": b"1", b"p/c": b"3", b"q/x": b"9"})
    store.commit(pending)
    return store


def test_pending_writes_shadow_the_store_and_iterate_in_key_order(base: MemoryStore) -> None:
    state = State(base)
    state.set(b"p/b", b"2")
    state.delete(b"p/c")
    state.set(b"p/a", b"one")
    assert state.get(b"p/c") is None and state.get(b"q/x") == b"9"
    assert list(state.iterate(b"p/")) == [(b"p/a", b"one"), (b"p/b", b"2")]
    assert list(state.iterate(b"p/", start=b"p/b")) == [(b"p/b", b"2")]
    assert base.get(b"p/c") == b"3", "nothing reaches the store before commit"


def test_rollback_undoes_only_its_own_transaction(base: MemoryStore) -> None:
    state = State(base)
    state.set(b"k", b"outer")
    state.begin_transaction()
    state.set(b"k", b"inner")
    state.set(b"new", b"x")
    state.delete(b"p/a")
    state.begin_transaction()
    state.set(b"deep", b"y")
    state.commit_transaction()
    state.rollback_transaction()
    assert state.writes() == {b"k": b"outer"}
    assert state.get(b"p/a") == b"1"


def test_committed_inner_transaction_is_undone_by_the_outer_rollback(base: MemoryStore) -> None:
    state = State(base)
    state.begin_transaction()
    state.begin_transaction()
    state.set(b"k", b"v")
    state.commit_transaction()
    state.rollback_transaction()
    assert state.writes() == {}


def test_commitment_matches_the_store_after_commit(base: MemoryStore) -> None:
    state = State(base)
    state.set(b"z", b"1")
    pending = state.commitment(2)
    base.commit(pending)
    assert base.root == pending.root and base.get(b"z") == b"1"


def test_reads_and_writes_are_metered(base: MemoryStore) -> None:
    state = State(base)
    state.meter = GasMeter(Gas(1_000))
    state.get(b"p/a")
    used = state.meter.used
    assert used > 0
    with pytest.raises(OutOfGasError):
        state.set(b"big", b"x" * 1_000)
