"""The only code that reads and writes the datashare module's keys (layout in keys.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from cornerstone import encoding
from cornerstone.module import Reader, Writer
from cornerstone.modules.datashare.keys import (
    BY_RECIPIENT_PREFIX,
    DATASET_ID_SIZE,
    DATASET_PREFIX,
    ENCKEY_PREFIX,
    GRANT_PREFIX,
    RECEIPT_PREFIX,
    RELEASE_PREFIX,
    REQUEST_PREFIX,
    by_recipient_key,
    dataset_key,
    enckey_key,
    grant_key,
    receipt_key,
    release_key,
    request_key,
    split_access,
    version_key,
)
from cornerstone.modules.did.verify import CredentialFact


@dataclass(frozen=True, slots=True)
class EncryptionKey:
    """An identity's registered X25519 public key."""

    identity: bytes
    """Whose key it is."""
    public_key: bytes
    """The X25519 public key data keys are sealed to."""
    org: str
    """The identity's organization when it registered."""
    height: int
    """Height of the (last) registration."""
    receiving_key: bytes = b""
    """Umbral public key proxies re-encrypt to; empty: none registered."""
    delegating_key: bytes = b""
    """Umbral public key the identity's capsules are made under."""
    verifying_key: bytes = b""
    """Umbral public key that checks the identity's key fragment signatures."""


@dataclass(frozen=True, slots=True)
class Dataset:
    """A dataset and where its history stands."""

    id: bytes
    """16 bytes chosen by the client at version 1."""
    owner: bytes
    """Identity id of the publisher; only it publishes versions, grants and releases."""
    org: str
    """The owner's organization."""
    title: str
    versions: int
    """How many versions are published (numbered 1..versions)."""
    grants: int
    """How many grants were ever made (numbered 1..grants)."""
    height: int
    """Height of version 1."""
    time: int


@dataclass(frozen=True, slots=True)
class Version:
    """One published version: hashes and location of its ciphertext, never its content."""

    dataset: bytes
    number: int
    content_hash: bytes
    """sha256 of the plaintext."""
    cipher_hash: bytes
    """sha256 of the ciphertext."""
    size: int
    location: str
    description: str
    schema: str
    owner_key: bytes
    """The data key sealed to the owner's encryption key."""
    height: int
    time: int
    capsule: bytes = b""
    """Umbral capsule of the data key, for delivery by proxies; empty: owner delivery only."""
    key_ciphertext: bytes = b""
    """The data key encrypted under the capsule's key."""
    delegating_key: bytes = b""
    """The owner's Umbral delegating key the capsule was made under (as registered then)."""


@dataclass(frozen=True, slots=True)
class GrantRecord:
    """Permission for a grantee to receive keys of a dataset for a purpose."""

    dataset: bytes
    number: int
    kind: str
    grantee: str
    purpose: str
    expires_height: int
    """Last valid height; 0: none."""
    expires_time: int
    """Block time (ns) from which it is no longer valid; 0: none."""
    height: int
    """Height it was made."""
    time: int
    revoked_at: int
    """Height of its revocation; 0: in force."""
    issuer: str = ""
    """CREDENTIAL grants: the one issuer DID accepted; empty: any trusted issuer."""


@dataclass(frozen=True, slots=True)
class AccessRequest:
    """A pending request for a version's key."""

    dataset: bytes
    version: int
    requester: bytes
    org: str
    purpose: str
    height: int
    credential: CredentialFact | None = None
    """The credential the request's presentation proved the requester holds, if any."""


@dataclass(frozen=True, slots=True)
class KeyRelease:
    """A version's data key sealed to one recipient."""

    dataset: bytes
    version: int
    recipient: bytes
    wrapped_key: bytes
    recipient_key: bytes
    """The X25519 key it was sealed to (the recipient's registered key at that height)."""


OWNER_DELIVERY: Final = "owner"
"""A receipt's delivery when the owner released the key (else "proxies")."""


@dataclass(frozen=True, slots=True)
class Receipt:
    """The access receipt a release writes: who obtained which version, when, under which grant
    and for what purpose."""

    dataset: bytes
    version: int
    recipient: bytes
    org: str
    """The recipient's organization at the release."""
    grant: int
    purpose: str
    height: int
    time: int
    tx_hash: bytes
    """The release transaction."""
    credential: CredentialFact | None = None
    """Under a CREDENTIAL grant: the credential that made the recipient a holder."""
    delivery: str = OWNER_DELIVERY
    """"owner": a release by the owner; "proxies": capsule fragments by the nodes' proxies."""


