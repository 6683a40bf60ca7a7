"""Read-only queries of the contracts module: metadata, the list, the source, and running a
contract's own @query functions at the latest state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from cornerstone import encoding
from cornerstone.chain import get_block_time
from cornerstone.contracts import CallContext, LoadedContract
from cornerstone.module import Reader
from cornerstone.modules.contracts.errors import ContractNotFoundError
from cornerstone.modules.contracts.host import QUERY_GAS, loaded_contract, run_query
from cornerstone.modules.contracts.messages import FUNCTION, check_name
from cornerstone.modules.contracts.state import (
    ContractRecord,
    get_contract,
    get_source,
    iter_contracts,
)

MAX_PAGE: Final = 100
QUERY_SENDER: Final = b"\x00" * 32
"""The sender a query function sees: nobody (queries are unsigned), so has_role() is False."""


@dataclass(frozen=True, slots=True)
class ContractQuery:
    """One contract: its metadata, status, version, code hash and functions."""

    contract: str

    def __post_init__(self) -> None:
        check_name(self.contract)


def contract(state: Reader, query: ContractQuery) -> encoding.Value:
    record = get_contract(state, query.contract)
    if record is None:
        return None
    value = record_value(record)
    value["functions"] = functions_value(loaded_contract(state, record))
    return value


@dataclass(frozen=True, slots=True)
class Contracts:
    """Contracts in name order from `start` (inclusive), optionally only those with `status`."""

    start: str = ""
    limit: int = 20
    status: str = ""


def contracts(state: Reader, query: Contracts) -> encoding.Value:
    limit = max(1, min(query.limit, MAX_PAGE))
    found: list[encoding.Value] = []
    for record in iter_contracts(state, start=query.start):
        if query.status and record.status != query.status:
            continue
        found.append(record_value(record))
        if len(found) == limit:
            break
    return found


@dataclass(frozen=True, slots=True)
class Source:
    """The stored source of a contract, with its version and code hash."""

    contract: str

    def __post_init__(self) -> None:
        check_name(self.contract)


def source(state: Reader, query: Source) -> encoding.Value:
    record = get_contract(state, query.contract)
    if record is None:
        return None
    text = get_source(state, query.contract)
    assert text is not None, "an installed contract has its source"
    return {
        "name": record.name,
        "version": record.version,
        "code_hash": record.code_hash,
        "source": text,
    }


@dataclass(frozen=True, slots=True)
class RunQuery:
    """Run the contract's @query `function` with `args`, read-only, at the latest state.

    It sees the last block's time, height 0 and no sender (queries are not transactions), and
    has QUERY_GAS to spend."""

    contract: str
    function: str
    args: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_name(self.contract)
        if not FUNCTION.fullmatch(self.function):
            raise ValueError(f"{self.function!r} is not a function name")


def run(state: Reader, query: RunQuery) -> encoding.Value:
    record = get_contract(state, query.contract)
    if record is None:
        raise ContractNotFoundError(name=query.contract)
    context = CallContext(
        sender=QUERY_SENDER,
        org="",
        role="",
        height=0,
        time=get_block_time(state),
        tx_hash=b"",
    )
    args: Mapping[str, encoding.Value] = query.args  # type: ignore[assignment]  # canonical
    return run_query(state, record, query.function, args, context).value


# ---------------------------------------------------------------------------- values
def record_value(record: ContractRecord) -> dict[str, encoding.Value]:
    return {
        "name": record.name,
        "version": record.version,
        "code_hash": record.code_hash,
        "status": record.status,
        "status_height": record.status_height,
        "installed_at": record.installed_at,
        "upgraded_at": record.upgraded_at,
        "org": record.org,
        "policies": {f: p.to_value() for f, p in record.policies.items()},
        "policy_text": {f: p.describe() for f, p in record.policies.items()},
        "migration": record.migration,
        "gas_budget_of_queries": QUERY_GAS,
    }


def functions_value(loaded: LoadedContract) -> list[encoding.Value]:
    """The contract's exported and query functions, in source order, with their parameters."""
    out: list[encoding.Value] = []
    for spec in loaded.compiled.checked.functions.values():
        if spec.kind == "internal":
            continue
        params: list[encoding.Value] = []
        for p in spec.params:
            param: dict[str, encoding.Value] = {
                "name": p.name,
                "type": "" if p.type is None else str(p.type),
            }
            if p.has_default:
                param["default"] = p.default
            params.append(param)
        out.append({"name": spec.name, "kind": spec.kind, "line": spec.line, "params": params})
    return out
