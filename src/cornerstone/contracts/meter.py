"""The gas meter of a running contract, and the runtime's own stops.

The gas left lives in the `_gas` global of the running contract's namespace: instrumented code
decrements it with no call (see `instrument` for the measurements), and the `Meter` is the
host's view of the same number, so built-ins and the state API charge the very counter the
statements do.

The stops derive from `Stop`, never from an exception a contract may catch (KeyError,
IndexError, ValueError, ZeroDivisionError), so no `except` clause in contract code can swallow
one; the runtime turns each into a ContractError at the call's boundary.
"""

from __future__ import annotations

from typing import Any

from cornerstone.contracts.language import GAS


class Stop(Exception):
    """A stop of the runtime; contract code never catches one."""


class OutOfGas(Stop):
    """The call's gas ran out."""


class LimitExceeded(Stop):
    """A cap was passed (integer bits, text, items, nesting, depth, events...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Aborted(Stop):
    """require() refused the call."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReadOnlyViolation(Stop):
    """A query (or a call made from one) tried to change something."""

    def __init__(self, action: str) -> None:
        super().__init__(action)
        self.action = action


class Meter:
    """Charges gas against the `_gas` counter of one contract's namespace."""

    __slots__ = ("namespace",)

    def __init__(self, namespace: dict[str, Any]) -> None:
        self.namespace = namespace

    @property
    def left(self) -> int:
        left: int = self.namespace[GAS]
        return left

    def charge(self, amount: int) -> None:
        """Take `amount` gas; OutOfGas when the counter goes (or already was) below zero."""
        namespace = self.namespace
        left: int = namespace[GAS] - amount
        namespace[GAS] = left
        if left < 0:
            raise OutOfGas()
