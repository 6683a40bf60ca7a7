"""The committed store: LMDB `Store` and `MemoryStore` agree with each other and the reference."""

from __future__ import annotations

import random
import runpy
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from hashlib import sha256
from pathlib import Path

import lmdb
import pytest

from cornerstone.state import smt
from cornerstone.state.proof import EMPTY, ProofError, verify_proof
from cornerstone.state.store import (
    MAX_KEY_SIZE,
    MemoryStore,
    PendingCommit,
    Store,
    _TreeReader,  # to check the tree against the flat table
)

AnyStore = Store | MemoryStore


def reference_root(pairs: Mapping[bytes, bytes]) -> bytes:
    """The root computed from scratch over the whole set (as in test_smt)."""

    def bit(path: bytes, depth: int) -> int:
        return (path[depth // 8] >> (7 - depth % 8)) & 1

    def subtree(leaves: list[tuple[bytes, bytes]], depth: int) -> bytes:
        if not leaves:
            return bytes(32)
        if len(leaves) == 1:
            return sha256(b"\x00" + leaves[0][0] + leaves[0][1]).digest()
        left = [leaf for leaf in leaves if bit(leaf[0], depth) == 0]
        right = [leaf for leaf in leaves if bit(leaf[0], depth) == 1]
        return sha256(b"\x01" + subtree(left, depth + 1) + subtree(right, depth + 1)).digest()

    return subtree(sorted((sha256(k).digest(), sha256(v).digest()) for k, v in pairs.items()), 0)


@pytest.fixture(params=["lmdb", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AnyStore]:
    opened: AnyStore = Store(tmp_path / "state") if request.param == "lmdb" else MemoryStore()
    yield opened
    opened.close()


def commit(store: AnyStore, writes: Mapping[bytes, bytes | None]) -> PendingCommit:
    pending = store.compute(store.height + 1, writes)
    store.commit(pending)
    return pending


def rebuilt_root(store: AnyStore) -> bytes:
    """The root of the store's values, recomputed from nothing in a fresh MemoryStore."""
    fresh = MemoryStore()
    return fresh.compute(1, dict(store.iterate(b""))).root


# ---------------------------------------------------------------------------- reads and writes
def test_a_new_store_is_empty(store: AnyStore) -> None:
    assert (store.height, store.root) == (0, EMPTY)
    assert store.get(b"k") is None
    assert list(store.iterate(b"")) == []
    assert store.root_at(0) is None
    assert store.root_at(1) is None
    value, proof = store.prove(b"k")
    assert value is None
    verify_proof(EMPTY, b"k", None, proof)


def test_commit_makes_writes_visible_and_records_the_root(store: AnyStore) -> None:
    pending = store.compute(1, {b"b": b"2", b"a": b"1", b"gone": None})
    assert list(pending.writes) == [b"a", b"b", b"gone"]
    assert store.get(b"a") is None  # computing persists nothing
    assert store.height == 0
    store.commit(pending)
    assert (store.height, store.root) == (1, pending.root)
    assert store.root_at(1) == pending.root == reference_root({b"a": b"1", b"b": b"2"})
    assert store.get(b"a") == b"1"
    commit(store, {b"a": None, b"c": b""})
    assert store.get(b"a") is None
    assert store.get(b"c") == b""
    assert list(store.iterate(b"")) == [(b"b", b"2"), (b"c", b"")]
    assert store.root == reference_root({b"b": b"2", b"c": b""})


def test_iterate_by_prefix_and_start(store: AnyStore) -> None:
    commit(store, {k: k.upper() for k in [b"a/1", b"a/2", b"a/3", b"ab", b"b/1", b"a"]})
    assert [k for k, _ in store.iterate(b"a/")] == [b"a/1", b"a/2", b"a/3"]
    assert [k for k, _ in store.iterate(b"a/", start=b"a/2")] == [b"a/2", b"a/3"]
    assert [k for k, _ in store.iterate(b"a/", start=b"a/25")] == [b"a/3"]
    assert [k for k, _ in store.iterate(b"a/", start=b"0")] == [b"a/1", b"a/2", b"a/3"]
    assert [k for k, _ in store.iterate(b"a/", start=b"b")] == []
    assert [k for k, _ in store.iterate(b"a")] == [b"a", b"a/1", b"a/2", b"a/3", b"ab"]
    assert list(store.iterate(b"z")) == []
    assert dict(store.iterate(b"b/")) == {b"b/1": b"B/1"}


def test_iterate_reads_one_snapshot_even_across_a_commit(store: AnyStore) -> None:
    commit(store, {b"k/1": b"1", b"k/2": b"2", b"k/3": b"3"})
    pairs = store.iterate(b"k/")
    assert next(pairs) == (b"k/1", b"1")
    commit(store, {b"k/2": b"changed", b"k/3": None})
    assert list(pairs) == [(b"k/2", b"2"), (b"k/3", b"3")]
    assert dict(store.iterate(b"k/")) == {b"k/1": b"1", b"k/2": b"changed"}


def test_meta_is_committed_with_the_block_and_outside_the_app_hash(store: AnyStore) -> None:
    pending = store.compute(1, {b"k": b"v"})
    store.commit(pending, meta={b"results": b"r1", b"other": b"o"})
    assert store.get_meta(b"results") == b"r1"
    assert store.root == reference_root({b"k": b"v"})
    store.commit(store.compute(2, {}), meta={b"results": b"r2", b"other": None})
    assert store.get_meta(b"results") == b"r2"
    assert store.get_meta(b"other") is None
    assert store.get_meta(b"never") is None
    assert store.root_at(2) == store.root_at(1)


def test_bad_keys_and_values_are_refused(store: AnyStore) -> None:
    for key in (b"", b"k" * (MAX_KEY_SIZE + 1)):
        with pytest.raises(ValueError, match="1 to 511 bytes"):
            store.compute(1, {key: b"v"})
        assert store.get(key) is None
    with pytest.raises(TypeError):
        store.compute(1, {"text": b"v"})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        store.compute(1, {b"k": "text"})  # type: ignore[dict-item]
    commit(store, {b"k" * MAX_KEY_SIZE: b"longest key"})
    assert store.get(b"k" * MAX_KEY_SIZE) == b"longest key"
    with pytest.raises(ValueError):
        store.commit(store.compute(2, {}), meta={b"": b"x"})


# ---------------------------------------------------------------------------- height rules
def test_commit_refuses_a_wrong_height(store: AnyStore) -> None:
    commit(store, {b"k": b"1"})
    for height in (0, 1, 3):
        with pytest.raises(ValueError, match="next height is 2"):
            store.compute(height, {b"k": b"2"})
    pending = store.compute(2, {b"k": b"2"})
    store.commit(pending)
    with pytest.raises(ValueError, match="next height is 3"):
        store.commit(pending)
    assert (store.height, store.get(b"k")) == (2, b"2")


def test_commit_refuses_a_block_computed_on_another_root(store: AnyStore) -> None:
    commit(store, {b"k": b"1"})
    first = store.compute(2, {b"k": b"2"})
    second = store.compute(2, {b"k": b"3"})
    store.commit(first)
    forged = PendingCommit(
        height=3,
        root=second.root,
        writes=second.writes,
        nodes=second.nodes,
        parent_root=second.parent_root,
        records=second.records,
    )
    with pytest.raises(ValueError, match="computed on app hash"):
        store.commit(forged)
    assert (store.height, store.root, store.get(b"k")) == (2, first.root, b"2")


def test_the_first_commit_may_be_at_the_chains_initial_height(store: AnyStore) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        store.compute(0, {})
    store.commit(store.compute(100, {b"genesis": b"g"}))
    assert store.height == 100
    assert store.root_at(99) is None
    assert store.root_at(100) == store.root
    with pytest.raises(ValueError, match="next height is 101"):
        store.compute(102, {})


def test_a_store_refuses_a_block_computed_by_a_memory_store(tmp_path: Path) -> None:
    with Store(tmp_path / "state") as store:
        pending = MemoryStore().compute(1, {b"k": b"v"})
        with pytest.raises(ValueError, match="another kind of store"):
            store.commit(pending)


# ---------------------------------------------------------------------------- random history
@pytest.mark.parametrize("seed", range(3))
def test_random_blocks_agree_with_the_reference_and_prove_every_height(
    tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    keys = [f"key/{i}".encode() for i in range(rng.choice([20, 150]))]
    history: list[dict[bytes, bytes]] = []
    state: dict[bytes, bytes] = {}
    memory = MemoryStore()
    with Store(tmp_path / "state") as disk:
        for height in range(1, 31):
            writes: dict[bytes, bytes | None] = {}
            for _ in range(rng.randint(0, 25)):
                writes[rng.choice(keys)] = (
                    None if rng.random() < 0.3 else rng.randbytes(rng.randint(0, 40))
                )
            for key, value in writes.items():
                if value is None:
                    state.pop(key, None)
                else:
                    state[key] = value
            history.append(dict(state))
            for each in (disk, memory):
                each.commit(each.compute(height, writes))
                assert each.root == reference_root(state)
                assert dict(each.iterate(b"")) == state
        # Every key, at every height, proves its value then, against that height's root.
        for each in (disk, memory):
            for height in range(1, 31, 3):
                root = each.root_at(height)
                assert root == reference_root(history[height - 1])
                for key in keys[::3]:
                    value, proof = each.prove(key, height)
                    assert value == history[height - 1].get(key)
                    verify_proof(root, key, value, proof)
                    if height < 30 and value != state.get(key):
                        with pytest.raises(ProofError):
                            verify_proof(each.root, key, value, proof)
        assert_tree_matches_values(disk)


def assert_tree_matches_values(store: Store) -> None:
    """The tree under the latest root holds exactly the flat table's pairs (an invariant)."""
    with store._env.begin() as txn:
        reader = _TreeReader(txn, store._nodes, root=store.root, height=store.height)
        leaves = list(smt.iter_leaves(reader, store.root))
    expected = sorted((smt.key_path(k), smt.value_hash(v)) for k, v in store.iterate(b""))
    assert leaves == expected


def test_prove_refuses_a_height_that_was_not_committed(store: AnyStore) -> None:
    commit(store, {b"k": b"v"})
    for height in (0, 2, -1):
        with pytest.raises(ValueError, match="not committed"):
            store.prove(b"k", height)


def test_a_block_that_changes_nothing_keeps_the_root_provable(store: AnyStore) -> None:
    commit(store, {b"k": b"v", b"j": b"w"})
    commit(store, {b"absent": None, b"k": b"v"})
    commit(store, {})
    assert store.root_at(3) == store.root_at(1)
    value, proof = store.prove(b"k", 3)
    assert value == b"v"
    verify_proof(store.root, b"k", b"v", proof)


# ---------------------------------------------------------------------------- persistence
def test_a_reopened_store_has_the_same_state(tmp_path: Path) -> None:
    path = tmp_path / "state"
    with Store(path) as store:
        commit(store, {b"a": b"1", b"b": b"2"})
        commit(store, {b"a": b"3"})
        store.commit(store.compute(3, {b"c": b"4"}), meta={b"m": b"x"})
        roots = [store.root_at(h) or b"" for h in (1, 2, 3)]
    with Store(path) as store:
        assert (store.height, store.root) == (3, roots[2])
        assert [store.root_at(h) for h in (1, 2, 3)] == roots
        assert dict(store.iterate(b"")) == {b"a": b"3", b"b": b"2", b"c": b"4"}
        assert store.get_meta(b"m") == b"x"
        value, proof = store.prove(b"a", 1)
        assert value == b"1"
        verify_proof(roots[0], b"a", b"1", proof)
        commit(store, {b"d": b"5"})
        assert store.height == 4


def test_a_store_of_another_layout_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state"
    Store(path).close()
    with lmdb.open(str(path), max_dbs=8) as env:
        system = env.open_db(b"system")
        with env.begin(write=True) as txn:
            txn.put(b"format", b"99", db=system)
    with pytest.raises(ValueError, match="layout version 99"):
        Store(path)


# ---------------------------------------------------------------------------- crash safety
CHILD = '''
import random
import sys


def block_writes(height):
    """The writes of block `height`: the same in the child and in the test."""
    rng = random.Random(height)
    writes = {b"last-height": str(height).encode()}
    for _ in range(200):
        key = b"key/%d" % rng.randrange(2000)
        writes[key] = None if rng.random() < 0.2 else rng.randbytes(rng.randrange(1, 300))
    return writes


if __name__ == "__main__":
    from cornerstone.state.store import Store

    store = Store(sys.argv[1])
    height = store.height
    while height < 100_000:
        height += 1
        store.commit(store.compute(height, block_writes(height)), meta={b"h": b"%d" % height})
        print(height, flush=True)
'''


def test_a_killed_writer_leaves_the_last_committed_block_whole(tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(CHILD)
    block_writes = runpy.run_path(str(script))["block_writes"]
    path = tmp_path / "state"
    rng = random.Random(1)
    confirmed = 0
    for _ in range(6):
        child = subprocess.Popen(
            [sys.executable, str(script), str(path)], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None
        try:
            for _ in range(rng.randint(2, 12)):
                confirmed = int(child.stdout.readline())
            time.sleep(rng.random() * 0.01)  # land anywhere, inside a commit too
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
            child.stdout.close()
        assert child.returncode == -signal.SIGKILL

        with Store(path) as store:
            # Every confirmed block is there (and maybe later ones, not yet read by us).
            assert store.height >= confirmed
            expected = MemoryStore()
            for height in range(1, store.height + 1):
                expected.commit(expected.compute(height, block_writes(height)))
                assert store.root_at(height) == expected.root
            assert store.root == expected.root == rebuilt_root(store)
            assert dict(store.iterate(b"")) == dict(expected.iterate(b""))
            assert store.get(b"last-height") == store.get_meta(b"h") == b"%d" % store.height
            assert_tree_matches_values(store)


def test_the_read_cache_always_shows_the_committed_value(tmp_path: Path) -> None:
    store = Store(tmp_path / "cached")
    try:
        store.commit(store.compute(1, {b"a": b"1", b"b": b"2"}))
        assert (store.get(b"a"), store.get(b"b"), store.get(b"c")) == (b"1", b"2", None)
        pending = store.compute(2, {b"a": b"one", b"b": None, b"c": b"3"})
        assert store.get(b"a") == b"1", "a computed block is not visible before its commit"
        store.commit(pending)
        assert (store.get(b"a"), store.get(b"b"), store.get(b"c")) == (b"one", None, b"3")
    finally:
        store.close()
    reopened = Store(tmp_path / "cached")
    try:
        assert (reopened.get(b"a"), reopened.get(b"b"), reopened.get(b"c")) == (b"one", None, b"3")
    finally:
        reopened.close()
