"""When a grant covers a release: the one rule the release handler enforces and the invariants
re-check on every receipt, so the two cannot drift apart."""

from __future__ import annotations

from typing import Protocol

from cornerstone.module import Reader
from cornerstone.modules.datashare.messages import CREDENTIAL, MEMBER, ORG
from cornerstone.modules.datashare.state import GrantRecord


class CredentialHolders(Protocol):
    """What grants to credential holders will need from the did module: whether `identity`
    holds a valid (issued by a trusted issuer, unrevoked, in its validity window) credential
    of `credential_type` at `time`. Not wired yet: such grants are refused when made
    (CredentialGrantsNotYetError), and `covers` says why when it meets one."""

    def holds(self, state: Reader, identity: bytes, credential_type: str, time: int) -> bool: ...


def covers(
    grant: GrantRecord,
    *,
    recipient: bytes,
    org: str,
    purpose: str,
    height: int,
    time: int,
) -> str | None:
    """None when `grant` covers a release to `recipient` (of `org`) for `purpose` at `height`
    and block `time`; otherwise why not, in words."""
    if grant.revoked_at and grant.revoked_at <= height:
        return f"grant {grant.number} was revoked at height {grant.revoked_at}"
    if grant.height > height:
        return f"grant {grant.number} was made after height {height}"
    if grant.expires_height and height > grant.expires_height:
        return f"grant {grant.number} expired after height {grant.expires_height}"
    if grant.expires_time and time >= grant.expires_time:
        return f"grant {grant.number} expired at block time {grant.expires_time}"
    if grant.purpose != purpose:
        return f"grant {grant.number} is for the purpose {grant.purpose!r}"
    if grant.kind == ORG and grant.grantee != org:
        return f"grant {grant.number} is for organization {grant.grantee}"
    if grant.kind == MEMBER and grant.grantee != recipient.hex():
        return f"grant {grant.number} is for member {grant.grantee}"
    if grant.kind == CREDENTIAL:
        return f"grant {grant.number} is for credential holders, which are not supported yet"
    return None
