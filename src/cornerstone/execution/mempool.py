"""CheckTx's decision, with a memo that makes a recheck nearly free.

After every block CometBFT rechecks every transaction left in its mempool, in order, against a
check state rebuilt from the new committed state. Under load that is the whole backlog (16,000
transactions were seen) on every node for every block, each a full `check_transaction`.

Everything `check_transaction` decides apart from the nonce reads the chain's rules (chain id,
parameters), the sender's membership and organization, and the operation's policy: keys under
`core/chain_id`, `core/params`, `membership/` and `governance/`. CheckTx never writes those (it
only consumes nonces), so a transaction admitted once stays admissible, except for its nonce,
until a committed block writes any key outside `SAFE_PREFIXES` (nonces, the block time, notary
records). The memo keeps, by transaction hash, what the full check concluded for a sender
known by a registered key (a certificate's validity depends on the block time, so those always
take the full check) and is emptied by such a block. A memoized transaction is then answered by
checking and consuming its nonce alone: exactly what the full check would do. Anything else,
including every refusal, goes through `check_transaction`, so codes and messages are unchanged.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from cornerstone.chain import NONCE_PREFIX, TIME_KEY, get_block_time
from cornerstone.encoding import decode_int, encode_int
from cornerstone.execution.block import check_transaction
from cornerstone.modules.notary.keys import DOC_PREFIX, HASH_PREFIX, REV_PREFIX
from cornerstone.state import State

SAFE_PREFIXES: Final = (NONCE_PREFIX, TIME_KEY, DOC_PREFIX, REV_PREFIX, HASH_PREFIX)
"""Keys no check other than the nonce reads: a block writing only these keeps the memo."""
MEMO_CAPACITY: Final = 100_000
"""Admitted transactions remembered at most (a mempool holds 20,000); the oldest go first."""


@dataclass(frozen=True, slots=True)
class _Admitted:
    nonce_key: bytes
    """The sender's nonce key in state."""
    nonce: int
    """The transaction's nonce."""
    next_nonce: bytes
    """The encoded nonce after it, written when it is admitted again."""
    gas_wanted: int
    """Its gas limit, CheckTx's answer."""


class MempoolChecker:
    """CheckTx's check on the mempool's state, remembering what it admitted."""

    def __init__(self) -> None:
        self._admitted: OrderedDict[bytes, _Admitted] = OrderedDict()

    def check(self, state: State, raw: bytes) -> int:
        """Check `raw` on `state` and consume its nonce there; return its gas limit, or raise
        TransactionError with `state` unchanged."""
        tx_hash = hashlib.sha256(raw).digest()
        known = self._admitted.get(tx_hash)
        if known is not None:
            stored = state.get(known.nonce_key)
            if (0 if stored is None else decode_int(stored)) == known.nonce:
                state.set(known.nonce_key, known.next_nonce)
                return known.gas_wanted
        state.begin_transaction()
        try:
            # Judged at the last block's time: a mempool has no time of its own.
            checked = check_transaction(state, raw, get_block_time(state))
        except BaseException:
            state.rollback_transaction()
            raise
        state.commit_transaction()
        tx = checked.tx
        if tx.sender.certificate is None:
            admitted = self._admitted
            if len(admitted) >= MEMO_CAPACITY:
                admitted.popitem(last=False)  # O(1), unlike a plain dict's first key
            admitted[tx_hash] = _Admitted(
                nonce_key=NONCE_PREFIX + checked.sender.id,
                nonce=tx.nonce,
                next_nonce=encode_int(tx.nonce + 1),
                gas_wanted=tx.gas_limit,
            )
        return tx.gas_limit

    def committed(self, written: Iterable[bytes]) -> None:
        """A block committed with these keys written: forget everything if any of them may
        change a check's outcome."""
        if self._admitted and not all(key.startswith(SAFE_PREFIXES) for key in written):
            self._admitted.clear()
