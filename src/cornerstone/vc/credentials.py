"""Verifiable credentials and presentations (W3C VC Data Model 2.0) secured with
eddsa-jcs-2022, issued and verified off chain against what the did module records.

    issue_credential(...)       the issuer signs; the index of its status comes from the chain
    verify_credential(vc, reg)  proof (with the issuer's key as of the proof's creation),
                                validity window, trust list for every credential type,
                                revocation and suspension bits
    present(...)                the holder signs credentials with a verifier's challenge/domain
    verify_presentation(...)    the holder's proof (authentication), then each credential

A verifier learns about DIDs, trust and status through a `Registry`; `ChainRegistry` answers
from a node's did module queries, so the same code verifies in the CLI, the SDK and the tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from cornerstone import encoding
from cornerstone.crypto import PrivateKey, PublicKey
from cornerstone.vc.didurl import parse_did_url
from cornerstone.vc.errors import (
    BadProofError,
    ExpiredError,
    IssuerDeactivatedError,
    IssuerNotFoundError,
    KeyNotAuthorizedError,
    MalformedCredentialError,
    NotYetValidError,
    PresentationError,
    RevokedError,
    StatusUnavailableError,
    SuspendedError,
    UntrustedIssuerError,
)
from cornerstone.vc.multibase import decode_multikey
from cornerstone.vc.proof import CRYPTOSUITE, PROOF_TYPE, add_proof, verify_proof
from cornerstone.vc.statuslist import LIST_SIZE, bit, decode_list
from cornerstone.vc.times import from_text, to_text

VC_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"
BASE_TYPE: Final = "VerifiableCredential"
PRESENTATION_TYPE: Final = "VerifiablePresentation"
STATUS_ENTRY_TYPE: Final = "BitstringStatusListEntry"
STATUS_LIST_TYPE: Final = "BitstringStatusListCredential"
ASSERTION: Final = "assertionMethod"
AUTHENTICATION: Final = "authentication"


# ---------------------------------------------------------------------------- the registry
class Registry(Protocol):
    """What a verifier needs to know that only the chain knows."""

    def resolve(self, did: str, *, time_ns: int = 0) -> Mapping[str, Any] | None:
        """The DID resolution result ({"didDocument", "didDocumentMetadata"}) as of a time
        (0: now), or None when the DID did not exist then."""

    def is_trusted(self, credential_type: str, issuer: str) -> bool: ...

    def status_list(self, url: str) -> Mapping[str, Any] | None:
        """The status list credential at `url`, or None."""


QueryFn = Callable[..., encoding.Value]
"""`query(module, name, **args)`, e.g. `sdk.Client.query`."""


class ChainRegistry:
    """A Registry answered by the did module's queries through `query` (a node's client)."""

    def __init__(self, query: QueryFn) -> None:
        self._query = query

    def resolve(self, did: str, *, time_ns: int = 0) -> Mapping[str, Any] | None:
        found = self._query("did", "resolve", did=did, time=time_ns)
        if not isinstance(found, dict) or found.get("didDocument") is None:
            return None
        return found

    def is_trusted(self, credential_type: str, issuer: str) -> bool:
        return self._query("did", "trusted", credential_type=credential_type, issuer=issuer) is True

    def status_list(self, url: str) -> Mapping[str, Any] | None:
        try:
            parts = parse_did_url(url)
        except ValueError:
            return None
        segments = parts.path.split("/")
        if len(segments) != 4 or segments[1] != "status" or not segments[3].isdigit():
            return None
        found = self._query(
            "did", "status_list", issuer=parts.did, purpose=segments[2], number=int(segments[3])
        )
        return found if isinstance(found, dict) else None


# ---------------------------------------------------------------------------- issuing
@dataclass(frozen=True, slots=True)
class StatusRef:
    """Where a credential's status lives: the issuer's lists and the index it allocated."""

    issuer: str
    index: int

    def entries(self) -> list[dict[str, Any]]:
        """A revocation and a suspension entry at the same index of the two lists."""
        number, position = divmod(self.index, LIST_SIZE)
        return [
            {
                "id": f"{self.issuer}/status/{purpose}/{number}#{position}",
                "type": STATUS_ENTRY_TYPE,
                "statusPurpose": purpose,
                "statusListIndex": str(position),
                "statusListCredential": f"{self.issuer}/status/{purpose}/{number}",
            }
            for purpose in ("revocation", "suspension")
        ]


def issue_credential(
    *,
    issuer: str,
    key: PrivateKey,
    verification_method: str,
    types: Sequence[str],
    subject: Mapping[str, Any],
    valid_from_ns: int,
    valid_until_ns: int | None = None,
    status: StatusRef | None = None,
    credential_id: str | None = None,
    created_ns: int | None = None,
) -> dict[str, Any]:
    """A credential of `types` about `subject`, signed by `key` as `verification_method`."""
    credential: dict[str, Any] = {"@context": [VC_CONTEXT]}
    if credential_id is not None:
        credential["id"] = credential_id
    credential["type"] = [BASE_TYPE, *(t for t in types if t != BASE_TYPE)]
    credential["issuer"] = issuer
    credential["validFrom"] = to_text(valid_from_ns)
    if valid_until_ns is not None:
        credential["validUntil"] = to_text(valid_until_ns)
    credential["credentialSubject"] = dict(subject)
    if status is not None:
        credential["credentialStatus"] = status.entries()
    return add_proof(
        credential,
        key,
        verification_method=verification_method,
        proof_purpose=ASSERTION,
        created=to_text(time.time_ns() if created_ns is None else created_ns),
    )


def sign_status_list(
    status_list: Mapping[str, Any],
    key: PrivateKey,
    *,
    verification_method: str,
    created_ns: int | None = None,
) -> dict[str, Any]:
    """The status list credential the chain served, signed by its issuer for outsiders."""
    return add_proof(
        status_list,
        key,
        verification_method=verification_method,
        proof_purpose=ASSERTION,
        created=to_text(time.time_ns() if created_ns is None else created_ns),
    )


def present(
    credentials: Sequence[Mapping[str, Any]],
    *,
    holder: str,
    key: PrivateKey,
    verification_method: str,
    challenge: str,
    domain: str,
    created_ns: int | None = None,
) -> dict[str, Any]:
    """A presentation of `credentials` by `holder`, bound to one verifier's challenge and
    domain so that it cannot be replayed elsewhere."""
    presentation = {
        "@context": [VC_CONTEXT],
        "type": [PRESENTATION_TYPE],
        "holder": holder,
        "verifiableCredential": [dict(c) for c in credentials],
    }
    return add_proof(
        presentation,
        key,
        verification_method=verification_method,
        proof_purpose=AUTHENTICATION,
        created=to_text(time.time_ns() if created_ns is None else created_ns),
        challenge=challenge,
        domain=domain,
    )


# ---------------------------------------------------------------------------- verifying
@dataclass(frozen=True, slots=True)
class VerifiedCredential:
    """A credential that verified, and what was checked."""

    issuer: str
    types: tuple[str, ...]
    """Its types beyond VerifiableCredential."""
    subject: Mapping[str, Any]
    created_ns: int
    """When its proof says it was made (the issuer's key was checked as of then)."""
    statuses: tuple[str, ...]
    """The status list entries checked ("revocation 0#5", ...)."""


def verify_credential(
    credential: Mapping[str, Any], registry: Registry, *, now_ns: int | None = None
) -> VerifiedCredential:
    """Check everything a verifier must, in order; raise the CredentialError of the first
    check that fails."""
    now = time.time_ns() if now_ns is None else now_ns
    if not isinstance(credential, Mapping):
        raise MalformedCredentialError(reason="it is not a JSON object")
    require_context(credential)
    types = document_types(credential, BASE_TYPE)
    issuer = issuer_of(credential)
    proof = proof_of(credential, ASSERTION)
    created = _verify_signature(credential, proof, registry, controller=issuer)
    if created > now:
        raise NotYetValidError(valid_from=proof["created"])
    _check_window(credential, now)
    specific = tuple(t for t in types if t != BASE_TYPE)
    if not specific:
        raise MalformedCredentialError(reason="it names no type beyond VerifiableCredential")
    for credential_type in specific:
        if not registry.is_trusted(credential_type, issuer):
            raise UntrustedIssuerError(issuer=issuer, credential_type=credential_type)
    statuses = _check_statuses(credential, issuer, registry)
    subject = credential.get("credentialSubject")
    if not isinstance(subject, Mapping):
        raise MalformedCredentialError(reason="credentialSubject is not one object")
    return VerifiedCredential(
        issuer=issuer, types=specific, subject=subject, created_ns=created, statuses=statuses
    )


def verify_presentation(
    presentation: Mapping[str, Any],
    registry: Registry,
    *,
    challenge: str,
    domain: str,
    now_ns: int | None = None,
) -> tuple[VerifiedCredential, ...]:
    """The holder's proof (an authentication key of the holder's DID, this verifier's
    challenge and domain), then every credential; each credential's subject is the holder."""
    if not isinstance(presentation, Mapping):
        raise MalformedCredentialError(reason="it is not a JSON object")
    require_context(presentation)
    document_types(presentation, PRESENTATION_TYPE)
    holder = presentation.get("holder")
    if not isinstance(holder, str):
        raise PresentationError(reason="it names no holder")
    proof = proof_of(presentation, AUTHENTICATION)
    if proof.get("challenge") != challenge:
        raise PresentationError(reason="its challenge is not the one this verifier gave")
    if proof.get("domain") != domain:
        raise PresentationError(reason=f"it was made for another domain than {domain}")
    _verify_signature(presentation, proof, registry, controller=holder)
    credentials = presentation.get("verifiableCredential", [])
    if not isinstance(credentials, list) or not credentials:
        raise PresentationError(reason="it presents no credential")
    verified = tuple(verify_credential(c, registry, now_ns=now_ns) for c in credentials)
    for found in verified:
        subject_id = found.subject.get("id")
        if subject_id is not None and subject_id != holder:
            raise PresentationError(reason=f"a credential is about {subject_id}, not the holder")
    return verified


# The shape checks below are shared with the on-chain verifier (cornerstone.modules.did.verify).
def require_context(document: Mapping[str, Any]) -> None:
    """MalformedCredentialError unless the @context list starts with the VC 2.0 context."""
    context = document.get("@context")
    if not isinstance(context, list) or not context or context[0] != VC_CONTEXT:
        raise MalformedCredentialError(reason=f"its @context does not start with {VC_CONTEXT}")


def document_types(document: Mapping[str, Any], required: str) -> tuple[str, ...]:
    """The document's types, which must include `required`."""
    kinds = document.get("type")
    if isinstance(kinds, str):
        kinds = [kinds]
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise MalformedCredentialError(reason="its type is not a list of strings")
    if required not in kinds:
        raise MalformedCredentialError(reason=f"its type does not include {required}")
    return tuple(kinds)


def issuer_of(credential: Mapping[str, Any]) -> str:
    """The issuer's id (a string, or the id of an issuer object)."""
    issuer = credential.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    if not isinstance(issuer, str):
        raise MalformedCredentialError(reason="it names no issuer")
    return issuer


def proof_of(document: Mapping[str, Any], purpose: str) -> Mapping[str, Any]:
    """The document's one eddsa-jcs-2022 proof, which must be for `purpose`."""
    proof = document.get("proof")
    if not isinstance(proof, Mapping):
        raise MalformedCredentialError(reason="it has no proof, or more than one")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise MalformedCredentialError(reason=f"its proof is not a {CRYPTOSUITE} {PROOF_TYPE}")
    if proof.get("proofPurpose") != purpose:
        raise MalformedCredentialError(reason=f"its proof's purpose is not {purpose}")
    if not isinstance(proof.get("verificationMethod"), str) or not isinstance(
        proof.get("created"), str
    ):
        raise MalformedCredentialError(reason="its proof names no verificationMethod or created")
    return proof


def _verify_signature(
    document: Mapping[str, Any], proof: Mapping[str, Any], registry: Registry, *, controller: str
) -> int:
    """Verify the proof with the key its verificationMethod named when it was created, which
    must be in the relationship its purpose needs; the creation time in nanoseconds."""
    method = str(proof["verificationMethod"])
    purpose = str(proof["proofPurpose"])
    try:
        created = from_text(str(proof["created"]))
        url = parse_did_url(method)
    except ValueError as exc:
        raise MalformedCredentialError(reason=str(exc)) from None
    if url.did != controller or not url.fragment or url.path:
        raise MalformedCredentialError(reason=f"{method} is not a key of {controller}")
    at = proof["created"]
    resolution = registry.resolve(url.did, time_ns=created)
    if resolution is None:
        raise IssuerNotFoundError(did=url.did, at=at)
    if resolution.get("didDocumentMetadata", {}).get("deactivated"):
        raise IssuerDeactivatedError(did=url.did, at=at)
    key = _method_key(resolution["didDocument"], method, purpose)
    if key is None:
        raise KeyNotAuthorizedError(method=method, relationship=purpose, at=at)
    if not verify_proof(document, key):
        raise BadProofError(method=method)
    # A deactivated DID vouches for nothing any more, including what it signed before.
    current = registry.resolve(url.did)
    if current is None or current.get("didDocumentMetadata", {}).get("deactivated"):
        raise IssuerDeactivatedError(did=url.did, at="now")
    return created


def _method_key(document: Mapping[str, Any], method: str, relationship: str) -> PublicKey | None:
    if method not in document.get(relationship, []):
        return None
    for entry in document.get("verificationMethod", []):
        if entry.get("id") == method and entry.get("type") == "Multikey":
            try:
                return decode_multikey(str(entry.get("publicKeyMultibase")))
            except ValueError:
                return None
    return None


def _check_window(credential: Mapping[str, Any], now: int) -> None:
    try:
        valid_from = from_text(str(credential["validFrom"])) if "validFrom" in credential else None
        valid_until = (
            from_text(str(credential["validUntil"])) if "validUntil" in credential else None
        )
    except ValueError as exc:
        raise MalformedCredentialError(reason=str(exc)) from None
    if valid_from is not None and now < valid_from:
        raise NotYetValidError(valid_from=credential["validFrom"])
    if valid_until is not None and now > valid_until:
        raise ExpiredError(valid_until=credential["validUntil"])


def _check_statuses(
    credential: Mapping[str, Any], issuer: str, registry: Registry
) -> tuple[str, ...]:
    entries = credential.get("credentialStatus", [])
    if isinstance(entries, Mapping):
        entries = [entries]
    if not isinstance(entries, list):
        raise MalformedCredentialError(reason="credentialStatus is neither an object nor a list")
    checked: list[str] = []
    for entry in entries:
        if not isinstance(entry, Mapping) or entry.get("type") != STATUS_ENTRY_TYPE:
            raise MalformedCredentialError(reason=f"a status entry is not a {STATUS_ENTRY_TYPE}")
        url, purpose = entry.get("statusListCredential"), entry.get("statusPurpose")
        try:
            index = int(str(entry.get("statusListIndex")))
        except ValueError:
            raise MalformedCredentialError(reason="a statusListIndex is not a number") from None
        if not isinstance(url, str) or purpose not in ("revocation", "suspension"):
            raise MalformedCredentialError(reason="a status entry lacks its list or purpose")
        status_list = registry.status_list(url)
        if status_list is None:
            raise StatusUnavailableError(list=url, reason="nobody serves it")
        bits = _status_bits(
            status_list, url=url, issuer=issuer, purpose=str(purpose), registry=registry
        )
        try:
            is_set = bit(bits, index)
        except ValueError as exc:
            raise StatusUnavailableError(list=url, reason=str(exc)) from None
        if is_set and purpose == "revocation":
            raise RevokedError(index=index, list=url)
        if is_set:
            raise SuspendedError(index=index, list=url)
        checked.append(f"{purpose} {url}#{index}")
    return tuple(checked)


def _status_bits(
    status_list: Mapping[str, Any], *, url: str, issuer: str, purpose: str, registry: Registry
) -> bytes:
    """The bitstring of a status list credential that belongs to the credential's issuer; a
    signed copy must verify (an unsigned one is trusted as the chain's own answer)."""
    if issuer_of(status_list) != issuer:
        raise StatusUnavailableError(list=url, reason="it was not issued by the same issuer")
    if STATUS_LIST_TYPE not in document_types(status_list, BASE_TYPE):
        raise StatusUnavailableError(list=url, reason=f"it is not a {STATUS_LIST_TYPE}")
    if "proof" in status_list:
        proof = proof_of(status_list, ASSERTION)
        _verify_signature(status_list, proof, registry, controller=issuer)
    subject = status_list.get("credentialSubject")
    if not isinstance(subject, Mapping) or subject.get("statusPurpose") != purpose:
        raise StatusUnavailableError(list=url, reason=f"it is not a {purpose} list")
    try:
        return decode_list(str(subject.get("encodedList")))
    except ValueError as exc:
        raise StatusUnavailableError(list=url, reason=str(exc)) from None
