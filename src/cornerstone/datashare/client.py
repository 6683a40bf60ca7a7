"""The data-sharing SDK: publish, grant, revoke, request, deliver, fetch and audit, with the
encryption on this side and only hashes, locations and sealed keys sent to the chain.

    share = DataShare(Signer(client, key), encryption_key=load_encryption_key(path), store=store)
    published = share.publish(data, title="Q3 shipments")
    share.grant(published.dataset, kind="org", grantee="org2", purpose="audit")
    # org2: share.request(dataset, 1, "audit"); org1: share.deliver(); org2: share.fetch(...)

    share.grant(dataset, kind="credential", grantee="CustomsBroker", purpose="clearance")
    # a holder: vp = share.present_for([credential], dataset=..., version=1,
    #     purpose="clearance", holder=did, holder_key=key); share.request(..., presentation=vp)
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from cornerstone import encoding
from cornerstone.crypto import PrivateKey
from cornerstone.datashare.delegation import UmbralKeys, delivered_key
from cornerstone.datashare.envelope import DataKey, EncryptionKey, decrypt, encrypt, new_dataset_id
from cornerstone.datashare.errors import (
    CipherHashMismatchError,
    ContentHashMismatchError,
    KeyMismatchError,
    NoKeyReleasedError,
    UnknownVersionError,
)
from cornerstone.datashare.store import BlobStore, store_of_location
from cornerstone.errors import (
    ClientError,
    ProofError,
    TransactionFailedError,
    TransactionRejectedError,
)
from cornerstone.modules.datashare.keys import receipt_key
from cornerstone.modules.datashare.messages import request_challenge
from cornerstone.modules.datashare.state import Version, get_dataset, get_release, get_version
from cornerstone.sdk import Client, Committed, Signer
from cornerstone.vc import present

MODULE: Final = "datashare"
PUBLISH_GAS: Final = 500_000
"""Enough for a publish with the longest title, description, schema and location."""
REQUEST_GAS: Final = 2_000_000
"""Enough for a request carrying the largest presentation the chain takes (16 KiB: its bytes,
parsing, canonicalization and signature checks)."""
AUDIT_COLUMNS: Final = (
    "dataset",
    "version",
    "recipient",
    "org",
    "grant",
    "purpose",
    "height",
    "time",
    "tx_hash",
    "credential",
    "state_key",
    "proof_height",
    "app_hash",
)


@dataclass(frozen=True, slots=True)
class Published:
    """A version on chain and its ciphertext in the store."""

    dataset: bytes
    version: int
    content_hash: bytes
    cipher_hash: bytes
    location: str
    committed: Committed


@dataclass(frozen=True, slots=True)
class Delivery:
    """What `deliver` did with one pending request."""

    dataset: bytes
    version: int
    recipient: bytes
    purpose: str
    committed: Committed | None
    """The release, or None when the chain refused it."""
    refusal: str
    """Why the chain refused it, with its code ("" when released)."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One access receipt with the proof of its state key against a block header."""

    receipt: dict[str, Any]
    """The receipt as the query answers it (bytes as bytes)."""
    proof_height: int
    """The state height the proof is for."""
    app_hash: bytes
    """The app hash (of the header after proof_height) it verified against."""

    def to_json(self) -> dict[str, Any]:
        row = {k: (v.hex() if isinstance(v, bytes) else v) for k, v in self.receipt.items()}
        row["proof"] = {
            "state_key": self.receipt["state_key"].hex(),
            "height": self.proof_height,
            "app_hash": self.app_hash.hex(),
            "verified": True,
        }
        return row


