"""Running contract functions: load a compiled contract once, then invoke its functions.

    contract = load(compile_contract(source, "escrow.py"), name="escrow")
    result = invoke(contract, "release", {"deal": "d1"}, storage=..., context=...,
                    gas_limit=Gas(1_000_000), host=...)

`invoke` runs one exported function (or a query, with read_only=True) as one transaction:

1. the arguments are bound to the function's parameters and checked against its annotations
   (ContractArgumentsError otherwise);
2. the function runs with the gas limit in its meter, the Decimal context fixed
   (DECIMAL_CONTEXT), its writes buffered, and calls to other contracts (through the `Host`)
   sharing the same gas, the same buffers and the same events;
3. only when everything succeeded are the buffered writes of every contract touched applied
   to their storages, in key order. Any failure (a Python exception in contract code, a
   require(), a cap, running out of gas) raises a ContractError and applies nothing; its
   fields carry `gas_used`. The caller also rolls back its own nested transaction, but this
   layer never half-applies.

Errors name the contract, the function and the line of the contract's source where the call
stopped, and the exception's kind; never a traceback, never anything that differs between
machines (memory addresses are scrubbed from messages). A Python exception raised by the
runtime itself while running contract code is reported the same way rather than crashing the
node: the node's own bugs are found by tests, not by users.

Determinism: no hash() of text, no id(), no floats, no sets reach contract code; dicts keep
insertion order; Decimal arithmetic uses one context; the recursion cap is the runtime's own
counter, far below Python's limit, so the depth the node calls from never matters.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, Protocol

from cornerstone import encoding
from cornerstone.contracts import limits
from cornerstone.contracts.api import ContractMap, make_api
from cornerstone.contracts.checker import FunctionSpec, Param, TypeSpec
from cornerstone.contracts.errors import (
    ContractAbortedError,
    ContractArgumentsError,
    ContractError,
    ContractFailedError,
    ContractLimitError,
    ContractOutOfGasError,
    ReadOnlyError,
    ReentrantCallError,
    UnknownContractError,
    UnknownFunctionError,
)
from cornerstone.contracts.instrument import CompiledContract
from cornerstone.contracts.language import DEPTH, GAS
from cornerstone.contracts.meter import Aborted, LimitExceeded, Meter, OutOfGas, ReadOnlyViolation
from cornerstone.contracts.operations import make_decimal, make_operations, type_name
from cornerstone.contracts.storage import Buffer, ContractStorage
from cornerstone.module import Context, Event
from cornerstone.types import Gas

DECIMAL_CONTEXT: Final = decimal.Context(
    prec=limits.DECIMAL_PRECISION,
    rounding=decimal.ROUND_HALF_EVEN,
    Emin=limits.DECIMAL_EMIN,
    Emax=limits.DECIMAL_EMAX,
    capitals=1,
    clamp=1,
    flags=[],
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
"""Every contract's Decimal arithmetic: decimal128, half-even, errors for invalid operations,
division by zero and overflow (never NaN or Infinity)."""
CONTRACT_NAME: Final = re.compile(r"[a-z][a-z0-9_]{0,63}")
_ADDRESS: Final = re.compile(r"0x[0-9a-fA-F]+")
_READ_BASE: Final = limits.READ_BASE
_READ_BYTE: Final = limits.READ_BYTE
_WRITE_BASE: Final = limits.WRITE_BASE
_WRITE_BYTE: Final = limits.WRITE_BYTE
MAX_DETAIL: Final = 200
"""Characters of a Python exception's message kept in ContractFailedError."""


# ---------------------------------------------------------------------------- records
@dataclass(frozen=True, slots=True)
class CallContext:
    """What a contract knows about the transaction it runs for."""

    sender: bytes
    """The signer's identity id (the fingerprint of its key)."""
    org: str
    """The organization the signer acts for."""
    role: str
    """The signer's role in it ("admin", "client", ...)."""
    height: int
    """The height of the block being executed."""
    time: int
    """The block's time, nanoseconds since the epoch (never the wall clock)."""
    tx_hash: bytes
    """sha256 of the transaction's bytes."""

    @classmethod
    def of(cls, ctx: Context) -> CallContext:
        """The contract's view of a module handler's context."""
        sender = ctx.sender
        return cls(sender.id, sender.org, sender.role.value, ctx.height, ctx.time, ctx.tx_hash)


