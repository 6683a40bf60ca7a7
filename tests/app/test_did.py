"""DIDs, trust lists, status lists and credentials through the whole application: only a DID's
controller changes it, a deactivated DID changes no more, a DID resolves as of any past height,
a status index is never reused, a revoked credential never verifies, a suspended one only after
reinstatement, and untrusted, expired and tampered credentials are refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tendermint.abci import types_pb2 as pb

from cornerstone import encoding
from cornerstone.crypto import PrivateKey
from cornerstone.errors import NotPermittedError
from cornerstone.modules.did import MODULE as DID
from cornerstone.modules.did.errors import (
    AlreadyBoundError,
    BindingRefusedError,
    DidDeactivatedError,
    InvalidDocumentError,
    NotControllerError,
    StatusChangeError,
    StatusRevokedError,
    WrongChainDidError,
)
from cornerstone.state import MemoryStore
from cornerstone.testing import TestChain
from cornerstone.vc import (
    BadProofError,
    ChainRegistry,
    ExpiredError,
    IssuerDeactivatedError,
    IssuerNotFoundError,
    KeyNotAuthorizedError,
    NotYetValidError,
    PresentationError,
    RevokedError,
    StatusRef,
    SuspendedError,
    UntrustedIssuerError,
    issue_credential,
    present,
    verify_credential,
    verify_presentation,
)
from cornerstone.vc.multibase import encode_multikey
from tests.app.test_governance import Members
from tests.conftest import CHAIN_ID, admin_key, genesis, member_certificate, org_key

PREFIX = f"did:cornerstone:{CHAIN_ID}:"
ALICE = PREFIX + "org1.alice"
ISSUER = PREFIX + "org1.issuer"
KIND = "MembershipCredential"
SECOND_NS = 1_000_000_000
YEAR_NS = 365 * 24 * 3600 * SECOND_NS


@pytest.fixture
def chain() -> Iterator[TestChain]:
    made = TestChain.in_process(MemoryStore())
    made.init_chain(genesis())
    yield made
    made.close()


@pytest.fixture
def members(chain: TestChain) -> Members:
    return Members(chain)


def query(chain: TestChain, name: str, **args: encoding.Value) -> Any:
    answer = chain.query(f"/did/{name}", encoding.encode(args))
    assert answer.code == 0, answer.log
    return encoding.decode(answer.value)


def registry(chain: TestChain) -> ChainRegistry:
    return ChainRegistry(lambda _module, name, **args: query(chain, name, **args))


def ok(result: pb.ExecTxResult) -> pb.ExecTxResult:
    assert result.code == 0, result.log
    return result


def refused(result: pb.ExecTxResult, error: type[Any]) -> None:
    assert (result.codespace, result.code) == (error.codespace, error.code), result.log


def event(result: pb.ExecTxResult, kind: str, name: str) -> str:
    return next(
        a.value for e in result.events if e.type == kind for a in e.attributes if a.key == name
    )


def create(members: Members, key: PrivateKey, name: str, **kw: Any) -> str:
    result = ok(members.send(key, "did", "create", {"name": name}, **kw))
    return event(result, "did.created", "did")


def trust(
    members: Members, credential_type: str, issuer: str, action: str = "trust_issuer"
) -> None:
    """A governance proposal by org1's admin, approved by org2's and org3's (a majority)."""
    args = {"credential_type": credential_type, "issuer": issuer}
    proposal = members.propose("org1", "did", action, args)
    members.vote("org2", proposal)
    members.vote("org3", proposal)
    assert members.proposal(proposal)["status"] == "executed"


