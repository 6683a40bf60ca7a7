"""Errors of contracts (codespace "contract", codes 4000-4099).

    TransactionError
    └── ContractError
        ├── ContractRefusedError        4000  the source breaks the language's rules (install)
        ├── ContractFailedError         4001  contract code raised (KeyError, ZeroDivisionError...)
        ├── ContractAbortedError        4002  require() refused the call
        ├── ContractOutOfGasError       4003  the call's gas ran out
        ├── ContractLimitError          4004  a cap was passed (integer, text, items, depth...)
        ├── UnknownFunctionError        4005  no exported function of that name
        ├── ContractArgumentsError      4006  missing, unknown or mistyped arguments
        ├── ReadOnlyError               4007  a query tried to write, emit or call a function
        ├── UnknownContractError        4008  call() named a contract the host does not know
        └── ReentrantCallError          4009  call() reached a contract that is already running

Every error raised for a call carries `gas_used` in its fields (the gas to charge the sender).
Messages name the contract, the function and the line in the contract's source; they never carry
a Python traceback, a memory address or anything else that differs between nodes.
"""

from __future__ import annotations

from cornerstone.errors import TransactionError


class ContractError(TransactionError):
    codespace = "contract"


class ContractRefusedError(ContractError):
    code = 4000
    template = "the contract {filename} is refused: {count} rule(s) broken, first {first}"


class ContractFailedError(ContractError):
    code = 4001
    template = "{contract}.{function} failed at line {line}: {kind}{detail}"


class ContractAbortedError(ContractError):
    code = 4002
    template = "{contract}.{function} refused the call at line {line}: {reason}"


class ContractOutOfGasError(ContractError):
    code = 4003
    template = (
        "{contract}.{function} ran out of gas at line {line}: the call needs more than {gas_limit}"
    )


class ContractLimitError(ContractError):
    code = 4004
    template = "{contract}.{function} passed a limit at line {line}: {reason}"


class UnknownFunctionError(ContractError):
    code = 4005
    template = "the contract {contract} has no {kind} function named '{function}'"


class ContractArgumentsError(ContractError):
    code = 4006
    template = "invalid arguments for {contract}.{function}: {reason}"


class ReadOnlyError(ContractError):
    code = 4007
    template = "{contract}.{function} runs read-only and cannot {action} (line {line})"


class UnknownContractError(ContractError):
    code = 4008
    template = "there is no contract named '{contract}' to call"


class ReentrantCallError(ContractError):
    code = 4009
    template = (
        "the contract {contract} is already running in this transaction: a contract cannot be "
        "called back while it runs"
    )


__all__ = [
    "ContractAbortedError",
    "ContractArgumentsError",
    "ContractError",
    "ContractFailedError",
    "ContractLimitError",
    "ContractOutOfGasError",
    "ContractRefusedError",
    "ReadOnlyError",
    "ReentrantCallError",
    "UnknownContractError",
    "UnknownFunctionError",
]
