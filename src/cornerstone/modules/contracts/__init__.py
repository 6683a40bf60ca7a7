"""Contracts: Python contracts installed, upgraded, frozen and revoked by governance proposals,
called by members as transactions, and queried read-only.

The language, the metering and the runtime are `cornerstone.contracts`; this module keeps the
contracts on chain (metadata, source and each contract's own state, see keys.py), runs them with
the transaction's gas (host.py), and enforces each contract's per-function call policies on top
of the policy of `contracts.call`.
"""

from cornerstone.identity.roles import Role
from cornerstone.module import Action, Genesis, Module, Operation, Query
from cornerstone.modules.contracts import genesis, handlers, invariants, queries
from cornerstone.modules.contracts.messages import Call, Freeze, Install, Revoke, Unfreeze, Upgrade
from cornerstone.policy import ALL_ORGS, policy

CALLERS = policy("ANY", ALL_ORGS, Role.ADMIN, Role.CLIENT)
"""By default any admin or client of any member organization may call a contract; the
contract's own policy for the function then applies."""
LIFECYCLE = policy("MAJORITY", ALL_ORGS, Role.ADMIN)
"""Installing, upgrading, freezing, unfreezing and revoking: admins of more than half of the
member organizations, like the consortium's other changes."""

MODULE = Module(
    name="contracts",
    operations={"call": Operation(Call, handlers.call, CALLERS)},
    actions={
        "install": Action(Install, handlers.install, LIFECYCLE),
        "upgrade": Action(Upgrade, handlers.upgrade, LIFECYCLE),
        "freeze": Action(Freeze, handlers.freeze, LIFECYCLE),
        "unfreeze": Action(Unfreeze, handlers.unfreeze, LIFECYCLE),
        "revoke": Action(Revoke, handlers.revoke, LIFECYCLE),
    },
    queries={
        "contract": Query(queries.ContractQuery, queries.contract),
        "contracts": Query(queries.Contracts, queries.contracts),
        "query": Query(queries.RunQuery, queries.run),
        "source": Query(queries.Source, queries.source),
    },
    genesis=Genesis(validate=genesis.validate, init=genesis.init, export=genesis.export),
    invariants={
        "every_contract_has_its_source": invariants.every_contract_has_its_source,
        "statuses_are_known_and_dated": invariants.statuses_are_known_and_dated,
        "contract_data_belongs_to_a_contract": invariants.contract_data_belongs_to_a_contract,
    },
)

__all__ = ["MODULE", "Call", "Freeze", "Install", "Revoke", "Unfreeze", "Upgrade"]
