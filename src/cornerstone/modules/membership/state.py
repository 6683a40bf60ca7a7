"""The only code that reads and writes the membership module's keys."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from cornerstone import encoding
from cornerstone.crypto import PublicKey, Suite
from cornerstone.identity.roles import Role
from cornerstone.module import Reader, Writer
from cornerstone.modules.membership.keys import (
    MEMBER_PREFIX,
    ORG_PREFIX,
    SERIAL_SIZE,
    UPDATE_PREFIX,
    VALIDATOR_PREFIX,
    member_key,
    org_key,
    revoked_key,
    revoked_prefix,
    update_key,
    validator_key,
)
from cornerstone.types import Height

ACTIVE: Final = "active"
REMOVED: Final = "removed"


@dataclass(frozen=True, slots=True)
class Organization:
    """A member organization of the consortium."""

    id: str
    """Short stable identifier, e.g. "org1"."""
    name: str
    """Name for people."""
    root: bytes
    """DER of its root CA certificate: member certificates must chain to it."""
    nodes: tuple[str, ...]
    """CometBFT node ids (hex) of its nodes, which peers admit; sorted."""
    status: str
    """ACTIVE, or REMOVED (kept, so its history still reads)."""
    since: Height
    """Height it was admitted (0: at genesis)."""
    removed_at: Height | None = None
    """Height it was removed, if it was."""

    @property
    def active(self) -> bool:
        return self.status == ACTIVE


@dataclass(frozen=True, slots=True)
class Member:
    """A key an organization's admin registered on chain to act for it."""

    public_key: PublicKey
    """The member's key."""
    org: str
    """The organization it acts for."""
    role: Role
    """Its role there."""
    name: str
    """A label for people, e.g. "billing-service"."""

    @property
    def id(self) -> bytes:
        return self.public_key.fingerprint


@dataclass(frozen=True, slots=True)
class Revocation:
    """A member certificate its organization revoked."""

    org: str
    serial: int
    reason: str
    height: Height


@dataclass(frozen=True, slots=True)
class Validator:
    """A consensus key and the organization that runs it."""

    public_key: bytes
    """The CometBFT Ed25519 validator key."""
    org: str
    power: int


# ---------------------------------------------------------------------------- organizations
def get_org(state: Reader, org_id: str) -> Organization | None:
    raw = state.get(org_key(org_id))
    return None if raw is None else _org(org_id, raw)


@functools.lru_cache(maxsize=256)
def _org(org_id: str, raw: bytes) -> Organization:
    # Read for every transaction; a pure function of the record's bytes.
    record = encoding.decode(raw)
    assert isinstance(record, dict)
    removed_at = record.get("removed_at")
    return Organization(
        id=org_id,
        name=str(record["name"]),
        root=_bytes(record["root"]),
        nodes=tuple(str(n) for n in _list(record["nodes"])),
        status=str(record["status"]),
        since=Height(_int(record["since"])),
        removed_at=None if removed_at is None else Height(_int(removed_at)),
    )


def put_org(state: Writer, org: Organization) -> None:
    record: dict[str, encoding.Value] = {
        "name": org.name,
        "root": org.root,
        "nodes": list(org.nodes),
        "status": org.status,
        "since": org.since,
    }
    if org.removed_at is not None:
        record["removed_at"] = org.removed_at
    state.set(org_key(org.id), encoding.encode(record))


def iter_orgs(state: Reader) -> Iterator[Organization]:
    for key, raw in state.iterate(ORG_PREFIX):
        yield _org(key[len(ORG_PREFIX) :].decode("ascii"), raw)


def active_org_ids(state: Reader) -> tuple[str, ...]:
    """The ids of the member organizations now, sorted."""
    return tuple(org.id for org in iter_orgs(state) if org.active)


# ---------------------------------------------------------------------------- members
def get_member(state: Reader, identity_id: bytes) -> Member | None:
    raw = state.get(member_key(identity_id))
    return None if raw is None else _member(raw)


