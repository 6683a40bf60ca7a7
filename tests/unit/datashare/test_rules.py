"""The shape checks of the datashare messages and the one rule for when a grant covers a
release, data-driven: each case names what it breaks."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from cornerstone.modules.datashare.messages import Grant, Publish, RegisterKey, Release, Request
from cornerstone.modules.datashare.rules import covers
from cornerstone.modules.datashare.state import GrantRecord
from cornerstone.modules.did.verify import CredentialFact

D = b"\x01" * 16
H = b"\x02" * 32
WRAPPED = b"\x03" * 80
RECIPIENT = b"\x04" * 32

PUBLISH: dict[str, Any] = {
    "dataset": D,
    "version": 1,
    "content_hash": H,
    "cipher_hash": H,
    "size": 10,
    "location": "http://127.0.0.1:8700/blobs/" + "ab" * 32,
    "owner_key": WRAPPED,
    "title": "t",
}


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"dataset": b"short"}, "dataset id"),
        ({"version": 0}, "positive"),
        ({"content_hash": b"x"}, "content_hash"),
        ({"size": -1}, "size"),
        ({"location": "no scheme"}, "URI"),
        ({"owner_key": b"\x00" * 32}, "sealed box, not 32 bytes"),
        ({"title": ""}, "title"),
        ({"title": "a\nb"}, "printable"),
    ],
)
def test_a_malformed_publish_is_refused(change: dict[str, Any], says: str) -> None:
    Publish(**PUBLISH)
    with pytest.raises(ValueError, match=says):
        Publish(**{**PUBLISH, **change})


def test_a_new_version_may_keep_its_title() -> None:
    Publish(**{**PUBLISH, "version": 2, "title": ""})


@pytest.mark.parametrize(
    ("kind", "grantee", "ok"),
    [
        ("org", "org2", True),
        ("org", "Org 2", False),
        ("member", "ab" * 32, True),
        ("member", "AB" * 32, False),
        ("credential", "KycCredential", True),
        ("credential", "a/b", False),
        ("everyone", "x", False),
    ],
)
def test_grantees_are_checked_by_kind(kind: str, grantee: str, ok: bool) -> None:
    if ok:
        Grant(dataset=D, kind=kind, grantee=grantee, purpose="p")
    else:
        with pytest.raises(ValueError):
            Grant(dataset=D, kind=kind, grantee=grantee, purpose="p")


def test_keys_requests_and_releases_are_checked() -> None:
    with pytest.raises(ValueError, match="X25519"):
        RegisterKey(public_key=b"\x00" * 32)
    with pytest.raises(ValueError, match="purpose"):
        Request(dataset=D, version=1, purpose="")
    with pytest.raises(ValueError, match="identity"):
        Release(dataset=D, version=1, recipient=b"x", purpose="p", wrapped_key=WRAPPED)
    with pytest.raises(ValueError, match="sealed box"):
        Release(dataset=D, version=1, recipient=RECIPIENT, purpose="p", wrapped_key=H)
    with pytest.raises(ValueError, match="at most 16384 bytes"):
        Request(dataset=D, version=1, purpose="p", presentation="x" * 16_385)
    with pytest.raises(ValueError, match="names an issuer"):
        Grant(dataset=D, kind="org", grantee="org2", purpose="p", issuer=ISSUER)
    with pytest.raises(ValueError, match="did:cornerstone"):
        Grant(dataset=D, kind="credential", grantee="Kyc", purpose="p", issuer="did:web:x")
    Grant(dataset=D, kind="credential", grantee="Kyc", purpose="p", issuer=ISSUER)


ISSUER = "did:cornerstone:c:org1.issuer"
FACT = CredentialFact(
    id="urn:uuid:1",
    issuer=ISSUER,
    holder="did:cornerstone:c:org2.holder",
    types=("Kyc",),
    valid_until=800,
    statuses=(("revocation", 3),),
)
KYC = GrantRecord(
    dataset=D,
    number=2,
    kind="credential",
    grantee="Kyc",
    purpose="audit",
    expires_height=0,
    expires_time=0,
    height=5,
    time=500,
    revoked_at=0,
)
GRANT = GrantRecord(
    dataset=D,
    number=1,
    kind="org",
    grantee="org2",
    purpose="audit",
    expires_height=10,
    expires_time=1_000,
    height=5,
    time=500,
    revoked_at=0,
)


@pytest.mark.parametrize(
    ("grant", "at", "why"),
    [
        (GRANT, {}, None),
        (GRANT, {"height": 10, "time": 999}, None),
        (GRANT, {"height": 11}, "expired after height 10"),
        (GRANT, {"time": 1_000}, "expired at block time"),
        (GRANT, {"height": 4}, "made after height 4"),
        (replace(GRANT, revoked_at=7), {"height": 7}, "revoked at height 7"),
        (replace(GRANT, revoked_at=9), {"height": 8}, None),
        (GRANT, {"purpose": "resale"}, "for the purpose 'audit'"),
        (GRANT, {"org": "org3"}, "for organization org2"),
        (replace(GRANT, kind="member", grantee=RECIPIENT.hex()), {"org": "org3"}, None),
        (replace(GRANT, kind="member", grantee="ab" * 32), {}, "for member"),
        (KYC, {}, "presented none"),
        (KYC, {"credential": FACT}, None),
        (KYC, {"credential": FACT, "org": "org9"}, None),
        (KYC, {"credential": FACT, "time": 801}, "expired at 800"),
        (replace(KYC, grantee="Lab"), {"credential": FACT}, "not of Kyc"),
        (replace(KYC, issuer=ISSUER), {"credential": FACT}, None),
        (replace(KYC, issuer=ISSUER + "x"), {"credential": FACT}, "not by " + ISSUER),
        (replace(KYC, revoked_at=6), {"credential": FACT}, "revoked at height 6"),
        (replace(GRANT, expires_height=0, expires_time=0), {"height": 10**9, "time": 10**18}, None),
    ],
)
def test_when_a_grant_covers_a_release(
    grant: GrantRecord, at: dict[str, Any], why: str | None
) -> None:
    where: dict[str, Any] = {
        "recipient": RECIPIENT,
        "org": "org2",
        "purpose": "audit",
        "height": 6,
        "time": 600,
        **at,
    }
    found = covers(grant, **where)
    if why is None:
        assert found is None
    else:
        assert found is not None and why in found
