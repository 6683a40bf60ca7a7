"""The sparse Merkle tree: its root against a from-scratch reference, and its batch update."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from hashlib import sha256

import pytest

from cornerstone.state import smt
from cornerstone.state.proof import verify_proof


# ---------------------------------------------------------------------------- reference
def reference_root(
    pairs: Mapping[bytes, bytes], path: Callable[[bytes], bytes] = smt.key_path
) -> bytes:
    """The root, computed the slow, obvious way from the whole set of pairs."""
    leaves = sorted((path(key), sha256(value).digest()) for key, value in pairs.items())

    def bit(leaf_path: bytes, depth: int) -> int:
        return (leaf_path[depth // 8] >> (7 - depth % 8)) & 1

    def subtree(leaves: list[tuple[bytes, bytes]], depth: int) -> bytes:
        if not leaves:
            return bytes(32)
        if len(leaves) == 1:
            leaf_path, digest = leaves[0]
            return sha256(b"\x00" + leaf_path + digest).digest()
        left = [leaf for leaf in leaves if bit(leaf[0], depth) == 0]
        right = [leaf for leaf in leaves if bit(leaf[0], depth) == 1]
        return sha256(b"\x01" + subtree(left, depth + 1) + subtree(right, depth + 1)).digest()

    return subtree(leaves, 0)


class Tree:
    """A tree over a dict of nodes, keeping every node ever made (as the stores do)."""

    def __init__(self) -> None:
        self.nodes: dict[bytes, bytes] = {}
        self.reader = smt.MappingNodeReader(self.nodes)
        self.root = smt.EMPTY

    def update(self, changes: Mapping[bytes, bytes | None]) -> bytes:
        self.root, new = smt.update(self.reader, self.root, changes)
        self.nodes.update(new)
        return self.root


def build(pairs: Mapping[bytes, bytes]) -> bytes:
    tree = Tree()
    return tree.update(pairs)


def keys_sharing_prefix(bits: int, count: int) -> list[bytes]:
    """Keys whose paths agree on their first `bits` bits (found by trying counters)."""
    found: dict[int, list[bytes]] = {}
    n = 0
    while True:
        key = n.to_bytes(4, "big")
        n += 1
        prefix = int.from_bytes(smt.key_path(key)[:4], "big") >> (32 - bits)
        group = found.setdefault(prefix, [])
        group.append(key)
        if len(group) == count:
            return group


# ---------------------------------------------------------------------------- shape
def test_the_empty_tree_has_the_empty_root() -> None:
    assert bytes(32) == smt.EMPTY
    assert build({}) == smt.EMPTY == reference_root({})


def test_a_single_key_is_the_root_leaf() -> None:
    root = build({b"k": b"v"})
    assert root == sha256(b"\x00" + sha256(b"k").digest() + sha256(b"v").digest()).digest()


def test_the_root_does_not_depend_on_the_order_of_writes() -> None:
    rng = random.Random(7)
    pairs = {
        rng.randbytes(rng.randint(1, 12)): rng.randbytes(rng.randint(0, 20)) for _ in range(300)
    }
    expected = reference_root(pairs)
    assert build(pairs) == expected
    for _ in range(3):
        items = list(pairs.items())
        rng.shuffle(items)
        tree = Tree()
        while items:
            size = rng.randint(1, 40)
            batch, items = items[:size], items[size:]
            tree.update(dict(batch))
        assert tree.root == expected


def test_delete_then_reinsert_gives_the_same_root() -> None:
    pairs = {bytes([i]): bytes([i]) * 3 for i in range(50)}
    tree = Tree()
    before = tree.update(pairs)
    tree.update({b"\x07": None, b"\x21": None})
    assert tree.root == reference_root(
        {k: v for k, v in pairs.items() if k not in (b"\x07", b"\x21")}
    )
    assert tree.update({b"\x07": pairs[b"\x07"], b"\x21": pairs[b"\x21"]}) == before


def test_deleting_every_key_leaves_the_empty_tree() -> None:
    pairs = {bytes([i, j]): b"x" for i in range(20) for j in range(5)}
    tree = Tree()
    tree.update(pairs)
    keys = list(pairs)
    tree.update(dict.fromkeys(keys[:37]))
    tree.update(dict.fromkeys(keys[37:]))
    assert tree.root == smt.EMPTY


def test_deleting_an_absent_key_and_rewriting_a_value_change_nothing() -> None:
    tree = Tree()
    root = tree.update({bytes([i]): b"v" for i in range(30)})
    assert tree.update({b"absent": None, b"also absent": None}) == root
    assert tree.update({bytes([3]): b"v", bytes([4]): b"v"}) == root
    assert smt.update(tree.reader, root, {}) == (root, {})


def test_a_deletion_lifts_a_lone_leaf_up_the_tree() -> None:
    # Three keys deep in one corner: deleting one leaves a pair, deleting two leaves one leaf
    # as the root itself.
    a, b, c = keys_sharing_prefix(bits=12, count=3)
    tree = Tree()
    tree.update({a: b"1", b: b"2", c: b"3"})
    tree.update({b: None})
    assert tree.root == reference_root({a: b"1", c: b"3"})
    tree.update({c: None})
    assert tree.root == build({a: b"1"}) == reference_root({a: b"1"})


def test_keys_with_long_shared_prefixes_match_the_reference() -> None:
    keys = keys_sharing_prefix(bits=16, count=4)
    pairs = {key: key * 2 for key in keys}
    tree = Tree()
    for key in keys:
        tree.update({key: pairs[key]})
    assert tree.root == reference_root(pairs)
    tree.update({keys[0]: None, keys[2]: None})
    assert tree.root == reference_root({keys[1]: pairs[keys[1]], keys[3]: pairs[keys[3]]})


def test_paths_that_share_255_bits_make_a_tree_256_levels_deep(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With the path taken as the key itself, two keys can differ only in their last bit.
    monkeypatch.setattr(smt, "key_path", lambda key: key)
    low, high = bytes(32), bytes(31) + b"\x01"
    other = b"\x80" + bytes(31)
    tree = Tree()
    tree.update({low: b"a", high: b"b"})
    assert tree.root == reference_root({low: b"a", high: b"b"}, path=lambda key: key)
    assert len(smt.prove(tree.reader, tree.root, low).siblings) == 256
    tree.update({other: b"c"})
    assert tree.root == reference_root({low: b"a", high: b"b", other: b"c"}, path=lambda k: k)
    tree.update({high: None})
    assert tree.root == reference_root({low: b"a", other: b"c"}, path=lambda key: key)
    assert len(smt.prove(tree.reader, tree.root, low).siblings) == 1


# ---------------------------------------------------------------------------- random batches
@pytest.mark.parametrize("seed", range(4))
def test_random_batches_match_the_reference(seed: int) -> None:
    rng = random.Random(seed)
    key_space = [f"key-{i}".encode() for i in range(rng.choice([8, 40, 300]))]
    state: dict[bytes, bytes] = {}
    tree = Tree()
    for _ in range(60):
        changes: dict[bytes, bytes | None] = {}
        for _ in range(rng.randint(0, 30)):
            key = rng.choice(key_space)
            changes[key] = None if rng.random() < 0.35 else rng.randbytes(rng.randint(0, 8))
        tree.update(changes)
        for key, value in changes.items():
            if value is None:
                state.pop(key, None)
            else:
                state[key] = value
        assert tree.root == reference_root(state)
    # Every key, present or not, is provable against the final root with the nodes returned.
    for key in key_space:
        digest, proof = smt.find(tree.reader, tree.root, key)
        value = state.get(key)
        assert digest == (None if value is None else smt.value_hash(value))
        verify_proof(tree.root, key, value, proof)
    leaves = sorted((smt.key_path(k), smt.value_hash(v)) for k, v in state.items())
    assert list(smt.iter_leaves(tree.reader, tree.root)) == leaves


# ---------------------------------------------------------------------------- cost
class CountingReader:
    def __init__(self, nodes: Mapping[bytes, bytes]) -> None:
        self.nodes = nodes
        self.reads = 0

    def get_node(self, node_hash: bytes) -> bytes:
        self.reads += 1
        return self.nodes[node_hash]


def test_an_update_reads_only_the_paths_of_the_changed_keys() -> None:
    tree = Tree()
    tree.update({i.to_bytes(4, "big"): b"v" for i in range(20_000)})  # about 15 levels
    counting = CountingReader(tree.nodes)
    _, new = smt.update(counting, tree.root, {b"\x00\x00\x00\x05": b"new"})
    assert counting.reads <= 40
    assert len(new) <= 40
    counting.reads = 0
    smt.update(counting, tree.root, {i.to_bytes(4, "big"): b"w" for i in range(0, 20_000, 200)})
    assert counting.reads <= 100 * 40


def test_a_missing_node_is_reported_as_corruption() -> None:
    tree = Tree()
    tree.update({bytes([i]): b"v" for i in range(10)})
    with pytest.raises(KeyError):
        smt.update(smt.MappingNodeReader({}), tree.root, {b"x": b"y"})
    broken = dict(tree.nodes)
    broken[tree.root] = b"\x07" + bytes(64)
    with pytest.raises(RuntimeError, match="corrupt"):
        smt.update(smt.MappingNodeReader(broken), tree.root, {b"x": b"y"})