# ---------------------------------------------------------------------------- DIDs
def test_a_created_did_resolves_to_a_did_core_document(members: Members, chain: TestChain) -> None:
    alice = org_key("org1")
    assert create(members, alice, "alice") == ALICE
    found = query(chain, "resolve", did=ALICE)
    document, metadata = found["didDocument"], found["didDocumentMetadata"]
    assert document["@context"][0] == "https://www.w3.org/ns/did/v1"
    assert document["id"] == ALICE and document["controller"] == ALICE
    assert document["verificationMethod"] == [
        {
            "id": ALICE + "#key-1",
            "type": "Multikey",
            "controller": ALICE,
            "publicKeyMultibase": encode_multikey(alice.public_key),
        }
    ]
    for relationship in ("authentication", "assertionMethod", "capabilityInvocation"):
        assert document[relationship] == [ALICE + "#key-1"]
    assert metadata["versionId"] == "1" and metadata["deactivated"] is False
    assert metadata["created"] == "2026-01-01T00:00:01Z"
    assert found["didResolutionMetadata"]["contentType"] == "application/did+json"
    derived = ok(members.send(alice, "did", "create", {}))
    did = event(derived, "did.created", "did")
    assert did.startswith(PREFIX) and len(did) > len(PREFIX) + 16
    missing = query(chain, "resolve", did=PREFIX + "nobody")
    assert missing["didResolutionMetadata"] == {"error": "notFound"}
    refused(
        members.send(alice, "did", "deactivate", {"did": "did:cornerstone:other:x"}),
        WrongChainDidError,
    )


def test_only_the_controller_changes_a_did_and_rotation_hands_over_control(
    members: Members, chain: TestChain
) -> None:
    alice = org_key("org1")
    create(members, alice, "alice")
    intruder = org_key("org2")
    change: dict[str, encoding.Value] = {
        "did": ALICE,
        "add_services": [{"id": "hub", "type": "Hub", "endpoint": "https://h"}],
    }
    refused(members.send(intruder, "did", "update", change), NotControllerError)
    refused(
        members.send(admin_key("org1"), "did", "deactivate", {"did": ALICE}), NotControllerError
    )
    ok(members.send(alice, "did", "update", change))
    # Rotation in one version: key-1 goes, key-2 (a new key) comes.
    new = PrivateKey.from_seed(b"n" * 32)
    new_cert = member_certificate("org1", new, serial=77)
    rotate: dict[str, encoding.Value] = {
        "did": ALICE,
        "remove_keys": ["key-1"],
        "add_keys": [{"id": "key-2", "public_key": new.public_key.raw, "suite": "ed25519"}],
    }
    ok(members.send(alice, "did", "update", rotate))
    refused(members.send(alice, "did", "update", change), NotControllerError)
    refused(
        members.send(
            new, "did", "update", {"did": ALICE, "remove_keys": ["key-2"]}, certificate=new_cert
        ),
        InvalidDocumentError,
    )
    ok(
        members.send(
            new, "did", "update", {"did": ALICE, "remove_services": ["hub"]}, certificate=new_cert
        )
    )
    document = query(chain, "resolve", did=ALICE)["didDocument"]
    assert [m["id"] for m in document["verificationMethod"]] == [ALICE + "#key-2"]
    assert "service" not in document


def test_a_controller_did_may_change_the_dids_it_controls(members: Members) -> None:
    alice, bob = org_key("org1"), org_key("org2")
    create(members, alice, "alice")
    device = create(members, bob, "device")
    ok(members.send(bob, "did", "update", {"did": device, "controllers": [ALICE]}))
    ok(
        members.send(
            alice,
            "did",
            "update",
            {
                "did": device,
                "add_services": [{"id": "api", "type": "Api", "endpoint": "https://device"}],
            },
        )
    )
    refused(
        members.send(alice, "did", "update", {"did": ALICE, "controllers": [PREFIX + "none"]}),
        InvalidDocumentError,
    )


def test_a_deactivated_did_changes_no_more(members: Members, chain: TestChain) -> None:
    alice = org_key("org1")
    create(members, alice, "alice")
    ok(members.send(alice, "did", "deactivate", {"did": ALICE}))
    refused(members.send(alice, "did", "deactivate", {"did": ALICE}), DidDeactivatedError)
    refused(
        members.send(alice, "did", "update", {"did": ALICE, "remove_keys": ["key-1"]}),
        DidDeactivatedError,
    )
    refused(members.send(alice, "did", "allocate_status", {"issuer": ALICE}), DidDeactivatedError)
    found = query(chain, "resolve", did=ALICE)
    assert found["didDocumentMetadata"]["deactivated"] is True
    assert found["didDocumentMetadata"]["versionId"] == "2"


