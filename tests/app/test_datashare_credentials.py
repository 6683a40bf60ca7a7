"""Grants to "any holder of a credential of a type", through the whole application: the
requester proves with a presentation the chain verifies inside the request (issuer key as of
issuance, holder key now, challenge bound to the request, validity by block time, status bits
and trust lists from state); the release is covered only while that credential still stands,
and its receipt names the credential. Every refusal has its code and writes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from tendermint.abci import types_pb2 as pb

from cornerstone import encoding
from cornerstone.crypto import PrivateKey
from cornerstone.datashare import DataKey, EncryptionKey, encrypt
from cornerstone.errors import InvalidArgumentsError, TransactionError
from cornerstone.modules.datashare.errors import (
    CredentialRefusedError,
    HolderNotRequesterError,
    NoCredentialGrantError,
    NoValidGrantError,
)
from cornerstone.modules.datashare.messages import request_challenge
from cornerstone.modules.did.verify import MAX_PRESENTATION_BYTES
from cornerstone.state import MemoryStore
from cornerstone.testing import TestChain
from cornerstone.vc import StatusRef, issue_credential, present
from tests.app.test_did import create, event, trust
from tests.app.test_governance import Members
from tests.conftest import CHAIN_ID, genesis, org_key

PREFIX = f"did:cornerstone:{CHAIN_ID}:"
ISSUER = PREFIX + "org1.issuer"
OTHER_ISSUER = PREFIX + "org3.issuer"
HOLDER = PREFIX + "org2.holder"
KIND = "CustomsBroker"
DATASET = bytes(range(16))
PURPOSE = "clearance"
SECOND_NS = 1_000_000_000
YEAR_NS = 365 * 24 * 3600 * SECOND_NS


@dataclass
class World:
    """org1 owns a dataset and issues KIND credentials (trusted); org3 issues them too (not
    trusted); org2's client holds HOLDER (its own key) and asks for the data."""

    chain: TestChain
    members: Members
    owner: PrivateKey
    reader: PrivateKey
    reader_enc: EncryptionKey
    owner_enc: EncryptionKey
    keys: dict[int, DataKey]

    def send(self, key: PrivateKey, operation: str, args: dict[str, Any]) -> pb.ExecTxResult:
        return self.members.send(key, "datashare", operation, args)

    def ok(self, key: PrivateKey, operation: str, args: dict[str, Any]) -> pb.ExecTxResult:
        result = self.send(key, operation, args)
        assert result.code == 0, result.log
        return result

    def refused(
        self, key: PrivateKey, operation: str, args: dict[str, Any], error: type[TransactionError]
    ) -> str:
        before = list(self.chain.app.store.iterate(b"datashare/"))
        result = self.send(key, operation, args)
        assert (result.codespace, result.code) == (error.codespace, error.code), result.log
        assert list(self.chain.app.store.iterate(b"datashare/")) == before
        return result.log

    def query(self, name: str, **args: encoding.Value) -> Any:
        answer = self.chain.query(f"/datashare/{name}", encoding.encode(args))
        assert answer.code == 0, answer.log
        return encoding.decode(answer.value)

    def issue(
        self,
        *,
        issuer: str = ISSUER,
        key: PrivateKey | None = None,
        kind: str = KIND,
        valid_for_ns: int = YEAR_NS,
        subject: str = HOLDER,
    ) -> tuple[dict[str, Any], int]:
        signer = key or self.owner
        allocated = self.members.send(signer, "did", "allocate_status", {"issuer": issuer})
        index = int(event(allocated, "did.status_allocated", "index"))
        now = self.chain.time_ns
        credential = issue_credential(
            issuer=issuer,
            key=signer,
            verification_method=f"{issuer}#key-1",
            types=[kind],
            subject={"id": subject, "licence": "BR-7"},
            valid_from_ns=now,
            valid_until_ns=now + valid_for_ns,
            status=StatusRef(issuer=issuer, index=index),
            credential_id=f"urn:uuid:00000000-0000-4000-8000-{index:012d}",
            created_ns=now,
        )
        return credential, index

    def status(self, operation: str, index: int, issuer: str = ISSUER) -> None:
        result = self.members.send(self.owner, "did", operation, {"issuer": issuer, "index": index})
        assert result.code == 0, result.log

    def presentation(
        self,
        credentials: list[dict[str, Any]],
        *,
        version: int = 1,
        requester: bytes | None = None,
        holder_key: PrivateKey | None = None,
        purpose: str = PURPOSE,
        domain: str = CHAIN_ID,
    ) -> str:
        challenge = request_challenge(
            chain_id=CHAIN_ID,
            dataset=DATASET,
            version=version,
            requester=requester or self.reader.public_key.fingerprint,
            purpose=purpose,
        )
        vp = present(
            credentials,
            holder=HOLDER,
            key=holder_key or self.reader,
            verification_method=f"{HOLDER}#key-1",
            challenge=challenge,
            domain=domain,
            created_ns=self.chain.time_ns,
        )
        return json.dumps(vp)

    def request(self, presentation: str = "", version: int = 1) -> dict[str, Any]:
        args: dict[str, Any] = {"dataset": DATASET, "version": version, "purpose": PURPOSE}
        if presentation:
            args["presentation"] = presentation
        return args

    def release(self, version: int = 1) -> dict[str, Any]:
        return {
            "dataset": DATASET,
            "version": version,
            "recipient": self.reader.public_key.fingerprint,
            "purpose": PURPOSE,
            "wrapped_key": self.keys[version].wrap_for(self.reader_enc.public_key),
        }

    def publish(self, version: int) -> None:
        sealed = encrypt(b"broker,licence\nacme,BR-7\n" * version, dataset=DATASET, version=version)
        self.keys[version] = sealed.key
        args = {
            "dataset": DATASET,
            "version": version,
            "content_hash": sealed.content_hash,
            "cipher_hash": sealed.cipher_hash,
            "size": sealed.size,
            "location": f"file:///store/{sealed.cipher_hash.hex()}",
            "owner_key": sealed.key.wrap_for(self.owner_enc.public_key),
            "title": "brokers" if version == 1 else "",
        }
        self.ok(self.owner, "publish", args)


