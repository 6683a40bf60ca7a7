"""Data sharing through the whole application: encryption keys, datasets and versions, grants,
requests, key releases and their receipts, and the invariants the issue asks us to try to
break: no plaintext or bare data key on chain, every release under a grant valid at its height
with exactly one receipt, and refusals that change nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from tendermint.abci import types_pb2 as pb

from cornerstone import encoding
from cornerstone.crypto import PrivateKey
from cornerstone.datashare import DataKey, EncryptionKey, encrypt
from cornerstone.errors import InvalidArgumentsError, TransactionError
from cornerstone.modules.datashare import MODULE as DATASHARE
from cornerstone.modules.datashare.errors import (
    AlreadyReleasedError,
    DatasetExistsError,
    EncryptionKeyMissingError,
    GrantRevokedError,
    InvalidExpiryError,
    NotDatasetOwnerError,
    NoValidGrantError,
    UnknownGranteeError,
    VersionMismatchError,
    VersionNotFoundError,
)
from cornerstone.modules.datashare.keys import receipt_key
from cornerstone.state import MemoryStore
from cornerstone.testing import BLOCK_INTERVAL_NS, GENESIS_TIME_NS, TestChain
from cornerstone.tx import sign_transaction
from tests.app.test_application import check_invariants
from tests.conftest import CHAIN_ID, admin_key, genesis, org_key

DATASET = bytes(range(16))
PLAINTEXT = b"shipment,weight\nA-1,1200\nA-2,900\n" * 4


@dataclass
class Party:
    """One identity sending datashare transactions, with its nonce and encryption key."""

    key: PrivateKey
    enc: EncryptionKey = field(default_factory=EncryptionKey.generate)
    nonce: int = 0

    @property
    def id(self) -> bytes:
        return self.key.public_key.fingerprint


@dataclass
class Net:
    chain: TestChain
    sent: list[bytes] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)

    def send(
        self, party: Party, operation: str, args: Mapping[str, encoding.Value]
    ) -> pb.ExecTxResult:
        tx = sign_transaction(
            party.key,
            chain_id=CHAIN_ID,
            nonce=party.nonce,
            module="datashare",
            operation=operation,
            args=args,
            gas_limit=1_000_000,
        )
        raw = tx.encode()
        checked = self.chain.check_tx(raw)
        self.logs.append(checked.log)
        if checked.code != 0:
            return pb.ExecTxResult(code=checked.code, codespace=checked.codespace, log=checked.log)
        party.nonce += 1
        self.sent.append(raw)
        result = self.chain.produce_block([raw]).tx_results[0]
        self.logs.append(result.log)
        check_invariants(self.chain)
        return result

    def ok(
        self, party: Party, operation: str, args: Mapping[str, encoding.Value]
    ) -> pb.ExecTxResult:
        result = self.send(party, operation, args)
        assert result.code == 0, result.log
        return result

    def refused(
        self,
        party: Party,
        operation: str,
        args: Mapping[str, encoding.Value],
        error: type[TransactionError],
    ) -> str:
        """Send, expect `error`, and check that the refusal changed no datashare state."""
        before = self.datashare_state()
        result = self.send(party, operation, args)
        assert (result.codespace, result.code) == (error.codespace, error.code), result.log
        assert self.datashare_state() == before
        return result.log

    def datashare_state(self) -> list[tuple[bytes, bytes]]:
        return list(self.chain.app.store.iterate(b"datashare/"))

    def query(self, name: str, **args: encoding.Value) -> Any:
        answer = self.chain.query(f"/datashare/{name}", encoding.encode(args))
        assert answer.code == 0, answer.log
        return encoding.decode(answer.value)


@pytest.fixture
def net() -> Iterator[Net]:
    chain = TestChain.in_process(MemoryStore(), CHAIN_ID)
    chain.init_chain(genesis())
    yield Net(chain)
    chain.close()


@pytest.fixture
def owner(net: Net) -> Party:
    party = Party(org_key("org1"))
    net.ok(party, "register_key", {"public_key": party.enc.public_key})
    return party


@pytest.fixture
def reader(net: Net) -> Party:
    party = Party(org_key("org2"))
    net.ok(party, "register_key", {"public_key": party.enc.public_key})
    return party


def publish_args(
    owner: Party, plaintext: bytes = PLAINTEXT, version: int = 1, dataset: bytes = DATASET
) -> tuple[dict[str, encoding.Value], DataKey]:
    sealed = encrypt(plaintext, dataset=dataset, version=version)
    args: dict[str, encoding.Value] = {
        "dataset": dataset,
        "version": version,
        "content_hash": sealed.content_hash,
        "cipher_hash": sealed.cipher_hash,
        "size": sealed.size,
        "location": f"file:///store/{sealed.cipher_hash.hex()}",
        "owner_key": sealed.key.wrap_for(owner.enc.public_key),
        "title": "shipments" if version == 1 else "",
        "schema": '{"columns": ["shipment", "weight"]}',
    }
    return args, sealed.key


def grant_args(grantee: str = "org2", kind: str = "org", **more: Any) -> dict[str, Any]:
    return {"dataset": DATASET, "kind": kind, "grantee": grantee, "purpose": "audit", **more}


def release_args(
    reader: Party, key: DataKey, version: int = 1, purpose: str = "audit"
) -> dict[str, Any]:
    return {
        "dataset": DATASET,
        "version": version,
        "recipient": reader.id,
        "purpose": purpose,
        "wrapped_key": key.wrap_for(reader.enc.public_key),
    }


# ---------------------------------------------------------------------------- the flow
def test_publish_grant_request_release_leaves_one_receipt(
    net: Net, owner: Party, reader: Party
) -> None:
    args, key = publish_args(owner)
    net.ok(owner, "publish", args)
    net.ok(owner, "grant", grant_args())
    net.ok(reader, "request", {"dataset": DATASET, "version": 1, "purpose": "audit"})
    [pending] = net.query("requests", owner=owner.id)
    assert pending["requester"] == reader.id and pending["purpose"] == "audit"
    released = net.ok(owner, "release", release_args(reader, key))
    events = {e.type: {a.key: a.value for a in e.attributes} for e in released.events}
    assert events["datashare.released"]["grant"] == "1"
    assert net.query("requests", owner=owner.id) == []
    [receipt] = net.query("receipts", dataset=DATASET)
    assert receipt["recipient"] == reader.id and receipt["org"] == "org2"
    assert receipt["grant"] == 1 and receipt["purpose"] == "audit"
    assert receipt["height"] == net.chain.height
    assert receipt["state_key"] == receipt_key(DATASET, 1, reader.id)
    assert net.query("receipts", recipient=reader.id) == [receipt]
    found = net.query("release", dataset=DATASET, version=1, recipient=reader.id)
    assert reader.enc.unwrap(found["wrapped_key"]).secret() == key.secret()
    assert net.query("dataset", dataset=DATASET)["versions"] == 1


def test_a_second_release_of_one_version_to_one_recipient_is_refused(
    net: Net, owner: Party, reader: Party
) -> None:
    args, key = publish_args(owner)
    net.ok(owner, "publish", args)
    net.ok(owner, "grant", grant_args())
    net.ok(owner, "release", release_args(reader, key))
    net.refused(owner, "release", release_args(reader, key), AlreadyReleasedError)
    net.refused(
        reader,
        "request",
        {"dataset": DATASET, "version": 1, "purpose": "audit"},
        AlreadyReleasedError,
    )
    assert len(net.query("receipts", dataset=DATASET)) == 1


def test_a_member_grant_covers_that_identity_only(net: Net, owner: Party, reader: Party) -> None:
    args, key = publish_args(owner)
    net.ok(owner, "publish", args)
    net.ok(owner, "grant", grant_args(reader.id.hex(), kind="member"))
    other = Party(admin_key("org2"))
    net.ok(other, "register_key", {"public_key": other.enc.public_key})
    log = net.refused(owner, "release", release_args(other, key), NoValidGrantError)
    assert "is for member" in log
    net.ok(owner, "release", release_args(reader, key))


# ---------------------------------------------------------------------------- refusals
def test_a_release_needs_a_grant_for_that_org_and_purpose(
    net: Net, owner: Party, reader: Party
) -> None:
    args, key = publish_args(owner)
    net.ok(owner, "publish", args)
    log = net.refused(owner, "release", release_args(reader, key), NoValidGrantError)
    assert "no grants" in log
    net.ok(owner, "grant", grant_args("org3"))
    net.ok(owner, "grant", grant_args(purpose="marketing"))
    log = net.refused(owner, "release", release_args(reader, key), NoValidGrantError)
    assert "organization org3" in log and "'marketing'" in log
    log = net.refused(
        owner, "release", release_args(reader, key, purpose="resale"), NoValidGrantError
    )


def test_an_expired_grant_is_refused_by_height_and_by_block_time(
    net: Net, owner: Party, reader: Party
) -> None:
    args, key = publish_args(owner)
    net.ok(owner, "publish", args)
    net.ok(owner, "grant", grant_args(expires_height=net.chain.height + 2))
    net.chain.produce_block([])
    net.chain.produce_block([])
    log = net.refused(owner, "release", release_args(reader, key), NoValidGrantError)
    assert "expired after height" in log
    soon = net.chain.time_ns + 2 * BLOCK_INTERVAL_NS
    net.ok(owner, "grant", grant_args(expires_time=soon))
    net.chain.produce_block([])
    log = net.refused(owner, "release", release_args(reader, key), NoValidGrantError)
    assert "expired at block time" in log
    net.refused(owner, "grant", grant_args(expires_height=1), InvalidExpiryError)
    net.refused(owner, "grant", grant_args(expires_time=GENESIS_TIME_NS), InvalidExpiryError)


def test_a_revoked_grant_gets_no_future_version(net: Net, owner: Party, reader: Party) -> None:
    args, key = publish_args(owner)
    net.ok(owner, "publish", args)
    net.ok(owner, "grant", grant_args())
    net.ok(owner, "release", release_args(reader, key))
    net.ok(owner, "revoke", {"dataset": DATASET, "grant": 1})
    args2, key2 = publish_args(owner, PLAINTEXT + b"A-3,10\n", version=2)
    net.ok(owner, "publish", args2)
    log = net.refused(owner, "release", release_args(reader, key2, version=2), NoValidGrantError)
    assert "revoked at height" in log
    net.refused(owner, "revoke", {"dataset": DATASET, "grant": 1}, GrantRevokedError)
    assert key2.secret() != key.secret(), "each version has its own key"
    assert len(net.query("receipts", dataset=DATASET)) == 1


def test_only_the_owner_publishes_grants_revokes_and_releases(
    net: Net, owner: Party, reader: Party
) -> None:
    args, key = publish_args(owner)
    net.ok(owner, "publish", args)
    args2, _ = publish_args(owner, version=2)
    net.refused(reader, "publish", args2, NotDatasetOwnerError)
    net.refused(reader, "grant", grant_args(), NotDatasetOwnerError)
    net.refused(reader, "revoke", {"dataset": DATASET, "grant": 1}, NotDatasetOwnerError)
    net.refused(reader, "release", release_args(reader, key), NotDatasetOwnerError)


def test_versions_follow_one_another(net: Net, owner: Party, reader: Party) -> None:
    args, _ = publish_args(owner)
    net.ok(owner, "publish", args)
    net.refused(owner, "publish", args, DatasetExistsError)
    args3, _ = publish_args(owner, version=3)
    net.refused(owner, "publish", args3, VersionMismatchError)
    net.refused(
        reader,
        "request",
        {"dataset": DATASET, "version": 2, "purpose": "audit"},
        VersionNotFoundError,
    )


def test_keys_must_be_registered_and_grantees_must_exist(net: Net, owner: Party) -> None:
    stranger = Party(org_key("org3"))
    args, key = publish_args(stranger)
    net.refused(stranger, "publish", args, EncryptionKeyMissingError)
    args, key = publish_args(owner)
    net.ok(owner, "publish", args)
    net.refused(owner, "release", release_args(stranger, key), EncryptionKeyMissingError)
    net.refused(owner, "grant", grant_args("org9"), UnknownGranteeError)
    net.refused(
        owner,
        "grant",
        grant_args("org2", issuer=f"did:cornerstone:{CHAIN_ID}:x"),
        InvalidArgumentsError,
    )


def test_a_bare_data_key_is_refused_as_arguments(net: Net, owner: Party, reader: Party) -> None:
    args, key = publish_args(owner)
    net.ok(owner, "publish", args)
    net.ok(owner, "grant", grant_args())
    bare = {**release_args(reader, key), "wrapped_key": key.secret()}
    net.refused(owner, "release", bare, InvalidArgumentsError)
    padded = {**args, "owner_key": key.secret()}
    net.refused(owner, "publish", padded, InvalidArgumentsError)


# ---------------------------------------------------------------------------- leaks
def test_no_plaintext_and_no_bare_key_reaches_the_chain(
    net: Net, owner: Party, reader: Party
) -> None:
    """Scan every transaction's bytes, every state value and every log of a whole flow for the
    plaintext, the data keys and the encryption private keys, in raw and hex form."""
    args, key = publish_args(owner)
    net.ok(owner, "publish", args)
    net.ok(owner, "grant", grant_args())
    net.ok(reader, "request", {"dataset": DATASET, "version": 1, "purpose": "audit"})
    net.ok(owner, "release", release_args(reader, key))
    args2, key2 = publish_args(owner, PLAINTEXT[::-1], version=2)
    net.ok(owner, "publish", args2)
    net.ok(owner, "revoke", {"dataset": DATASET, "grant": 1})
    net.refused(owner, "release", release_args(reader, key2, version=2), NoValidGrantError)
    net.refused(
        owner,
        "release",
        {**release_args(reader, key2, 2), "wrapped_key": key2.secret()},
        InvalidArgumentsError,
    )
    secrets = [
        PLAINTEXT,
        PLAINTEXT[::-1],
        PLAINTEXT[:16],
        key.secret(),
        key2.secret(),
        bytes(owner.enc._private),
        bytes(reader.enc._private),
    ]
    sent = [raw for raw in net.sent]
    state = [k + v for k, v in net.chain.app.store.iterate(b"")]
    logs = [log.encode() for log in net.logs]
    for secret in secrets:
        for blob in (*sent, *state, *logs):
            assert secret not in blob
            assert secret.hex().encode() not in blob
    assert hashlib.sha256(PLAINTEXT).digest() in b"".join(state), "the hash is, by design"


# ---------------------------------------------------------------------------- genesis
def test_genesis_export_recreates_the_module_state(net: Net, owner: Party, reader: Party) -> None:
    args, key = publish_args(owner)
    net.ok(owner, "publish", args)
    net.ok(owner, "grant", grant_args())
    net.ok(owner, "release", release_args(reader, key))
    exported = DATASHARE.genesis.export(net.chain.app.store)
    fresh = TestChain.in_process(MemoryStore(), CHAIN_ID)
    fresh.init_chain({**genesis(), "datashare": exported})
    fresh.produce_block([])  # genesis state is committed with the first block
    assert list(fresh.app.store.iterate(b"datashare/")) == net.datashare_state()
    check_invariants(fresh)
    with pytest.raises(Exception, match="not under datashare"):
        DATASHARE.genesis.validate({"records": {b"notary/x".hex(): "00"}})
