"""Read-only queries of the datashare module. Each answer names the state keys it read where a
client wants to prove them (`state_key`), so audits verify against block headers with /store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from cornerstone import encoding
from cornerstone.module import Reader
from cornerstone.modules.datashare.keys import dataset_key, receipt_key, release_key, version_key
from cornerstone.modules.datashare.state import (
    Dataset,
    GrantRecord,
    Receipt,
    Version,
    fact_value,
    get_dataset,
    get_encryption_key,
    get_release,
    get_version,
    iter_datasets,
    iter_grants,
    iter_receipts,
    iter_receipts_of,
    iter_requests,
)

MAX_PAGE: Final = 1000


@dataclass(frozen=True, slots=True)
class KeyQuery:
    """An identity's registered encryption key."""

    identity: bytes


def key(state: Reader, query: KeyQuery) -> encoding.Value:
    found = get_encryption_key(state, query.identity)
    if found is None:
        return None
    return {
        "identity": found.identity,
        "public_key": found.public_key,
        "org": found.org,
        "height": found.height,
        "receiving_key": found.receiving_key,
        "delegating_key": found.delegating_key,
        "verifying_key": found.verifying_key,
    }


@dataclass(frozen=True, slots=True)
class DatasetQuery:
    """A dataset with its versions and grants."""

    dataset: bytes


def dataset(state: Reader, query: DatasetQuery) -> encoding.Value:
    found = get_dataset(state, query.dataset)
    if found is None:
        return None
    value = dataset_value(found)
    versions: list[encoding.Value] = []
    for number in range(1, found.versions + 1):
        version = get_version(state, found.id, number)
        assert version is not None, "versions are numbered without gaps"
        versions.append(version_value(version))
    value["versions_list"] = versions
    value["grants_list"] = [grant_value(g) for g in iter_grants(state, found.id)]
    return value


@dataclass(frozen=True, slots=True)
class Datasets:
    """Datasets in id order, optionally only those of one owner."""

    owner: bytes = b""


def datasets(state: Reader, query: Datasets) -> encoding.Value:
    found: list[encoding.Value] = []
    for d in iter_datasets(state):
        if query.owner and d.owner != query.owner:
            continue
        found.append(dataset_value(d))
        if len(found) == MAX_PAGE:
            break
    return found


@dataclass(frozen=True, slots=True)
class VersionQuery:
    """One version of a dataset."""

    dataset: bytes
    version: int


def version(state: Reader, query: VersionQuery) -> encoding.Value:
    found = get_version(state, query.dataset, query.version)
    return None if found is None else version_value(found)


@dataclass(frozen=True, slots=True)
class Requests:
    """Pending requests: of one dataset, or of every dataset of one owner, or all."""

    dataset: bytes = b""
    owner: bytes = b""


def requests(state: Reader, query: Requests) -> encoding.Value:
    found: list[encoding.Value] = []
    owners: dict[bytes, bytes] = {}
    for r in iter_requests(state, query.dataset or None):
        if query.owner:
            if r.dataset not in owners:
                d = get_dataset(state, r.dataset)
                assert d is not None, "requests are for datasets"
                owners[r.dataset] = d.owner
            if owners[r.dataset] != query.owner:
                continue
        found.append(
            {
                "dataset": r.dataset,
                "version": r.version,
                "requester": r.requester,
                "org": r.org,
                "purpose": r.purpose,
                "height": r.height,
                "credential": fact_value(r.credential),
            }
        )
        if len(found) == MAX_PAGE:
            break
    return found


@dataclass(frozen=True, slots=True)
class ReleaseQuery:
    """The wrapped key released to a recipient for a version, with its receipt."""

    dataset: bytes
    version: int
    recipient: bytes


def release(state: Reader, query: ReleaseQuery) -> encoding.Value:
    found = get_release(state, query.dataset, query.version, query.recipient)
    if found is None:
        return None
    return {
        "wrapped_key": found.wrapped_key,
        "recipient_key": found.recipient_key,
        "state_key": release_key(query.dataset, query.version, query.recipient),
    }


@dataclass(frozen=True, slots=True)
class Receipts:
    """Access receipts of one dataset, or of one recipient, or all (in key order)."""

    dataset: bytes = b""
    recipient: bytes = b""


def receipts(state: Reader, query: Receipts) -> encoding.Value:
    if query.recipient:
        source = iter_receipts_of(state, query.recipient)
    else:
        source = iter_receipts(state, query.dataset or None)
    found: list[encoding.Value] = []
    for r in source:
        if query.dataset and r.dataset != query.dataset:
            continue
        found.append(receipt_value(r))
        if len(found) == MAX_PAGE:
            break
    return found


# ---------------------------------------------------------------------------- values
def dataset_value(d: Dataset) -> dict[str, encoding.Value]:
    return {
        "dataset": d.id,
        "owner": d.owner,
        "org": d.org,
        "title": d.title,
        "versions": d.versions,
        "grants": d.grants,
        "height": d.height,
        "time": d.time,
        "state_key": dataset_key(d.id),
    }


def version_value(v: Version) -> dict[str, encoding.Value]:
    return {
        "dataset": v.dataset,
        "version": v.number,
        "content_hash": v.content_hash,
        "cipher_hash": v.cipher_hash,
        "size": v.size,
        "location": v.location,
        "description": v.description,
        "schema": v.schema,
        "owner_key": v.owner_key,
        "height": v.height,
        "time": v.time,
        "state_key": version_key(v.dataset, v.number),
    }


def grant_value(g: GrantRecord) -> dict[str, encoding.Value]:
    return {
        "grant": g.number,
        "kind": g.kind,
        "grantee": g.grantee,
        "purpose": g.purpose,
        "expires_height": g.expires_height,
        "expires_time": g.expires_time,
        "height": g.height,
        "time": g.time,
        "revoked_at": g.revoked_at,
        "issuer": g.issuer,
    }


def receipt_value(r: Receipt) -> dict[str, encoding.Value]:
    return {
        "dataset": r.dataset,
        "version": r.version,
        "recipient": r.recipient,
        "org": r.org,
        "grant": r.grant,
        "purpose": r.purpose,
        "height": r.height,
        "time": r.time,
        "tx_hash": r.tx_hash,
        "credential": fact_value(r.credential),
        "delivery": r.delivery,
        "state_key": receipt_key(r.dataset, r.version, r.recipient),
    }
