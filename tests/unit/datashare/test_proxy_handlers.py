"""Delivery by the nodes' proxies through the whole application in-process: five member
organizations, four with a registered proxy; org1 publishes with a capsule, grants org2 and
delegates to the four proxies with threshold 3; org2 requests. Each proxy's capsule fragment is
made with real Umbral re-encryption. The invariants run after every block (`Net.send`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import nacl.public
import pytest
import umbral_pre

from cornerstone import encoding
from cornerstone.datashare import DataKey, decrypt, encrypt
from cornerstone.datashare.delegation import UmbralKeys
from cornerstone.datashare.proxy import ProxyKey
from cornerstone.errors import InvalidArgumentsError, TransactionError
from cornerstone.identity.errors import RoleNotAllowedError
from cornerstone.modules.datashare import pre
from cornerstone.modules.datashare.errors import (
    AlreadyReleasedError,
    DelegationExistsError,
    DelegationGranteeError,
    DuplicateCfragError,
    ForeignKfragError,
    InvalidCfragError,
    NoCapsuleError,
    NoPendingRequestError,
    NotProxyError,
    NoValidGrantError,
    ProxyNotDelegatedError,
    UmbralKeyMissingError,
    UnknownProxyError,
)
from cornerstone.state import MemoryStore
from cornerstone.testing import TestChain
from tests.app.test_datashare import Net, Party
from tests.conftest import admin_key, genesis, org_key

DATASET = bytes(range(16))
PLAINTEXT = b"container,weight\nC-1,21000\nC-2,18000\n" * 3
ORGS = ("org1", "org2", "org3", "org4", "org5")
PROXY_ORGS = ("org1", "org2", "org3", "org4")
"""org5 runs no proxy."""


@dataclass
class Member(Party):
    umbral: UmbralKeys = field(default_factory=UmbralKeys.generate)

    def register(self, net: Net) -> None:
        net.ok(
            self,
            "register_key",
            {"public_key": self.enc.public_key, **self.umbral.registration()},
        )


@dataclass
class ProxyNode:
    party: Party
    key: ProxyKey = field(default_factory=ProxyKey.generate)


@dataclass
class World:
    net: Net
    owner: Member
    reader: Member
    proxies: dict[str, ProxyNode]
    data_key: DataKey
    ciphertext: bytes
    capsule: bytes
    key_ciphertext: bytes
    kfrags: dict[str, bytes] = field(default_factory=dict)
    """Each proxy's key fragment as the proxy opens it (the chain holds only sealed ones)."""

    def delegate(self, grant: int = 1, recipient: Member | None = None, **change: Any) -> Any:
        who = recipient or self.reader
        args = delegation_args(self, grant, who)
        args.update(change)
        return args

    def cfrag(self, org: str, kfrag_org: str | None = None) -> bytes:
        """`org`'s proxy re-encrypts the capsule with its own (or another's) key fragment."""
        kfrag = umbral_pre.KeyFrag.from_bytes(self.kfrags[kfrag_org or org]).skip_verification()
        return bytes(umbral_pre.reencrypt(umbral_pre.Capsule.from_bytes(self.capsule), kfrag))

    def reencrypt_args(self, org: str, **change: Any) -> dict[str, Any]:
        args: dict[str, Any] = {
            "dataset": DATASET,
            "version": 1,
            "recipient": self.reader.id,
            "grant": 1,
        }
        args.update(change)
        if "cfrag" not in args:
            args["cfrag"] = self.cfrag(org)
        return args

    def give(self, org: str, **change: Any) -> Any:
        return self.net.ok(self.proxies[org].party, "reencrypt", self.reencrypt_args(org, **change))

    def refused(self, org: str, error: type[TransactionError], **change: Any) -> str:
        party = self.proxies[org].party if org in self.proxies else Party(admin_key(org))
        return self.net.refused(party, "reencrypt", self.reencrypt_args(org, **change), error)


