"""The runtime API module, `cornerstone_contract`, as contract code sees it.

    from cornerstone_contract import export, query, Map, context, emit, require, call, has_role
    from cornerstone_contract import Decimal, sha256

    balances = Map("balances", key=str, value=int)    # module level only

    @export
    def pay(to: str, amount: int) -> None:
        require(amount > 0, "the amount must be positive")
        mine = balances.get(context.org, 0)
        require(mine >= amount, "not enough funds")
        balances[context.org] = mine - amount
        balances[to] = balances.get(to, 0) + amount
        emit("paid", by=context.org, to=to, amount=amount)

Map methods: get(key, default=None), set(key, value), delete(key), has(key), and
range(start=None, stop=None, limit=100) -> [(key, value), ...] in key order; `m[key]` (KeyError
when absent), `m[key] = value`, `del m[key]` (no error when absent) and `key in m` also work.
Values are checked against the map's value type and must be canonical values (int, str, bytes,
bool, None, lists and dicts with str keys); a tuple is stored as a list.

context fields: sender (the signer's identity id, bytes), org, role, height, time (block time,
ns), tx_hash, contract (this contract's name), caller (the calling contract, or None).

emit(event, **attributes) records `contract.<contract>.<event>` with each attribute formatted
(int and Decimal as digits, bool as true/false, bytes as hex). require(condition, message)
refuses the transaction. call(contract, function, **args) runs another contract's function
within the same transaction and gas, and returns a copy of its result. has_role(org, role)
asks the host whether the sender acts for `org` with `role`. Decimal(text_or_int) makes an
exact decimal (34 significant digits); sha256(data) hashes bytes.

Each object here belongs to one loaded contract and reads its running call through `owner`
(the `LoadedContract`), so the module-level objects carry no state of their own between calls.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from cornerstone import encoding
from cornerstone.contracts import limits, storage
from cornerstone.contracts.checker import MapSpec
from cornerstone.contracts.language import GAS
from cornerstone.contracts.meter import Aborted, LimitExceeded, OutOfGas, ReadOnlyViolation
from cornerstone.contracts.operations import make_decimal, type_name

if TYPE_CHECKING:
    from cornerstone.contracts.runtime import LoadedContract

EVENT_NAME: Final = re.compile(r"[a-z][a-z0-9_]{0,63}")
READ_BASE: Final = limits.READ_BASE
READ_BYTE: Final = limits.READ_BYTE
WRITE_BASE: Final = limits.WRITE_BASE
WRITE_BYTE: Final = limits.WRITE_BYTE
MapKey = str | int | bytes
KEY_CACHE: Final = 1024


class ContractMap:
    """A typed map in the contract's state (see the module docstring)."""

    __slots__ = ("_end", "_key_type", "_keys", "_owner", "_prefix", "_spec", "_value_type")

    def __init__(self, owner: LoadedContract, spec: MapSpec) -> None:
        self._owner = owner
        self._spec = spec
        self._prefix = storage.map_prefix(spec.name)
        self._end = storage.prefix_end(self._prefix)
        self._key_type: type[Any] = {"str": str, "int": int, "bytes": bytes}[spec.key]
        self._value_type = spec.value
        self._keys: dict[Any, bytes] = {}
        """Encoded keys already seen (keys repeat across calls; at most KEY_CACHE of them)."""

    def __repr__(self) -> str:
        return f"Map({self._spec.name!r})"

    # ------------------------------------------------------------------ keys and values
    def _key(self, key: Any) -> bytes:
        if type(key) is not self._key_type:
            raise TypeError(
                f"the keys of map '{self._spec.name}' are {self._spec.key}, not {type_name(key)}"
            )
        raw = self._keys.get(key)
        if raw is None:
            if self._key_type is not int and len(key) > limits.MAX_KEY_BYTES:
                raise LimitExceeded(f"a map key is longer than {limits.MAX_KEY_BYTES} bytes")
            raw = self._prefix + storage.encode_key(self._spec.key, key)
            if len(raw) > limits.MAX_KEY_BYTES:
                raise LimitExceeded(f"a map key is longer than {limits.MAX_KEY_BYTES} bytes")
            if len(self._keys) < KEY_CACHE:
                self._keys[key] = raw
        return raw

    def _encode(self, value: Any) -> bytes:
        expected = self._value_type
        kind = type(value)
        if expected is None:
            self._owner.check_storable(value)
            raw = encoding.encode(value)
        elif expected == "int":
            if kind is not int:
                raise self._wrong_value(value)
            raw = encoding.encode_int(value)
        elif expected == "Decimal":
            if kind is not Decimal:
                raise self._wrong_value(value)
            raw = encoding.encode(str(value))
        elif kind.__name__ != expected and not (expected == "list" and kind is tuple):
            raise self._wrong_value(value)
        else:
            if kind in (list, tuple, dict):
                self._owner.check_storable(value)
            raw = encoding.encode(value)
        if len(raw) > limits.MAX_VALUE_BYTES:
            raise LimitExceeded(f"a map value is larger than {limits.MAX_VALUE_BYTES} bytes")
        return raw

    def _decode(self, raw: bytes) -> Any:
        if self._value_type == "int":
            return encoding.decode_int(raw)
        if self._value_type == "Decimal":
            text = encoding.decode(raw)
            assert isinstance(text, str)
            return Decimal(text)
        return encoding.decode(raw)

    def _wrong_value(self, value: Any) -> TypeError:
        return TypeError(
            f"the values of map '{self._spec.name}' are {self._value_type}, not {type_name(value)}"
        )

    # ------------------------------------------------------------------ the API
    def _read(self, key: Any) -> bytes | None:
        """The stored bytes of a key, charged (the owner's read, inlined: the hot path)."""
        raw_key = self._keys.get(key) if type(key) is self._key_type else None
        if raw_key is None:
            raw_key = self._key(key)
        running = self._owner.running()
        buffer = running.buffer
        writes = buffer.writes
        raw = writes[raw_key] if raw_key in writes else buffer.storage.get(raw_key)
        namespace = self._owner.namespace
        left = namespace[GAS] - (
            READ_BASE + READ_BYTE * (len(raw_key) + (len(raw) if raw is not None else 0))
        )
        namespace[GAS] = left
        if left < 0:
            raise OutOfGas()
        return raw

    def get(self, key: Any, default: Any = None) -> Any:
        raw = self._read(key)
        if raw is None:
            return default
        if self._value_type == "int":
            return encoding.decode_int(raw)
        return self._decode(raw)

    def _lookup(self, key: Any) -> Any:
        """`m[key]`: KeyError when absent."""
        raw = self._read(key)
        if raw is None:
            raise KeyError(key)
        if self._value_type == "int":
            return encoding.decode_int(raw)
        return self._decode(raw)

    def has(self, key: Any) -> bool:
        return self._read(key) is not None

    def set(self, key: Any, value: Any) -> None:
        raw_key = self._keys.get(key) if type(key) is self._key_type else None
        if raw_key is None:
            raw_key = self._key(key)
        if self._value_type == "int" and type(value) is int:
            raw = encoding.encode_int(value)
        else:
            raw = self._encode(value)
        running = self._owner.running()
        if running.read_only:
            raise ReadOnlyViolation("write state")
        namespace = self._owner.namespace
        left = namespace[GAS] - (WRITE_BASE + WRITE_BYTE * (len(raw_key) + len(raw)))
        namespace[GAS] = left
        if left < 0:
            raise OutOfGas()
        running.buffer.writes[raw_key] = raw

    def _store(self, value: Any, key: Any) -> None:
        """`m[key] = value`, the value evaluated first as Python does."""
        self.set(key, value)

    def delete(self, key: Any) -> None:
        self._owner.remove(self._key(key))

    def range(self, start: Any = None, stop: Any = None, limit: int = 100) -> list[tuple[Any, Any]]:
        if type(limit) is not int or not 0 < limit <= limits.MAX_RANGE:
            raise ValueError(f"range() returns 1 to {limits.MAX_RANGE} pairs (limit=)")
        low = self._prefix if start is None else self._key(start)
        high = self._end if stop is None else self._key(stop)
        skip = len(self._prefix)
        pairs = []
        for raw_key, raw_value in self._owner.scan(low, high, limit):
            key = storage.decode_key(self._spec.key, raw_key[skip:])
            pairs.append((key, self._decode(raw_value)))
        return pairs