def make_world(chain: TestChain) -> World:
    members = Members(chain)
    world = World(
        chain=chain,
        members=members,
        owner=org_key("org1"),
        reader=org_key("org2"),
        reader_enc=EncryptionKey.generate(),
        owner_enc=EncryptionKey.generate(),
        keys={},
    )
    create(members, world.owner, "issuer")
    create(members, org_key("org3"), "issuer")
    create(members, world.reader, "holder")
    trust(members, KIND, ISSUER)
    world.ok(world.owner, "register_key", {"public_key": world.owner_enc.public_key})
    world.ok(world.reader, "register_key", {"public_key": world.reader_enc.public_key})
    world.publish(1)
    return world


@pytest.fixture
def world() -> Iterator[World]:
    chain = TestChain.in_process(MemoryStore(), CHAIN_ID)
    chain.init_chain(genesis())
    yield make_world(chain)
    chain.close()


def grant(world: World, **more: Any) -> None:
    args = {"dataset": DATASET, "kind": "credential", "grantee": KIND, "purpose": PURPOSE, **more}
    world.ok(world.owner, "grant", args)


# ---------------------------------------------------------------------------- the flow
def test_a_holder_of_a_trusted_credential_gets_the_key_and_one_receipt(world: World) -> None:
    grant(world)
    credential, _ = world.issue()
    plain = world.ok(world.reader, "request", world.request())
    with_vp = world.ok(world.reader, "request", world.request(world.presentation([credential])))
    assert with_vp.gas_used > plain.gas_used + 40_000, "verification work is charged"
    [pending] = world.query("requests", dataset=DATASET)
    assert pending["credential"]["id"] == credential["id"]
    assert pending["credential"]["issuer"] == ISSUER and pending["credential"]["holder"] == HOLDER
    released = world.ok(world.owner, "release", world.release())
    attributes = {
        a.key: a.value
        for e in released.events
        if e.type == "datashare.released"
        for a in e.attributes
    }
    assert attributes["grant"] == "1" and attributes["credential"] == credential["id"]
    [receipt] = world.query("receipts", dataset=DATASET)
    assert receipt["grant"] == 1 and receipt["credential"]["id"] == credential["id"]
    assert receipt["credential"]["types"] == [KIND]
    found = world.query(
        "release", dataset=DATASET, version=1, recipient=world.reader.public_key.fingerprint
    )
    assert world.reader_enc.unwrap(found["wrapped_key"]).secret() == world.keys[1].secret()


