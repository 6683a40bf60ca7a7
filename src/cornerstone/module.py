"""The one shape every module has: operations (message + handler + the policy that guards it),
read-only queries, genesis, named invariants, and an optional end-of-block step. Execution knows
modules only through this shape."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from cornerstone import encoding
from cornerstone.crypto import PublicKey
from cornerstone.identity.roles import Role
from cornerstone.policy import Policy
from cornerstone.types import Height, Timestamp


class Reader(Protocol):
    """Read-only state: what queries, invariants and genesis export get."""

    def get(self, key: bytes) -> bytes | None: ...

    def iterate(
        self, prefix: bytes, start: bytes | None = None
    ) -> Iterator[tuple[bytes, bytes]]: ...


class Writer(Reader, Protocol):
    """State a handler may change (a `cornerstone.state.State` in execution)."""

    def set(self, key: bytes, value: bytes) -> None: ...

    def delete(self, key: bytes) -> None: ...

    def begin_transaction(self) -> None:
        """Open a nested transaction (e.g. a governance action inside a vote)."""

    def commit_transaction(self) -> None: ...

    def rollback_transaction(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Identity:
    """A transaction's sender, as membership resolved it."""

    id: bytes
    """Its identity on chain: the fingerprint of its key (nonces and ownership use it)."""
    public_key: PublicKey
    """The key that signed."""
    org: str
    """The organization it acts for."""
    role: Role
    """Its role in that organization."""
    certificate_serial: int | None
    """The serial of the certificate it sent with, or None for a key registered on chain."""


@dataclass(frozen=True, slots=True)
class Context:
    """What a handler knows about the transaction it runs for."""

    chain_id: str
    """The chain's id."""
    height: Height
    """The height of the block being executed."""
    time: Timestamp
    """The block's time (never the wall clock)."""
    sender: Identity
    """Who signed the transaction."""
    tx_hash: bytes
    """sha256 of the transaction's bytes."""


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened, for clients to index and subscribe to."""

    type: str
    """`<module>.<what>`, e.g. "notary.anchored"."""
    attributes: tuple[tuple[str, str], ...]
    """Name and value pairs, in the order the module gives them."""


Events = Sequence[Event]


@dataclass(frozen=True, slots=True)
class Operation:
    """One kind of transaction a module accepts."""

    message: type[Any]
    """A frozen dataclass; its fields are the operation's arguments."""
    handler: Callable[[Writer, Context, Any], Events]
    """Changes state for one message, or raises a TransactionError."""
    policy: Policy
    """Who may send it, unless governance set another policy for its resource
    ("<module>.<operation>")."""
    subject: Callable[[Any], str] | None = None
    """The organization a message concerns, for policies over "self" (e.g. the organization
    whose member is registered)."""


@dataclass(frozen=True, slots=True)
class Action:
    """A change only a governance proposal makes, when the policy of its resource
    ("<module>.<action>") is met by the organizations' votes."""

    message: type[Any]
    """A frozen dataclass; its fields are the action's arguments."""
    execute: Callable[[Writer, Context, Any], Events]
    """Changes state, or raises a TransactionError (the proposal then fails, undone)."""
    policy: Policy
    """Who must approve, unless governance set another policy for the resource."""
    subject: Callable[[Any], str] | None = None
    """The organization the action concerns, for policies over "self"."""


@dataclass(frozen=True, slots=True)
class Query:
    """A read-only question a module answers."""

    request: type[Any]
    """A frozen dataclass of the query's parameters."""
    handler: Callable[[Reader, Any], encoding.Value]
    """Reads state and returns a canonical value."""


@dataclass(frozen=True, slots=True)
class Genesis:
    """How a module's part of the genesis document becomes state, and back."""

    validate: Callable[[Mapping[str, Any]], None]
    """Raises ConfigError with a sentence when the document is wrong."""
    init: Callable[[Writer, Mapping[str, Any]], None]
    """Writes the initial state."""
    export: Callable[[Reader], Mapping[str, Any]]
    """The genesis document that recreates the current state."""


