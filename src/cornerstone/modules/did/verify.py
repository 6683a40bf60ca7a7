"""Verifiable presentations checked inside block execution: the deterministic twin of
`cornerstone.vc.verify_presentation`, reading DIDs, status and trust lists straight from state.

    verify_presentation_at(state, ...)  parse (no floats, no duplicate names, bounded size and
                                        depth), the holder's proof with an authentication key of
                                        its current document, this challenge and domain; each
                                        credential's proof with an assertionMethod key of its
                                        issuer as of the proof's creation, its validity window
                                        and its status entries, all by block time
    credential_standing(state, ...)     whether a credential verified earlier still stands now:
                                        not expired, no status bit set, issuer active and on
                                        the trust list of the type
    holder_acts_for(state, ...)         how the holder DID is tied to a transaction's sender

Off chain a verifier asks a `Registry` and reads whole status lists; here every answer is one
state read at the block being executed, so the same bytes give the same verdict on every node.
The errors are `cornerstone.vc`'s (codespace "vc"): a handler wraps them in its own
transaction error. The work is bounded by MAX_PRESENTATION_BYTES and paid for through `charge`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from cornerstone.crypto import PublicKey
from cornerstone.module import Identity, Reader
from cornerstone.modules.did.state import (
    REVOKED,
    SUSPENDED,
    DidRecord,
    get_current,
    get_member_binding,
    get_org_binding,
    get_status,
    is_trusted,
    version_as_of,
)
from cornerstone.vc.credentials import (
    ASSERTION,
    AUTHENTICATION,
    BASE_TYPE,
    PRESENTATION_TYPE,
    STATUS_ENTRY_TYPE,
    document_types,
    issuer_of,
    proof_of,
    require_context,
)
from cornerstone.vc.didurl import parse_did, parse_did_url
from cornerstone.vc.errors import (
    BadProofError,
    CredentialError,
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
from cornerstone.vc.jcs import canonicalize
from cornerstone.vc.proof import verify_proof
from cornerstone.vc.statuslist import LIST_SIZE
from cornerstone.vc.times import from_text

MAX_PRESENTATION_BYTES: Final = 16_384
"""Largest presentation (UTF-8 JSON) a transaction may carry: a few credentials."""
MAX_CREDENTIALS: Final = 4
MAX_DEPTH: Final = 16
"""JSON nesting accepted on chain (credentials nest a few levels)."""
MAX_CREDENTIAL_ID: Final = 256
CLOCK_SKEW_NS: Final = 60 * 1_000_000_000
"""How far ahead of block time a proof's `created` or a `validFrom` may be: block time trails
the wall clock of the signer by a block or so, and a credential issued a moment ago must be
usable in the next block. A constant, so every node applies the same rule."""
PARSE_BYTE_GAS: Final = 2
"""Per byte of presentation parsed."""
SIGNATURE_GAS: Final = 20_000
"""Per proof verified (two SHA-256 over canonical JSON and one Ed25519 check)..."""
HASH_BYTE_GAS: Final = 4
"""...plus this per byte of the presentation, per proof (an upper bound of what is
canonicalized and hashed for it)."""
STATUS_PURPOSES: Final = ("revocation", "suspension")
_NUMBER: Final = re.compile(r"[0-9]{1,6}")

Charge = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class CredentialFact:
    """What the chain records of a credential it verified: enough to re-check its standing
    later without the credential itself."""

    id: str
    """The credential's `id`, or "urn:sha256:<hex>" of its canonical form when it has none."""
    issuer: str
    """The issuer DID."""
    holder: str
    """The holder DID that presented it (its subject)."""
    types: tuple[str, ...]
    """Its types beyond VerifiableCredential."""
    valid_until: int
    """validUntil in block-time nanoseconds; 0: none."""
    statuses: tuple[tuple[str, int], ...]
    """(purpose, index in the issuer's status lists) of each status entry."""


@dataclass(frozen=True, slots=True)
class VerifiedPresentation:
    """A presentation that verified at a block."""

    holder: str
    """The holder DID whose authentication key signed it."""
    credentials: tuple[CredentialFact, ...]
    """Its credentials, in the order presented."""