@dataclass(frozen=True, slots=True)
class CallResult:
    """What a successful call returned and cost."""

    value: encoding.Value
    """The function's return value, as a canonical value (Decimal as str, tuples as lists)."""
    gas_used: Gas
    events: tuple[Event, ...]
    """Events of every contract the call ran, in the order they were emitted."""


@dataclass(frozen=True, slots=True)
class Callee:
    """A contract another contract may call, as the host resolves it."""

    contract: LoadedContract
    storage: ContractStorage


class Host(Protocol):
    """What the runtime needs from the chain (or the harness)."""

    def resolve(self, contract: str) -> Callee | None:
        """The contract named `contract`, ready to run, or None (unknown, frozen, revoked)."""
        ...

    def has_role(self, context: CallContext, org: str, role: str) -> bool:
        """Whether the transaction's sender acts for `org` with `role`."""
        ...


def gas_used_of(error: ContractError) -> Gas:
    """The gas a failed call used (every error raised by `invoke` carries it)."""
    return Gas(int(error.fields.get("gas_used", 0)))


# ---------------------------------------------------------------------------- a transaction
class _Transaction:
    """One top-level invocation: its gas, buffers and events, shared by nested calls."""

    __slots__ = ("buffers", "context", "depth", "events", "gas_limit", "host", "left")

    def __init__(self, host: Host | None, context: CallContext, gas_limit: int) -> None:
        self.host = host
        self.context = context
        self.gas_limit = gas_limit
        self.left = gas_limit
        self.buffers: dict[str, Buffer] = {}
        self.events: list[Event] = []
        self.depth = 0

    def buffer(self, contract: str, storage: ContractStorage) -> Buffer:
        buffer = self.buffers.get(contract)
        if buffer is None:
            buffer = self.buffers[contract] = Buffer(storage)
        return buffer


class _Running:
    """The call a loaded contract is running now."""

    __slots__ = ("buffer", "caller", "context", "function", "read_only", "tx")

    def __init__(
        self, tx: _Transaction, buffer: Buffer, function: str, read_only: bool, caller: str | None
    ) -> None:
        self.tx = tx
        self.context = tx.context
        self.buffer = buffer
        self.function = function
        self.read_only = read_only
        self.caller = caller


