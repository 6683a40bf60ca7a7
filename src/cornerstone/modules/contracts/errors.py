"""Errors of the contracts module: codespace "contract", codes 4010-4029.

The runtime's errors (`cornerstone.contracts.errors`, 4000-4009) are what contract code and its
source cause; these are what the lifecycle and the chain's rules refuse. Both share the codespace
"contract", so a client finds every contract failure in one place; they are sibling branches of
the tree, so the runtime's own list stays the runtime's:

    TransactionError
    ├── ContractError               4000-4009 the runtime: refused source, failed call, gas, ...
    └── ContractsModuleError
        ├── ContractExistsError         4010 install of a name in use (revoked names stay taken)
        ├── ContractNotFoundError       4011 lifecycle or query of a name never installed
        ├── ContractFrozenError         4012 a call to a frozen contract
        ├── ContractRevokedError        4013 a call, query or change of a revoked contract
        ├── CallNotPermittedError       4014 the function's own call policy refuses the sender
        ├── InvalidCallPolicyError      4015 a call policy that one transaction can never meet
        ├── StatusChangeError           4016 freeze of a frozen contract, unfreeze of an active one
        ├── SameVersionError            4017 an upgrade that names the installed version
        ├── MigrationOnlyError          4018 a call of the function that migrated the state
        └── UnknownMaintainerError      4019 install naming an organization that is not a member
"""

from cornerstone.errors import TransactionError


class ContractsModuleError(TransactionError):
    codespace = "contract"


class ContractExistsError(ContractsModuleError):
    code = 4010
    template = (
        "a contract named '{name}' exists already (version {version}, {status}); "
        "upgrade it, or choose another name"
    )


class ContractNotFoundError(ContractsModuleError):
    code = 4011
    template = "there is no contract named '{name}'"


class ContractFrozenError(ContractsModuleError):
    code = 4012
    template = (
        "the contract {name} is frozen since height {height}: it refuses calls until a "
        "proposal unfreezes it"
    )


class ContractRevokedError(ContractsModuleError):
    code = 4013
    template = "the contract {name} was revoked at height {height}: it refuses everything forever"


class CallNotPermittedError(ContractsModuleError):
    code = 4014
    template = "{org} ({role}) may not call {contract}.{function}: its policy is {policy}"


class InvalidCallPolicyError(ContractsModuleError):
    code = 4015
    template = "the call policy for {contract}.{function} is refused: {reason}"


class StatusChangeError(ContractsModuleError):
    code = 4016
    template = "the contract {name} is {status}: it cannot be {change}"


class SameVersionError(ContractsModuleError):
    code = 4017
    template = "the contract {name} is at version {version} already: an upgrade names a new one"


class MigrationOnlyError(ContractsModuleError):
    code = 4018
    template = (
        "{contract}.{function} is the migration of version {version}: it ran once, at the "
        "upgrade, and cannot be called"
    )


class UnknownMaintainerError(ContractsModuleError):
    code = 4019
    template = "the organization '{org}' named to maintain {name} is not an active member"


__all__ = [
    "CallNotPermittedError",
    "ContractExistsError",
    "ContractFrozenError",
    "ContractNotFoundError",
    "ContractRevokedError",
    "ContractsModuleError",
    "InvalidCallPolicyError",
    "MigrationOnlyError",
    "SameVersionError",
    "StatusChangeError",
    "UnknownMaintainerError",
]
