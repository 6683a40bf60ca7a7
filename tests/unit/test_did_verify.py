"""The on-chain presentation verifier (`modules/did/verify.py`) on an in-memory state: the
deterministic parse, how a holder DID is tied to a sender, the gas it charges, and the
standing of a credential after the fact."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from cornerstone.chain import put_chain_id
from cornerstone.crypto import PrivateKey
from cornerstone.identity.roles import Role
from cornerstone.module import Context, Identity
from cornerstone.modules.did import handlers
from cornerstone.modules.did.messages import AllocateStatus, ChangeStatus, Create, TrustIssuer
from cornerstone.modules.did.state import put_member_binding, put_org_binding
from cornerstone.modules.did.verify import (
    MAX_PRESENTATION_BYTES,
    credential_standing,
    holder_acts_for,
    parse_presentation,
    verify_presentation_at,
)
from cornerstone.state import MemoryStore, State
from cornerstone.types import Height, Timestamp
from cornerstone.vc import StatusRef, issue_credential, present
from cornerstone.vc.errors import (
    ExpiredError,
    MalformedCredentialError,
    PresentationError,
    RevokedError,
    UntrustedIssuerError,
)

ISSUER = "did:cornerstone:c:org1.issuer"
HOLDER = "did:cornerstone:c:org2.holder"
SECOND = 1_000_000_000
NOW = 100 * SECOND


def identity(key: PrivateKey, org: str) -> Identity:
    return Identity(
        id=key.public_key.fingerprint,
        public_key=key.public_key,
        org=org,
        role=Role.CLIENT,
        certificate_serial=None,
    )


def ctx(key: PrivateKey, org: str, *, tx: bytes) -> Context:
    return Context(
        chain_id="c",
        height=Height(5),
        time=Timestamp(5 * SECOND),
        sender=identity(key, org),
        tx_hash=tx,
    )


ISSUER_KEY = PrivateKey.from_seed(b"i" * 32)
HOLDER_KEY = PrivateKey.from_seed(b"h" * 32)


@pytest.fixture
def state() -> State:
    made = State(MemoryStore())
    put_chain_id(made, "c")
    handlers.create(made, ctx(ISSUER_KEY, "org1", tx=b"\x01" * 32), Create(name="issuer"))
    handlers.create(made, ctx(HOLDER_KEY, "org2", tx=b"\x02" * 32), Create(name="holder"))
    handlers.allocate_status(
        made, ctx(ISSUER_KEY, "org1", tx=b"\x03" * 32), AllocateStatus(issuer=ISSUER)
    )
    handlers.trust_issuer(
        made,
        ctx(ISSUER_KEY, "org1", tx=b"\x04" * 32),
        TrustIssuer(credential_type="Kyc", issuer=ISSUER),
    )
    return made


def credential(**more: Any) -> dict[str, Any]:
    return issue_credential(
        issuer=ISSUER,
        key=ISSUER_KEY,
        verification_method=f"{ISSUER}#key-1",
        types=["Kyc"],
        subject={"id": HOLDER},
        valid_from_ns=10 * SECOND,
        valid_until_ns=200 * SECOND,
        status=StatusRef(issuer=ISSUER, index=0),
        created_ns=10 * SECOND,
        **more,
    )


def vp(credentials: list[dict[str, Any]], challenge: str = "ch") -> str:
    return json.dumps(
        present(
            credentials,
            holder=HOLDER,
            key=HOLDER_KEY,
            verification_method=f"{HOLDER}#key-1",
            challenge=challenge,
            domain="c",
            created_ns=NOW,
        )
    )


def verify(state: State, text: str, charged: list[int] | None = None, time: int = NOW) -> Any:
    return verify_presentation_at(
        state,
        chain_id="c",
        time=time,
        text=text,
        challenge="ch",
        domain="c",
        charge=(charged if charged is not None else []).append,
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"a": 1.5}', "no floats"),
        ('{"a": NaN}', "no floats"),
        ('{"a": 1, "a": 2}', "twice"),
        ("[1]", "not a JSON object"),
        ('{"a": ' + "[" * 17 + "]" * 17 + "}", "nests deeper"),
        ('{"a": "' + "x" * MAX_PRESENTATION_BYTES + '"}', "larger than"),
        ("{", "not JSON"),
    ],
)
def test_the_parse_is_the_same_everywhere(text: str, says: str) -> None:
    with pytest.raises(MalformedCredentialError, match=says):
        parse_presentation(text)


def test_brackets_inside_strings_are_not_nesting() -> None:
    assert parse_presentation('{"a": "' + "[" * 40 + '\\"{"}') == {"a": "[" * 40 + '"{'}


def test_a_presentation_verifies_and_its_work_is_charged(state: State) -> None:
    charged: list[int] = []
    verified = verify(state, vp([credential(credential_id="urn:x:1")]), charged)
    [fact] = verified.credentials
    assert verified.holder == HOLDER and fact.id == "urn:x:1" and fact.types == ("Kyc",)
    assert fact.statuses == (("revocation", 0), ("suspension", 0))
    assert len(charged) == 3 and sum(charged) > 40_000
    anonymous = verify(state, vp([credential()])).credentials[0]
    assert anonymous.id.startswith("urn:sha256:")
    with pytest.raises(PresentationError, match="challenge"):
        verify_presentation_at(
            state,
            chain_id="c",
            time=NOW,
            text=vp([credential()], challenge="other"),
            challenge="ch",
            domain="c",
            charge=lambda _gas: None,
        )
    with pytest.raises(ExpiredError):
        verify(state, vp([credential()]), time=201 * SECOND)


def test_standing_follows_status_trust_and_time(state: State) -> None:
    fact = verify(state, vp([credential()])).credentials[0]
    assert credential_standing(state, fact, chain_id="c", credential_type="Kyc", time=NOW) is None
    later = credential_standing(state, fact, chain_id="c", credential_type="Kyc", time=201 * SECOND)
    assert isinstance(later, ExpiredError)
    other = credential_standing(state, fact, chain_id="c", credential_type="Lab", time=NOW)
    assert isinstance(other, UntrustedIssuerError)
    handlers.revoke_status(
        state, ctx(ISSUER_KEY, "org1", tx=b"\x05" * 32), ChangeStatus(issuer=ISSUER, index=0)
    )
    revoked = credential_standing(state, fact, chain_id="c", credential_type="Kyc", time=NOW)
    assert isinstance(revoked, RevokedError)
    with pytest.raises(RevokedError):
        verify(state, vp([credential()]))


def test_a_holder_is_tied_to_a_sender_by_key_or_binding(state: State) -> None:
    holder = identity(HOLDER_KEY, "org2")
    assert holder_acts_for(state, HOLDER, chain_id="c", sender=holder) == "key"
    stranger = identity(PrivateKey.from_seed(b"s" * 32), "org2")
    assert holder_acts_for(state, HOLDER, chain_id="c", sender=stranger) is None
    put_org_binding(state, "org2", "org2.holder")
    assert holder_acts_for(state, HOLDER, chain_id="c", sender=stranger) == "organization binding"
    assert (
        holder_acts_for(state, HOLDER, chain_id="c", sender=replace(stranger, org="org3")) is None
    )
    put_member_binding(state, stranger.id, "org2.holder")
    assert holder_acts_for(state, HOLDER, chain_id="c", sender=stranger) == "member binding"
    assert (
        holder_acts_for(state, "did:cornerstone:x:org2.holder", chain_id="c", sender=holder) is None
    )