@dataclass(frozen=True, slots=True)
class Module:
    """A native module."""

    name: str
    operations: Mapping[str, Operation]
    queries: Mapping[str, Query]
    genesis: Genesis
    invariants: Mapping[str, Callable[[Reader], None]]
    """Named checks the tests run after every block; each raises AssertionError when broken."""
    actions: Mapping[str, Action] = dataclasses.field(default_factory=dict)
    """Changes made only through governance proposals."""
    end_block: Callable[[Writer, Height, Timestamp], Events] | None = None
    """Work due at the end of every block (e.g. closing expired proposals)."""
    changes_checks: bool = False
    """Its operations may write what the checks of other transactions read: membership,
    policies, chain parameters (see `check_transaction`). No other module's may; PrepareProposal
    relies on it to choose a block by checking alone when none of these is in it."""


# ---------------------------------------------------------------------------- messages
def parse_message(cls: type[Any], args: Mapping[str, encoding.Value]) -> Any:
    """Build the message dataclass `cls` from decoded arguments, checking every field's type.

    Raises ValueError with a sentence naming the field; execution turns it into a code.
    """
    names, plan = _message_plan(cls)
    if not names.issuperset(args):
        unknown = sorted(set(args) - names)
        raise ValueError(f"unknown argument {unknown[0]!r}")
    values: dict[str, Any] = {}
    for name, check, required in plan:
        if name not in args:
            if required:
                raise ValueError(f"the argument {name!r} is missing")
            continue
        values[name] = check(name, args[name])
    return cls(**values)


Checker = Callable[[str, Any], Any]
"""Checks one argument's value against a field's type: the value, or ValueError naming it."""
_Plan = tuple[frozenset[str], tuple[tuple[str, Checker, bool], ...]]
_plans: dict[type[Any], _Plan] = {}
_checkers: dict[Any, Checker] = {}


def _message_plan(cls: type[Any]) -> _Plan:
    """A message class's field names and, per field in order, its checker and whether it is
    required. Resolving type hints and walking them is slow and classes are fixed, so each
    class and each type is worked out once (CheckTx parses every transaction's arguments)."""
    plan = _plans.get(cls)
    if plan is None:
        hints = typing.get_type_hints(cls)
        fields = dataclasses.fields(cls)
        plan = (
            frozenset(f.name for f in fields),
            tuple(
                (
                    f.name,
                    _checker(hints[f.name]),
                    f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
                )
                for f in fields
            ),
        )
        _plans[cls] = plan
    return plan


def _checker(hint: Any) -> Checker:
    try:
        found = _checkers.get(hint)
    except TypeError:  # an unhashable hint: checked without remembering
        return _compile(hint)
    if found is None:
        found = _checkers[hint] = _compile(hint)
    return found


def _compile(hint: Any) -> Checker:
    """The checker of one type, as `parse_message` documents it."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = tuple(_checker(option) for option in typing.get_args(hint))

        def union(name: str, value: Any) -> Any:
            for option in options:
                try:
                    return option(name, value)
                except ValueError:
                    continue
            raise ValueError(f"the argument {name!r} has the wrong type")

        return union
    if hint is object:  # any canonical value, e.g. a proposal's action arguments
        return _anything
    if hint is type(None):
        return _nothing
    if hint in (bytes, str, bool, int):
        expected = hint
        wanted = "an integer" if hint is int else hint.__name__

        def exact(name: str, value: Any) -> Any:
            if type(value) is not expected:
                raise ValueError(f"the argument {name!r} must be {wanted}")
            return value

        return exact
    if (origin in (Mapping, dict) or hint is Mapping) and len(typing.get_args(hint)) == 2:
        key_type, value_type = typing.get_args(hint)
        check_key, check_value = _checker(key_type), _checker(value_type)

        def mapping(name: str, value: Any) -> Any:
            if not isinstance(value, dict):
                raise ValueError(f"the argument {name!r} must be a map")
            return {check_key(name, k): check_value(f"{name}.{k}", v) for k, v in value.items()}

        return mapping
    if origin is tuple and len(typing.get_args(hint)) == 2:
        check_item = _checker(typing.get_args(hint)[0])

        def sequence(name: str, value: Any) -> Any:
            if not isinstance(value, list):
                raise ValueError(f"the argument {name!r} must be a list")
            return tuple(check_item(f"{name}[]", v) for v in value)

        return sequence

    def unsupported(name: str, value: Any) -> Any:
        raise TypeError(f"message field type {hint!r} is not supported")

    return unsupported


def _anything(name: str, value: Any) -> Any:
    return value


def _nothing(name: str, value: Any) -> Any:
    if value is not None:
        raise ValueError(f"the argument {name!r} must be empty")
    return None
