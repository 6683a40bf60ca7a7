"""When a grant covers a release: the one rule the release handler enforces and the invariants
re-check on every receipt, so the two cannot drift apart.

A CREDENTIAL grant covers a recipient whose request proved (with a presentation the chain
verified, `cornerstone.modules.did.verify`) that it holds a credential of the grant's type, of
the grant's issuer if it names one. `covers` checks what the recorded fact says (type, issuer,
validUntil); whether the credential still stands at the release (no status bit set, issuer
active and trusted) depends on the did module's state at that height, and the release handler
checks it with `credential_standing` on top of `covers`.
"""

from __future__ import annotations

from cornerstone.modules.datashare.messages import CREDENTIAL, MEMBER, ORG
from cornerstone.modules.datashare.state import GrantRecord
from cornerstone.modules.did.verify import CredentialFact


def covers(
    grant: GrantRecord,
    *,
    recipient: bytes,
    org: str,
    purpose: str,
    height: int,
    time: int,
    credential: CredentialFact | None = None,
) -> str | None:
    """None when `grant` covers a release to `recipient` (of `org`) for `purpose` at `height`
    and block `time`, the recipient having proved it holds `credential` (if any); otherwise
    why not, in words."""
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
        return credential_mismatch(grant, credential, time=time)
    return None


def credential_mismatch(
    grant: GrantRecord, credential: CredentialFact | None, *, time: int
) -> str | None:
    """Why the recorded `credential` does not meet CREDENTIAL `grant` at block `time` (None
    when it does, as far as the record tells)."""
    holders = f"grant {grant.number} is for holders of a {grant.grantee} credential"
    if credential is None:
        return f"{holders}: the request presented none"
    if grant.grantee not in credential.types:
        return f"{holders}, not of {', '.join(credential.types)}"
    if grant.issuer and credential.issuer != grant.issuer:
        return f"{holders} issued by {grant.issuer}, not by {credential.issuer}"
    if credential.valid_until and time > credential.valid_until:
        return f"{holders}: credential {credential.id} expired at {credential.valid_until} ns"
    return None