def delegation_args(world: World, grant: int, recipient: Member) -> dict[str, Any]:
    kfrags = umbral_pre.generate_kfrags(
        world.owner.umbral.delegating,
        recipient.umbral.receiving.public_key(),
        world.owner.umbral.signer,
        3,
        len(PROXY_ORGS),
        True,
        True,
    )
    ids, sealed = [], []
    for org, kfrag in zip(PROXY_ORGS, kfrags, strict=True):
        raw = bytes(kfrag)
        world.kfrags[org] = raw
        ids.append(pre.kfrag_id(raw))
        box = nacl.public.SealedBox(nacl.public.PublicKey(world.proxies[org].key.public_key))
        sealed.append(bytes(box.encrypt(raw)))
    return {
        "dataset": DATASET,
        "grant": grant,
        "recipient": recipient.id,
        "threshold": 3,
        "proxies": list(PROXY_ORGS),
        "kfrag_ids": ids,
        "sealed_kfrags": sealed,
    }


@pytest.fixture
def world() -> Iterator[World]:
    chain = TestChain.in_process(MemoryStore(), "test-chain")
    chain.init_chain(genesis(ORGS))
    net = Net(chain)
    owner, reader = Member(org_key("org1")), Member(org_key("org2"))
    owner.register(net)
    reader.register(net)
    proxies = {org: ProxyNode(Party(admin_key(org))) for org in PROXY_ORGS}
    for node in proxies.values():
        net.ok(node.party, "register_proxy", {"public_key": node.key.public_key})
    sealed = encrypt(PLAINTEXT, dataset=DATASET, version=1)
    capsule, key_ciphertext = owner.umbral.capsule_for(sealed.key)
    net.ok(
        owner,
        "publish",
        {
            "dataset": DATASET,
            "version": 1,
            "content_hash": sealed.content_hash,
            "cipher_hash": sealed.cipher_hash,
            "size": sealed.size,
            "location": f"file:///store/{sealed.cipher_hash.hex()}",
            "owner_key": sealed.key.wrap_for(owner.enc.public_key),
            "title": "containers",
            "capsule": capsule,
            "key_ciphertext": key_ciphertext,
        },
    )
    made = World(
        net, owner, reader, proxies, sealed.key, sealed.ciphertext, capsule, key_ciphertext
    )
    net.ok(
        owner, "grant", {"dataset": DATASET, "kind": "org", "grantee": "org2", "purpose": "audit"}
    )
    net.ok(owner, "delegate", made.delegate())
    net.ok(reader, "request", {"dataset": DATASET, "version": 1, "purpose": "audit"})
    yield made
    chain.close()


def events(result: Any) -> dict[str, dict[str, str]]:
    return {e.type: {a.key: a.value for a in e.attributes} for e in result.events}


def open_from_chain(world: World) -> bytes:
    """What the reader does: verify the fragments on chain and open the data key."""
    capsule = umbral_pre.Capsule.from_bytes(world.capsule)
    verified = []
    for entry in world.net.query("cfrags", dataset=DATASET, version=1, recipient=world.reader.id):
        stored = world.net.chain.app.store.get(entry["state_key"])
        assert stored is not None
        raw = encoding.decode(stored)
        assert isinstance(raw, dict) and isinstance(raw["cfrag"], bytes)
        verified.append(
            umbral_pre.CapsuleFrag.from_bytes(raw["cfrag"]).verify(
                capsule,
                world.owner.umbral.signer.verifying_key(),
                world.owner.umbral.delegating.public_key(),
                world.reader.umbral.receiving.public_key(),
            )
        )
    opened = umbral_pre.decrypt_reencrypted(
        world.reader.umbral.receiving,
        world.owner.umbral.delegating.public_key(),
        capsule,
        verified,
        world.key_ciphertext,
    )
    assert opened is not None
    return opened


