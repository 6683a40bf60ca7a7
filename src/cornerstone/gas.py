"""Gas: what a transaction pays, in work, for what it causes. Integers only.

Native modules are charged by the state they touch and the bytes they carry; the contract
runtime (a later module) adds per-statement costs on the same meter.
"""

from __future__ import annotations

from typing import Final

from cornerstone.errors import OutOfGasError
from cornerstone.types import Gas

TX_BASE: Final = Gas(10_000)
"""Every transaction: decoding, the signature check, the nonce."""
TX_BYTE: Final = Gas(10)
"""Each byte of the transaction."""
READ_BASE: Final = Gas(100)
READ_BYTE: Final = Gas(1)
WRITE_BASE: Final = Gas(500)
WRITE_BYTE: Final = Gas(10)
DEFAULT_BLOCK_GAS: Final = Gas(1_000_000_000)
"""Used when consensus parameters set no block gas limit (max_gas = -1)."""


def intrinsic_gas(tx_size: int) -> Gas:
    """The gas any transaction of `tx_size` bytes needs before its operation runs."""
    return Gas(TX_BASE + TX_BYTE * tx_size)


class GasMeter:
    """Counts gas against a limit; raises OutOfGasError the moment the limit is passed."""

    __slots__ = ("limit", "used")

    def __init__(self, limit: Gas) -> None:
        self.limit = limit
        self.used = Gas(0)

    def charge(self, amount: int) -> None:
        self.used = Gas(self.used + amount)
        if self.used > self.limit:
            raise OutOfGasError(gas_limit=self.limit)