def test_a_did_resolves_as_of_any_past_height_and_time(members: Members, chain: TestChain) -> None:
    alice = org_key("org1")
    members.anchor(alice, "a block before")
    create(members, alice, "alice")
    created_at, created_time = chain.height, chain.time_ns
    members.anchor(alice, "a block in between")
    key = PrivateKey.from_seed(b"k" * 32)
    ok(
        members.send(
            alice,
            "did",
            "update",
            {
                "did": ALICE,
                "add_keys": [
                    {
                        "id": "key-2",
                        "public_key": key.public_key.raw,
                        "relationships": ["assertionMethod"],
                    }
                ],
            },
        )
    )
    updated_at = chain.height
    ok(members.send(alice, "did", "deactivate", {"did": ALICE}))

    def keys(**at: int) -> list[str]:
        found = query(chain, "resolve", did=ALICE, **at)
        return [m["id"] for m in found["didDocument"]["verificationMethod"]]

    assert query(chain, "resolve", did=ALICE, height=created_at - 1)["didDocument"] is None
    assert keys(height=created_at) == keys(height=updated_at - 1) == [ALICE + "#key-1"]
    assert keys(height=updated_at) == [ALICE + "#key-1", ALICE + "#key-2"]
    assert keys(time=created_time) == [ALICE + "#key-1"]
    past = query(chain, "resolve", did=ALICE, height=updated_at)["didDocumentMetadata"]
    assert past == {**past, "versionId": "2", "nextVersionId": "3", "deactivated": False}
    assert [v["height"] for v in query(chain, "history", did=ALICE)] == [
        created_at,
        updated_at,
        chain.height,
    ]


def test_an_admin_binds_a_did_to_its_organization_or_member(
    members: Members, chain: TestChain
) -> None:
    alice = org_key("org1")
    create(members, alice, "alice")
    member = alice.public_key.fingerprint
    refused(
        members.send(
            admin_key("org2"), "did", "bind", {"did": ALICE, "org": "org1", "member": member}
        ),
        NotPermittedError,
    )
    other = org_key("org2").public_key.fingerprint
    refused(
        members.send(
            admin_key("org2"), "did", "bind", {"did": ALICE, "org": "org2", "member": other}
        ),
        BindingRefusedError,
    )
    refused(
        members.send(admin_key("org2"), "did", "bind", {"did": ALICE, "org": "org2"}),
        BindingRefusedError,
    )
    ok(
        members.send(
            admin_key("org1"), "did", "bind", {"did": ALICE, "org": "org1", "member": member}
        )
    )
    ok(members.send(admin_key("org1"), "did", "bind", {"did": ALICE, "org": "org1"}))
    refused(
        members.send(admin_key("org1"), "did", "bind", {"did": ALICE, "org": "org1"}),
        AlreadyBoundError,
    )
    assert query(chain, "binding", org="org1") == ALICE
    assert query(chain, "binding", member=member) == ALICE
    document = query(chain, "resolve", did=ALICE)["didDocument"]
    assert document["alsoKnownAs"] == [
        f"urn:cornerstone:{CHAIN_ID}:member:{member.hex()}",
        f"urn:cornerstone:{CHAIN_ID}:org:org1",
    ]


# ---------------------------------------------------------------------------- status lists
def test_a_status_index_is_never_reused_and_revocation_is_final(
    members: Members, chain: TestChain
) -> None:
    issuer = org_key("org1")
    create(members, issuer, "issuer")

    def allocate() -> int:
        return int(
            event(
                ok(members.send(issuer, "did", "allocate_status", {"issuer": ISSUER})),
                "did.status_allocated",
                "index",
            )
        )

    assert [allocate(), allocate()] == [0, 1]
    refused(
        members.send(org_key("org2"), "did", "allocate_status", {"issuer": ISSUER}),
        NotControllerError,
    )
    refused(
        members.send(org_key("org2"), "did", "revoke_status", {"issuer": ISSUER, "index": 0}),
        NotControllerError,
    )
    ok(members.send(issuer, "did", "revoke_status", {"issuer": ISSUER, "index": 0}))
    for operation in ("revoke_status", "suspend_status", "reinstate_status"):
        refused(
            members.send(issuer, "did", operation, {"issuer": ISSUER, "index": 0}),
            StatusRevokedError,
        )
    refused(
        members.send(issuer, "did", "reinstate_status", {"issuer": ISSUER, "index": 1}),
        StatusChangeError,
    )
    ok(members.send(issuer, "did", "suspend_status", {"issuer": ISSUER, "index": 1}))
    refused(
        members.send(issuer, "did", "suspend_status", {"issuer": ISSUER, "index": 1}),
        StatusChangeError,
    )
    ok(members.send(issuer, "did", "reinstate_status", {"issuer": ISSUER, "index": 1}))
    assert allocate() == 2
    assert query(chain, "status", issuer=ISSUER, index=0)["state"] == "revoked"
    assert query(chain, "status", issuer=ISSUER, index=1)["state"] == "active"
    listed = query(chain, "status_list", issuer=ISSUER, purpose="revocation", number=0)
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert listed["credentialSubject"]["encodedList"].startswith("u")
    assert query(chain, "status_list", issuer=ISSUER, purpose="revocation", number=1) is None