# ---------------------------------------------------------------------------- loaded contracts
class LoadedContract:
    """A compiled contract bound to its own namespace, meter and API objects.

    Load once and reuse: the namespace holds only constants and functions (contract code cannot
    mutate module state), so nothing of one call survives into the next. It runs one call at a
    time; calling it back while it runs is refused (re-entrancy).
    """

    def __init__(self, compiled: CompiledContract, name: str) -> None:
        if not CONTRACT_NAME.fullmatch(name):
            raise ValueError(f"a contract name matches {CONTRACT_NAME.pattern}")
        self.name = name
        self.compiled = compiled
        self._running: _Running | None = None
        namespace: dict[str, Any] = {GAS: 0, DEPTH: 0}
        self.namespace = namespace
        self.meter = Meter(namespace)
        helpers, builtins = make_operations(self.meter, ContractMap)
        namespace["__builtins__"] = builtins
        namespace.update({k: v for k, v in helpers.items() if k.startswith("_")})
        self._weigh: Callable[[Any], int] = helpers["weigh"]
        api = make_api(self)
        checked = compiled.checked
        for local, api_name in checked.imports.items():
            if api_name in api:
                namespace[local] = api[api_name]
        for spec in checked.maps:
            namespace[spec.variable] = ContractMap(self, spec)
        exec(compiled.code, namespace)  # constants and function definitions only
        self.functions: dict[str, Callable[..., Any]] = {
            name: namespace[name] for name in checked.functions
        }
        self.uses_decimal = (
            "Decimal" in checked.imports.values()
            or any(m.value == "Decimal" for m in checked.maps)
            or any(
                p.type is not None and "Decimal" in str(p.type)
                for f in checked.functions.values()
                for p in f.params
            )
        )
        """Whether Decimal values can exist in this contract's calls at all. They cannot cross
        into another contract (values are copied as canonical values), so a contract that
        cannot make one runs without entering the Decimal context (1 us per call)."""

    def __repr__(self) -> str:
        return f"LoadedContract({self.name!r})"

    # ------------------------------------------------------------------ for the API objects
    def running(self) -> _Running:
        running = self._running
        if running is None:
            raise RuntimeError("the contract API is used outside a call")
        return running

    def read(self, key: bytes) -> bytes | None:
        running = self._running or self.running()
        raw = running.buffer.get(key)
        size = len(key) + (len(raw) if raw is not None else 0)
        namespace = self.namespace  # the meter's charge, inlined: this runs for every read
        left = namespace[GAS] - (_READ_BASE + _READ_BYTE * size)
        namespace[GAS] = left
        if left < 0:
            raise OutOfGas()
        return raw

    def write(self, key: bytes, raw: bytes) -> None:
        running = self._running or self.running()
        if running.read_only:
            raise ReadOnlyViolation("write state")
        namespace = self.namespace
        left = namespace[GAS] - (_WRITE_BASE + _WRITE_BYTE * (len(key) + len(raw)))
        namespace[GAS] = left
        if left < 0:
            raise OutOfGas()
        running.buffer.writes[key] = raw

    def remove(self, key: bytes) -> None:
        running = self._running or self.running()
        if running.read_only:
            raise ReadOnlyViolation("delete state")
        self.meter.charge(limits.WRITE_BASE + limits.WRITE_BYTE * len(key))
        running.buffer.delete(key)

    def scan(self, low: bytes, high: bytes, limit: int) -> list[tuple[bytes, bytes]]:
        running = self.running()
        charge = self.meter.charge
        pending = len(running.buffer.writes)  # sorted by every range: paid even if none match
        charge(limits.READ_BASE + pending * limits.ITEM * max(pending.bit_length(), 1))
        pairs: list[tuple[bytes, bytes]] = []
        for key, raw in running.buffer.range(low, high):
            charge(limits.READ_BASE + limits.READ_BYTE * (len(key) + len(raw)))
            pairs.append((key, raw))
            if len(pairs) >= limit:
                break
        return pairs

    def record_event(self, event: str, attributes: tuple[tuple[str, str], ...]) -> None:
        running = self.running()
        if running.read_only:
            raise ReadOnlyViolation("emit events")
        events = running.tx.events
        if len(events) >= limits.MAX_EVENTS:
            raise LimitExceeded(f"a transaction emits at most {limits.MAX_EVENTS} events")
        events.append(Event(f"contract.{self.name}.{event}", attributes))

    def has_role(self, org: str, role: str) -> bool:
        running = self.running()
        host = running.tx.host
        if host is None:
            return running.context.org == org and running.context.role == role
        return bool(host.has_role(running.context, org, role))

    def check_storable(self, value: Any, *, decimals: bool = False) -> None:
        """Refuse what cannot be stored or copied as a canonical value, charging per item.

        Shared parts are counted once per reference, so a value built by sharing one part many
        times costs what its encoding would; text is added up before any encoding is made.
        """
        budget = max(self.namespace[GAS], 0) // limits.WALK + 1
        count = 0
        text = 0
        stack: list[tuple[Any, int]] = [(value, 0)]
        while stack:
            current, depth = stack.pop()
            kind = type(current)
            count += 1
            if kind is str or kind is bytes:
                text += len(current)
                if text > limits.MAX_VALUE_BYTES:
                    raise LimitExceeded(f"a value is larger than {limits.MAX_VALUE_BYTES} bytes")
            elif kind is list or kind is tuple or kind is dict:
                if depth >= limits.MAX_NESTING:
                    raise LimitExceeded(f"values nest deeper than {limits.MAX_NESTING} levels")
                if kind is dict:
                    for key in current:
                        if type(key) is not str:
                            raise TypeError("the keys of a stored or returned dict are str")
                    stack.extend((item, depth + 1) for item in current.values())
                else:
                    stack.extend((item, depth + 1) for item in current)
            elif kind is Decimal and decimals:
                text += 40
            elif not (kind is int or kind is bool or current is None):
                raise TypeError(f"a {type_name(current)} is not a canonical value")
            if count > limits.MAX_VALUE_BYTES:  # each item takes at least one byte encoded
                raise LimitExceeded(f"a value is larger than {limits.MAX_VALUE_BYTES} bytes")
            if count > budget:
                self.meter.charge(count * limits.WALK)
        self.meter.charge(count * limits.WALK)

    def call_other(self, contract: str, function: str, args: dict[str, Any]) -> Any:
        """call(contract, function, **args): run another contract's function, copying values
        both ways so the two never share a mutable object."""
        running = self.running()
        tx = running.tx
        self.meter.charge(limits.CONTRACT_CALL)
        callee = tx.host.resolve(contract) if tx.host is not None else None
        if callee is None:
            raise UnknownContractError(contract=contract)
        if tx.depth >= limits.MAX_CALL_DEPTH:
            raise LimitExceeded(f"contracts call each other deeper than {limits.MAX_CALL_DEPTH}")
        copied = self._copy(args)
        kind = "query" if running.read_only else "any"
        try:
            result, _ = _execute(
                tx,
                callee.contract,
                callee.storage,
                function,
                copied,  # type: ignore[arg-type]
                caller=self.name,
                kind=kind,
                gas=self.namespace[GAS],
                depth=self.namespace[DEPTH],
            )
        finally:
            self.namespace[GAS] = tx.left
        return self._copy(result)

    def _copy(self, value: Any) -> encoding.Value:
        self.check_storable(value)
        raw = encoding.encode(value)
        self.meter.charge(limits.COPY_BYTE * len(raw))
        return encoding.decode(raw)

    # ------------------------------------------------------------------ results and errors
    def result_value(self, value: Any) -> encoding.Value:
        """A function's return value as a fresh canonical value (Decimal as str)."""
        kind = type(value)
        if kind is int or kind is str or kind is bytes or kind is bool or value is None:
            return value  # type: ignore[no-any-return]
        self.check_storable(value, decimals=True)
        return _canonical(value)

    def failure(self, exc: Exception, function: str, line: int, gas_limit: int) -> ContractError:
        """The ContractError for an exception that ended a call of `function`."""
        where = _where(exc, self.compiled.filename)
        if where is not None:
            function, line = where
        at = {"contract": self.name, "function": function, "line": line}
        if isinstance(exc, OutOfGas):
            return ContractOutOfGasError(**at, gas_limit=gas_limit)
        if isinstance(exc, Aborted):
            return ContractAbortedError(**at, reason=exc.reason)
        if isinstance(exc, LimitExceeded):
            return ContractLimitError(**at, reason=exc.reason)
        if isinstance(exc, ReadOnlyViolation):
            return ReadOnlyError(**at, action=exc.action)
        message = _detail(exc)
        detail = f": {message}" if message else ""
        return ContractFailedError(**at, kind=type(exc).__name__, detail=detail)


