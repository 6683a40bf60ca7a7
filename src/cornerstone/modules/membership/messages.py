"""Messages of the membership module: operations members send directly, and the actions only a
governance proposal carries out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from cornerstone.crypto import PublicKey, Suite
from cornerstone.identity.roles import Role

ORG_ID_RE: Final = re.compile(r"[a-z][a-z0-9-]{0,31}")
NODE_ID_RE: Final = re.compile(r"[0-9a-f]{40}")
MAX_NAME: Final = 128
MAX_REASON: Final = 256
MAX_NODES: Final = 16
MAX_CERTIFICATE: Final = 4096
VALIDATOR_KEY_SIZE: Final = 32
ROLES: Final = tuple(role.value for role in Role)


def check_org_id(org: str) -> None:
    if not ORG_ID_RE.fullmatch(org):
        raise ValueError(
            f"{org!r} is not an organization id (1-32 of a-z, 0-9 and '-', starting with a letter)"
        )


def check_name(name: str) -> None:
    if not 0 < len(name) <= MAX_NAME:
        raise ValueError(f"a name is 1 to {MAX_NAME} characters")


def check_nodes(nodes: tuple[str, ...]) -> None:
    if len(nodes) > MAX_NODES:
        raise ValueError(f"an organization lists at most {MAX_NODES} nodes")
    for node in nodes:
        if not NODE_ID_RE.fullmatch(node):
            raise ValueError(f"{node!r} is not a node id (40 lowercase hexadecimal characters)")
    if len(set(nodes)) != len(nodes):
        raise ValueError("a node is listed twice")


def member_key_of(public_key: bytes, suite: str) -> PublicKey:
    """The key named by a message's `public_key` and `suite`, or ValueError."""
    try:
        return PublicKey(public_key, Suite(suite))
    except ValueError as exc:
        raise ValueError(f"the public key: {exc}") from None


# ---------------------------------------------------------------------------- operations
@dataclass(frozen=True, slots=True)
class RegisterMember:
    """An admin registers a key to act for its organization with a role."""

    org: str
    """The organization (the sender must be one of its admins)."""
    public_key: bytes
    """The member's public key."""
    role: str
    """admin, client, validator or auditor."""
    name: str
    """A label for people."""
    suite: str = Suite.ED25519.value
    """The key's signature suite."""

    def __post_init__(self) -> None:
        check_org_id(self.org)
        member_key_of(self.public_key, self.suite)
        if self.role not in ROLES:
            raise ValueError(f"{self.role!r} is not a role ({', '.join(ROLES)})")
        check_name(self.name)


@dataclass(frozen=True, slots=True)
class RemoveMember:
    """An admin removes a registered key of its organization."""

    org: str
    public_key: bytes
    suite: str = Suite.ED25519.value

    def __post_init__(self) -> None:
        check_org_id(self.org)
        member_key_of(self.public_key, self.suite)


# ---------------------------------------------------------------------------- governance actions
@dataclass(frozen=True, slots=True)
class AddOrganization:
    """Admit an organization with its root certificate, nodes and validators."""

    id: str
    name: str
    root_certificate: bytes
    """DER of the organization's root CA certificate; its subject O must be `id`."""
    nodes: tuple[str, ...] = ()
    """CometBFT node ids its peers admit."""
    validators: tuple[bytes, ...] = ()
    """CometBFT Ed25519 validator keys of its nodes, each given `power`."""
    power: int = 10
    """Voting power of each of `validators`."""

    def __post_init__(self) -> None:
        check_org_id(self.id)
        check_name(self.name)
        if not 0 < len(self.root_certificate) <= MAX_CERTIFICATE:
            raise ValueError(f"a root certificate is 1 to {MAX_CERTIFICATE} bytes of DER")
        check_nodes(self.nodes)
        for key in self.validators:
            if len(key) != VALIDATOR_KEY_SIZE:
                raise ValueError("a validator key is a 32-byte Ed25519 key")
        if len(set(self.validators)) != len(self.validators):
            raise ValueError("a validator key is listed twice")
        if not 0 < self.power <= 1_000_000:
            raise ValueError("power is 1 to 1000000")


@dataclass(frozen=True, slots=True)
class RemoveOrganization:
    """Remove an organization: its members are refused and its validators stop counting."""

    id: str

    def __post_init__(self) -> None:
        check_org_id(self.id)


@dataclass(frozen=True, slots=True)
class RotateRoot:
    """Replace an organization's root certificate (certificates under the old one stop
    working)."""

    org: str
    root_certificate: bytes

    def __post_init__(self) -> None:
        check_org_id(self.org)
        if not 0 < len(self.root_certificate) <= MAX_CERTIFICATE:
            raise ValueError(f"a root certificate is 1 to {MAX_CERTIFICATE} bytes of DER")


@dataclass(frozen=True, slots=True)
class RevokeCertificate:
    """Revoke a member certificate of an organization, by serial number."""

    org: str
    serial: int
    reason: str = "unspecified"

    def __post_init__(self) -> None:
        check_org_id(self.org)
        if not 0 < self.serial < 1 << 159:
            raise ValueError("a serial number is a positive integer of at most 20 bytes")
        if len(self.reason) > MAX_REASON:
            raise ValueError(f"a reason is at most {MAX_REASON} characters")


@dataclass(frozen=True, slots=True)
class SetValidator:
    """Add, re-weight (power > 0) or remove (power 0) a validator of an organization."""

    org: str
    public_key: bytes
    power: int

    def __post_init__(self) -> None:
        check_org_id(self.org)
        if len(self.public_key) != VALIDATOR_KEY_SIZE:
            raise ValueError("a validator key is a 32-byte Ed25519 key")
        if not 0 <= self.power <= 1_000_000:
            raise ValueError("power is 0 (remove) to 1000000")


@dataclass(frozen=True, slots=True)
class SetNodes:
    """Replace the list of an organization's node ids that peers admit."""

    org: str
    nodes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        check_org_id(self.org)
        check_nodes(self.nodes)