# ---------------------------------------------------------------------------- credentials
class Issuing:
    """An issuer DID on the trust list for KIND, and a holder DID."""

    def __init__(self, members: Members, chain: TestChain) -> None:
        self.members, self.chain = members, chain
        self.key = org_key("org1")
        self.holder_key = org_key("org2")
        create(members, self.key, "issuer")
        self.holder = create(members, self.holder_key, "holder")
        trust(members, KIND, ISSUER)
        self.registry = registry(chain)

    def issue(
        self,
        *,
        kind: str = KIND,
        key: PrivateKey | None = None,
        method: str = "key-1",
        valid_for_ns: int = YEAR_NS,
        claims: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], int]:
        result = ok(self.members.send(self.key, "did", "allocate_status", {"issuer": ISSUER}))
        index = int(event(result, "did.status_allocated", "index"))
        now = self.chain.time_ns
        credential = issue_credential(
            issuer=ISSUER,
            key=key or self.key,
            verification_method=f"{ISSUER}#{method}",
            types=[kind],
            subject={"id": self.holder, "memberOf": "org2", **(claims or {})},
            valid_from_ns=now,
            valid_until_ns=now + valid_for_ns,
            status=StatusRef(issuer=ISSUER, index=index),
            credential_id=f"urn:uuid:00000000-0000-4000-8000-{index:012d}",
            created_ns=now,
        )
        return credential, index

    def verify(self, credential: dict[str, Any], *, now_ns: int | None = None) -> Any:
        return verify_credential(credential, self.registry, now_ns=now_ns or self.chain.time_ns)

    def status(self, operation: str, index: int) -> None:
        ok(self.members.send(self.key, "did", operation, {"issuer": ISSUER, "index": index}))


@pytest.fixture
def issuing(members: Members, chain: TestChain) -> Issuing:
    return Issuing(members, chain)


def test_a_credential_verifies_until_revoked_and_never_after(issuing: Issuing) -> None:
    credential, index = issuing.issue()
    verified = issuing.verify(credential)
    assert verified.issuer == ISSUER and verified.types == (KIND,)
    assert verified.subject["memberOf"] == "org2" and len(verified.statuses) == 2
    issuing.status("suspend_status", index)
    with pytest.raises(SuspendedError):
        issuing.verify(credential)
    issuing.status("reinstate_status", index)
    issuing.verify(credential)
    issuing.status("revoke_status", index)
    with pytest.raises(RevokedError):
        issuing.verify(credential)
    refused(
        issuing.members.send(
            issuing.key, "did", "reinstate_status", {"issuer": ISSUER, "index": index}
        ),
        StatusRevokedError,
    )
    with pytest.raises(RevokedError):
        issuing.verify(credential)
    other, _ = issuing.issue()
    issuing.verify(other)  # the next index is fresh, not the revoked one


