"""Proofs that a key has a value, or no value, in the state committed to by an app hash.

The app hash is the root of a compact sparse Merkle tree (built in `smt.py`). This module holds
the tree's hashing rules and the verifier, and imports nothing but the standard library, so a
client (the SDK) can check a node's answer without the node's storage code.

The tree, in brief: a key sits at path sha256(key), read as 256 bits, most significant first
(bit 0 chooses the left or right child of the root). A subtree with no leaves is EMPTY; a
subtree with exactly one leaf is that leaf, at whatever depth; anything else is an internal
node. So the tree's shape depends only on the set of keys.

    EMPTY          = 32 zero bytes
    leaf hash      = sha256(0x00 || path || sha256(value))
    internal hash  = sha256(0x01 || left hash || right hash)

A proof lists the sibling hashes along the key's path, root side first, down to the depth
where the path meets a leaf or EMPTY. The verifier rebuilds the root from the bottom up:

    membership                 the bottom is the leaf of (key, claimed value)
    absence, empty subtree     the bottom is EMPTY
    absence, other leaf        the bottom is a leaf whose path differs from the key's path but
                               agrees with it on every bit above that depth

Since a canonical tree never has an EMPTY sibling at the bottom of a path (the parent would
then hold at most one leaf and be that leaf itself), the verifier rejects such proofs too: for
a given root and key, exactly one proof verifies.
"""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import sha256
from typing import Final

from cornerstone import errors

HASH_SIZE: Final = 32
"""Bytes in a hash, a path and a value hash."""

EMPTY: Final = bytes(HASH_SIZE)
"""The hash of an empty subtree, and the root of the empty tree."""

LEAF_TAG: Final = b"\x00"
"""First byte of a leaf's encoding (the preimage of its hash)."""

INTERNAL_TAG: Final = b"\x01"
"""First byte of an internal node's encoding (the preimage of its hash)."""

MAX_DEPTH: Final = 256
"""Bits in a path, so the most siblings a proof can have."""

PROOF_VERSION: Final = 1
"""First byte of an encoded proof."""

MAX_PROOF_KEY_SIZE: Final = 0xFFFF
"""Longest key a proof can carry (its length is a 2-byte field)."""

_NO_LEAF: Final = 0
_WITH_LEAF: Final = 1


class ProofError(errors.ProofError, ValueError):
    """A proof is malformed, or does not show what it is claimed to show (code 90)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason=reason)


def key_path(key: bytes) -> bytes:
    """The 256-bit position of `key` in the tree."""
    return sha256(key).digest()


def value_hash(value: bytes) -> bytes:
    """What a leaf commits to in place of the value itself."""
    return sha256(value).digest()


def leaf_hash(path: bytes, value_digest: bytes) -> bytes:
    """The hash of the leaf at `path` holding a value whose hash is `value_digest`."""
    return sha256(LEAF_TAG + path + value_digest).digest()


def internal_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an internal node with these children."""
    return sha256(INTERNAL_TAG + left + right).digest()


