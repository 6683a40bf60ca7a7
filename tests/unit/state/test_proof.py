"""Proofs: membership and both kinds of absence verify; anything altered does not."""

from __future__ import annotations

import dataclasses
from hashlib import sha256

import pytest

from cornerstone.state import smt
from cornerstone.state.proof import (
    EMPTY,
    MAX_DEPTH,
    Proof,
    ProofError,
    key_path,
    leaf_hash,
    verify_proof,
)

PAIRS = {f"account/{i}".encode(): f"balance {i * 7}".encode() for i in range(200)}


@pytest.fixture(scope="module")
def tree() -> tuple[bytes, smt.MappingNodeReader]:
    nodes: dict[bytes, bytes] = {}
    root, new = smt.update(smt.MappingNodeReader(nodes), EMPTY, PAIRS)
    nodes.update(new)
    return root, smt.MappingNodeReader(nodes)


def absent_keys(tree: tuple[bytes, smt.MappingNodeReader]) -> tuple[bytes, bytes]:
    """An absent key whose path ends in an empty subtree, and one whose path meets a leaf."""
    root, reader = tree
    at_empty = at_leaf = None
    i = 0
    while at_empty is None or at_leaf is None:
        key = f"nobody/{i}".encode()
        i += 1
        proof = smt.prove(reader, root, key)
        if proof.leaf_path is None and at_empty is None:
            at_empty = key
        if proof.leaf_path is not None and at_leaf is None:
            at_leaf = key
    return at_empty, at_leaf


def claims(tree: tuple[bytes, smt.MappingNodeReader]) -> list[tuple[bytes, bytes | None]]:
    """A handful of true claims: three memberships and both kinds of absence."""
    at_empty, at_leaf = absent_keys(tree)
    return [
        (b"account/0", PAIRS[b"account/0"]),
        (b"account/77", PAIRS[b"account/77"]),
        (b"account/199", PAIRS[b"account/199"]),
        (at_empty, None),
        (at_leaf, None),
    ]


# ---------------------------------------------------------------------------- true claims verify
def test_every_key_is_proven_present_with_its_value(
    tree: tuple[bytes, smt.MappingNodeReader],
) -> None:
    root, reader = tree
    for key, value in PAIRS.items():
        proof = smt.prove(reader, root, key)
        assert proof.leaf_path is None and proof.leaf_value_hash is None
        verify_proof(root, key, value, proof)
        verify_proof(root, key, value, Proof.decode(proof.encode()))


def test_absence_is_proven_at_an_empty_subtree_and_at_another_leaf(
    tree: tuple[bytes, smt.MappingNodeReader],
) -> None:
    root, reader = tree
    at_empty, at_leaf = absent_keys(tree)
    empty_proof = smt.prove(reader, root, at_empty)
    assert empty_proof.leaf_path is None
    verify_proof(root, at_empty, None, empty_proof)
    leaf_proof = smt.prove(reader, root, at_leaf)
    assert leaf_proof.leaf_path is not None and leaf_proof.leaf_path != key_path(at_leaf)
    verify_proof(root, at_leaf, None, leaf_proof)
    # Absent keys cannot be claimed present, with any value.
    for key, proof in ((at_empty, empty_proof), (at_leaf, leaf_proof)):
        with pytest.raises(ProofError):
            verify_proof(root, key, b"", proof)


def test_proofs_in_the_smallest_trees() -> None:
    verify_proof(EMPTY, b"k", None, Proof(key=b"k", siblings=()))
    nodes: dict[bytes, bytes] = {}
    root, new = smt.update(smt.MappingNodeReader(nodes), EMPTY, {b"only": b"one"})
    nodes.update(new)
    proof = smt.prove(smt.MappingNodeReader(nodes), root, b"only")
    assert proof.siblings == ()
    verify_proof(root, b"only", b"one", proof)
    other = smt.prove(smt.MappingNodeReader(nodes), root, b"other")
    assert other.siblings == () and other.leaf_path == key_path(b"only")
    verify_proof(root, b"other", None, other)
    with pytest.raises(ProofError):
        verify_proof(root, b"only", None, proof)


# ---------------------------------------------------------------------------- false claims fail
def test_every_altered_byte_of_an_encoded_proof_is_caught(
    tree: tuple[bytes, smt.MappingNodeReader],
) -> None:
    root, reader = tree
    for key, value in claims(tree):
        encoded = smt.prove(reader, root, key).encode()
        for index in range(len(encoded)):
            for flip in (0x01, 0x80, 0xFF):
                altered = bytearray(encoded)
                altered[index] ^= flip
                with pytest.raises(ProofError):
                    verify_proof(root, key, value, Proof.decode(bytes(altered)))


