"""Genesis of the membership module: the founding organizations and their member keys.

{"organizations": [{"id": "org1", "name": "Organization 1", "members": ["<hex key>", ...]}]}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cornerstone.errors import ConfigError
from cornerstone.module import Reader, Writer
from cornerstone.modules.membership.state import (
    Member,
    Organization,
    iter_members,
    iter_orgs,
    put_member,
    put_org,
)

ORG_ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


def validate(document: Mapping[str, Any]) -> None:
    orgs = document.get("organizations")
    if not isinstance(orgs, list) or not orgs:
        raise ConfigError(reason="genesis: membership needs a non-empty list 'organizations'")
    seen_orgs: set[str] = set()
    seen_keys: set[str] = set()
    for org in orgs:
        org_id = org.get("id") if isinstance(org, dict) else None
        if not isinstance(org_id, str) or not ORG_ID_RE.fullmatch(org_id):
            raise ConfigError(reason=f"genesis: organization id {org_id!r} is not valid")
        if org_id in seen_orgs:
            raise ConfigError(reason=f"genesis: organization {org_id} is listed twice")
        seen_orgs.add(org_id)
        if not isinstance(org.get("name"), str):
            raise ConfigError(reason=f"genesis: organization {org_id} has no name")
        for key in org.get("members", []):
            if not isinstance(key, str) or not re.fullmatch(r"[0-9a-f]{64}", key):
                raise ConfigError(reason=f"genesis: member key {key!r} of {org_id} is not hex")
            if key in seen_keys:
                raise ConfigError(reason=f"genesis: member key {key} is listed twice")
            seen_keys.add(key)


def init(state: Writer, document: Mapping[str, Any]) -> None:
    for org in document["organizations"]:
        put_org(state, Organization(id=org["id"], name=org["name"]))
        for key in org.get("members", []):
            put_member(state, Member(public_key=bytes.fromhex(key), org=org["id"]))


def export(state: Reader) -> Mapping[str, Any]:
    members: dict[str, list[str]] = {}
    for member in iter_members(state):
        members.setdefault(member.org, []).append(member.public_key.hex())
    return {
        "organizations": [
            {"id": org.id, "name": org.name, "members": members.get(org.id, [])}
            for org in iter_orgs(state)
        ]
    }
