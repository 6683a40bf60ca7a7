"""The compact sparse Merkle tree whose root is the app hash: pure functions over stored nodes.

Hashing rules and proofs are in `proof.py`; the shape in short: a key lives at path
sha256(key) (256 bits, most significant first); a subtree with no leaves is EMPTY, a subtree with
exactly one leaf is that leaf (at whatever depth), anything else is an internal node. The shape,
and so the root, depends only on the set of (key, value) pairs, never on the order of writes.

Nodes are content-addressed: a node's hash maps to its encoding, which is also the preimage of
that hash (65 bytes: a tag, then two 32-byte fields):

    leaf      0x00 || path || value hash
    internal  0x01 || left child hash || right child hash

`update` never changes or removes a node; it returns the new ones. Keeping old nodes is what
lets a past root still be proven; pruning the nodes that no kept root reaches is future work.

Cost: `update` sorts a block's changes by path and descends the tree once, splitting the batch
at each internal node, so a block costs O(k log n) node reads and hashes for k changed keys in a
tree of n. Bits are taken from paths held as Python ints, and a batch is split by binary search,
not by scanning it bit by bit. Recursion follows the tree, whose depth is about log2(n) and at
most 256, well inside Python's recursion limit.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Mapping
from hashlib import sha256
from typing import Final, NoReturn, Protocol

from cornerstone.state.proof import (
    EMPTY,
    HASH_SIZE,
    INTERNAL_TAG,
    LEAF_TAG,
    MAX_DEPTH,
    Proof,
    key_path,
    value_hash,
)

__all__ = [
    "EMPTY",
    "MappingNodeReader",
    "NodeReader",
    "find",
    "iter_leaves",
    "key_path",
    "prove",
    "update",
    "value_hash",
]

_LEAF: Final = LEAF_TAG[0]
_INTERNAL: Final = INTERNAL_TAG[0]
_NODE_SIZE: Final = 1 + 2 * HASH_SIZE
_TOP_BIT: Final = MAX_DEPTH - 1


class NodeReader(Protocol):
    """Where the tree's existing nodes are read from."""

    def get_node(self, node_hash: bytes) -> bytes:
        """The encoding of the node with this hash; KeyError if it is missing (corruption)."""
        ...


class MappingNodeReader:
    """A NodeReader over a mapping of node hash to encoding (tests, the in-memory store)."""

    __slots__ = ("_nodes",)

    def __init__(self, nodes: Mapping[bytes, bytes]) -> None:
        self._nodes = nodes

    def get_node(self, node_hash: bytes) -> bytes:
        return self._nodes[node_hash]


def update(
    reader: NodeReader, root: bytes, changes: Mapping[bytes, bytes | None]
) -> tuple[bytes, dict[bytes, bytes]]:
    """Apply writes (key -> new value, or None to delete) to the tree at `root`.

    Returns the new root and every node the update made (hash -> encoding), which includes
    all the nodes the new root needs that the reader does not have (and may repeat a few it
    has); nothing is persisted. Deleting an absent key changes nothing; writing a key's current
    value changes nothing; a deletion that leaves a subtree with one leaf lifts that leaf up, so
    the result is the same canonical tree as if it had been built from scratch.
    """
    if not changes:
        return root, {}
    entries = sorted(
        (int.from_bytes(key_path(key), "big"), None if value is None else value_hash(value))
        for key, value in changes.items()
    )
    batch = _Batch(
        reader=reader,
        positions=[position for position, _ in entries],
        digests=[digest for _, digest in entries],
    )
    new_root, _ = batch.apply(root, 0, 0, len(entries))
    return new_root, batch.nodes


def find(reader: NodeReader, root: bytes, key: bytes) -> tuple[bytes | None, Proof]:
    """The value hash of `key` in the tree at `root` (None if absent), and the proof of it."""
    path = key_path(key)
    position = int.from_bytes(path, "big")
    siblings: list[bytes] = []
    node = root
    while node != EMPTY:
        encoding = reader.get_node(node)
        tag = encoding[0]
        if tag == _LEAF:
            leaf_path, digest = encoding[1:33], encoding[33:_NODE_SIZE]
            if leaf_path == path:
                return digest, Proof(key=key, siblings=tuple(siblings))
            return None, Proof(
                key=key, siblings=tuple(siblings), leaf_path=leaf_path, leaf_value_hash=digest
            )
        _check_internal(encoding, len(siblings))
        if (position >> (_TOP_BIT - len(siblings))) & 1:
            siblings.append(encoding[1:33])
            node = encoding[33:_NODE_SIZE]
        else:
            siblings.append(encoding[33:_NODE_SIZE])
            node = encoding[1:33]
    return None, Proof(key=key, siblings=tuple(siblings))


def prove(reader: NodeReader, root: bytes, key: bytes) -> Proof:
    """The proof of `key`'s value, or of its absence, in the tree at `root`."""
    return find(reader, root, key)[1]