# ---------------------------------------------------------------------------- helpers
def _map(raw: bytes) -> dict[str, encoding.Value]:
    record = encoding.decode(raw)
    assert isinstance(record, dict), "datashare records are maps"
    return record


def _int(value: encoding.Value) -> int:
    assert type(value) is int
    return value


def _bytes(value: encoding.Value) -> bytes:
    assert isinstance(value, bytes)
    return value


def _str(value: encoding.Value) -> str:
    assert isinstance(value, str)
    return value


def _put(state: Writer, key: bytes, record: dict[str, encoding.Value]) -> None:
    state.set(key, encoding.encode(record))


def _fact_value(fact: CredentialFact) -> dict[str, encoding.Value]:
    return {
        "id": fact.id,
        "issuer": fact.issuer,
        "holder": fact.holder,
        "types": list(fact.types),
        "valid_until": fact.valid_until,
        "statuses": [[purpose, index] for purpose, index in fact.statuses],
    }


def _fact(value: encoding.Value) -> CredentialFact | None:
    if value is None:
        return None
    assert isinstance(value, dict)
    types, statuses = value["types"], value["statuses"]
    assert isinstance(types, list) and isinstance(statuses, list)
    pairs: list[tuple[str, int]] = []
    for pair in statuses:
        assert isinstance(pair, list) and len(pair) == 2
        pairs.append((_str(pair[0]), _int(pair[1])))
    return CredentialFact(
        id=_str(value["id"]),
        issuer=_str(value["issuer"]),
        holder=_str(value["holder"]),
        types=tuple(_str(t) for t in types),
        valid_until=_int(value["valid_until"]),
        statuses=tuple(pairs),
    )


def fact_value(fact: CredentialFact | None) -> encoding.Value:
    """A credential fact as queries answer it (None when there is none)."""
    return None if fact is None else _fact_value(fact)


# ---------------------------------------------------------------------------- encryption keys
def get_encryption_key(state: Reader, identity: bytes) -> EncryptionKey | None:
    raw = state.get(enckey_key(identity))
    if raw is None:
        return None
    r = _map(raw)
    return EncryptionKey(
        identity=identity,
        public_key=_bytes(r["key"]),
        org=_str(r["org"]),
        height=_int(r["height"]),
        receiving_key=_bytes(r.get("receiving", b"")),
        delegating_key=_bytes(r.get("delegating", b"")),
        verifying_key=_bytes(r.get("verifying", b"")),
    )


def put_encryption_key(state: Writer, key: EncryptionKey) -> None:
    record: dict[str, encoding.Value] = {
        "key": key.public_key,
        "org": key.org,
        "height": key.height,
    }
    if key.receiving_key:
        record["receiving"] = key.receiving_key
        record["delegating"] = key.delegating_key
        record["verifying"] = key.verifying_key
    _put(state, enckey_key(key.identity), record)


def iter_encryption_keys(state: Reader) -> Iterator[EncryptionKey]:
    for key, _ in state.iterate(ENCKEY_PREFIX):
        found = get_encryption_key(state, key[len(ENCKEY_PREFIX) :])
        assert found is not None
        yield found


# ---------------------------------------------------------------------------- datasets
def _dataset(dataset: bytes, raw: bytes) -> Dataset:
    r = _map(raw)
    return Dataset(
        id=dataset,
        owner=_bytes(r["owner"]),
        org=_str(r["org"]),
        title=_str(r["title"]),
        versions=_int(r["versions"]),
        grants=_int(r["grants"]),
        height=_int(r["height"]),
        time=_int(r["time"]),
    )


def get_dataset(state: Reader, dataset: bytes) -> Dataset | None:
    raw = state.get(dataset_key(dataset))
    return None if raw is None else _dataset(dataset, raw)


def put_dataset(state: Writer, d: Dataset) -> None:
    _put(
        state,
        dataset_key(d.id),
        {
            "owner": d.owner,
            "org": d.org,
            "title": d.title,
            "versions": d.versions,
            "grants": d.grants,
            "height": d.height,
            "time": d.time,
        },
    )


def iter_datasets(state: Reader) -> Iterator[Dataset]:
    for key, raw in state.iterate(DATASET_PREFIX):
        yield _dataset(key[len(DATASET_PREFIX) :], raw)