# ---------------------------------------------------------------------------- the flow
def test_the_threshold_fragment_writes_the_one_receipt(world: World) -> None:
    first = world.give("org1")
    assert events(first)["datashare.reencrypted"]["fragments"] == "1"
    world.give("org3")
    assert world.net.query("receipts", dataset=DATASET) == []
    assert len(world.net.query("requests", dataset=DATASET)) == 1, "still pending"
    third = world.give("org4")
    released = events(third)["datashare.released"]
    assert released["delivery"] == "proxies" and released["grant"] == "1"
    [receipt] = world.net.query("receipts", dataset=DATASET)
    assert receipt["recipient"] == world.reader.id and receipt["org"] == "org2"
    assert receipt["delivery"] == "proxies" and receipt["purpose"] == "audit"
    assert receipt["height"] == world.net.chain.height
    assert world.net.query("requests", dataset=DATASET) == []
    assert world.net.query("release", dataset=DATASET, version=1, recipient=world.reader.id) is None
    world.refused("org2", AlreadyReleasedError)
    assert len(world.net.query("receipts", dataset=DATASET)) == 1
    key = open_from_chain(world)
    assert key == world.data_key.secret()
    assert decrypt(world.ciphertext, DataKey(key), dataset=DATASET, version=1) == PLAINTEXT


def test_the_owner_can_still_release_before_the_proxies_finish(world: World) -> None:
    world.give("org1")
    world.net.ok(
        world.owner,
        "release",
        {
            "dataset": DATASET,
            "version": 1,
            "recipient": world.reader.id,
            "purpose": "audit",
            "wrapped_key": world.data_key.wrap_for(world.reader.enc.public_key),
        },
    )
    world.refused("org2", AlreadyReleasedError)
    [receipt] = world.net.query("receipts", dataset=DATASET)
    assert receipt["delivery"] == "owner"


# ---------------------------------------------------------------------------- refusals
def test_a_fragment_from_an_organization_without_a_proxy_is_refused(world: World) -> None:
    log = world.refused("org5", NotProxyError, cfrag=world.cfrag("org1"))
    assert "org5" in log


def test_a_forged_fragment_is_refused(world: World) -> None:
    good = world.cfrag("org1")
    forged = good[:-1] + bytes([good[-1] ^ 1])
    world.refused("org1", InvalidCfragError, cfrag=forged)
    # A fragment of a key fragment the owner never signed, passed off under org1's id.
    stranger = UmbralKeys.generate()
    [kfrag] = umbral_pre.generate_kfrags(
        stranger.delegating,
        world.reader.umbral.receiving.public_key(),
        stranger.signer,
        1,
        1,
        True,
        True,
    )
    other = bytes(umbral_pre.reencrypt(umbral_pre.Capsule.from_bytes(world.capsule), kfrag))
    world.refused("org1", ForeignKfragError, cfrag=other)
    world.give("org1")


def test_a_fragment_made_with_another_proxys_key_fragment_is_refused(world: World) -> None:
    world.refused("org1", ForeignKfragError, cfrag=world.cfrag("org1", kfrag_org="org2"))


def test_a_second_fragment_from_one_proxy_is_refused(world: World) -> None:
    world.give("org1")
    world.refused("org1", DuplicateCfragError)


def test_a_fragment_after_the_revocation_is_refused(world: World) -> None:
    world.give("org1")
    world.net.ok(world.owner, "revoke", {"dataset": DATASET, "grant": 1})
    log = world.refused("org2", NoValidGrantError)
    assert "revoked at height" in log
    assert world.net.query("receipts", dataset=DATASET) == []


def test_a_fragment_under_an_expired_grant_is_refused(world: World) -> None:
    height = world.net.chain.height
    world.net.ok(
        world.owner,
        "grant",
        {
            "dataset": DATASET,
            "kind": "member",
            "grantee": world.reader.id.hex(),
            "purpose": "audit",
            "expires_height": height + 3,
        },
    )
    world.net.ok(world.owner, "delegate", world.delegate(grant=2))
    world.give("org1", grant=2)
    world.net.chain.produce_block([])
    world.net.chain.produce_block([])
    log = world.refused("org2", NoValidGrantError, grant=2, cfrag=world.cfrag("org2"))
    assert "expired after height" in log