def iter_leaves(reader: NodeReader, root: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Every (path, value hash) in the tree at `root`, in path order (for checks and audits)."""
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if node == EMPTY:
            continue
        encoding = reader.get_node(node)
        if encoding[0] == _LEAF:
            yield encoding[1:33], encoding[33:_NODE_SIZE]
            continue
        _check_internal(encoding, depth)
        stack.append((encoding[33:_NODE_SIZE], depth + 1))
        stack.append((encoding[1:33], depth + 1))


# ---------------------------------------------------------------------------- batch update
class _Batch:
    """One `update`: the sorted changes, the reader, and the nodes made so far.

    Changes are parallel lists sorted by path: `positions[i]` is a path as an int, `digests[i]`
    the new value hash or None for a deletion. A range [lo, hi) of them handed to a subtree at
    depth d always shares that subtree's first d path bits.
    """

    __slots__ = ("digests", "get_node", "nodes", "positions")

    def __init__(
        self, reader: NodeReader, positions: list[int], digests: list[bytes | None]
    ) -> None:
        self.get_node = reader.get_node
        self.positions = positions
        self.digests = digests
        self.nodes: dict[bytes, bytes] = {}

    def apply(self, node: bytes, depth: int, lo: int, hi: int) -> tuple[bytes, bool]:
        """The new hash of the subtree `node` at `depth` after changes [lo, hi), lo < hi.

        Also says whether the result is a single leaf, which the parent needs to know to lift
        a lone leaf after deletions.
        """
        if node == EMPTY:
            return self._rebuild(depth, lo, hi, kept=None)
        encoding = self.get_node(node)
        if encoding[0] == _LEAF:
            return self._rebuild(depth, lo, hi, kept=encoding)
        if encoding[0] != _INTERNAL or depth >= MAX_DEPTH:
            _corrupt(encoding, depth)
        left, right = encoding[1:33], encoding[33:_NODE_SIZE]
        # Split the changes at the first one whose path has bit `depth` set.
        positions = self.positions
        shift = _TOP_BIT - depth
        if (positions[lo] >> shift) & 1:
            mid = lo
        elif not (positions[hi - 1] >> shift) & 1:
            mid = hi
        else:
            mid = bisect_left(positions, ((positions[lo] >> shift) | 1) << shift, lo, hi)
        # An untouched child keeps its hash; whether it is a leaf is looked up if needed.
        new_left, new_right = left, right
        left_is_leaf: bool | None = None
        right_is_leaf: bool | None = None
        if mid > lo:
            new_left, left_is_leaf = self.apply(left, depth + 1, lo, mid)
        if hi > mid:
            new_right, right_is_leaf = self.apply(right, depth + 1, mid, hi)
        if new_left == left and new_right == right:
            return node, False
        if new_right == EMPTY:
            if new_left == EMPTY:
                return EMPTY, False
            if self._is_leaf(new_left, left_is_leaf):
                return new_left, True
        elif new_left == EMPTY and self._is_leaf(new_right, right_is_leaf):
            return new_right, True
        return self._internal(new_left, new_right), False

    def _is_leaf(self, node: bytes, known: bool | None) -> bool:
        if known is not None:
            return known
        return node != EMPTY and self.get_node(node)[0] == _LEAF

    def _rebuild(self, depth: int, lo: int, hi: int, kept: bytes | None) -> tuple[bytes, bool]:
        """A subtree holding at most one existing leaf (`kept`), rebuilt with changes [lo, hi).

        The existing leaf stays unless a change is for its own path.
        """
        positions: list[int] = []
        paths: list[bytes] = []
        digests: list[bytes] = []
        for i in range(lo, hi):
            digest = self.digests[i]
            if digest is not None:
                positions.append(self.positions[i])
                paths.append(self.positions[i].to_bytes(HASH_SIZE, "big"))
                digests.append(digest)
        if kept is not None:
            kept_position = int.from_bytes(kept[1:33], "big")
            index = bisect_left(self.positions, kept_position, lo, hi)
            if index == hi or self.positions[index] != kept_position:
                place = bisect_left(positions, kept_position)
                positions.insert(place, kept_position)
                paths.insert(place, kept[1:33])
                digests.insert(place, kept[33:_NODE_SIZE])
        if len(positions) <= 1:
            if not positions:
                return EMPTY, False
            return self._leaf(paths[0], digests[0]), True
        return self._build(positions, paths, digests, depth, 0, len(positions)), False

    def _build(
        self,
        positions: list[int],
        paths: list[bytes],
        digests: list[bytes],
        depth: int,
        lo: int,
        hi: int,
    ) -> bytes:
        """A fresh subtree at `depth` over leaves [lo, hi) of the sorted lists (at least two)."""
        # All leaves share the bits above the first bit where the outermost two differ.
        fork = MAX_DEPTH - (positions[lo] ^ positions[hi - 1]).bit_length()
        shift = _TOP_BIT - fork
        mid = bisect_left(positions, ((positions[lo] >> shift) | 1) << shift, lo, hi)
        left = (
            self._leaf(paths[lo], digests[lo])
            if mid - lo == 1
            else self._build(positions, paths, digests, fork + 1, lo, mid)
        )
        right = (
            self._leaf(paths[mid], digests[mid])
            if hi - mid == 1
            else self._build(positions, paths, digests, fork + 1, mid, hi)
        )
        node = self._internal(left, right)
        # Above the fork, each level is an internal node beside an empty subtree.
        position = positions[lo]
        for level in range(fork - 1, depth - 1, -1):
            if (position >> (_TOP_BIT - level)) & 1:
                node = self._internal(EMPTY, node)
            else:
                node = self._internal(node, EMPTY)
        return node

    def _leaf(self, path: bytes, digest: bytes) -> bytes:
        encoding = LEAF_TAG + path + digest
        node = sha256(encoding).digest()
        self.nodes[node] = encoding
        return node

    def _internal(self, left: bytes, right: bytes) -> bytes:
        encoding = INTERNAL_TAG + left + right
        node = sha256(encoding).digest()
        self.nodes[node] = encoding
        return node


def _check_internal(encoding: bytes, depth: int) -> None:
    """Crash loudly on a node that cannot be part of a valid tree: the store is corrupt."""
    if encoding[0] != _INTERNAL or len(encoding) != _NODE_SIZE or depth >= MAX_DEPTH:
        _corrupt(encoding, depth)


def _corrupt(encoding: bytes, depth: int) -> NoReturn:
    raise RuntimeError(
        f"tree node {sha256(encoding).hexdigest()} at depth {depth} is malformed: "
        "the node store is corrupt"
    )
