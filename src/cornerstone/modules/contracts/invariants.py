"""Named invariants of the contracts module, checked by the tests after every block."""

from __future__ import annotations

from cornerstone.module import Reader
from cornerstone.modules.contracts.state import (
    STATUSES,
    code_hash_of,
    get_contract,
    get_source,
    iter_contracts,
    iter_data_owners,
    iter_sources,
)


def every_contract_has_its_source(state: Reader) -> None:
    """The code hash in each record is the hash of the stored source, and no source is left
    without a record (the cache is keyed by that hash: a mismatch would run other code)."""
    for record in iter_contracts(state):
        source = get_source(state, record.name)
        assert source is not None, f"contract {record.name} has no source"
        assert code_hash_of(source) == record.code_hash, f"{record.name}'s code hash differs"
    for name, _ in iter_sources(state):
        assert get_contract(state, name) is not None, f"source of {name} without a contract"


def statuses_are_known_and_dated(state: Reader) -> None:
    for record in iter_contracts(state):
        assert record.status in STATUSES, f"{record.name} has status {record.status!r}"
        assert record.status_height >= record.installed_at, f"{record.name} changed before"
        assert record.upgraded_at == 0 or record.upgraded_at >= record.installed_at, (
            f"{record.name} was upgraded before it was installed"
        )
        if record.migration:
            assert record.upgraded_at > 0, f"{record.name} has a migration but no upgrade"


def contract_data_belongs_to_a_contract(state: Reader) -> None:
    last = ""
    for owner in iter_data_owners(state):
        if owner != last:
            assert get_contract(state, owner) is not None, f"data of unknown contract {owner}"
            last = owner
