"""Messages of the contracts module: the lifecycle actions governance executes, and `call`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from cornerstone.contracts import limits
from cornerstone.contracts.runtime import CONTRACT_NAME
from cornerstone.policy import parse_policy

VERSION: Final = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_-]{0,31}")
"""A version is free text people choose ("1.0.0", "2026-03"), short and printable."""
FUNCTION: Final = re.compile(r"[a-z][a-z0-9_]{0,63}")
"""Contract function names never start with "_" (the checker refuses them)."""
MAX_REASON: Final = 256


def check_name(name: str) -> None:
    if not CONTRACT_NAME.fullmatch(name):
        raise ValueError(f"a contract name matches {CONTRACT_NAME.pattern}, not {name!r}")


def _check_version(version: str) -> None:
    if not VERSION.fullmatch(version):
        raise ValueError(f"a version matches {VERSION.pattern}, not {version!r}")


def _check_source(source: str) -> None:
    if not source.strip():
        raise ValueError("the source is empty")
    if len(source.encode("utf-8", "surrogatepass")) > limits.MAX_SOURCE_BYTES:
        raise ValueError(f"the source is larger than {limits.MAX_SOURCE_BYTES} bytes")


def _check_policies(policies: Mapping[str, Mapping[str, object]]) -> None:
    for function, value in policies.items():
        if not FUNCTION.fullmatch(function):
            raise ValueError(f"{function!r} is not a function name")
        try:
            parse_policy(value)
        except ValueError as exc:
            raise ValueError(f"the policy for {function}: {exc}") from None


def _check_reason(reason: str) -> None:
    if len(reason) > MAX_REASON:
        raise ValueError(f"a reason is at most {MAX_REASON} characters")


@dataclass(frozen=True, slots=True)
class Install:
    """Install a contract under a new name (an action of a governance proposal)."""

    name: str
    """Its name on chain: calls, events ("contract.<name>.<event>") and its state use it."""
    version: str
    """The version people know it by."""
    source: str
    """The Python source, checked by the contract language's rules."""
    policies: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    """Exported function -> the policy its callers must meet, beyond `contracts.call`'s."""
    org: str = ""
    """The organization that maintains it; empty: the organization whose transaction put
    the install in force."""

    def __post_init__(self) -> None:
        check_name(self.name)
        _check_version(self.version)
        _check_source(self.source)
        _check_policies(self.policies)


@dataclass(frozen=True, slots=True)
class Upgrade:
    """Replace a contract's code, keeping its state; optionally migrate that state once."""

    name: str
    version: str
    """The new version; it differs from the installed one."""
    source: str
    """The new source."""
    migration: str = ""
    """An exported function of the new source run once, in the upgrade's own transaction
    (its failure fails the upgrade); never callable afterwards."""
    policies: Mapping[str, Mapping[str, object]] | None = None
    """New call policies; None keeps the installed ones."""

    def __post_init__(self) -> None:
        check_name(self.name)
        _check_version(self.version)
        _check_source(self.source)
        if self.migration and not FUNCTION.fullmatch(self.migration):
            raise ValueError(f"{self.migration!r} is not a function name")
        if self.policies is not None:
            _check_policies(self.policies)


@dataclass(frozen=True, slots=True)
class Freeze:
    """Stop a contract from being called, keeping its state, until it is unfrozen."""

    name: str
    reason: str = ""

    def __post_init__(self) -> None:
        check_name(self.name)
        _check_reason(self.reason)


@dataclass(frozen=True, slots=True)
class Unfreeze:
    """Let a frozen contract be called again."""

    name: str

    def __post_init__(self) -> None:
        check_name(self.name)


@dataclass(frozen=True, slots=True)
class Revoke:
    """Retire a contract for good: it refuses calls forever and its name is never reused."""

    name: str
    reason: str = ""

    def __post_init__(self) -> None:
        check_name(self.name)
        _check_reason(self.reason)


@dataclass(frozen=True, slots=True)
class Call:
    """Run an exported function of an active contract as this transaction."""

    contract: str
    function: str
    args: Mapping[str, object] = field(default_factory=dict)
    """The function's arguments by parameter name, as canonical values."""

    def __post_init__(self) -> None:
        check_name(self.contract)
        if not FUNCTION.fullmatch(self.function):
            raise ValueError(f"{self.function!r} is not a function name")