# ---------------------------------------------------------------------------- parsing
def _no_floats(text: str) -> Any:
    raise ValueError(f"the number {text} is not an integer (the chain takes no floats)")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, value in pairs:
        if name in found:
            raise ValueError(f"the member {name!r} appears twice")
        found[name] = value
    return found


def _depth(text: str) -> int:
    """The deepest nesting of objects and arrays, outside strings."""
    deepest = depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def parse_presentation(text: str) -> dict[str, Any]:
    """The JSON object of a presentation, parsed the same way on every node: at most
    MAX_PRESENTATION_BYTES and MAX_DEPTH levels, integers only, no repeated member names.
    MalformedCredentialError otherwise."""
    if len(text.encode("utf-8")) > MAX_PRESENTATION_BYTES:
        raise MalformedCredentialError(
            reason=f"the presentation is larger than {MAX_PRESENTATION_BYTES} bytes"
        )
    if _depth(text) > MAX_DEPTH:
        raise MalformedCredentialError(reason=f"it nests deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(
            text, parse_float=_no_floats, parse_constant=_no_floats, object_pairs_hook=_object
        )
    except ValueError as exc:
        raise MalformedCredentialError(reason=f"it is not JSON the chain accepts: {exc}") from None
    if not isinstance(value, dict):
        raise MalformedCredentialError(reason="it is not a JSON object")
    return value


# ---------------------------------------------------------------------------- presentations
def verify_presentation_at(
    state: Reader,
    *,
    chain_id: str,
    time: int,
    text: str,
    challenge: str,
    domain: str,
    charge: Charge,
) -> VerifiedPresentation:
    """Verify a presentation at block `time`; raise the CredentialError of the first check
    that fails. Trust is not checked here: which type must be trusted is the caller's
    question (`credential_standing`)."""
    size = len(text.encode("utf-8"))
    charge(PARSE_BYTE_GAS * size)
    presentation = parse_presentation(text)
    require_context(presentation)
    document_types(presentation, PRESENTATION_TYPE)
    holder = presentation.get("holder")
    if not isinstance(holder, str):
        raise PresentationError(reason="it names no holder")
    proof = proof_of(presentation, AUTHENTICATION)
    if proof.get("challenge") != challenge:
        raise PresentationError(reason="its challenge is not the one this request needs")
    if proof.get("domain") != domain:
        raise PresentationError(reason=f"it was made for another domain than {domain}")
    credentials = presentation.get("verifiableCredential")
    if not isinstance(credentials, list) or not credentials:
        raise PresentationError(reason="it presents no credential")
    if len(credentials) > MAX_CREDENTIALS:
        raise PresentationError(reason=f"it presents more than {MAX_CREDENTIALS} credentials")
    charge(SIGNATURE_GAS + HASH_BYTE_GAS * size)
    # The holder proves control now: its current document, not the one as of `created`.
    _check_proof(state, presentation, proof, chain_id=chain_id, controller=holder, at=0)
    facts = []
    for credential in credentials:
        charge(SIGNATURE_GAS + HASH_BYTE_GAS * size)
        facts.append(_verify_credential(state, credential, chain_id=chain_id, time=time))
    for fact in facts:
        if fact.holder != holder:
            raise PresentationError(reason=f"a credential is about {fact.holder}, not the holder")
    return VerifiedPresentation(holder=holder, credentials=tuple(facts))


