"""The roles a member certificate grants, named in its subject's OU."""

from __future__ import annotations

import enum
from collections.abc import Iterable

from cornerstone.identity.errors import RoleNotAllowedError


class Role(enum.StrEnum):
    ADMIN = "admin"
    """Acts for the organization: governance votes, membership changes."""
    CLIENT = "client"
    """Sends the organization's business transactions."""
    VALIDATOR = "validator"
    """Runs a consensus node of the organization."""
    AUDITOR = "auditor"
    """Reads and verifies; sends no business transactions."""


def require_role(role: Role, *, operation: str, allowed: Iterable[Role]) -> None:
    """Raise RoleNotAllowedError unless `role` is one of `allowed`."""
    if role in allowed:  # the common case, checked for every transaction
        return
    permitted = sorted(set(allowed))  # sorted: the same message on every node
    if role not in permitted:
        raise RoleNotAllowedError(
            role=role.value, operation=operation, allowed=", ".join(permitted) or "none"
        )
