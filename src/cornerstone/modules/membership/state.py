"""The only code that reads and writes the membership module's keys."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

from cornerstone import encoding
from cornerstone.module import Reader, Writer
from cornerstone.modules.membership.keys import MEMBER_PREFIX, ORG_PREFIX, member_key, org_key


@dataclass(frozen=True, slots=True)
class Organization:
    """A member organization of the consortium."""

    id: str
    """Short stable identifier, e.g. "org1"."""
    name: str
    """Name for people."""


@dataclass(frozen=True, slots=True)
class Member:
    """A key allowed to send transactions on behalf of an organization."""

    public_key: bytes
    """The member's Ed25519 public key."""
    org: str
    """The organization it belongs to."""


def get_org(state: Reader, org_id: str) -> Organization | None:
    raw = state.get(org_key(org_id))
    if raw is None:
        return None
    record = encoding.decode(raw)
    assert isinstance(record, dict)
    return Organization(id=org_id, name=str(record["name"]))


def put_org(state: Writer, org: Organization) -> None:
    state.set(org_key(org.id), encoding.encode({"name": org.name}))


def iter_orgs(state: Reader) -> Iterator[Organization]:
    for key, raw in state.iterate(ORG_PREFIX):
        record = encoding.decode(raw)
        assert isinstance(record, dict)
        yield Organization(id=key[len(ORG_PREFIX) :].decode("ascii"), name=str(record["name"]))


def get_member(state: Reader, public_key: bytes) -> Member | None:
    raw = state.get(member_key(public_key))
    if raw is None:
        return None
    return Member(public_key=public_key, org=_member_org(raw))


@functools.lru_cache(maxsize=4096)
def _member_org(raw: bytes) -> str:
    # Read for every transaction in every phase; a pure function of the record's bytes.
    record = encoding.decode(raw)
    assert isinstance(record, dict)
    return str(record["org"])


def put_member(state: Writer, member: Member) -> None:
    state.set(member_key(member.public_key), encoding.encode({"org": member.org}))


def iter_members(state: Reader) -> Iterator[Member]:
    for key, raw in state.iterate(MEMBER_PREFIX):
        record = encoding.decode(raw)
        assert isinstance(record, dict)
        yield Member(public_key=key[len(MEMBER_PREFIX) :], org=str(record["org"]))