def load(compiled: CompiledContract, name: str) -> LoadedContract:
    """Bind a compiled contract to a fresh namespace under `name` (its name on chain)."""
    return LoadedContract(compiled, name)


# ---------------------------------------------------------------------------- invoking
def invoke(
    contract: LoadedContract,
    function: str,
    args: Mapping[str, encoding.Value],
    *,
    storage: ContractStorage,
    context: CallContext,
    gas_limit: Gas,
    host: Host | None = None,
    read_only: bool = False,
) -> CallResult:
    """Run `function` as one transaction (read_only: as a query); see the module docstring.

    `args` are canonical values the caller hands over (a transaction's decoded arguments).
    """
    tx = _Transaction(host, context, gas_limit)
    try:
        value, left = _execute(
            tx,
            contract,
            storage,
            function,
            args,
            caller=None,
            kind="query" if read_only else "export",
            gas=gas_limit,
            depth=0,
        )
    except ContractError as error:
        error.fields["gas_used"] = Gas(min(max(gas_limit - tx.left, 0), gas_limit))
        raise
    for buffer in tx.buffers.values():
        buffer.flush()
    return CallResult(value=value, gas_used=Gas(gas_limit - left), events=tuple(tx.events))


def _execute(
    tx: _Transaction,
    contract: LoadedContract,
    storage: ContractStorage,
    function: str,
    args: Mapping[str, encoding.Value],
    *,
    caller: str | None,
    kind: str,
    gas: int,
    depth: int,
) -> tuple[encoding.Value, int]:
    """Run one function of one contract within the transaction; (result, gas left).

    `depth` is the number of contract frames already on the stack (the caller's), so the
    recursion cap counts every contract of the chain, not each on its own.
    """
    tx.left = gas
    spec = contract.compiled.checked.entry(function)
    if spec is None or kind not in ("any", spec.kind):
        raise UnknownFunctionError(
            contract=contract.name,
            function=function,
            kind="query" if kind == "query" else "exported",
        )
    if contract._running is not None:
        raise ReentrantCallError(contract=contract.name)
    values = _bind(contract.name, spec, args)
    namespace = contract.namespace
    namespace[GAS] = gas
    namespace[DEPTH] = depth
    contract._running = _Running(
        tx,
        tx.buffer(contract.name, storage),
        function,
        kind == "query" or spec.kind == "query",
        caller,
    )
    tx.depth += 1
    try:
        if contract.uses_decimal:
            with decimal.localcontext(DECIMAL_CONTEXT):
                result = contract.functions[function](*values)
        else:
            result = contract.functions[function](*values)
        if namespace[GAS] < 0:
            raise OutOfGas()
        value = contract.result_value(result)
    except ContractError:
        raise  # from a contract this one called: already located there
    except Exception as exc:
        raise contract.failure(exc, function, spec.line, tx.gas_limit) from None
    finally:
        tx.left = namespace[GAS]
        tx.depth -= 1
        contract._running = None
    return value, tx.left