class ContextView:
    """`context`: the fields of the running call's transaction context."""

    __slots__ = ("_owner",)

    def __init__(self, owner: LoadedContract) -> None:
        self._owner = owner

    @property
    def sender(self) -> bytes:
        return self._owner.running().context.sender

    @property
    def org(self) -> str:
        return self._owner.running().context.org

    @property
    def role(self) -> str:
        return self._owner.running().context.role

    @property
    def height(self) -> int:
        return self._owner.running().context.height

    @property
    def time(self) -> int:
        return self._owner.running().context.time

    @property
    def tx_hash(self) -> bytes:
        return self._owner.running().context.tx_hash

    @property
    def contract(self) -> str:
        return self._owner.name

    @property
    def caller(self) -> str | None:
        return self._owner.running().caller


def make_api(owner: LoadedContract) -> dict[str, Any]:
    """The API names, bound to one loaded contract."""
    charge = owner.meter.charge

    def emit(event: Any, /, **attributes: Any) -> None:
        if type(event) is not str or not EVENT_NAME.fullmatch(event):
            raise ValueError(f"an event name matches {EVENT_NAME.pattern}")
        pairs = tuple((name, _attribute_text(value)) for name, value in attributes.items())
        size = len(event) + sum(len(n) + len(v.encode("utf-8")) for n, v in pairs)
        if size > limits.MAX_EVENT_BYTES:
            raise LimitExceeded(f"an event is larger than {limits.MAX_EVENT_BYTES} bytes")
        charge(limits.EVENT_BASE + limits.EVENT_BYTE * size)
        owner.record_event(event, pairs)

    def require(condition: Any, message: Any = "a requirement of the contract is not met") -> None:
        if condition:
            return
        if type(message) is not str:
            raise TypeError("require() takes a str message")
        raise Aborted(message[: limits.MAX_MESSAGE])

    def call(contract: Any, function: Any, /, **args: Any) -> Any:
        if type(contract) is not str or type(function) is not str:
            raise TypeError("call() takes the contract's and the function's names as str")
        return owner.call_other(contract, function, args)

    def has_role(org: Any, role: Any = "admin") -> bool:
        if type(org) is not str or type(role) is not str:
            raise TypeError("has_role() takes an organization id and a role name as str")
        charge(limits.ROLE_CHECK)
        return owner.has_role(org, role)

    def decimal_(value: Any = "0") -> Decimal:
        return make_decimal(value)

    def sha256(data: Any) -> bytes:
        if type(data) is not bytes:
            raise TypeError("sha256() hashes bytes (use text.encode())")
        charge(limits.HASH_BASE + (len(data) >> 4) * limits.TEXT_CHUNK)
        return hashlib.sha256(data).digest()

    def decorator(function: Callable[..., Any]) -> Callable[..., Any]:
        return function

    return {
        "export": decorator,
        "query": decorator,
        "context": ContextView(owner),
        "emit": emit,
        "require": require,
        "call": call,
        "has_role": has_role,
        "Decimal": decimal_,
        "sha256": sha256,
    }


def _attribute_text(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is Decimal:
        return str(value)
    if kind is bytes:
        return value.hex()  # type: ignore[no-any-return]
    if value is None:
        return ""
    raise TypeError(
        f"an event attribute is a str, int, Decimal, bool, bytes or None, not {type_name(value)}"
    )