def test_untrusted_expired_early_and_tampered_credentials_are_refused(issuing: Issuing) -> None:
    with pytest.raises(UntrustedIssuerError):
        issuing.verify(issuing.issue(kind="DriverLicense")[0])
    credential, _ = issuing.issue(valid_for_ns=10 * SECOND_NS)
    with pytest.raises(ExpiredError):
        issuing.verify(credential, now_ns=issuing.chain.time_ns + 11 * SECOND_NS)
    with pytest.raises(NotYetValidError):
        issuing.verify(credential, now_ns=issuing.chain.time_ns - 5 * SECOND_NS)
    tampered = {
        **credential,
        "credentialSubject": {**credential["credentialSubject"], "memberOf": "org1"},
    }
    with pytest.raises(BadProofError):
        issuing.verify(tampered)
    forged, _ = issuing.issue(key=issuing.holder_key)
    with pytest.raises(BadProofError):
        issuing.verify(forged)
    with pytest.raises(KeyNotAuthorizedError):
        issuing.verify(issuing.issue(method="key-9")[0])
    trust(issuing.members, KIND, ISSUER, "distrust_issuer")
    with pytest.raises(UntrustedIssuerError):
        issuing.verify(credential)


def test_the_issuer_key_is_checked_as_of_the_proofs_creation(issuing: Issuing) -> None:
    before, _ = issuing.issue()
    new = PrivateKey.from_seed(b"r" * 32)
    ok(
        issuing.members.send(
            issuing.key,
            "did",
            "update",
            {
                "did": ISSUER,
                "remove_keys": ["key-1"],
                "add_keys": [{"id": "key-2", "public_key": new.public_key.raw}],
            },
        )
    )
    issuing.verify(before)  # signed by key-1 while key-1 was the issuer's key
    after = issue_credential(
        issuer=ISSUER,
        key=issuing.key,
        verification_method=f"{ISSUER}#key-1",
        types=[KIND],
        subject={"id": issuing.holder},
        valid_from_ns=issuing.chain.time_ns,
        created_ns=issuing.chain.time_ns,
    )
    with pytest.raises(KeyNotAuthorizedError):
        issuing.verify(after)
    backdated = issue_credential(
        issuer=ISSUER,
        key=issuing.key,
        verification_method=f"{ISSUER}#key-1",
        types=[KIND],
        subject={"id": issuing.holder},
        valid_from_ns=0,
        created_ns=1_000 * SECOND_NS,
    )
    with pytest.raises(IssuerNotFoundError):
        issuing.verify(backdated)


def test_a_deactivated_issuer_vouches_for_nothing_any_more(issuing: Issuing) -> None:
    credential, _ = issuing.issue()
    ok(issuing.members.send(issuing.key, "did", "deactivate", {"did": ISSUER}))
    with pytest.raises(IssuerDeactivatedError):
        issuing.verify(credential)


def test_a_presentation_is_bound_to_the_holder_challenge_and_domain(issuing: Issuing) -> None:
    credential, _ = issuing.issue()
    vp = present(
        [credential],
        holder=issuing.holder,
        key=issuing.holder_key,
        verification_method=issuing.holder + "#key-1",
        challenge="c-123",
        domain="verifier.example",
        created_ns=issuing.chain.time_ns,
    )
    now = issuing.chain.time_ns
    (verified,) = verify_presentation(
        vp, issuing.registry, challenge="c-123", domain="verifier.example", now_ns=now
    )
    assert verified.subject["id"] == issuing.holder
    with pytest.raises(PresentationError):
        verify_presentation(
            vp, issuing.registry, challenge="c-999", domain="verifier.example", now_ns=now
        )
    with pytest.raises(PresentationError):
        verify_presentation(
            vp, issuing.registry, challenge="c-123", domain="evil.example", now_ns=now
        )
    stolen = present(
        [credential],
        holder=ISSUER,
        key=issuing.key,
        verification_method=ISSUER + "#key-1",
        challenge="c-123",
        domain="verifier.example",
        created_ns=now,
    )
    with pytest.raises(PresentationError):
        verify_presentation(
            stolen, issuing.registry, challenge="c-123", domain="verifier.example", now_ns=now
        )


def test_genesis_export_recreates_every_did_version_and_status(issuing: Issuing) -> None:
    _credential, index = issuing.issue()
    issuing.status("revoke_status", index)
    exported = DID.genesis.export(issuing.chain.app.store)
    DID.genesis.validate(exported)
    copy = MemoryStore()
    again = TestChain.in_process(copy)
    again.init_chain({**genesis(), "did": dict(exported)})
    again.produce_block([])
    assert DID.genesis.export(again.app.store) == exported
    assert query(again, "status", issuer=ISSUER, index=index)["state"] == "revoked"