def test_a_wrong_value_key_or_root_is_caught(tree: tuple[bytes, smt.MappingNodeReader]) -> None:
    root, reader = tree
    for key, value in claims(tree):
        proof = smt.prove(reader, root, key)
        wrong_values = [b"", b"other"] if value is None else [None, value + b"!", b""]
        for wrong in wrong_values:
            with pytest.raises(ProofError):
                verify_proof(root, key, wrong, proof)
        with pytest.raises(ProofError, match="about key"):
            verify_proof(root, key + b"x", value, proof)
        with pytest.raises(ProofError):
            verify_proof(root, key + b"x", value, dataclasses.replace(proof, key=key + b"x"))
        for index in range(len(root)):
            altered = bytearray(root)
            altered[index] ^= 0x01
            with pytest.raises(ProofError):
                verify_proof(bytes(altered), key, value, proof)
        with pytest.raises(ProofError, match="32 bytes"):
            verify_proof(root[:31], key, value, proof)


def test_a_proof_for_one_key_does_not_prove_another(
    tree: tuple[bytes, smt.MappingNodeReader],
) -> None:
    root, reader = tree
    proof_a = smt.prove(reader, root, b"account/1")
    for key in (b"account/2", b"nobody"):
        for value in (PAIRS[b"account/1"], PAIRS.get(key), None):
            with pytest.raises(ProofError):
                verify_proof(root, key, value, dataclasses.replace(proof_a, key=key))


def test_absence_by_a_leaf_off_the_key_path_or_the_key_itself_is_refused(
    tree: tuple[bytes, smt.MappingNodeReader],
) -> None:
    root, reader = tree
    _, at_leaf = absent_keys(tree)
    proof = smt.prove(reader, root, at_leaf)
    assert proof.leaf_path is not None
    off_path = bytes([proof.leaf_path[0] ^ 0x80]) + proof.leaf_path[1:]
    with pytest.raises(ProofError, match="does not lie on the key's path"):
        verify_proof(root, at_leaf, None, dataclasses.replace(proof, leaf_path=off_path))
    present = smt.prove(reader, root, b"account/5")
    own_leaf = dataclasses.replace(
        present, leaf_path=key_path(b"account/5"), leaf_value_hash=smt.value_hash(b"x")
    )
    with pytest.raises(ProofError, match="key is present"):
        verify_proof(root, b"account/5", None, own_leaf)
    with pytest.raises(ProofError, match="another key's leaf"):
        verify_proof(root, at_leaf, b"x", proof)


def test_a_non_canonical_proof_ending_beside_an_empty_subtree_is_refused() -> None:
    # A leaf with an empty sibling would be lifted in a canonical tree, so such a proof is
    # refused even though its hashes are consistent.
    leaf = leaf_hash(key_path(b"k"), smt.value_hash(b"v"))
    bit = key_path(b"k")[0] >> 7
    root = sha256(b"\x01" + (EMPTY + leaf if bit else leaf + EMPTY)).digest()
    with pytest.raises(ProofError, match="empty subtree"):
        verify_proof(root, b"k", b"v", Proof(key=b"k", siblings=(EMPTY,)))


# ---------------------------------------------------------------------------- encoding
def test_the_encoding_layout() -> None:
    sibling = bytes(range(32))
    proof = Proof(key=b"ab", siblings=(sibling,))
    assert proof.encode() == b"\x01" + b"\x00\x02" + b"ab" + b"\x00\x01" + sibling + b"\x00"
    with_leaf = Proof(key=b"", siblings=(), leaf_path=b"p" * 32, leaf_value_hash=b"h" * 32)
    assert with_leaf.encode() == b"\x01\x00\x00\x00\x00\x01" + b"p" * 32 + b"h" * 32
    for each in (proof, with_leaf):
        assert Proof.decode(each.encode()) == each


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "ends too early"),
        (b"\x02\x00\x00\x00\x00\x00", "version 2"),
        (b"\x01\x00\x05ab", "ends too early"),
        (b"\x01\x00\x00\x00\x01" + bytes(31), "ends too early"),
        (b"\x01\x00\x00\x01\x01", "257 siblings"),
        (b"\x01\x00\x00\x00\x00\x02", "leaf marker is 2"),
        (b"\x01\x00\x00\x00\x00\x01" + bytes(63), "ends too early"),
        (b"\x01\x00\x00\x00\x00\x00\x00", "1 bytes after its end"),
        (b"\x01\x00\x00\x00\x00\x01" + bytes(65), "1 bytes after its end"),
    ],
)
def test_decoding_is_strict(data: bytes, reason: str) -> None:
    with pytest.raises(ProofError, match=reason):
        Proof.decode(data)


def test_a_proof_must_be_well_formed_to_exist() -> None:
    with pytest.raises(ProofError):
        Proof(key=b"k", siblings=(b"short",))
    with pytest.raises(ProofError):
        Proof(key=b"k", siblings=(EMPTY,) * (MAX_DEPTH + 1))
    with pytest.raises(ProofError):
        Proof(key=b"k", siblings=(), leaf_path=bytes(32))
    with pytest.raises(ProofError):
        Proof(key=b"k", siblings=(), leaf_path=bytes(31), leaf_value_hash=bytes(32))
    with pytest.raises(ProofError):
        Proof(key=bytes(70_000), siblings=())
    assert issubclass(ProofError, ValueError)
