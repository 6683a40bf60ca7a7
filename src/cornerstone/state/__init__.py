"""Authenticated state: the committed store (LMDB), its sparse Merkle tree, proofs, and the
per-block overlay that execution writes to."""

from cornerstone.state.overlay import State
from cornerstone.state.proof import Proof, verify_proof
from cornerstone.state.store import MemoryStore, PendingCommit, Store

__all__ = ["MemoryStore", "PendingCommit", "Proof", "State", "Store", "verify_proof"]
