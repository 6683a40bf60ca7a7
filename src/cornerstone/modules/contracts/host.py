"""Where the chain meets the contract runtime: the node's cache of loaded contracts, the `Host`
that lets a contract call another and ask about roles, and running a function with the
transaction's gas.

Gas is charged once. The runtime meters contract code and its Map reads and writes with its own
counter (`cornerstone.contracts.limits`, in the same unit as `cornerstone.gas`), so while
contract code runs the state's meter is set aside (`state.meter = None`): its reads and writes
would otherwise be charged twice. The call gets what is left of the transaction's gas as its
limit, and what it used is then charged to the transaction's meter, whether it succeeded or
failed. Running out aborts the call with ContractOutOfGasError, and the transaction's rollback
undoes everything.

The cache holds each contract compiled and loaded once per node, keyed by its code hash and its
name (events carry the name). Loading is a pure function of those two, and a loaded contract
keeps nothing of one call for the next, so a cache hit and a miss give the same results and the
same gas: a miss reads the source with the meter set aside, so it costs nothing a hit does not.
The node runs one request at a time (the ABCI server is one event loop), which a loaded contract
relies on: it runs one call at a time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Final

from cornerstone import encoding
from cornerstone.contracts import (
    CallContext,
    Callee,
    CallResult,
    ContractError,
    LoadedContract,
    compile_contract,
    gas_used_of,
    invoke,
    load,
)
from cornerstone.contracts.runtime import CONTRACT_NAME
from cornerstone.gas import GasMeter
from cornerstone.module import Reader, Writer
from cornerstone.modules.contracts.errors import ContractRevokedError
from cornerstone.modules.contracts.state import (
    ACTIVE,
    REVOKED,
    ContractRecord,
    ReaderStorage,
    contract_storage,
    get_contract,
    get_source,
)
from cornerstone.modules.membership import active_org_ids
from cornerstone.state import State
from cornerstone.types import Gas

CACHE_SIZE: Final = 256
"""Loaded contracts kept per node; the least recently used is dropped beyond it."""
UNMETERED_GAS: Final = Gas(10_000_000)
"""The limit of a call made on a state with no gas meter (handler tests, genesis tools); in
a block every transaction has a meter, and its remaining gas is the limit."""
QUERY_GAS: Final = Gas(20_000_000)
"""The fixed budget of a query function: about a tenth of a second of work."""

_loaded: OrderedDict[tuple[bytes, str], LoadedContract] = OrderedDict()


def filename_of(name: str) -> str:
    """The file name a contract's source is checked and compiled under (violations and the
    runtime's errors name it)."""
    return f"{name}.py"


def compiled_for(name: str, source: str, code_hash: bytes) -> LoadedContract:
    """The contract `name` with this source, checked, instrumented and loaded once per node;
    ContractRefusedError when the source breaks the language's rules."""
    key = (code_hash, name)
    found = _loaded.get(key)
    if found is not None:
        _loaded.move_to_end(key)
        return found
    loaded = load(compile_contract(source, filename_of(name)), name)
    _loaded[key] = loaded
    while len(_loaded) > CACHE_SIZE:
        _loaded.popitem(last=False)
    return loaded


def loaded_contract(state: Reader, record: ContractRecord) -> LoadedContract:
    """The installed contract's code, ready to run (the source is read only on a miss)."""
    found = _loaded.get((record.code_hash, record.name))
    if found is not None:
        _loaded.move_to_end((record.code_hash, record.name))
        return found
    with unmetered(state):
        source = get_source(state, record.name)
    assert source is not None, "an installed contract has its source"
    return compiled_for(record.name, source, record.code_hash)


def cache_size() -> int:
    """Contracts loaded on this node now (for tests of the cache)."""
    return len(_loaded)


def clear_cache() -> None:
    """Forget every loaded contract (tests show results do not depend on the cache)."""
    _loaded.clear()


# ---------------------------------------------------------------------------- gas
def _meter_of(state: Reader) -> GasMeter | None:
    return state.meter if isinstance(state, State) else None


@contextmanager
def unmetered(state: Reader) -> Iterator[GasMeter | None]:
    """Set the state's gas meter aside (the contract runtime meters what runs inside)."""
    meter = _meter_of(state)
    if meter is None:
        yield None
        return
    assert isinstance(state, State)
    state.meter = None
    try:
        yield meter
    finally:
        state.meter = meter


# ---------------------------------------------------------------------------- hosts
class ChainHost:
    """The chain as the runtime's `Host`: installed, active contracts are callable, and roles
    are the sender's as membership resolved it."""

    def __init__(self, state: Writer) -> None:
        self._state = state

    def resolve(self, contract: str) -> Callee | None:
        record = get_contract(self._state, contract) if CONTRACT_NAME.fullmatch(contract) else None
        if record is None or record.status != ACTIVE:
            return None
        return Callee(loaded_contract(self._state, record), contract_storage(self._state, contract))

    def has_role(self, context: CallContext, org: str, role: str) -> bool:
        return _has_role(self._state, context, org, role)


class QueryHost:
    """The host of a query: the same contracts, over read-only state."""

    def __init__(self, state: Reader) -> None:
        self._state = state

    def resolve(self, contract: str) -> Callee | None:
        record = get_contract(self._state, contract) if CONTRACT_NAME.fullmatch(contract) else None
        if record is None or record.status == REVOKED:
            return None
        return Callee(loaded_contract(self._state, record), ReaderStorage(self._state, contract))

    def has_role(self, context: CallContext, org: str, role: str) -> bool:
        return _has_role(self._state, context, org, role)


def _has_role(state: Reader, context: CallContext, org: str, role: str) -> bool:
    """A sender acts for one organization with one role (membership resolved both when the
    transaction was checked); the organization must still be an active member."""
    return context.org == org and context.role == role and org in active_org_ids(state)


# ---------------------------------------------------------------------------- running
def run_function(
    state: Writer,
    record: ContractRecord,
    function: str,
    args: Mapping[str, encoding.Value],
    context: CallContext,
) -> CallResult:
    """Run an exported function of `record` as (part of) the current transaction, charging
    its gas to the transaction's meter exactly once; ContractError when it fails."""
    loaded = loaded_contract(state, record)
    with unmetered(state) as meter:
        limit = Gas(meter.limit - meter.used) if meter is not None else UNMETERED_GAS
        try:
            result = invoke(
                loaded,
                function,
                args,
                storage=contract_storage(state, record.name),
                context=context,
                gas_limit=limit,
                host=ChainHost(state),
            )
        except ContractError as error:
            if meter is not None:
                meter.charge(gas_used_of(error))
            raise
    if meter is not None:
        meter.charge(result.gas_used)
    return result


def run_query(
    state: Reader,
    record: ContractRecord,
    function: str,
    args: Mapping[str, encoding.Value],
    context: CallContext,
) -> CallResult:
    """Run a query function read-only with the fixed QUERY_GAS budget."""
    if record.status == REVOKED:
        raise ContractRevokedError(name=record.name, height=record.status_height)
    return invoke(
        loaded_contract(state, record),
        function,
        args,
        storage=ReaderStorage(state, record.name),
        context=context,
        gas_limit=QUERY_GAS,
        host=QueryHost(state),
        read_only=True,
    )