# ---------------------------------------------------------------------------- arguments
def _bind(contract: str, spec: FunctionSpec, args: Mapping[str, encoding.Value]) -> list[Any]:
    names = {p.name for p in spec.params}
    unknown = sorted(k for k in args if k not in names)
    if unknown:
        raise ContractArgumentsError(
            contract=contract, function=spec.name, reason=f"unknown argument '{unknown[0]}'"
        )
    values: list[Any] = []
    for param in spec.params:
        if param.name in args:
            try:
                values.append(_convert(param, args[param.name]))
            except (TypeError, ValueError, LimitExceeded) as exc:
                raise ContractArgumentsError(
                    contract=contract, function=spec.name, reason=f"'{param.name}': {exc}"
                ) from None
        elif param.has_default:
            values.append(param.default)
        else:
            raise ContractArgumentsError(
                contract=contract, function=spec.name, reason=f"'{param.name}' is missing"
            )
    return values


def _convert(param: Param, value: Any) -> Any:
    if param.type is None:
        _check_value(value, 0)
        return value
    return _typed(param.type, value, 0)


def _typed(spec: TypeSpec, value: Any, depth: int) -> Any:
    if value is None and (spec.optional or spec.name == "None"):
        return None
    name = spec.name
    kind = type(value)
    if name == "Decimal":
        if kind is str or kind is int:
            return make_decimal(value)
        raise TypeError(f"expected a decimal number as str, got {type_name(value)}")
    if name in ("list", "tuple"):
        if kind is not list and kind is not tuple:
            raise TypeError(f"expected a list, got {type_name(value)}")
        if len(value) > limits.MAX_ITEMS:
            raise LimitExceeded(f"more than {limits.MAX_ITEMS} items")
        items = [
            _typed(spec.items[0], v, depth + 1) if spec.items else _check_value(v, depth + 1)
            for v in value
        ]
        return tuple(items) if name == "tuple" else items
    if name == "dict":
        if kind is not dict:
            raise TypeError(f"expected a map, got {type_name(value)}")
        if len(value) > limits.MAX_ITEMS:
            raise LimitExceeded(f"more than {limits.MAX_ITEMS} items")
        return {
            k: _typed(spec.items[0], v, depth + 1) if spec.items else _check_value(v, depth + 1)
            for k, v in value.items()
        }
    if kind.__name__ != name:
        raise TypeError(f"expected {spec}, got {type_name(value)}")
    return _check_value(value, depth)