def test_a_grant_may_name_its_one_issuer(world: World) -> None:
    trust(world.members, KIND, OTHER_ISSUER)
    grant(world, issuer=OTHER_ISSUER)
    credential, _ = world.issue()
    log = world.refused(
        world.reader,
        "request",
        world.request(world.presentation([credential])),
        NoCredentialGrantError,
    )
    assert f"issued by {OTHER_ISSUER}" in log
    theirs, _ = world.issue(issuer=OTHER_ISSUER, key=org_key("org3"))
    world.ok(world.reader, "request", world.request(world.presentation([theirs])))
    world.ok(world.owner, "release", world.release())


# ---------------------------------------------------------------------------- refusals
def test_without_a_credential_the_release_is_refused(world: World) -> None:
    grant(world)
    world.ok(world.reader, "request", world.request())
    log = world.refused(world.owner, "release", world.release(), NoValidGrantError)
    assert "presented none" in log
    # A credential presented for one purpose covers no release for another.
    grant(world, purpose="resale")
    credential, _ = world.issue()
    world.ok(world.reader, "request", world.request(world.presentation([credential])))
    resale = {**world.release(), "purpose": "resale"}
    log = world.refused(world.owner, "release", resale, NoValidGrantError)
    assert "grant 2 is for holders of a CustomsBroker credential: the request presented none" in log


def test_a_credential_of_another_type_or_from_an_untrusted_issuer_is_refused(
    world: World,
) -> None:
    grant(world)
    licence, _ = world.issue(kind="DriverLicense")
    log = world.refused(
        world.reader,
        "request",
        world.request(world.presentation([licence])),
        NoCredentialGrantError,
    )
    assert "not of DriverLicense" in log
    untrusted, _ = world.issue(issuer=OTHER_ISSUER, key=org_key("org3"))
    log = world.refused(
        world.reader,
        "request",
        world.request(world.presentation([untrusted])),
        CredentialRefusedError,
    )
    assert "vc 5108" in log and "trust list" in log
    # A purpose no credential grant is for: the verified credential matches nothing.
    other_purpose = world.request(world.presentation([untrusted], purpose="resale"))
    other_purpose["purpose"] = "resale"
    world.refused(world.reader, "request", other_purpose, NoCredentialGrantError)


@pytest.mark.parametrize(
    ("change", "vc_code"), [("expire", 5105), ("revoke_status", 5106), ("suspend_status", 5107)]
)
def test_expired_revoked_and_suspended_credentials_are_refused(
    world: World, change: str, vc_code: int
) -> None:
    grant(world)
    credential, index = world.issue(valid_for_ns=2 * SECOND_NS)
    if change == "expire":
        world.chain.produce_block([])
        world.chain.produce_block([])
    else:
        world.status(change, index)
    log = world.refused(
        world.reader,
        "request",
        world.request(world.presentation([credential])),
        CredentialRefusedError,
    )
    assert f"vc {vc_code}" in log


def test_a_presentation_serves_one_requester_one_version_one_chain(world: World) -> None:
    grant(world)
    world.publish(2)
    credential, _ = world.issue()
    # Replayed for another version: the challenge differs.
    log = world.refused(
        world.reader,
        "request",
        world.request(world.presentation([credential], version=1), version=2),
        CredentialRefusedError,
    )
    assert "vc 5110" in log and "challenge" in log
    # Made for another domain.
    foreign = world.presentation([credential], domain="other-chain")
    log = world.refused(world.reader, "request", world.request(foreign), CredentialRefusedError)
    assert "domain" in log
    # Sent by somebody else: the challenge names the reader.
    thief = org_key("org3")
    world.ok(thief, "register_key", {"public_key": EncryptionKey.generate().public_key})
    stolen = world.request(world.presentation([credential]))
    log = world.refused(thief, "request", stolen, CredentialRefusedError)
    assert "vc 5110" in log
    # Signed for the thief by the holder's key, but the holder DID is not the thief's.
    delegated = world.presentation([credential], requester=thief.public_key.fingerprint)
    world.refused(thief, "request", world.request(delegated), HolderNotRequesterError)


