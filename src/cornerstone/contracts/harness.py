"""A local harness for contract authors: run a contract against in-memory state, no network.

    from cornerstone.contracts import Harness

    def test_pay() -> None:
        h = Harness.from_file("examples/contracts/tokens.py")
        h.call("mint", {"to": "org2", "amount": 10}, org="org1", role="admin")
        h.call("pay", {"to": "org3", "amount": 4}, org="org2")
        assert h.state("balances") == {"org2": 6, "org3": 4}
        assert h.events[-1].type == "contract.tokens.paid"
        assert h.query("balance", {"org": "org3"}) == 4

The harness checks, instruments and loads the source exactly as a node does, so a contract that
passes here behaves the same on chain. Each call is a transaction of its own: a failed call
raises its ContractError and leaves the state as it was. Several contracts can be added for
`call()` between them; the sender, organization, role, height and time are chosen per call or
set as defaults.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from cornerstone import encoding
from cornerstone.contracts import storage as keys
from cornerstone.contracts.errors import ContractError
from cornerstone.contracts.instrument import compile_contract
from cornerstone.contracts.runtime import (
    CallContext,
    Callee,
    CallResult,
    LoadedContract,
    gas_used_of,
    invoke,
    load,
)
from cornerstone.contracts.storage import MemoryStorage
from cornerstone.module import Event
from cornerstone.types import Gas

DEFAULT_GAS: Gas = Gas(10_000_000)
START_TIME = 1_767_225_600_000_000_000
"""2026-01-01T00:00:00Z in nanoseconds: the harness's first block time."""
BLOCK_SECONDS = 5


def sender_of(org: str, role: str = "client") -> bytes:
    """The identity id the harness signs with for `org` and `role` unless told otherwise."""
    return hashlib.sha256(f"harness {org} {role}".encode()).digest()


class Harness:
    """Contracts, their in-memory storages, and a clock of blocks."""

    def __init__(
        self,
        source: str | None = None,
        *,
        name: str = "contract",
        filename: str | None = None,
        org: str = "org1",
        role: str = "client",
        gas_limit: int = DEFAULT_GAS,
        role_check: Callable[[CallContext, str, str], bool] | None = None,
    ) -> None:
        self.contracts: dict[str, LoadedContract] = {}
        self.storages: dict[str, MemoryStorage] = {}
        self.org = org
        self.role = role
        self.gas_limit = gas_limit
        self.height = 1
        self.time = START_TIME
        self.events: list[Event] = []
        """Events of every successful call, in order."""
        self.last: CallResult | None = None
        """The result of the last successful call."""
        self.last_gas = 0
        """Gas used by the last call, successful or not."""
        self._role_check = role_check
        self._calls = 0
        self.main = name
        if source is not None:
            self.add(source, name=name, filename=filename)

    @classmethod
    def from_file(cls, path: str | Path, *, name: str | None = None, **options: Any) -> Harness:
        """A harness with the contract in `path` (named after the file unless `name`)."""
        path = Path(path)
        contract = name or path.stem
        return cls(path.read_text(), name=contract, filename=str(path), **options)

    # ------------------------------------------------------------------ contracts
    def add(self, source: str, *, name: str, filename: str | None = None) -> LoadedContract:
        """Install another contract (ContractRefusedError if it breaks a rule)."""
        compiled = compile_contract(source, filename or f"<{name}>")
        contract = load(compiled, name)
        self.contracts[name] = contract
        self.storages.setdefault(name, MemoryStorage())
        if not self.main or self.main not in self.contracts:
            self.main = name
        return contract

    def add_file(self, path: str | Path, *, name: str | None = None) -> LoadedContract:
        path = Path(path)
        return self.add(path.read_text(), name=name or path.stem, filename=str(path))

    # ------------------------------------------------------------------ the Host protocol
    def resolve(self, contract: str) -> Callee | None:
        loaded = self.contracts.get(contract)
        if loaded is None:
            return None
        return Callee(loaded, self.storages[contract])

    def has_role(self, context: CallContext, org: str, role: str) -> bool:
        if self._role_check is not None:
            return self._role_check(context, org, role)
        return context.org == org and context.role == role

    # ------------------------------------------------------------------ calls
    def call(
        self,
        function: str,
        args: Mapping[str, Any] | None = None,
        *,
        contract: str | None = None,
        **options: Any,
    ) -> encoding.Value:
        """Run an exported function as a transaction; its return value.

        Options: sender (bytes), org, role, height, time, tx_hash, gas_limit.
        """
        return self._run(function, args, contract, read_only=False, **options).value

    def query(
        self,
        function: str,
        args: Mapping[str, Any] | None = None,
        *,
        contract: str | None = None,
        **options: Any,
    ) -> encoding.Value:
        """Run a query function (read-only); its return value."""
        return self._run(function, args, contract, read_only=True, **options).value

    def _run(
        self,
        function: str,
        args: Mapping[str, Any] | None,
        contract: str | None,
        *,
        read_only: bool,
        sender: bytes | None = None,
        org: str | None = None,
        role: str | None = None,
        height: int | None = None,
        time: int | None = None,
        tx_hash: bytes | None = None,
        gas_limit: int | None = None,
    ) -> CallResult:
        name = contract or self.main
        loaded = self.contracts[name]
        self._calls += 1
        org = org or self.org
        role = role or self.role
        context = CallContext(
            sender=sender if sender is not None else sender_of(org, role),
            org=org,
            role=role,
            height=height if height is not None else self.height,
            time=time if time is not None else self.time,
            tx_hash=tx_hash or hashlib.sha256(f"harness call {self._calls}".encode()).digest(),
        )
        try:
            result = invoke(
                loaded,
                function,
                _canonical_args(args or {}),
                storage=self.storages[name],
                context=context,
                gas_limit=Gas(gas_limit if gas_limit is not None else self.gas_limit),
                host=self,
                read_only=read_only,
            )
        except ContractError as error:
            self.last_gas = gas_used_of(error)
            raise
        self.last = result
        self.last_gas = result.gas_used
        self.events.extend(result.events)
        return result

    def next_block(self, blocks: int = 1, seconds: int = BLOCK_SECONDS) -> None:
        """Move the clock: `blocks` blocks later, `seconds` each."""
        self.height += blocks
        self.time += blocks * seconds * 1_000_000_000

    # ------------------------------------------------------------------ state
    def state(self, map_name: str, *, contract: str | None = None) -> dict[Any, Any]:
        """Every entry of a Map (by its name in state or its variable), in key order."""
        name = contract or self.main
        spec = next(
            (
                m
                for m in self.contracts[name].compiled.checked.maps
                if map_name in (m.name, m.variable)
            ),
            None,
        )
        if spec is None:
            raise KeyError(f"the contract {name} declares no map {map_name!r}")
        prefix = keys.map_prefix(spec.name)
        out: dict[Any, Any] = {}
        for raw_key, raw in self.storages[name].range(prefix, keys.prefix_end(prefix)):
            key = keys.decode_key(spec.key, raw_key[len(prefix) :])
            value = encoding.decode(raw)
            out[key] = Decimal(str(value)) if spec.value == "Decimal" else value
        return out

    def get(self, map_name: str, key: Any, *, contract: str | None = None) -> Any:
        """One entry of a Map, or None."""
        return self.state(map_name, contract=contract).get(key)


def _canonical_args(args: Mapping[str, Any]) -> dict[str, encoding.Value]:
    """A fresh canonical copy of test arguments (Decimal as its str, tuples as lists)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    copied = encoding.decode(encoding.encode(plain(dict(args))))
    assert isinstance(copied, dict)
    return copied