def _verify_credential(
    state: Reader, credential: Any, *, chain_id: str, time: int
) -> CredentialFact:
    if not isinstance(credential, dict):
        raise MalformedCredentialError(reason="a presented credential is not a JSON object")
    require_context(credential)
    types = tuple(t for t in document_types(credential, BASE_TYPE) if t != BASE_TYPE)
    if not types:
        raise MalformedCredentialError(reason="it names no type beyond VerifiableCredential")
    issuer = issuer_of(credential)
    proof = proof_of(credential, ASSERTION)
    created = _time(proof.get("created"))
    if created > time + CLOCK_SKEW_NS:
        raise NotYetValidError(valid_from=proof["created"])
    _check_proof(state, credential, proof, chain_id=chain_id, controller=issuer, at=created)
    valid_from = _time(credential["validFrom"]) if "validFrom" in credential else 0
    valid_until = _time(credential["validUntil"]) if "validUntil" in credential else 0
    if valid_from > time + CLOCK_SKEW_NS:
        raise NotYetValidError(valid_from=credential["validFrom"])
    if valid_until and time > valid_until:
        raise ExpiredError(valid_until=credential["validUntil"])
    subject = credential.get("credentialSubject")
    if not isinstance(subject, dict) or not isinstance(subject.get("id"), str):
        raise MalformedCredentialError(
            reason="its credentialSubject is not one object with the holder's id"
        )
    statuses = _status_entries(credential, issuer)
    fact = CredentialFact(
        id=_credential_id(credential),
        issuer=issuer,
        holder=subject["id"],
        types=types,
        valid_until=valid_until,
        statuses=statuses,
    )
    _check_statuses(state, fact)
    return fact


def _time(value: Any) -> int:
    try:
        return from_text(str(value))
    except ValueError as exc:
        raise MalformedCredentialError(reason=str(exc)) from None


def _credential_id(credential: Mapping[str, Any]) -> str:
    found = credential.get("id")
    if (
        isinstance(found, str)
        and 0 < len(found) <= MAX_CREDENTIAL_ID
        and found.isprintable()
        and found.isascii()
    ):
        return found
    if found is not None:
        raise MalformedCredentialError(
            reason=f"its id is not a printable string of at most {MAX_CREDENTIAL_ID} characters"
        )
    try:
        canonical = canonicalize(credential)
    except ValueError as exc:
        raise MalformedCredentialError(reason=str(exc)) from None
    return "urn:sha256:" + hashlib.sha256(canonical).hexdigest()


def _own_record(
    state: Reader, did: str, *, chain_id: str, at: int, at_text: str
) -> tuple[DidRecord, DidRecord]:
    """(the DID's version as of block time `at` (0: now), its current version)."""
    try:
        did_chain, did_id = parse_did(did)
    except ValueError as exc:
        raise MalformedCredentialError(reason=str(exc)) from None
    if did_chain != chain_id:
        raise IssuerNotFoundError(did=did, at=f"{at_text} (it is not a DID of this chain)")
    current = get_current(state, did_id)
    then = version_as_of(state, did_id, time=at) if at else current
    if then is None or current is None:
        raise IssuerNotFoundError(did=did, at=at_text)
    if then.deactivated:
        raise IssuerDeactivatedError(did=did, at=at_text)
    if current.deactivated:
        raise IssuerDeactivatedError(did=did, at="now")
    return then, current


def _check_proof(
    state: Reader,
    document: Mapping[str, Any],
    proof: Mapping[str, Any],
    *,
    chain_id: str,
    controller: str,
    at: int,
) -> None:
    method = str(proof["verificationMethod"])
    purpose = str(proof["proofPurpose"])
    try:
        url = parse_did_url(method)
    except ValueError as exc:
        raise MalformedCredentialError(reason=str(exc)) from None
    if url.did != controller or not url.fragment or url.path:
        raise MalformedCredentialError(reason=f"{method} is not a key of {controller}")
    at_text = str(proof["created"]) if at else "now"
    record, _current = _own_record(state, url.did, chain_id=chain_id, at=at, at_text=at_text)
    found = record.method(url.fragment)
    if found is None or purpose not in found.relationships:
        raise KeyNotAuthorizedError(method=method, relationship=purpose, at=at_text)
    if not verify_proof(document, found.public_key):
        raise BadProofError(method=method)