class DataShare:
    """One identity's view of data sharing: its signer, its encryption key and a store."""

    def __init__(
        self,
        signer: Signer,
        *,
        encryption_key: EncryptionKey | None = None,
        store: BlobStore | None = None,
        umbral: UmbralKeys | None = None,
    ) -> None:
        self.signer = signer
        self.client: Client = signer.client
        self.encryption_key = encryption_key
        self.store = store
        self.umbral = umbral
        """With Umbral keys: registered with the encryption key, a capsule with each publish
        (delivery by the nodes' proxies), and fetch opens keys the proxies re-encrypted."""

    @property
    def identity(self) -> bytes:
        return self.signer.key.public_key.fingerprint

    def _key(self) -> EncryptionKey:
        if self.encryption_key is None:
            raise ClientError(reason="this needs your encryption key file")
        return self.encryption_key

    def _store(self) -> BlobStore:
        if self.store is None:
            raise ClientError(reason="this needs an object store (--store)")
        return self.store

    # ------------------------------------------------------------------ keys
    def register_key(self) -> Committed:
        args: dict[str, encoding.Value] = {"public_key": self._key().public_key}
        if self.umbral is not None:
            args.update(self.umbral.registration())
        return self.signer.submit(MODULE, "register_key", args)

    def registered_key(self, identity: bytes) -> bytes | None:
        found = self.client.query(MODULE, "key", identity=identity)
        return None if found is None else _bytes(_map(found)["public_key"])

    # ------------------------------------------------------------------ owner
    def publish(
        self,
        plaintext: bytes,
        *,
        title: str = "",
        description: str = "",
        schema: str = "",
        dataset: bytes | None = None,
    ) -> Published:
        """Encrypt under a fresh key, upload, and register the version (version 1 of a new
        dataset, or the next version of `dataset`)."""
        key = self._key()
        if dataset is None:
            dataset, version = new_dataset_id(), 1
        else:
            found = self.client.query(MODULE, "dataset", dataset=dataset)
            if found is None:
                raise ClientError(reason=f"there is no dataset {dataset.hex()} on chain")
            version = int(_map(found)["versions"]) + 1
        sealed = encrypt(plaintext, dataset=dataset, version=version)
        location = self._store().put(sealed.ciphertext)
        args: dict[str, encoding.Value] = {
            "dataset": dataset,
            "version": version,
            "content_hash": sealed.content_hash,
            "cipher_hash": sealed.cipher_hash,
            "size": sealed.size,
            "location": location,
            "owner_key": sealed.key.wrap_for(key.public_key),
            "title": title,
            "description": description,
            "schema": schema,
        }
        if self.umbral is not None:
            args["capsule"], args["key_ciphertext"] = self.umbral.capsule_for(sealed.key)
        committed = self.signer.submit(MODULE, "publish", args, gas_limit=PUBLISH_GAS)
        return Published(
            dataset=dataset,
            version=version,
            content_hash=sealed.content_hash,
            cipher_hash=sealed.cipher_hash,
            location=location,
            committed=committed,
        )

    def grant(
        self,
        dataset: bytes,
        *,
        kind: str,
        grantee: str,
        purpose: str,
        expires_height: int = 0,
        expires_time: int = 0,
        issuer: str = "",
    ) -> tuple[int, Committed]:
        """Make a grant; its number and the commit. `kind="credential"` grants to holders of
        a credential of type `grantee`, from `issuer` only if given (else any issuer on the
        chain's trust list for the type)."""
        args: dict[str, encoding.Value] = {
            "dataset": dataset,
            "kind": kind,
            "grantee": grantee,
            "purpose": purpose,
            "expires_height": expires_height,
            "expires_time": expires_time,
        }
        if issuer:
            args["issuer"] = issuer
        committed = self.signer.submit(MODULE, "grant", args)
        [number] = [int(a["grant"]) for t, a in committed.events if t == "datashare.granted"]
        return number, committed

    def revoke(self, dataset: bytes, grant: int) -> Committed:
        return self.signer.submit(MODULE, "revoke", {"dataset": dataset, "grant": grant})

    def pending(self, dataset: bytes | None = None) -> list[dict[str, Any]]:
        """Requests waiting for this identity's datasets."""
        args: dict[str, encoding.Value] = {"owner": self.identity}
        if dataset is not None:
            args["dataset"] = dataset
        return [_map(r) for r in _list(self.client.query(MODULE, "requests", **args))]

    def release(self, dataset: bytes, version: int, recipient: bytes, purpose: str) -> Committed:
        """Seal the version's key to the recipient's registered key and release it; the chain
        accepts it only under a grant valid at its height."""
        data_key = self._owner_data_key(dataset, version)
        recipient_key = self.registered_key(recipient)
        if recipient_key is None:
            raise ClientError(reason=f"{recipient.hex()} has no encryption key on chain")
        return self.signer.submit(
            MODULE,
            "release",
            {
                "dataset": dataset,
                "version": version,
                "recipient": recipient,
                "purpose": purpose,
                "wrapped_key": data_key.wrap_for(recipient_key),
            },
        )

    def deliver(self, dataset: bytes | None = None) -> list[Delivery]:
        """Release keys for every pending request the grants allow; report the others."""
        done = []
        for r in self.pending(dataset):
            committed: Committed | None = None
            refusal = ""
            try:
                committed = self.release(r["dataset"], r["version"], r["requester"], r["purpose"])
            except (TransactionRejectedError, TransactionFailedError) as error:
                fields = error.fields  # the chain's code first: people quote it, tools match it
                refusal = f"{fields['codespace']} code {fields['tx_code']}: {fields['log']}"
            done.append(
                Delivery(
                    dataset=r["dataset"],
                    version=r["version"],
                    recipient=r["requester"],
                    purpose=r["purpose"],
                    committed=committed,
                    refusal=refusal,
                )
            )
        return done

    def _owner_data_key(self, dataset: bytes, version: int) -> DataKey:
        record = self.version(dataset, version)
        return self._key().unwrap(_bytes(record["owner_key"]))

    # ------------------------------------------------------------------ recipient
    def request(
        self,
        dataset: bytes,
        version: int,
        purpose: str,
        *,
        presentation: Mapping[str, Any] | None = None,
    ) -> Committed:
        """Ask for a version's key; with a presentation (see `present_for`), as the holder of
        a credential that a grant to credential holders accepts."""
        args: dict[str, encoding.Value] = {
            "dataset": dataset,
            "version": version,
            "purpose": purpose,
        }
        if presentation is None:
            return self.signer.submit(MODULE, "request", args)
        args["presentation"] = json.dumps(presentation, ensure_ascii=False)
        return self.signer.submit(MODULE, "request", args, gas_limit=REQUEST_GAS)

    def challenge(self, dataset: bytes, version: int, purpose: str) -> str:
        """The challenge the chain expects in this identity's presentation for a request."""
        return request_challenge(
            chain_id=self.client.chain_id(),
            dataset=dataset,
            version=version,
            requester=self.identity,
            purpose=purpose,
        )

    def present_for(
        self,
        credentials: Sequence[Mapping[str, Any]],
        *,
        dataset: bytes,
        version: int,
        purpose: str,
        holder: str,
        holder_key: PrivateKey,
        method: str = "key-1",
    ) -> dict[str, Any]:
        """A presentation of `credentials` by `holder` (signed with `holder_key`, its
        `method` key) for this identity's request: challenge bound to the request, domain the
        chain id."""
        return present(
            credentials,
            holder=holder,
            key=holder_key,
            verification_method=f"{holder}#{method}",
            challenge=self.challenge(dataset, version, purpose),
            domain=self.client.chain_id(),
        )

    def version(self, dataset: bytes, version: int) -> dict[str, Any]:
        found = self.client.query(MODULE, "version", dataset=dataset, version=version)
        if found is None:
            raise UnknownVersionError(dataset=dataset.hex(), version=version)
        return _map(found)

    def latest_version(self, dataset: bytes) -> int:
        found = self.client.query(MODULE, "dataset", dataset=dataset)
        if found is None:
            raise UnknownVersionError(dataset=dataset.hex(), version="(any)")
        return int(_map(found)["versions"])

    def fetch(self, dataset: bytes, version: int, *, store: BlobStore | None = None) -> bytes:
        """Download, check the ciphertext hash, unwrap the key, decrypt, check the content
        hash: the plaintext, or an error naming the step that failed and why.

        The version record and the key release are read with proofs against a block header
        (ProofError if the node lies), so the hashes checked are the chain's, not a node's."""
        proven = ProvenState(self.client)
        record = get_version(proven, dataset, version)
        if record is None:
            raise UnknownVersionError(dataset=dataset.hex(), version=version)
        source = store
        if source is None:
            # The location's own name is not trusted: the chain's cipher hash is fetched.
            source, _named = store_of_location(record.location)
        ciphertext = source.get(record.cipher_hash)  # step 1
        got = hashlib.sha256(ciphertext).digest()
        if got != record.cipher_hash:  # step 2
            raise CipherHashMismatchError(got=got.hex(), expected=record.cipher_hash.hex())
        data_key = self._released_key(proven, record)  # steps 3 and 4
        plaintext = decrypt(ciphertext, data_key, dataset=dataset, version=version)  # step 5
        content = hashlib.sha256(plaintext).digest()
        if content != record.content_hash:  # step 6
            raise ContentHashMismatchError(got=content.hex(), expected=record.content_hash.hex())
        return plaintext

    def _released_key(self, proven: ProvenState, record: Version) -> DataKey:
        key = self._key()
        owner = get_dataset(proven, record.dataset)
        if owner is not None and owner.owner == self.identity:
            return key.unwrap(record.owner_key)
        release = get_release(proven, record.dataset, record.number, self.identity)
        if release is None and self.umbral is not None:
            delivered = delivered_key(self.client, self.umbral, proven, record, self.identity)
            if delivered is not None:
                return delivered
        if release is None:
            raise NoKeyReleasedError(
                dataset=record.dataset.hex(),
                version=record.number,
                recipient=self.identity.hex(),
                hint=self._release_hint(record.dataset, record.number),
            )
        if release.recipient_key != key.public_key:
            raise KeyMismatchError(sealed_to=release.recipient_key.hex(), mine=key.public_key.hex())
        return key.unwrap(release.wrapped_key)

    def _release_hint(self, dataset: bytes, version: int) -> str:
        waiting = [
            r
            for r in _list(self.client.query(MODULE, "requests", dataset=dataset))
            if _map(r)["requester"] == self.identity and _map(r)["version"] == version
        ]
        if waiting:
            return (
                "your request is pending: the owner delivers it when a grant valid then covers "
                "you (`cornerstone data deliver` on the owner's side)"
            )
        return "ask for it with `cornerstone data request`"


