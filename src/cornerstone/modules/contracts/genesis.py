"""Genesis of the contracts module: the contracts a chain starts with (usually none), with their
state, so that an exported state can seed a new chain.

    {"contracts": [{"name": str, "version": str, "source": str, "org": str,
                    "status": "active" | "frozen" | "revoked", "status_height": int,
                    "installed_at": int, "upgraded_at": int, "migration": str,
                    "policies": {function: policy map},
                    "data": {hex key: hex value}}, ...]}

Each source is checked by the contract language's rules, exactly as an install checks it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cornerstone.errors import ConfigError, TransactionError
from cornerstone.module import Reader, Writer
from cornerstone.modules.contracts.handlers import call_policies
from cornerstone.modules.contracts.host import compiled_for
from cornerstone.modules.contracts.messages import Install
from cornerstone.modules.contracts.state import (
    STATUSES,
    ContractRecord,
    code_hash_of,
    get_source,
    iter_contracts,
    iter_data,
    put_contract,
    put_data,
    put_source,
)
from cornerstone.types import Height

_FIELDS = frozenset(
    {
        "name",
        "version",
        "source",
        "org",
        "status",
        "status_height",
        "installed_at",
        "upgraded_at",
        "migration",
        "policies",
        "data",
    }
)


def _parse(document: Mapping[str, Any]) -> list[tuple[ContractRecord, str, dict[bytes, bytes]]]:
    unknown = sorted(set(document) - {"contracts"})
    if unknown:
        raise ConfigError(reason=f"genesis: contracts has no setting {unknown[0]!r}")
    parsed: list[tuple[ContractRecord, str, dict[bytes, bytes]]] = []
    names: set[str] = set()
    for entry in document.get("contracts", []):
        try:
            extra = sorted(set(entry) - _FIELDS)
            if extra:
                raise ValueError(f"no field {extra[0]!r}")
            message = Install(
                name=entry["name"],
                version=entry["version"],
                source=entry["source"],
                policies=dict(entry.get("policies", {})),
                org=entry["org"],
            )
            status = entry.get("status", "active")
            if status not in STATUSES:
                raise ValueError(f"the status is one of {', '.join(STATUSES)}")
            data = {bytes.fromhex(k): bytes.fromhex(v) for k, v in entry.get("data", {}).items()}
            installed_at = Height(int(entry.get("installed_at", 0)))
            code_hash = code_hash_of(message.source)
            loaded = compiled_for(message.name, message.source, code_hash)
            record = ContractRecord(
                name=message.name,
                version=message.version,
                code_hash=code_hash,
                status=status,
                status_height=Height(int(entry.get("status_height", installed_at))),
                installed_at=installed_at,
                upgraded_at=Height(int(entry.get("upgraded_at", 0))),
                org=message.org,
                policies=call_policies(message.name, loaded, message.policies),
                migration=str(entry.get("migration", "")),
            )
        except TransactionError as error:
            raise ConfigError(reason=f"genesis: a contract is refused: {error.message}") from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(reason=f"genesis: a contract is malformed ({exc})") from None
        if record.name in names:
            raise ConfigError(reason=f"genesis: the contract {record.name} appears twice")
        names.add(record.name)
        parsed.append((record, message.source, data))
    return parsed


def validate(document: Mapping[str, Any]) -> None:
    _parse(document)


def init(state: Writer, document: Mapping[str, Any]) -> None:
    for record, source, data in _parse(document):
        put_source(state, record.name, source)
        put_contract(state, record)
        for key, value in sorted(data.items()):
            put_data(state, record.name, key, value)


def export(state: Reader) -> Mapping[str, Any]:
    contracts = []
    for record in iter_contracts(state):
        source = get_source(state, record.name)
        assert source is not None, "an installed contract has its source"
        contracts.append(
            {
                "name": record.name,
                "version": record.version,
                "source": source,
                "org": record.org,
                "status": record.status,
                "status_height": record.status_height,
                "installed_at": record.installed_at,
                "upgraded_at": record.upgraded_at,
                "migration": record.migration,
                "policies": {f: p.to_value() for f, p in record.policies.items()},
                "data": {k.hex(): v.hex() for k, v in iter_data(state, record.name)},
            }
        )
    return {"contracts": contracts}
