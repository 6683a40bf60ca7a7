"""Committed state: `Store` keeps it in LMDB on disk, `MemoryStore` in dicts, with one API.

A block's writes reach the store in two steps: `compute(height, writes)` works out the new app
hash and the tree nodes it needs without persisting anything, and `commit(pending)` writes all
of it in one LMDB write transaction. LMDB syncs data and then its meta page on every commit, so
once `commit` returns, the block survives a kill -9 or a power loss; a crash before that leaves
the previous block as the last one, never part of a block.

LMDB named databases in the store's directory (heights are 8-byte unsigned big-endian):

    values   key -> value                      latest value of each key, for fast reads
    nodes    height || node hash -> record     every tree node, filed under the height that
                                               wrote it (see below)
    roots    height -> app hash                the root after each committed height
    meta     name -> bytes                     what the app commits with a block, outside the
                                               app hash
    system   b"format" -> b"1"                 layout version of this directory
             b"head" -> height || app hash     the last committed height and its root

A node record is the node's encoding (smt.py: the 65-byte preimage of its hash) followed by
what is needed to read on from it:

    leaf      0x00 || path || value hash || value
    internal  0x01 || left hash || right hash || left's height || right's height (0 for EMPTY)

Why nodes are filed under height || hash rather than under their hash alone: a block's new
nodes then have neighbouring keys at the end of the table, so LMDB appends them to a few
pages. Filed by hash they would land on random pages, and a commit would rewrite (and fsync)
about one 4 KiB page per node. A block changing 1,000 of 1,000,000 keys writes about 10,000
nodes: putting 10,000 random keys into an LMDB table of 1,000,000 took 55-135 ms to commit on
the development machine, appending them 8 ms. The cost is that a node is found through its
parent, whose record says where its children are filed; a tree is always read from its root
down, and each height's root is filed under that height (copied there when a block leaves the
root as it was). Keeping the value in the leaf record lets a proof at an old height return the
value without another table.

Nothing is ever deleted from nodes or roots, so every committed height stays provable. Pruning
old heights (delete the nodes that no kept root reaches, a sweep from the kept roots) is future
work.

One process opens a store directory at a time (the application); LMDB lets other threads of
that process read while a block commits.
"""

from __future__ import annotations

import os
from bisect import bisect_left, insort
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Self

import lmdb

from cornerstone.state import smt
from cornerstone.state.proof import (
    EMPTY,
    HASH_SIZE,
    INTERNAL_TAG,
    Proof,
    key_path,
    leaf_hash,
    value_hash,
)

__all__ = ["MAX_KEY_SIZE", "MemoryStore", "PendingCommit", "Store"]

MAX_KEY_SIZE: Final = 511
"""Longest state key, in bytes: LMDB's default key limit. The shortest is one byte."""

DEFAULT_MAP_SIZE: Final = 1 << 40
"""Address space reserved for the LMDB map: 1 TiB, virtual; the file grows only as it fills."""

FORMAT: Final = b"1"
"""Layout version written into a new store; a store of another version is refused."""

_HEIGHT_SIZE: Final = 8
_MAX_HEIGHT: Final = (1 << (8 * _HEIGHT_SIZE)) - 1
_NO_HEIGHT: Final = bytes(_HEIGHT_SIZE)
_NODE_SIZE: Final = 1 + 2 * HASH_SIZE
_INTERNAL: Final = INTERNAL_TAG[0]
_MAX_DBS: Final = 8
_FORMAT_KEY: Final = b"format"
_HEAD_KEY: Final = b"head"


READ_CACHE_ENTRIES = 100_000
"""Committed values `Store.get` keeps in memory (emptied when full; entries are small)."""


@dataclass(frozen=True, slots=True)
class PendingCommit:
    """A block's effect on the store, computed but not yet persisted.

    Commit it only to the store that computed it: `records` are in that store's layout.
    """

    height: int
    """The height this block commits."""
    root: bytes
    """The app hash after the block."""
    writes: Mapping[bytes, bytes | None]
    """Key -> new value, or None for a deletion; in key order."""
    nodes: Mapping[bytes, bytes]
    """Tree nodes the new root needs (hash -> encoding); some may be stored already."""
    parent_root: bytes
    """The app hash this was computed on; commit refuses it once that is no longer current."""
    records: Mapping[bytes, bytes] = field(default_factory=lambda: MappingProxyType({}))
    """What `Store` writes to its nodes table (LMDB key -> record); empty from MemoryStore."""