@dataclass(frozen=True, slots=True)
class Proof:
    """The evidence for one key against one root; `verify_proof` says what it shows.

    Encoding (`encode`/`decode`), all integers unsigned big-endian, nothing after the end:

        offset      size      field
        0           1         version, 0x01
        1           2         key length K (0..65535)
        3           K         key
        3+K         2         sibling count S (0..256)
        5+K         32*S      siblings, root side first
        5+K+32S     1         0x00: no leaf follows; 0x01: a leaf of another key follows
        6+K+32S     64        (only after 0x01) that leaf's path, then its value hash

    Every proof has exactly one encoding and every accepted encoding decodes to one proof.
    """

    key: bytes
    """The key the proof is about."""
    siblings: tuple[bytes, ...]
    """Sibling hashes along the key's path, from the root's children down to where it ends."""
    leaf_path: bytes | None = None
    """For absence shown by another key's leaf on the path: that leaf's path; otherwise None."""
    leaf_value_hash: bytes | None = None
    """That leaf's value hash; otherwise None (a membership proof hashes the claimed value)."""

    def __post_init__(self) -> None:
        if len(self.key) > MAX_PROOF_KEY_SIZE:
            raise ProofError(f"a proof's key is at most {MAX_PROOF_KEY_SIZE} bytes")
        if len(self.siblings) > MAX_DEPTH:
            raise ProofError(f"a proof has at most {MAX_DEPTH} siblings")
        if any(len(sibling) != HASH_SIZE for sibling in self.siblings):
            raise ProofError(f"every sibling hash is {HASH_SIZE} bytes")
        if (self.leaf_path is None) != (self.leaf_value_hash is None):
            raise ProofError("a proof's leaf needs both its path and its value hash")
        if self.leaf_path is not None and (
            len(self.leaf_path) != HASH_SIZE or len(self.leaf_value_hash or b"") != HASH_SIZE
        ):
            raise ProofError(f"a leaf's path and value hash are {HASH_SIZE} bytes each")

    def encode(self) -> bytes:
        """The canonical bytes of this proof (layout in the class docstring)."""
        parts = [
            bytes([PROOF_VERSION]),
            len(self.key).to_bytes(2, "big"),
            self.key,
            len(self.siblings).to_bytes(2, "big"),
            *self.siblings,
        ]
        if self.leaf_path is not None and self.leaf_value_hash is not None:
            parts += [bytes([_WITH_LEAF]), self.leaf_path, self.leaf_value_hash]
        else:
            parts.append(bytes([_NO_LEAF]))
        return b"".join(parts)

    @classmethod
    def decode(cls, data: bytes) -> Proof:
        """The proof encoded in `data`; raises ProofError unless `data` is exactly one proof."""
        reader = _Reader(data)
        version = reader.take(1)[0]
        if version != PROOF_VERSION:
            raise ProofError(
                f"proof format version {version} is not supported (this verifier reads "
                f"version {PROOF_VERSION})"
            )
        key = reader.take(int.from_bytes(reader.take(2), "big"))
        count = int.from_bytes(reader.take(2), "big")
        if count > MAX_DEPTH:
            raise ProofError(f"the proof claims {count} siblings; a path has only {MAX_DEPTH}")
        siblings = tuple(reader.take(HASH_SIZE) for _ in range(count))
        tag = reader.take(1)[0]
        if tag == _NO_LEAF:
            leaf_path, leaf_digest = None, None
        elif tag == _WITH_LEAF:
            leaf_path, leaf_digest = reader.take(HASH_SIZE), reader.take(HASH_SIZE)
        else:
            raise ProofError(f"the proof's leaf marker is {tag}; only 0 and 1 are defined")
        reader.finish()
        return cls(key=key, siblings=siblings, leaf_path=leaf_path, leaf_value_hash=leaf_digest)


class _Reader:
    """Takes bytes off the front of a proof's encoding, refusing to run past its end."""

    __slots__ = ("_data", "_offset")

    def __init__(self, data: bytes) -> None:
        self._data = bytes(data)
        self._offset = 0

    def take(self, size: int) -> bytes:
        end = self._offset + size
        if end > len(self._data):
            raise ProofError("the proof's encoding ends too early")
        chunk = self._data[self._offset : end]
        self._offset = end
        return chunk

    def finish(self) -> None:
        if self._offset != len(self._data):
            raise ProofError(
                f"the proof's encoding has {len(self._data) - self._offset} bytes after its end"
            )


def verify_proof(root: bytes, key: bytes, value: bytes | None, proof: Proof) -> None:
    """Check that, in the state whose app hash is `root`, `key` holds `value`.

    `value=None` means the claim is that `key` is absent. Returns nothing when the proof shows
    exactly the claim; raises ProofError, with the reason, in every other case.
    """
    if len(root) != HASH_SIZE:
        raise ProofError(f"an app hash is {HASH_SIZE} bytes, not {len(root)}")
    if proof.key != key:
        raise ProofError(f"the proof is about key {_show(proof.key)}, not {_show(key)}")
    depth = len(proof.siblings)
    if depth and proof.siblings[-1] == EMPTY:
        raise ProofError("the proof ends beside an empty subtree, which a canonical tree never has")
    path = key_path(key)
    position = int.from_bytes(path, "big")
    if value is not None:
        if proof.leaf_path is not None:
            raise ProofError("the proof shows another key's leaf where this key would be")
        node = leaf_hash(path, value_hash(value))
    elif proof.leaf_path is None or proof.leaf_value_hash is None:
        node = EMPTY
    else:
        if proof.leaf_path == path:
            raise ProofError("the proof shows the key's own leaf, so the key is present")
        other = int.from_bytes(proof.leaf_path, "big")
        if (other ^ position) >> (MAX_DEPTH - depth):
            raise ProofError("the proof's leaf does not lie on the key's path")
        node = leaf_hash(proof.leaf_path, proof.leaf_value_hash)
    for level in range(depth - 1, -1, -1):
        sibling = proof.siblings[level]
        if (position >> (MAX_DEPTH - 1 - level)) & 1:
            node = internal_hash(sibling, node)
        else:
            node = internal_hash(node, sibling)
    if node != root:
        claim = "absent" if value is None else "present with this value"
        raise ProofError(
            f"the proof does not lead to the app hash {root.hex()}: either key {_show(key)} "
            f"is not {claim} in that state, or the proof was altered"
        )


def _show(data: bytes) -> str:
    """A key for an error message: hex, shortened when long."""
    text = data.hex()
    return f"0x{text}" if len(text) <= 64 else f"0x{text[:64]}... ({len(data)} bytes)"