class ProvenState:
    """State read key by key with proofs, all at one height (the first read's), so that the
    module's own decoders (`modules.datashare.state`) read verified records."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.height = 0

    def get(self, key: bytes) -> bytes | None:
        verified = self.client.read_verified(key, height=self.height)
        self.height = verified.height
        return verified.value

    def iterate(self, prefix: bytes, start: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        raise NotImplementedError("proven reads are of single keys")


# ---------------------------------------------------------------------------- audit
def audit(
    client: Client, *, dataset: bytes | None = None, recipient: bytes | None = None
) -> list[AuditEntry]:
    """The access receipts of a dataset or a recipient, each proven: its state key read with a
    proof checked against the app hash of a block header, and the proven record compared with
    what the query said. ProofError when either check fails."""
    args: dict[str, encoding.Value] = {}
    if dataset is not None:
        args["dataset"] = dataset
    if recipient is not None:
        args["recipient"] = recipient
    receipts = [_map(r) for r in _list(client.query(MODULE, "receipts", **args))]
    entries: list[AuditEntry] = []
    height = 0
    for receipt in receipts:
        key = receipt_key(receipt["dataset"], receipt["version"], receipt["recipient"])
        if receipt["state_key"] != key:
            raise ProofError(reason="the node named another state key than the receipt's own")
        verified = client.read_verified(key, height=height)
        height = verified.height  # one state for the whole export
        if verified.value is None:
            raise ProofError(reason=f"receipt {receipt['state_key'].hex()} is absent from state")
        proven = _map(encoding.decode(verified.value))
        for field in ("org", "grant", "purpose", "height", "time", "tx_hash", "credential"):
            if proven.get(field) != receipt.get(field):
                raise ProofError(reason=f"the node's answer differs from the proven {field}")
        entries.append(
            AuditEntry(receipt=receipt, proof_height=verified.height, app_hash=verified.app_hash)
        )
    return entries


def audit_csv(entries: list[AuditEntry]) -> str:
    """The audit as CSV, one receipt a row, with its proof's height and app hash."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(AUDIT_COLUMNS)
    for entry in entries:
        row = entry.to_json()
        held = row.get("credential")
        row["credential"] = held["id"] if isinstance(held, dict) else ""
        writer.writerow(
            [
                *(row[c] for c in AUDIT_COLUMNS[:11]),
                row["proof"]["height"],
                row["proof"]["app_hash"],
            ]
        )
    return out.getvalue()


def _map(value: encoding.Value) -> dict[str, Any]:
    assert isinstance(value, dict), "the query answers a map"
    return value


def _list(value: encoding.Value) -> list[Any]:
    assert isinstance(value, list), "the query answers a list"
    return value


def _bytes(value: Any) -> bytes:
    assert isinstance(value, bytes)
    return value
