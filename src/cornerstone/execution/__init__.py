"""Block execution: the one deterministic path from a block to new state."""

from cornerstone.execution.block import (
    Block,
    BlockResult,
    CheckedTx,
    TxResult,
    apply_block,
    check_transaction,
    init_chain,
    select_transactions,
    verify_proposal,
)
from cornerstone.execution.query import run_query

__all__ = [
    "Block",
    "BlockResult",
    "CheckedTx",
    "TxResult",
    "apply_block",
    "check_transaction",
    "init_chain",
    "run_query",
    "select_transactions",
    "verify_proposal",
]