def _check_value(value: Any, depth: int) -> Any:
    """A canonical value within the caps (arguments may come from outside the chain)."""
    kind = type(value)
    if kind is str or kind is bytes:
        if len(value) > limits.MAX_TEXT:
            raise LimitExceeded(f"longer than {limits.MAX_TEXT}")
    elif kind is int:
        if not -limits.INT_LIMIT < value < limits.INT_LIMIT:
            raise LimitExceeded(f"an integer over {limits.MAX_INT_BITS} bits")
    elif kind is list or kind is tuple or kind is dict:
        if depth >= limits.MAX_NESTING:
            raise LimitExceeded(f"nested deeper than {limits.MAX_NESTING}")
        if len(value) > limits.MAX_ITEMS:
            raise LimitExceeded(f"more than {limits.MAX_ITEMS} items")
        items = value.values() if kind is dict else value
        if kind is dict and any(type(k) is not str for k in value):
            raise TypeError("map keys are str")
        for item in items:
            _check_value(item, depth + 1)
    elif not (kind is bool or value is None):
        raise TypeError(f"{type_name(value)} is not a canonical value")
    return value


# ---------------------------------------------------------------------------- helpers
def _canonical(value: Any) -> encoding.Value:
    kind = type(value)
    if kind is list or kind is tuple:
        return [_canonical(v) for v in value]
    if kind is dict:
        return {k: _canonical(v) for k, v in value.items()}
    if kind is Decimal:
        return str(value)
    return value  # type: ignore[no-any-return]


def _detail(exc: BaseException) -> str:
    """A short message for an exception: its arguments, each bounded before it is formatted
    (a contract could raise KeyError(huge_list); its repr must never be built)."""
    parts: list[str] = []
    for arg in exc.args[:3]:
        kind = type(arg)
        if kind is str:
            parts.append(repr(arg[:MAX_DETAIL]) if isinstance(exc, KeyError) else arg[:MAX_DETAIL])
        elif kind in (bool, Decimal, type(None)) or (
            kind is int and -limits.INT_LIMIT < arg < limits.INT_LIMIT
        ):
            parts.append(str(arg))
        elif kind is bytes:
            parts.append(repr(arg[:64]))
        else:
            parts.append(f"<{type_name(arg)}>")
    return _ADDRESS.sub("0x…", ", ".join(parts))[:MAX_DETAIL]


def _where(exc: BaseException, filename: str) -> tuple[str, int] | None:
    """(function, line) where the exception left contract code: the line of the innermost
    contract frame, named after the innermost real function (a comprehension's frame is
    "<listcomp>", which no author wrote)."""
    function = None
    line = None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == filename:
            line = tb.tb_lineno
            if not code.co_name.startswith("<"):
                function = code.co_name
        tb = tb.tb_next
    if function is None or line is None:
        return None
    return function, line


__all__ = [
    "DECIMAL_CONTEXT",
    "CallContext",
    "CallResult",
    "Callee",
    "Host",
    "LoadedContract",
    "gas_used_of",
    "invoke",
    "load",
]