def test_fragments_after_the_receipt_or_without_a_capsule_are_refused(world: World) -> None:
    for org in ("org1", "org2", "org3"):
        world.give(org)
    world.refused("org4", AlreadyReleasedError)
    sealed = encrypt(PLAINTEXT, dataset=DATASET, version=2)
    world.net.ok(
        world.owner,
        "publish",
        {
            "dataset": DATASET,
            "version": 2,
            "content_hash": sealed.content_hash,
            "cipher_hash": sealed.cipher_hash,
            "size": sealed.size,
            "location": f"file:///store/{sealed.cipher_hash.hex()}",
            "owner_key": sealed.key.wrap_for(world.owner.enc.public_key),
        },
    )
    world.refused("org4", NoCapsuleError, version=2)


def test_fragments_nobody_requested_are_refused(world: World) -> None:
    other = Member(org_key("org3"))
    other.register(world.net)
    world.net.ok(
        world.owner,
        "grant",
        {"dataset": DATASET, "kind": "org", "grantee": "org3", "purpose": "audit"},
    )
    world.net.ok(world.owner, "delegate", world.delegate(grant=2, recipient=other))
    world.refused("org1", NoPendingRequestError, recipient=other.id, grant=2)


# ---------------------------------------------------------------------------- delegations
def test_delegations_are_checked(world: World) -> None:
    net, owner = world.net, world.owner
    net.refused(owner, "delegate", world.delegate(), DelegationExistsError)
    net.ok(owner, "grant", {"dataset": DATASET, "kind": "org", "grantee": "org3", "purpose": "x"})
    net.refused(owner, "delegate", world.delegate(grant=2), DelegationGranteeError)
    stranger = Member(org_key("org3"))
    net.ok(stranger, "register_key", {"public_key": stranger.enc.public_key})
    net.refused(
        owner, "delegate", world.delegate(grant=2, recipient=stranger), UmbralKeyMissingError
    )
    stranger.register(net)
    args = world.delegate(grant=2, recipient=stranger)
    too_low = dict(args, threshold=2)
    net.refused(owner, "delegate", too_low, InvalidArgumentsError)
    with_org5 = dict(
        args,
        proxies=["org1", "org2", "org3", "org5"],
    )
    net.refused(owner, "delegate", with_org5, UnknownProxyError)
    bare = dict(args, sealed_kfrags=list(world.kfrags.values()))
    net.refused(owner, "delegate", bare, InvalidArgumentsError)
    net.ok(owner, "delegate", args)
    assert (
        net.query("delegation", dataset=DATASET, grant=2, recipient=stranger.id)["threshold"] == 3
    )


def test_a_proxy_the_delegation_does_not_name_is_refused(world: World) -> None:
    node = ProxyNode(Party(admin_key("org5")))
    world.net.ok(node.party, "register_proxy", {"public_key": node.key.public_key})
    world.proxies["org5"] = node
    world.refused("org5", ProxyNotDelegatedError, cfrag=world.cfrag("org1"))
    [org5] = [p for p in world.net.query("proxies") if p["org"] == "org5"]
    assert org5["identity"] == node.party.id and org5["active"] is True


def test_only_an_admin_registers_a_proxy(world: World) -> None:
    world.net.refused(
        Party(org_key("org5")),
        "register_proxy",
        {"public_key": bytes(range(1, 33))},
        RoleNotAllowedError,
    )


# ---------------------------------------------------------------------------- secrets
def test_no_plaintext_or_bare_key_reaches_the_chain(world: World) -> None:
    for org in ("org2", "org3", "org4"):
        world.give(org)
    secrets = [
        PLAINTEXT,
        world.data_key.secret(),
        *world.kfrags.values(),
        world.owner.umbral._seed,
        world.reader.umbral._seed,
        world.owner.umbral.delegating.to_be_bytes(),
        world.reader.umbral.receiving.to_be_bytes(),
        *(bytes(node.key._private) for node in world.proxies.values()),
    ]
    values = [v for _, v in world.net.datashare_state()]
    logs = [log.encode() for log in world.net.logs]
    for secret in secrets:
        for blob in (*world.net.sent, *values, *logs):
            assert secret not in blob
            assert secret.hex().encode() not in blob
    assert "seed" not in repr(world.owner.umbral) and "private" not in repr(
        world.proxies["org1"].key
    )
