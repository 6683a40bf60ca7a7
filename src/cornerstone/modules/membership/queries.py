"""Read-only queries of the membership module."""

from __future__ import annotations

from dataclasses import dataclass

from cornerstone import encoding
from cornerstone.module import Reader
from cornerstone.modules.membership.state import get_member, iter_members, iter_orgs


@dataclass(frozen=True, slots=True)
class Organizations:
    """Every organization, with its members."""


def organizations(state: Reader, _query: Organizations) -> encoding.Value:
    members: dict[str, list[encoding.Value]] = {}
    for member in iter_members(state):
        members.setdefault(member.org, []).append(member.public_key.hex())
    return [
        {"id": org.id, "name": org.name, "members": members.get(org.id, [])}
        for org in iter_orgs(state)
    ]


@dataclass(frozen=True, slots=True)
class MemberOf:
    """The organization a public key belongs to."""

    public_key: bytes


def member(state: Reader, query: MemberOf) -> encoding.Value:
    found = get_member(state, query.public_key)
    return None if found is None else {"public_key": found.public_key, "org": found.org}
