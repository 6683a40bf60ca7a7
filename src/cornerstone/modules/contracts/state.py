"""The only code that reads and writes the contracts module's keys (layout in keys.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from cornerstone import encoding
from cornerstone.contracts.storage import WriterStorage
from cornerstone.module import Reader, Writer
from cornerstone.modules.contracts.keys import (
    CODE_PREFIX,
    DATA_PREFIX,
    META_PREFIX,
    code_key,
    data_prefix,
    meta_key,
)
from cornerstone.policy import Policy, parse_policy
from cornerstone.types import Height

ACTIVE: Final = "active"
FROZEN: Final = "frozen"
REVOKED: Final = "revoked"
STATUSES: Final = (ACTIVE, FROZEN, REVOKED)


@dataclass(frozen=True, slots=True)
class ContractRecord:
    """An installed contract: what it is and where its lifecycle stands."""

    name: str
    """Its name on chain."""
    version: str
    """The version installed last."""
    code_hash: bytes
    """sha256 of the source's UTF-8: what the node's cache of compiled contracts is keyed by."""
    status: str
    """ACTIVE, FROZEN or REVOKED."""
    status_height: Height
    """The height its status last changed (its install height while it was never changed)."""
    installed_at: Height
    """The height of the install."""
    upgraded_at: Height
    """The height of the last upgrade (0: never upgraded)."""
    org: str
    """The organization that maintains it."""
    policies: Mapping[str, Policy]
    """Exported function -> who may call it, beyond the `contracts.call` policy."""
    migration: str
    """The function the last upgrade ran as its migration ("" for none): never callable."""


def code_hash_of(source: str) -> bytes:
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).digest()


# ---------------------------------------------------------------------------- metadata
def get_contract(state: Reader, name: str) -> ContractRecord | None:
    raw = state.get(meta_key(name))
    return None if raw is None else _decode(name, raw)


def put_contract(state: Writer, record: ContractRecord) -> None:
    value: dict[str, encoding.Value] = {
        "version": record.version,
        "code_hash": record.code_hash,
        "status": record.status,
        "status_height": record.status_height,
        "installed_at": record.installed_at,
        "upgraded_at": record.upgraded_at,
        "org": record.org,
        "policies": {f: p.to_value() for f, p in sorted(record.policies.items())},
        "migration": record.migration,
    }
    state.set(meta_key(record.name), encoding.encode(value))


def iter_contracts(state: Reader, *, start: str = "") -> Iterator[ContractRecord]:
    """Every contract in name order, from the first name >= `start`."""
    first = META_PREFIX + start.encode("utf-8") if start else None
    for key, raw in state.iterate(META_PREFIX, first):
        yield _decode(key[len(META_PREFIX) :].decode("ascii"), raw)


def _decode(name: str, raw: bytes) -> ContractRecord:
    r = encoding.decode(raw)
    assert isinstance(r, dict), "contract records are maps"
    version, code_hash, status, org, migration, policies = (
        r["version"],
        r["code_hash"],
        r["status"],
        r["org"],
        r["migration"],
        r["policies"],
    )
    assert isinstance(version, str) and isinstance(code_hash, bytes) and isinstance(status, str)
    assert isinstance(org, str) and isinstance(migration, str) and isinstance(policies, dict)
    return ContractRecord(
        name=name,
        version=version,
        code_hash=code_hash,
        status=status,
        status_height=Height(_int(r["status_height"])),
        installed_at=Height(_int(r["installed_at"])),
        upgraded_at=Height(_int(r["upgraded_at"])),
        org=org,
        policies={f: parse_policy(p) for f, p in policies.items()},
        migration=migration,
    )


def _int(value: encoding.Value) -> int:
    assert type(value) is int
    return value


# ---------------------------------------------------------------------------- source
def get_source(state: Reader, name: str) -> str | None:
    raw = state.get(code_key(name))
    return None if raw is None else raw.decode("utf-8", "surrogatepass")


def put_source(state: Writer, name: str, source: str) -> None:
    state.set(code_key(name), source.encode("utf-8", "surrogatepass"))


def iter_sources(state: Reader) -> Iterator[tuple[str, str]]:
    for key, raw in state.iterate(CODE_PREFIX):
        yield key[len(CODE_PREFIX) :].decode("ascii"), raw.decode("utf-8", "surrogatepass")


# ---------------------------------------------------------------------------- contract data
def contract_storage(state: Writer, name: str) -> WriterStorage:
    """The contract's own key space, as the runtime reads and writes it."""
    return WriterStorage(state, data_prefix(name))


class ReaderStorage:
    """A contract's key space over read-only state, for queries: writes are a broken
    assumption (the runtime refuses them in read-only calls before they get here)."""

    def __init__(self, reader: Reader, name: str) -> None:
        self._reader = reader
        self._prefix = data_prefix(name)

    def get(self, key: bytes) -> bytes | None:
        return self._reader.get(self._prefix + key)

    def set(self, key: bytes, value: bytes) -> None:
        raise AssertionError("a query never writes contract state")

    def delete(self, key: bytes) -> None:
        raise AssertionError("a query never writes contract state")

    def range(self, start: bytes, stop: bytes) -> Iterator[tuple[bytes, bytes]]:
        prefix = self._prefix
        end = prefix + stop
        for key, value in self._reader.iterate(prefix, prefix + start):
            if key >= end:
                return
            yield key[len(prefix) :], value


def iter_data(state: Reader, name: str) -> Iterator[tuple[bytes, bytes]]:
    """Every pair of the contract's own state, keys relative to its prefix, in key order."""
    prefix = data_prefix(name)
    for key, value in state.iterate(prefix):
        yield key[len(prefix) :], value


def iter_data_owners(state: Reader) -> Iterator[str]:
    """The contract name of every key under the data prefix (one per key, in key order)."""
    for key, _ in state.iterate(DATA_PREFIX):
        yield key[len(DATA_PREFIX) :].split(b"/", 1)[0].decode("ascii", "replace")


def put_data(state: Writer, name: str, key: bytes, value: bytes) -> None:
    state.set(data_prefix(name) + key, value)
