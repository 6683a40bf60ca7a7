"""Block execution: the one deterministic path from a block to new state."""

from cornerstone.execution.block import (
    Block,
    BlockResult,
    CheckedTx,
    InvalidProposal,
    TxResult,
    apply_block,
    check_transaction,
    execute_proposal,
    init_chain,
    prepare_block,
    select_transactions,
)
from cornerstone.execution.query import run_query

__all__ = [
    "Block",
    "BlockResult",
    "CheckedTx",
    "InvalidProposal",
    "TxResult",
    "apply_block",
    "check_transaction",
    "execute_proposal",
    "init_chain",
    "prepare_block",
    "run_query",
    "select_transactions",
]
