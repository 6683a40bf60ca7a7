"""Read-only queries of the did module: resolution (as of any height or time), history,
bindings, trust lists, statuses and the status list credentials built from chain state.

Module queries answer at the latest state; a DID still resolves as of any past height because
every version is kept in state (keys.py), not because old state is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from cornerstone import encoding
from cornerstone.chain import get_block_time, get_chain_id
from cornerstone.module import Reader
from cornerstone.modules.did.document import did_document, document_metadata
from cornerstone.modules.did.messages import check_credential_type
from cornerstone.modules.did.state import (
    REVOKED,
    SUSPENDED,
    get_head,
    get_member_binding,
    get_next_index,
    get_org_binding,
    get_status,
    is_trusted,
    iter_statuses,
    iter_trusted,
    iter_versions,
    version_as_of,
)
from cornerstone.vc.didurl import did_of, parse_did
from cornerstone.vc.statuslist import LIST_SIZE, PURPOSES, encode_list
from cornerstone.vc.times import to_text

STATUS_LIST_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"


def _local_id(state: Reader, did: str) -> str | None:
    """The id of `did` when it is a DID of this chain, else None."""
    try:
        chain_id, did_id = parse_did(did)
    except ValueError:
        return None
    return did_id if chain_id == get_chain_id(state) else None


@dataclass(frozen=True, slots=True)
class Resolve:
    """The DID document and its metadata, as of a height or a time (0: now)."""

    did: str
    height: int = 0
    """The version in force after this block."""
    time: int = 0
    """The version in force at this block time, nanoseconds (a DID's versionTime)."""


def resolve(state: Reader, query: Resolve) -> encoding.Value:
    """A DID resolution result (DID Resolution's shape): document, document metadata and
    resolution metadata; "notFound" when the DID did not exist at that point."""
    did_id = _local_id(state, query.did)
    record = (
        None
        if did_id is None
        else version_as_of(state, did_id, height=query.height, time=query.time)
    )
    if did_id is None or record is None:
        return {
            "didResolutionMetadata": {"error": "notFound"},
            "didDocument": None,
            "didDocumentMetadata": {},
        }
    result: dict[str, Any] = {
        "didResolutionMetadata": {"contentType": "application/did+json"},
        "didDocument": did_document(record, get_chain_id(state)),
        "didDocumentMetadata": document_metadata(record, latest=get_head(state, did_id)),
    }
    return result


@dataclass(frozen=True, slots=True)
class History:
    """Every version of a DID: its number, height, time and whether it is deactivated."""

    did: str


def history(state: Reader, query: History) -> encoding.Value:
    did_id = _local_id(state, query.did)
    if did_id is None:
        return []
    return [
        {
            "versionId": str(r.version),
            "height": r.height,
            "time": r.time,
            "deactivated": r.deactivated,
        }
        for r in iter_versions(state, did_id)
    ]


@dataclass(frozen=True, slots=True)
class Binding:
    """The DID bound to an organization, or to a member (its identity id), if any."""

    org: str = ""
    member: bytes = b""


def binding(state: Reader, query: Binding) -> encoding.Value:
    did_id = (
        get_member_binding(state, query.member)
        if query.member
        else get_org_binding(state, query.org)
    )
    return None if did_id is None else did_of(get_chain_id(state), did_id)


@dataclass(frozen=True, slots=True)
class Trusted:
    """Whether `issuer` is trusted for `credential_type`; without an issuer, the type's list
    (without a type, every list)."""

    credential_type: str = ""
    issuer: str = ""


def trusted(state: Reader, query: Trusted) -> encoding.Value:
    if query.issuer or query.credential_type:
        check_credential_type(query.credential_type)
    if query.issuer:
        return is_trusted(state, query.credential_type, query.issuer)
    return [
        {"credential_type": kind, "issuer": issuer, "since": since}
        for kind, issuer, since in iter_trusted(state, query.credential_type)
    ]


@dataclass(frozen=True, slots=True)
class Status:
    """The status of one index of an issuer: active, suspended, revoked, or None."""

    issuer: str
    index: int


def status(state: Reader, query: Status) -> encoding.Value:
    did_id = _local_id(state, query.issuer)
    entry = None if did_id is None else get_status(state, did_id, query.index)
    if entry is None:
        return None
    return {"state": entry.state, "height": entry.height}


@dataclass(frozen=True, slots=True)
class StatusList:
    """The BitstringStatusListCredential of one of an issuer's lists, built from chain state
    and unsigned: its authority is the chain (each entry is a state key a client can prove
    with /store), and the issuer can sign a copy with `cornerstone vc status-list --key`."""

    issuer: str
    purpose: str = "revocation"
    number: int = 0


def status_list(state: Reader, query: StatusList) -> encoding.Value:
    did_id = _local_id(state, query.issuer)
    if did_id is None or query.purpose not in PURPOSES or query.number < 0:
        return None
    if get_next_index(state, did_id) <= query.number * LIST_SIZE:
        return None  # no index of that list was ever allocated
    first = query.number * LIST_SIZE
    wanted = REVOKED if query.purpose == "revocation" else SUSPENDED
    set_bits = []
    for index, entry in iter_statuses(state, did_id, start=first):
        if index >= first + LIST_SIZE:
            break
        if entry.state == wanted:
            set_bits.append(index - first)
    url = status_list_url(query.issuer, query.purpose, query.number)
    return {
        "@context": [STATUS_LIST_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": query.issuer,
        "validFrom": to_text(get_block_time(state)),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": query.purpose,
            "encodedList": encode_list(set_bits),
        },
    }


def status_list_url(issuer: str, purpose: str, number: int) -> str:
    """The DID URL of an issuer's status list: the issuer's DID with a path."""
    return f"{issuer}/status/{purpose}/{number}"