class _Head:
    """What both stores share: the last committed height and root, and `with` support."""

    _head: tuple[int, bytes]

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def height(self) -> int:
        """The last committed height; 0 before the first commit."""
        return self._head[0]

    @property
    def root(self) -> bytes:
        """The app hash at `height` (EMPTY before the first commit)."""
        return self._head[1]


# ---------------------------------------------------------------------------- LMDB store
class Store(_Head):
    """Committed state in an LMDB environment in directory `path` (created if missing)."""

    def __init__(self, path: str | os.PathLike[str], *, map_size: int = DEFAULT_MAP_SIZE) -> None:
        self._env = lmdb.open(
            os.fspath(path),
            map_size=map_size,
            subdir=True,
            max_dbs=_MAX_DBS,
            sync=True,
            metasync=True,
            readahead=False,  # reads are random: the tree is addressed by hash
        )
        self._cache: dict[bytes, bytes | None] = {}
        try:
            self._values = self._env.open_db(b"values")
            self._nodes = self._env.open_db(b"nodes")
            self._roots = self._env.open_db(b"roots")
            self._meta = self._env.open_db(b"meta")
            self._system = self._env.open_db(b"system")
            with self._env.begin(write=True) as txn:
                found = txn.get(_FORMAT_KEY, db=self._system)
                if found is None:
                    txn.put(_FORMAT_KEY, FORMAT, db=self._system)
                elif found != FORMAT:
                    raise ValueError(
                        f"the state store in {os.fspath(path)} has layout version "
                        f"{found.decode(errors='replace')}; this build reads version "
                        f"{FORMAT.decode()}"
                    )
                self._head = self._read_head(txn)
        except BaseException:
            self._env.close()
            raise

    def close(self) -> None:
        """Close the environment; the store cannot be used afterwards. Idempotent."""
        self._env.close()

    # ------------------------------------------------------------------ reads

    def get(self, key: bytes) -> bytes | None:
        """The latest committed value of `key`, or None.

        Answers repeat reads from memory: every transaction is checked about four times
        (CheckTx, recheck, proposal, block), each time reading the chain's rules, the sender's
        membership and nonce. The store is the only writer, and `commit` updates cached keys
        once the block is durable, so the cache is always exact.
        """
        cache = self._cache
        if key in cache:
            return cache[key]
        if not 0 < len(key) <= MAX_KEY_SIZE:
            return None
        with self._env.begin(db=self._values) as txn:
            value: bytes | None = txn.get(key)
        if len(cache) >= READ_CACHE_ENTRIES:
            cache.clear()
        cache[key] = value
        return value

    def iterate(self, prefix: bytes, start: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        """Committed (key, value) pairs whose key starts with `prefix`, in key order.

        With `start`, begins at the first key >= start. The pairs are those of one snapshot,
        taken at the first `next()`; the snapshot (an LMDB read transaction) is released when
        the iterator is exhausted or closed, so do not keep an unfinished one around.
        """
        if len(prefix) > MAX_KEY_SIZE:
            return
        low = start if start is not None and start > prefix else prefix
        with self._env.begin(db=self._values) as txn:
            cursor = txn.cursor()
            found = cursor.set_range(low[:MAX_KEY_SIZE]) if low else cursor.first()
            while found:
                key = cursor.key()
                if not key.startswith(prefix):
                    return
                if key >= low:
                    yield key, cursor.value()
                found = cursor.next()

    def root_at(self, height: int) -> bytes | None:
        """The app hash after `height`, or None if that height was not committed here."""
        if not 0 < height <= _MAX_HEIGHT:
            return None
        with self._env.begin(db=self._roots) as txn:
            return txn.get(_height_key(height))

    def get_meta(self, name: bytes) -> bytes | None:
        """Data the app committed under `name` (see `commit`), or None."""
        if not 0 < len(name) <= MAX_KEY_SIZE:
            return None
        with self._env.begin(db=self._meta) as txn:
            return txn.get(name)

    def prove(self, key: bytes, height: int | None = None) -> tuple[bytes | None, Proof]:
        """The value of `key` at `height` (default: the latest) and the proof of it.

        The proof verifies against `root_at(height)`. Raises ValueError for a height that
        was not committed here.
        """
        with self._env.begin() as txn:
            if height is None:
                height, root = self._read_head(txn)
            else:
                found = None
                if 0 < height <= _MAX_HEIGHT:
                    found = txn.get(_height_key(height), db=self._roots)
                if found is None:
                    raise ValueError(f"height {height} is not committed in this store")
                root = found
            reader = _TreeReader(txn, self._nodes, root=root, height=height)
            digest, proof = smt.find(reader, root, key)
            if digest is None:
                return None, proof
            return reader.record(leaf_hash(key_path(key), digest))[_NODE_SIZE:], proof

    # ------------------------------------------------------------------ writes
    def compute(self, height: int, writes: Mapping[bytes, bytes | None]) -> PendingCommit:
        """The block's new app hash and tree nodes; nothing is persisted.

        `height` must be the next one (see `commit`). Raises ValueError for a bad height or key.
        """
        ordered = _ordered_writes(writes)
        with self._env.begin() as txn:
            current, parent = self._read_head(txn)
            _check_next_height(current, height)
            reader = _TreeReader(txn, self._nodes, root=parent, height=current)
            root, nodes = smt.update(reader, parent, ordered)
            records = _records(height, root, nodes, ordered, reader)
        return PendingCommit(
            height=height,
            root=root,
            writes=ordered,
            nodes=MappingProxyType(nodes),
            parent_root=parent,
            records=MappingProxyType(records),
        )

    def commit(
        self, pending: PendingCommit, meta: Mapping[bytes, bytes | None] | None = None
    ) -> None:
        """Persist a computed block, and `meta` (name -> bytes, or None to delete) with it.

        All in one LMDB write transaction: when this returns, the block is durable; if it
        raises, nothing of the block is stored. Refuses (ValueError) a block whose height is
        not the next one or that was computed on another root than the current one.

        The first commit may be at any height >= 1 (a chain's initial height); each later one
        is exactly one above the last. `meta` is not part of the app hash: use it for what the
        app must remember with a block (such as its results) but need not prove.
        """
        meta_items = _ordered_meta(meta)
        if pending.root != EMPTY and not pending.records:
            raise ValueError("this pending commit was computed by another kind of store")
        with self._env.begin(write=True) as txn:
            current, parent = self._read_head(txn)
            _check_pending(current, parent, pending)
            for key, value in pending.writes.items():
                if value is None:
                    txn.delete(key, db=self._values)
                else:
                    txn.put(key, value, db=self._values)
            with txn.cursor(db=self._nodes) as cursor:
                # Keys begin with the new height, above every stored key: LMDB appends them
                # (and skips, rather than fails on, a key that is not above the last one).
                _, added = cursor.putmulti(sorted(pending.records.items()), append=True)
            if added != len(pending.records):
                raise RuntimeError(
                    f"{len(pending.records) - added} tree records of height {pending.height} "
                    "were not above the stored ones: the store or the pending commit is corrupt"
                )
            txn.put(_height_key(pending.height), pending.root, db=self._roots)
            for name, data in meta_items:
                if data is None:
                    txn.delete(name, db=self._meta)
                else:
                    txn.put(name, data, db=self._meta)
            txn.put(_HEAD_KEY, _height_key(pending.height) + pending.root, db=self._system)
        self._head = (pending.height, pending.root)
        # Only now is the block durable: the cache may show its writes.
        cache = self._cache
        for key, value in pending.writes.items():
            if key in cache:
                cache[key] = value

    def _read_head(self, txn: lmdb.Transaction[bytes]) -> tuple[int, bytes]:
        head = txn.get(_HEAD_KEY, db=self._system)
        if head is None:
            return 0, EMPTY
        return int.from_bytes(head[:_HEIGHT_SIZE], "big"), head[_HEIGHT_SIZE:]


class _TreeReader:
    """Reads the tree of one root through one LMDB read transaction.

    A node's record is filed under the height that wrote it, which its parent's record tells;
    so the reader notes, for every internal node it reads, where that node's children are.
    The root of height h is filed under h.
    """

    __slots__ = ("_db", "_txn", "filed")

    def __init__(
        self, txn: lmdb.Transaction[bytes], db: lmdb._Database, *, root: bytes, height: int
    ) -> None:
        self._txn = txn
        self._db = db
        self.filed: dict[bytes, bytes] = {} if root == EMPTY else {root: _height_key(height)}
        """Node hash -> the height (8 bytes) its record is filed under, for nodes seen so far."""

    def get_node(self, node_hash: bytes) -> bytes:
        filed_at = self.filed.get(node_hash)
        record = None if filed_at is None else self._txn.get(filed_at + node_hash, db=self._db)
        if record is None:
            raise KeyError(f"tree node {node_hash.hex()} is missing: the state store is corrupt")
        if record[0] == _INTERNAL:
            # (An EMPTY child gets filed at height 0; it is never read, so no harm done.)
            filed = self.filed
            filed[record[1:33]] = record[_NODE_SIZE : _NODE_SIZE + _HEIGHT_SIZE]
            filed[record[33:_NODE_SIZE]] = record[_NODE_SIZE + _HEIGHT_SIZE :]
        return record[:_NODE_SIZE]

    def record(self, node_hash: bytes) -> bytes:
        """The stored record of a node reached from the root; KeyError if it is missing."""
        filed_at = self.filed.get(node_hash)
        record = None if filed_at is None else self._txn.get(filed_at + node_hash, db=self._db)
        if record is None:
            raise KeyError(f"tree node {node_hash.hex()} is missing: the state store is corrupt")
        return record


def _records(
    height: int,
    root: bytes,
    nodes: Mapping[bytes, bytes],
    writes: Mapping[bytes, bytes | None],
    reader: _TreeReader,
) -> dict[bytes, bytes]:
    """The records a block adds to the nodes table: its new nodes, and its root, under `height`."""
    here = _height_key(height)
    filed = reader.filed
    values = {key_path(key): value for key, value in writes.items() if value is not None}
    records: dict[bytes, bytes] = {}
    for node_hash, encoding in nodes.items():
        if node_hash in filed:
            continue  # stored already: the update read it, then made it again
        if encoding[0] == _INTERNAL:
            left, right = encoding[1:33], encoding[33:_NODE_SIZE]
            # A child is new (filed here), was read (filed where the reader saw), or EMPTY.
            left_at = filed.get(left) or (here if left in nodes else _empty_at(left))
            right_at = filed.get(right) or (here if right in nodes else _empty_at(right))
            records[here + node_hash] = encoding + left_at + right_at
        else:
            records[here + node_hash] = encoding + values[encoding[1:33]]
    if root != EMPTY and here + root not in records:
        # The block left the root as it was: file a copy under this height too.
        records[here + root] = reader.record(root)
    return records


# ---------------------------------------------------------------------------- in memory
class MemoryStore(_Head):
    """The same API as `Store`, in dicts, persisting nothing (for tests and tools)."""

    def __init__(self) -> None:
        self._values: dict[bytes, bytes] = {}
        self._sorted_keys: list[bytes] = []
        self._blobs: dict[bytes, bytes] = {}
        self._nodes: dict[bytes, bytes] = {}
        self._roots: dict[int, bytes] = {}
        self._meta: dict[bytes, bytes] = {}
        self._head: tuple[int, bytes] = (0, EMPTY)

    def close(self) -> None:
        """Nothing to release; here for the same API as `Store`."""

    def get(self, key: bytes) -> bytes | None:
        """The latest committed value of `key`, or None."""
        return self._values.get(key)

    def iterate(self, prefix: bytes, start: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        """Committed (key, value) pairs whose key starts with `prefix`, in key order, from `start`.

        Like `Store.iterate`, the pairs are a snapshot taken at the first `next()`.
        """
        low = start if start is not None and start > prefix else prefix
        keys = self._sorted_keys
        pairs = []
        for index in range(bisect_left(keys, low), len(keys)):
            key = keys[index]
            if not key.startswith(prefix):
                break
            pairs.append((key, self._values[key]))
        yield from pairs

    def root_at(self, height: int) -> bytes | None:
        """The app hash after `height`, or None if that height was not committed here."""
        return self._roots.get(height)

    def get_meta(self, name: bytes) -> bytes | None:
        """Data the app committed under `name` (see `commit`), or None."""
        return self._meta.get(name)

    def prove(self, key: bytes, height: int | None = None) -> tuple[bytes | None, Proof]:
        """The value of `key` at `height` (default: the latest) and the proof of it."""
        if height is None:
            root = self.root
        else:
            found = self._roots.get(height)
            if found is None:
                raise ValueError(f"height {height} is not committed in this store")
            root = found
        digest, proof = smt.find(smt.MappingNodeReader(self._nodes), root, key)
        return (None if digest is None else self._blobs[digest]), proof

    def compute(self, height: int, writes: Mapping[bytes, bytes | None]) -> PendingCommit:
        """The block's new app hash and tree nodes; nothing is persisted."""
        ordered = _ordered_writes(writes)
        current, parent = self._head
        _check_next_height(current, height)
        root, nodes = smt.update(smt.MappingNodeReader(self._nodes), parent, ordered)
        return PendingCommit(
            height=height,
            root=root,
            writes=ordered,
            nodes=MappingProxyType(nodes),
            parent_root=parent,
        )

    def commit(
        self, pending: PendingCommit, meta: Mapping[bytes, bytes | None] | None = None
    ) -> None:
        """Apply a computed block and `meta`, all or nothing; see `Store.commit`."""
        meta_items = _ordered_meta(meta)
        current, parent = self._head
        _check_pending(current, parent, pending)
        keys = self._sorted_keys
        for key, value in pending.writes.items():
            if value is None:
                if self._values.pop(key, None) is not None:
                    del keys[bisect_left(keys, key)]
            else:
                if key not in self._values:
                    insort(keys, key)
                self._values[key] = value
                self._blobs[value_hash(value)] = value
        self._nodes.update(pending.nodes)
        self._roots[pending.height] = pending.root
        for name, data in meta_items:
            if data is None:
                self._meta.pop(name, None)
            else:
                self._meta[name] = data
        self._head = (pending.height, pending.root)


# ---------------------------------------------------------------------------- shared rules
def _ordered_writes(writes: Mapping[bytes, bytes | None]) -> Mapping[bytes, bytes | None]:
    """The writes in key order, read-only, after checking every key and value."""
    for key, value in writes.items():
        _check_key(key, "state key")
        if value is not None and not isinstance(value, bytes):
            raise TypeError(f"a state value is bytes or None, not {type(value).__name__}")
    return MappingProxyType(dict(sorted(writes.items())))


def _ordered_meta(meta: Mapping[bytes, bytes | None] | None) -> list[tuple[bytes, bytes | None]]:
    items = sorted((meta or {}).items())
    for name, data in items:
        _check_key(name, "meta name")
        if data is not None and not isinstance(data, bytes):
            raise TypeError(f"meta data is bytes or None, not {type(data).__name__}")
    return items


def _check_key(key: bytes, what: str) -> None:
    if not isinstance(key, bytes):
        raise TypeError(f"a {what} is bytes, not {type(key).__name__}")
    if not 0 < len(key) <= MAX_KEY_SIZE:
        raise ValueError(f"a {what} is 1 to {MAX_KEY_SIZE} bytes; this one is {len(key)}")


def _check_next_height(current: int, height: int) -> None:
    if current == 0:
        if height < 1:
            raise ValueError(f"the first committed height must be at least 1, not {height}")
    elif height != current + 1:
        raise ValueError(
            f"height {height} cannot follow height {current}: the next height is {current + 1}"
        )
    if height >= 1 << (8 * _HEIGHT_SIZE):
        raise ValueError(f"height {height} does not fit in {_HEIGHT_SIZE} bytes")


def _check_pending(current: int, parent: bytes, pending: PendingCommit) -> None:
    _check_next_height(current, pending.height)
    if pending.parent_root != parent:
        raise ValueError(
            f"the block for height {pending.height} was computed on app hash "
            f"{pending.parent_root.hex()}, but the store is at {parent.hex()}"
        )
    if len(pending.root) != HASH_SIZE:
        raise ValueError(f"an app hash is {HASH_SIZE} bytes, not {len(pending.root)}")


def _empty_at(child: bytes) -> bytes:
    """Where an EMPTY child is filed: nowhere. Any other child here is a bug in `_records`."""
    if child != EMPTY:
        raise AssertionError(f"new tree node points to {child.hex()}, neither new nor read")
    return _NO_HEIGHT


def _height_key(height: int) -> bytes:
    return height.to_bytes(_HEIGHT_SIZE, "big")