def test_tampered_and_forged_credentials_are_refused(world: World) -> None:
    grant(world)
    credential, _ = world.issue()
    tampered = {
        **credential,
        "credentialSubject": {**credential["credentialSubject"], "licence": "BR-8"},
    }
    log = world.refused(
        world.reader,
        "request",
        world.request(world.presentation([tampered])),
        CredentialRefusedError,
    )
    assert "vc 5101" in log
    forged = issue_credential(
        issuer=ISSUER,
        key=world.reader,
        verification_method=f"{ISSUER}#key-1",
        types=[KIND],
        subject={"id": HOLDER},
        valid_from_ns=world.chain.time_ns,
        created_ns=world.chain.time_ns,
    )
    log = world.refused(
        world.reader, "request", world.request(world.presentation([forged])), CredentialRefusedError
    )
    assert "vc 5101" in log
    vp = json.loads(world.presentation([credential]))
    vp["holder"] = ISSUER
    log = world.refused(
        world.reader, "request", world.request(json.dumps(vp)), CredentialRefusedError
    )
    assert "vc 510" in log
    with_float = world.presentation([{**credential, "score": 1.5}])
    log = world.refused(world.reader, "request", world.request(with_float), CredentialRefusedError)
    assert "no floats" in log
    huge = world.request("x" * (MAX_PRESENTATION_BYTES + 1))
    world.refused(world.reader, "request", huge, InvalidArgumentsError)


def test_a_credential_revoked_after_the_request_blocks_later_releases(world: World) -> None:
    grant(world)
    credential, index = world.issue()
    world.ok(world.reader, "request", world.request(world.presentation([credential])))
    world.status("suspend_status", index)
    log = world.refused(world.owner, "release", world.release(), NoValidGrantError)
    assert "suspended" in log
    world.status("reinstate_status", index)
    world.ok(world.owner, "release", world.release())  # reinstated: it stands again
    world.publish(2)
    world.ok(world.reader, "request", world.request(world.presentation([credential], version=2), 2))
    world.status("revoke_status", index)
    log = world.refused(world.owner, "release", world.release(2), NoValidGrantError)
    assert "revoked" in log and credential["id"] in log
    assert [r["version"] for r in world.query("receipts", dataset=DATASET)] == [1]


def test_an_issuer_distrusted_after_the_request_is_no_longer_enough(world: World) -> None:
    grant(world)
    credential, _ = world.issue()
    world.ok(world.reader, "request", world.request(world.presentation([credential])))
    trust(world.members, KIND, ISSUER, "distrust_issuer")
    log = world.refused(world.owner, "release", world.release(), NoValidGrantError)
    assert "trust list" in log


# ---------------------------------------------------------------------------- determinism
def test_two_chains_fed_the_same_blocks_reach_the_same_app_hash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chain = TestChain.in_process(MemoryStore(), CHAIN_ID)
    chain.init_chain(genesis())
    blocks: list[list[bytes]] = []
    hashes: list[bytes] = []
    produce = chain.produce_block

    def recording(txs: list[bytes]) -> pb.ResponseFinalizeBlock:
        result = produce(txs)
        blocks.append(list(txs))
        hashes.append(result.app_hash)
        return result

    monkeypatch.setattr(chain, "produce_block", recording)
    world = make_world(chain)
    grant(world)
    credential, index = world.issue()
    world.ok(world.reader, "request", world.request(world.presentation([credential])))
    world.ok(world.owner, "release", world.release())
    world.status("revoke_status", index)
    replay = TestChain.in_process(MemoryStore(), CHAIN_ID)
    replay.init_chain(genesis())
    assert [replay.produce_block(txs).app_hash for txs in blocks] == hashes
    assert list(replay.app.store.iterate(b"")) == list(chain.app.store.iterate(b""))
    chain.close()
    replay.close()
