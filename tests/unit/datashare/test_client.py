"""The data-sharing SDK against the real application behind an in-memory node: the whole
exchange between two organizations, and each step of `fetch` failing for its own reason, with
nothing lost (the chain keeps its records, a good copy still fetches)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cornerstone import encoding
from cornerstone.datashare import DataShare, EncryptionKey, LocalBlobStore, audit, audit_csv
from cornerstone.datashare.envelope import encrypt
from cornerstone.datashare.errors import (
    BlobNotFoundError,
    CipherHashMismatchError,
    ContentHashMismatchError,
    KeyMismatchError,
    NoKeyReleasedError,
    UnknownVersionError,
)
from cornerstone.errors import ProofError, TransactionFailedError
from cornerstone.sdk import Client, Signer
from tests.conftest import genesis, org_key
from tests.unit.cli.fake_rpc import FakeRpc

DATA = b"id,amount\n1,100\n2,250\n" * 20


@dataclass
class Two:
    rpc: FakeRpc
    store: LocalBlobStore
    owner: DataShare
    reader: DataShare


def party(rpc: FakeRpc, org: str, store: LocalBlobStore) -> DataShare:
    share = DataShare(
        Signer(rpc.client(), org_key(org)), encryption_key=EncryptionKey.generate(), store=store
    )
    share.register_key()
    return share


@pytest.fixture
def two(tmp_path: Path) -> Iterator[Two]:
    rpc = FakeRpc.started(genesis())
    store = LocalBlobStore(tmp_path / "store")
    made = Two(rpc, store, party(rpc, "org1", store), party(rpc, "org2", store))
    yield made
    for share in (made.owner, made.reader):
        share.client.close()


def shared(two: Two) -> bytes:
    """Org1 publishes and grants org2; org2 requests; org1 delivers. The dataset id."""
    published = two.owner.publish(DATA, title="payments", schema="id,amount")
    two.owner.grant(published.dataset, kind="org", grantee="org2", purpose="audit")
    two.reader.request(published.dataset, 1, "audit")
    [delivered] = two.owner.deliver()
    assert delivered.committed is not None and delivered.refusal == ""
    return published.dataset


def test_two_organizations_share_a_dataset(two: Two) -> None:
    dataset = shared(two)
    assert two.reader.fetch(dataset, 1) == DATA
    assert two.owner.fetch(dataset, 1) == DATA, "the owner reads its own through owner_key"
    [entry] = audit(two.owner.client, dataset=dataset)
    assert entry.receipt["recipient"] == two.reader.identity and entry.receipt["grant"] == 1
    assert entry.app_hash == two.rpc.app_hashes[entry.proof_height]
    [again] = audit(two.owner.client, recipient=two.reader.identity)
    assert again.receipt == entry.receipt
    assert entry.to_json()["proof"]["verified"] is True
    lines = audit_csv([entry]).splitlines()
    assert lines[0].startswith("dataset,version,recipient") and dataset.hex() in lines[1]


def test_a_new_version_has_a_new_key_and_a_revoked_grant_gets_none(two: Two) -> None:
    dataset = shared(two)
    two.owner.revoke(dataset, 1)
    second = two.owner.publish(DATA + b"3,7\n", dataset=dataset)
    assert second.version == 2
    two.reader.request(dataset, 2, "audit")
    [refused] = two.owner.deliver()
    assert refused.committed is None and "revoked at height" in refused.refusal
    with pytest.raises(NoKeyReleasedError, match=r"step 3.*pending"):
        two.reader.fetch(dataset, 2)
    assert two.reader.fetch(dataset, 1) == DATA, "what was released stays readable"


def test_an_expired_grant_releases_nothing_and_the_request_waits(two: Two) -> None:
    published = two.owner.publish(DATA, title="payments")
    height = two.owner.client.height()
    two.owner.grant(
        published.dataset, kind="org", grantee="org2", purpose="audit", expires_height=height + 1
    )
    two.rpc.produce([])
    two.rpc.produce([])
    two.reader.request(published.dataset, 1, "audit")
    [refused] = two.owner.deliver()
    assert "expired after height" in refused.refusal
    assert len(two.owner.pending()) == 1, "nothing lost: the request is still there"
    two.owner.grant(published.dataset, kind="org", grantee="org2", purpose="audit")
    [delivered] = two.owner.deliver()
    assert delivered.committed is not None
    assert two.reader.fetch(published.dataset, 1) == DATA


def test_a_tampered_ciphertext_is_refused_and_a_good_copy_still_fetches(
    two: Two, tmp_path: Path
) -> None:
    dataset = shared(two)
    record = two.reader.version(dataset, 1)
    path = two.store.path_of(record["cipher_hash"])
    good = path.read_bytes()
    path.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    with pytest.raises(CipherHashMismatchError, match=r"step 2 .* altered"):
        two.reader.fetch(dataset, 1)
    backup = LocalBlobStore(tmp_path / "backup")
    backup.put(good)
    assert two.reader.fetch(dataset, 1, store=backup) == DATA
    path.unlink()
    with pytest.raises(BlobNotFoundError, match="step 1"):
        two.reader.fetch(dataset, 1)


def test_the_wrong_encryption_key_is_named(two: Two) -> None:
    dataset = shared(two)
    registered = two.reader.encryption_key
    two.reader.encryption_key = EncryptionKey.generate()
    with pytest.raises(KeyMismatchError, match="step 4") as refused:
        two.reader.fetch(dataset, 1)
    assert registered is not None and registered.public_key.hex() in refused.value.message
    two.reader.encryption_key = registered
    assert two.reader.fetch(dataset, 1) == DATA


def test_a_content_hash_that_does_not_match_is_refused(two: Two) -> None:
    """An owner that registers the hash of other content: decryption works, step 6 refuses."""
    dataset = b"\x07" * 16
    sealed = encrypt(DATA, dataset=dataset, version=1)
    owner_key = two.owner.encryption_key
    assert owner_key is not None
    two.owner.signer.submit(
        "datashare",
        "publish",
        {
            "dataset": dataset,
            "version": 1,
            "content_hash": hashlib.sha256(b"other").digest(),
            "cipher_hash": sealed.cipher_hash,
            "size": sealed.size,
            "location": two.store.put(sealed.ciphertext),
            "owner_key": sealed.key.wrap_for(owner_key.public_key),
            "title": "mislabelled",
        },
    )
    with pytest.raises(ContentHashMismatchError, match="step 6"):
        two.owner.fetch(dataset, 1)


def test_unknown_versions_and_unreleased_keys_are_named(two: Two) -> None:
    dataset = shared(two)
    with pytest.raises(UnknownVersionError):
        two.reader.fetch(dataset, 9)
    third = DataShare(
        Signer(two.rpc.client(), org_key("org3")), encryption_key=EncryptionKey.generate()
    )
    third.register_key()
    with pytest.raises(NoKeyReleasedError, match="cornerstone data request"):
        third.fetch(dataset, 1)
    with pytest.raises(TransactionFailedError, match="no grant"):
        two.owner.release(dataset, 1, third.identity, "audit")


def test_an_audit_refuses_a_node_that_lies(two: Two, monkeypatch: pytest.MonkeyPatch) -> None:
    dataset = shared(two)
    client = two.owner.client
    honest = Client.query

    def lying(self: Client, module: str, name: str, **args: encoding.Value) -> encoding.Value:
        answer = honest(self, module, name, **args)
        if name == "receipts":
            assert isinstance(answer, list)
            return [{**r, "purpose": "something else"} for r in answer if isinstance(r, dict)]
        return answer

    monkeypatch.setattr(Client, "query", lying)
    with pytest.raises(ProofError, match="differs from the proven purpose"):
        audit(client, dataset=dataset)


def test_an_audit_refuses_a_receipt_under_another_key(
    two: Two, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A node that relabels a receipt (another recipient) while proving the real key is caught:
    the key is computed here from what the receipt claims."""
    dataset = shared(two)
    honest = Client.query

    def relabelled(self: Client, module: str, name: str, **args: encoding.Value) -> encoding.Value:
        answer = honest(self, module, name, **args)
        if name == "receipts":
            assert isinstance(answer, list)
            return [{**r, "recipient": b"\x01" * 32} for r in answer if isinstance(r, dict)]
        return answer

    monkeypatch.setattr(Client, "query", relabelled)
    with pytest.raises(ProofError, match="another state key"):
        audit(two.owner.client, dataset=dataset)


def test_fetch_refuses_a_node_that_lies_about_the_version(
    two: Two, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A node that swaps the version record (say, to point at its own ciphertext) cannot prove
    it: fetch reads the record with a proof and refuses before downloading anything."""
    dataset = shared(two)
    honest = two.rpc.chain.query

    def lying(path: str, data: bytes = b"", *, prove: bool = False, height: int = 0) -> Any:
        answer = honest(path, data, prove=prove, height=height)
        if path == "/store" and data.startswith(b"datashare/version/") and answer.value:
            answer.value = answer.value.replace(b"file://", b"http://", 1)
        return answer

    monkeypatch.setattr(two.rpc.chain, "query", lying)
    with pytest.raises(ProofError):
        two.reader.fetch(dataset, 1)
