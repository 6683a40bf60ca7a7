"""Distinct kinds of number get distinct types, so a height is never passed where gas is meant."""

from typing import NewType

Height = NewType("Height", int)
"""A block height; the first block is 1."""

Gas = NewType("Gas", int)
"""An amount of gas, the unit in which a transaction pays for the work it causes."""

Nonce = NewType("Nonce", int)
"""A sender's transaction counter, starting at 0 and increasing by exactly one per transaction."""

Timestamp = NewType("Timestamp", int)
"""Block time in nanoseconds since the Unix epoch, UTC. Never the wall clock inside a block."""