# ---------------------------------------------------------------------------- versions
def get_version(state: Reader, dataset: bytes, number: int) -> Version | None:
    raw = state.get(version_key(dataset, number))
    if raw is None:
        return None
    r = _map(raw)
    return Version(
        dataset=dataset,
        number=number,
        content_hash=_bytes(r["content_hash"]),
        cipher_hash=_bytes(r["cipher_hash"]),
        size=_int(r["size"]),
        location=_str(r["location"]),
        description=_str(r["description"]),
        schema=_str(r["schema"]),
        owner_key=_bytes(r["owner_key"]),
        height=_int(r["height"]),
        time=_int(r["time"]),
        capsule=_bytes(r.get("capsule", b"")),
        key_ciphertext=_bytes(r.get("key_ciphertext", b"")),
        delegating_key=_bytes(r.get("delegating_key", b"")),
    )


def put_version(state: Writer, v: Version) -> None:
    record: dict[str, encoding.Value] = {
        "content_hash": v.content_hash,
        "cipher_hash": v.cipher_hash,
        "size": v.size,
        "location": v.location,
        "description": v.description,
        "schema": v.schema,
        "owner_key": v.owner_key,
        "height": v.height,
        "time": v.time,
    }
    if v.capsule:
        record["capsule"] = v.capsule
        record["key_ciphertext"] = v.key_ciphertext
        record["delegating_key"] = v.delegating_key
    _put(state, version_key(v.dataset, v.number), record)


# ---------------------------------------------------------------------------- grants
def get_grant(state: Reader, dataset: bytes, number: int) -> GrantRecord | None:
    raw = state.get(grant_key(dataset, number))
    if raw is None:
        return None
    r = _map(raw)
    return GrantRecord(
        dataset=dataset,
        number=number,
        kind=_str(r["kind"]),
        grantee=_str(r["grantee"]),
        purpose=_str(r["purpose"]),
        expires_height=_int(r["expires_height"]),
        expires_time=_int(r["expires_time"]),
        height=_int(r["height"]),
        time=_int(r["time"]),
        revoked_at=_int(r["revoked_at"]),
        issuer=_str(r.get("issuer", "")),
    )


def put_grant(state: Writer, g: GrantRecord) -> None:
    _put(
        state,
        grant_key(g.dataset, g.number),
        {
            "kind": g.kind,
            "grantee": g.grantee,
            "purpose": g.purpose,
            "expires_height": g.expires_height,
            "expires_time": g.expires_time,
            "height": g.height,
            "time": g.time,
            "revoked_at": g.revoked_at,
            "issuer": g.issuer,
        },
    )


def iter_grants(state: Reader, dataset: bytes) -> Iterator[GrantRecord]:
    """The grants of `dataset` in number order."""
    prefix = GRANT_PREFIX + dataset
    for key, _ in state.iterate(prefix):
        found = get_grant(state, dataset, int.from_bytes(key[len(prefix) :], "big"))
        assert found is not None
        yield found


# ---------------------------------------------------------------------------- requests
def _request(suffix: bytes, raw: bytes) -> AccessRequest:
    dataset, version, requester = split_access(suffix)
    r = _map(raw)
    return AccessRequest(
        dataset=dataset,
        version=version,
        requester=requester,
        org=_str(r["org"]),
        purpose=_str(r["purpose"]),
        height=_int(r["height"]),
        credential=_fact(r.get("credential")),
    )


def get_request(
    state: Reader, dataset: bytes, version: int, requester: bytes
) -> AccessRequest | None:
    raw = state.get(request_key(dataset, version, requester))
    return (
        None
        if raw is None
        else _request(request_key(dataset, version, requester)[len(REQUEST_PREFIX) :], raw)
    )


def put_request(state: Writer, r: AccessRequest) -> None:
    record: dict[str, encoding.Value] = {"org": r.org, "purpose": r.purpose, "height": r.height}
    if r.credential is not None:
        record["credential"] = _fact_value(r.credential)
    _put(state, request_key(r.dataset, r.version, r.requester), record)


def delete_request(state: Writer, dataset: bytes, version: int, requester: bytes) -> None:
    state.delete(request_key(dataset, version, requester))