def _status_entries(credential: Mapping[str, Any], issuer: str) -> tuple[tuple[str, int], ...]:
    entries = credential.get("credentialStatus", [])
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list):
        raise MalformedCredentialError(reason="credentialStatus is neither an object nor a list")
    found: list[tuple[str, int]] = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("type") != STATUS_ENTRY_TYPE:
            raise MalformedCredentialError(reason=f"a status entry is not a {STATUS_ENTRY_TYPE}")
        url, purpose = entry.get("statusListCredential"), entry.get("statusPurpose")
        position = entry.get("statusListIndex")
        if not isinstance(url, str) or purpose not in STATUS_PURPOSES:
            raise MalformedCredentialError(reason="a status entry lacks its list or purpose")
        if not isinstance(position, str) or not _NUMBER.fullmatch(position):
            raise MalformedCredentialError(reason="a statusListIndex is not a number")
        prefix = f"{issuer}/status/{purpose}/"
        number = url[len(prefix) :]
        if not url.startswith(prefix) or not _NUMBER.fullmatch(number):
            raise StatusUnavailableError(
                list=url, reason=f"the chain keeps only the issuer's own lists ({prefix}N)"
            )
        if int(position) >= LIST_SIZE:
            raise StatusUnavailableError(list=url, reason=f"index {position} is outside it")
        found.append((str(purpose), int(number) * LIST_SIZE + int(position)))
    return tuple(found)


def _check_statuses(state: Reader, fact: CredentialFact) -> None:
    issuer_id = parse_did(fact.issuer)[1]
    for purpose, index in fact.statuses:
        entry = get_status(state, issuer_id, index)
        where = f"{fact.issuer}/status/{purpose}/{index // LIST_SIZE}"
        if entry is None:
            raise StatusUnavailableError(list=where, reason=f"index {index} was never allocated")
        if purpose == "revocation" and entry.state == REVOKED:
            raise RevokedError(index=index % LIST_SIZE, list=where)
        if purpose == "suspension" and entry.state == SUSPENDED:
            raise SuspendedError(index=index % LIST_SIZE, list=where)


# ---------------------------------------------------------------------------- standing
def credential_standing(
    state: Reader, fact: CredentialFact, *, chain_id: str, credential_type: str, time: int
) -> CredentialError | None:
    """None when a credential verified earlier still stands at block `time` as one of
    `credential_type`: unexpired, not revoked or suspended, its issuer active and trusted for
    the type. Otherwise the error that says why (returned, not raised)."""
    if credential_type not in fact.types:
        return UntrustedIssuerError(issuer=fact.issuer, credential_type=credential_type)
    if fact.valid_until and time > fact.valid_until:
        return ExpiredError(valid_until=f"{fact.valid_until} ns")
    try:
        _own_record(state, fact.issuer, chain_id=chain_id, at=0, at_text="now")
        _check_statuses(state, fact)
    except CredentialError as error:
        return error
    if not is_trusted(state, credential_type, fact.issuer):
        return UntrustedIssuerError(issuer=fact.issuer, credential_type=credential_type)
    return None


# ---------------------------------------------------------------------------- holders
def holder_acts_for(state: Reader, holder: str, *, chain_id: str, sender: Identity) -> str | None:
    """How the holder DID is tied to the sender: "member binding" (bound to the sender's
    identity), "key" (its current document lists the sender's key for authentication) or
    "organization binding" (bound to the sender's organization, whose DID then signed this
    very request's challenge); None when it is not."""
    try:
        did_chain, did_id = parse_did(holder)
    except ValueError:
        return None
    if did_chain != chain_id:
        return None
    if get_member_binding(state, sender.id) == did_id:
        return "member binding"
    record = get_current(state, did_id)
    if record is not None and _lists_key(record, sender.public_key):
        return "key"
    if get_org_binding(state, sender.org) == did_id:
        return "organization binding"
    return None


def _lists_key(record: DidRecord, key: PublicKey) -> bool:
    return any(m.public_key == key and AUTHENTICATION in m.relationships for m in record.methods)


__all__ = [
    "MAX_PRESENTATION_BYTES",
    "CredentialFact",
    "VerifiedPresentation",
    "credential_standing",
    "holder_acts_for",
    "parse_presentation",
    "verify_presentation_at",
]