@functools.lru_cache(maxsize=4096)
def _member(raw: bytes) -> Member:
    record = encoding.decode(raw)
    assert isinstance(record, dict)
    return Member(
        public_key=PublicKey(_bytes(record["key"]), Suite(str(record["suite"]))),
        org=str(record["org"]),
        role=Role(str(record["role"])),
        name=str(record["name"]),
    )


def put_member(state: Writer, member: Member) -> None:
    record: dict[str, encoding.Value] = {
        "org": member.org,
        "role": member.role.value,
        "suite": member.public_key.suite.value,
        "key": member.public_key.raw,
        "name": member.name,
    }
    state.set(member_key(member.id), encoding.encode(record))


def delete_member(state: Writer, identity_id: bytes) -> None:
    state.delete(member_key(identity_id))


def iter_members(state: Reader) -> Iterator[Member]:
    for _, raw in state.iterate(MEMBER_PREFIX):
        yield _member(raw)


# ---------------------------------------------------------------------------- revocations
def is_revoked(state: Reader, org_id: str, serial: int) -> bool:
    return (
        0 <= serial < 1 << (8 * SERIAL_SIZE) and state.get(revoked_key(org_id, serial)) is not None
    )


def put_revocation(state: Writer, revocation: Revocation) -> None:
    record: dict[str, encoding.Value] = {"reason": revocation.reason, "height": revocation.height}
    state.set(revoked_key(revocation.org, revocation.serial), encoding.encode(record))


def iter_revocations(state: Reader, org_id: str) -> Iterator[Revocation]:
    prefix = revoked_prefix(org_id)
    for key, raw in state.iterate(prefix):
        record = encoding.decode(raw)
        assert isinstance(record, dict)
        yield Revocation(
            org=org_id,
            serial=int.from_bytes(key[len(prefix) :], "big"),
            reason=str(record["reason"]),
            height=Height(_int(record["height"])),
        )


# ---------------------------------------------------------------------------- validators
def get_validator(state: Reader, public_key: bytes) -> Validator | None:
    raw = state.get(validator_key(public_key))
    if raw is None:
        return None
    record = encoding.decode(raw)
    assert isinstance(record, dict)
    return Validator(public_key=public_key, org=str(record["org"]), power=_int(record["power"]))


def iter_validators(state: Reader) -> Iterator[Validator]:
    for key, raw in state.iterate(VALIDATOR_PREFIX):
        record = encoding.decode(raw)
        assert isinstance(record, dict)
        yield Validator(
            public_key=key[len(VALIDATOR_PREFIX) :],
            org=str(record["org"]),
            power=_int(record["power"]),
        )


def put_validator(state: Writer, validator: Validator, *, announce: bool = True) -> None:
    """Record `validator` (power 0 removes it) and, with `announce`, queue the change for
    CometBFT at the end of the block (genesis validators are CometBFT's own already)."""
    if validator.power == 0:
        state.delete(validator_key(validator.public_key))
    else:
        record: dict[str, encoding.Value] = {"org": validator.org, "power": validator.power}
        state.set(validator_key(validator.public_key), encoding.encode(record))
    if announce:
        state.set(update_key(validator.public_key), encoding.encode_int(validator.power))


def take_validator_updates(state: Writer) -> tuple[tuple[bytes, int], ...]:
    """The validator power changes queued in this block, by key order, and forget them."""
    updates = tuple(
        (key[len(UPDATE_PREFIX) :], encoding.decode_int(raw))
        for key, raw in state.iterate(UPDATE_PREFIX)
    )
    for public_key, _ in updates:
        state.delete(update_key(public_key))
    return updates


# ---------------------------------------------------------------------------- helpers
def _bytes(value: encoding.Value) -> bytes:
    assert isinstance(value, bytes)
    return value


def _int(value: encoding.Value) -> int:
    assert type(value) is int
    return value


def _list(value: encoding.Value) -> list[encoding.Value]:
    assert isinstance(value, list)
    return value


def node_is_member(state: Reader, node_id: str) -> bool:
    """Whether a CometBFT node id belongs to an active member organization (peer admission)."""
    return any(org.active and node_id in org.nodes for org in iter_orgs(state))
