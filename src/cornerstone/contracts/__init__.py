"""Smart contracts in Python: a checked subset of the language, instrumented so every step pays
gas, run in a sandbox whose every built-in enforces the caps.

    checker.py     the install-time check: the rule table, violations with file:line:col
    instrument.py  the metering rewrite, compiled once
    language.py    the names a contract may spell (API, built-ins, methods, context fields)
    limits.py      caps and gas costs
    operations.py  the metered helpers and built-ins contract code runs through
    api.py         the `cornerstone_contract` module: Map, context, emit, require, call, ...
    storage.py     the key layout of Maps, the storage protocol and the write buffer
    meter.py       the gas meter and the runtime's stops
    runtime.py     load and invoke, errors located in the contract's source
    harness.py     run a contract against in-memory state, for contract authors' tests
    errors.py      the contract codespace (4000-4099)

The on-chain lifecycle (install, upgrade, freeze through governance) is a module built on
`compile_contract`, `load` and `invoke`.
"""

from cornerstone.contracts.checker import (
    RULES,
    CheckedContract,
    FunctionSpec,
    MapSpec,
    Param,
    TypeSpec,
    Violation,
    check_source,
    find_violations,
)
from cornerstone.contracts.errors import (
    ContractAbortedError,
    ContractArgumentsError,
    ContractError,
    ContractFailedError,
    ContractLimitError,
    ContractOutOfGasError,
    ContractRefusedError,
    ReadOnlyError,
    ReentrantCallError,
    UnknownContractError,
    UnknownFunctionError,
)
from cornerstone.contracts.harness import Harness
from cornerstone.contracts.instrument import CompiledContract, compile_contract
from cornerstone.contracts.runtime import (
    DECIMAL_CONTEXT,
    CallContext,
    Callee,
    CallResult,
    Host,
    LoadedContract,
    gas_used_of,
    invoke,
    load,
)
from cornerstone.contracts.storage import ContractStorage, MemoryStorage, WriterStorage

__all__ = [
    "DECIMAL_CONTEXT",
    "RULES",
    "CallContext",
    "CallResult",
    "Callee",
    "CheckedContract",
    "CompiledContract",
    "ContractAbortedError",
    "ContractArgumentsError",
    "ContractError",
    "ContractFailedError",
    "ContractLimitError",
    "ContractOutOfGasError",
    "ContractRefusedError",
    "ContractStorage",
    "FunctionSpec",
    "Harness",
    "Host",
    "LoadedContract",
    "MapSpec",
    "MemoryStorage",
    "Param",
    "ReadOnlyError",
    "ReentrantCallError",
    "TypeSpec",
    "UnknownContractError",
    "UnknownFunctionError",
    "Violation",
    "WriterStorage",
    "check_source",
    "compile_contract",
    "find_violations",
    "gas_used_of",
    "invoke",
    "load",
]