def iter_requests(state: Reader, dataset: bytes | None = None) -> Iterator[AccessRequest]:
    """Pending requests (of one dataset, or all) in key order."""
    prefix = REQUEST_PREFIX + (dataset or b"")
    for key, raw in state.iterate(prefix):
        yield _request(key[len(REQUEST_PREFIX) :], raw)


# ---------------------------------------------------------------------------- releases
def _release(suffix: bytes, raw: bytes) -> KeyRelease:
    dataset, version, recipient = split_access(suffix)
    r = _map(raw)
    return KeyRelease(
        dataset=dataset,
        version=version,
        recipient=recipient,
        wrapped_key=_bytes(r["wrapped_key"]),
        recipient_key=_bytes(r["recipient_key"]),
    )


def get_release(state: Reader, dataset: bytes, version: int, recipient: bytes) -> KeyRelease | None:
    key = release_key(dataset, version, recipient)
    raw = state.get(key)
    return None if raw is None else _release(key[len(RELEASE_PREFIX) :], raw)


def put_release(state: Writer, r: KeyRelease) -> None:
    _put(
        state,
        release_key(r.dataset, r.version, r.recipient),
        {"wrapped_key": r.wrapped_key, "recipient_key": r.recipient_key},
    )


def iter_releases(state: Reader) -> Iterator[KeyRelease]:
    for key, raw in state.iterate(RELEASE_PREFIX):
        yield _release(key[len(RELEASE_PREFIX) :], raw)


# ---------------------------------------------------------------------------- receipts
def _receipt(suffix: bytes, raw: bytes) -> Receipt:
    dataset, version, recipient = split_access(suffix)
    r = _map(raw)
    return Receipt(
        dataset=dataset,
        version=version,
        recipient=recipient,
        org=_str(r["org"]),
        grant=_int(r["grant"]),
        purpose=_str(r["purpose"]),
        height=_int(r["height"]),
        time=_int(r["time"]),
        tx_hash=_bytes(r["tx_hash"]),
        credential=_fact(r.get("credential")),
        delivery=_str(r.get("delivery", "owner")),
    )


def get_receipt(state: Reader, dataset: bytes, version: int, recipient: bytes) -> Receipt | None:
    key = receipt_key(dataset, version, recipient)
    raw = state.get(key)
    return None if raw is None else _receipt(key[len(RECEIPT_PREFIX) :], raw)


def put_receipt(state: Writer, r: Receipt) -> None:
    """Write the receipt and its entry in the by-recipient index."""
    record: dict[str, encoding.Value] = {
        "org": r.org,
        "grant": r.grant,
        "purpose": r.purpose,
        "height": r.height,
        "time": r.time,
        "tx_hash": r.tx_hash,
    }
    if r.credential is not None:
        record["credential"] = _fact_value(r.credential)
    if r.delivery != "owner":
        record["delivery"] = r.delivery
    _put(state, receipt_key(r.dataset, r.version, r.recipient), record)
    state.set(by_recipient_key(r.recipient, r.dataset, r.version), b"")


def iter_receipts(state: Reader, dataset: bytes | None = None) -> Iterator[Receipt]:
    """Receipts (of one dataset, or all) by dataset, version, recipient."""
    for key, raw in state.iterate(RECEIPT_PREFIX + (dataset or b"")):
        yield _receipt(key[len(RECEIPT_PREFIX) :], raw)


def iter_receipts_of(state: Reader, recipient: bytes) -> Iterator[Receipt]:
    """The receipts of one recipient, through the by-recipient index."""
    prefix = BY_RECIPIENT_PREFIX + recipient
    for key, _ in state.iterate(prefix):
        rest = key[len(prefix) :]
        dataset = rest[:DATASET_ID_SIZE]
        version = int.from_bytes(rest[DATASET_ID_SIZE:], "big")
        found = get_receipt(state, dataset, version, recipient)
        assert found is not None, "the by-recipient index points to receipts"
        yield found


def iter_recipient_index(state: Reader) -> Iterator[tuple[bytes, bytes, int]]:
    """(recipient, dataset, version) of every by-recipient index entry."""
    for key, _ in state.iterate(BY_RECIPIENT_PREFIX):
        rest = key[len(BY_RECIPIENT_PREFIX) :]
        yield (
            rest[:32],
            rest[32 : 32 + DATASET_ID_SIZE],
            int.from_bytes(rest[32 + DATASET_ID_SIZE :], "big"),
        )
