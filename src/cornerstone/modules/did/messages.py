"""Messages of the did module: the operations a DID's controller sends (create, update,
deactivate), an organization admin's `bind`, the issuer's status list operations, and the
governance actions that keep the trust lists."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from cornerstone.crypto import PublicKey, Suite
from cornerstone.modules.membership.messages import check_org_id
from cornerstone.vc.didurl import FRAGMENT_RE, parse_did

NAME_RE: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,30}")
"""A chosen name; the id becomes "<org>.<name>"."""
CREDENTIAL_TYPE_RE: Final = re.compile(r"[A-Za-z0-9._:-]{1,64}")
RELATIONSHIPS: Final = ("authentication", "assertionMethod", "capabilityInvocation")
"""The verification relationships a key can be given (DID Core 1.0, section 5.3)."""
CONTROLLING: Final = ("authentication", "capabilityInvocation")
"""The relationships whose keys may change the document."""
MAX_METHODS: Final = 16
MAX_SERVICES: Final = 16
MAX_CONTROLLERS: Final = 4
MAX_ALSO_KNOWN_AS: Final = 8
MAX_TEXT: Final = 256


def check_did(did: str) -> None:
    parse_did(did)


def check_credential_type(credential_type: str) -> None:
    if not CREDENTIAL_TYPE_RE.fullmatch(credential_type):
        raise ValueError(f"a credential type matches {CREDENTIAL_TYPE_RE.pattern}")


def _check_fragment(fragment: str) -> None:
    if not FRAGMENT_RE.fullmatch(fragment):
        raise ValueError(f"a fragment matches {FRAGMENT_RE.pattern}, not {fragment!r}")


def _check_text(name: str, text: str) -> None:
    if not 0 < len(text) <= MAX_TEXT:
        raise ValueError(f"{name} is 1 to {MAX_TEXT} characters")


@dataclass(frozen=True, slots=True)
class KeySpec:
    """A verification method to add: fragment, key and the relationships it gets."""

    fragment: str
    """Its id within the document ("key-2" for "<did>#key-2")."""
    public_key: PublicKey
    """The key (Ed25519 or P-256)."""
    relationships: tuple[str, ...]
    """The verification relationships it is in, in RELATIONSHIPS order."""


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """A service endpoint to add."""

    fragment: str
    """Its id within the document."""
    type: str
    """What kind of service it is, e.g. "LinkedDomains"."""
    endpoint: str
    """Where it is (a URL)."""


def parse_key(value: Mapping[str, object]) -> KeySpec:
    """A key of `add_keys`: {"id": fragment, "public_key": bytes, "suite": str,
    "relationships": [str]}; ValueError with a sentence."""
    unknown = sorted(set(value) - {"id", "public_key", "suite", "relationships"})
    if unknown:
        raise ValueError(f"a key has no field {unknown[0]!r}")
    fragment, raw = value.get("id"), value.get("public_key")
    suite = value.get("suite", Suite.ED25519.value)
    relationships = value.get("relationships", list(RELATIONSHIPS))
    if not isinstance(fragment, str) or not isinstance(raw, bytes) or not isinstance(suite, str):
        raise ValueError("a key has an 'id' (str), a 'public_key' (bytes) and a 'suite' (str)")
    _check_fragment(fragment)
    try:
        key = PublicKey(raw, Suite(suite))
    except ValueError as exc:
        raise ValueError(f"the key {fragment}: {exc}") from None
    if (
        not isinstance(relationships, list)
        or not relationships
        or any(r not in RELATIONSHIPS for r in relationships)
        or len(set(relationships)) != len(relationships)
    ):
        raise ValueError(f"a key's relationships are some of {', '.join(RELATIONSHIPS)}")
    ordered = tuple(r for r in RELATIONSHIPS if r in relationships)
    return KeySpec(fragment=fragment, public_key=key, relationships=ordered)


def parse_service(value: Mapping[str, str]) -> ServiceSpec:
    """A service of `add_services`: {"id": fragment, "type": str, "endpoint": str}."""
    unknown = sorted(set(value) - {"id", "type", "endpoint"})
    if unknown or len(value) != 3:
        raise ValueError("a service is {'id', 'type', 'endpoint'}")
    _check_fragment(value["id"])
    _check_text("a service type", value["type"])
    _check_text("a service endpoint", value["endpoint"])
    return ServiceSpec(fragment=value["id"], type=value["type"], endpoint=value["endpoint"])


# ---------------------------------------------------------------------------- operations
@dataclass(frozen=True, slots=True)
class Create:
    """Create a DID whose first key ("#key-1", every relationship) is the sender's key.

    With `name` the id is "<sender's org>.<name>"; without, it derives from the transaction's
    hash. The sender's organization is recorded, so its admin can later bind the DID to it.
    """

    name: str = ""
    """Lowercase letters, digits and "-"; empty: derive the id."""
    services: tuple[Mapping[str, str], ...] = ()
    """Service endpoints, each {"id", "type", "endpoint"}."""

    def __post_init__(self) -> None:
        if self.name and not NAME_RE.fullmatch(self.name):
            raise ValueError(f"a DID name matches {NAME_RE.pattern}")
        if len(self.services) > MAX_SERVICES:
            raise ValueError(f"a DID has at most {MAX_SERVICES} services")
        for service in self.services:
            parse_service(service)


@dataclass(frozen=True, slots=True)
class Update:
    """Change a DID's document in one version: removals first, then additions, so removing
    and adding the same fragment rotates a key (or replaces a service)."""

    did: str
    add_keys: tuple[Mapping[str, object], ...] = ()
    """Keys to add, each {"id", "public_key", "suite", "relationships"} (see parse_key)."""
    remove_keys: tuple[str, ...] = ()
    """Fragments of keys to remove."""
    add_services: tuple[Mapping[str, str], ...] = ()
    """Services to add, each {"id", "type", "endpoint"}."""
    remove_services: tuple[str, ...] = ()
    """Fragments of services to remove."""
    controllers: tuple[str, ...] | None = None
    """Replace the controllers (DIDs whose keys may also change this one); None keeps them,
    an empty list makes the DID its own controller only."""

    def __post_init__(self) -> None:
        check_did(self.did)
        if len(self.add_keys) > MAX_METHODS or len(self.add_services) > MAX_SERVICES:
            raise ValueError("too many keys or services in one update")
        for key in self.add_keys:
            parse_key(key)
        for service in self.add_services:
            parse_service(service)
        for fragment in (*self.remove_keys, *self.remove_services):
            _check_fragment(fragment)
        if self.controllers is not None:
            if len(self.controllers) > MAX_CONTROLLERS:
                raise ValueError(f"a DID has at most {MAX_CONTROLLERS} controllers")
            for controller in self.controllers:
                check_did(controller)
        if not (
            self.add_keys
            or self.remove_keys
            or self.add_services
            or self.remove_services
            or self.controllers is not None
        ):
            raise ValueError("the update changes nothing")


@dataclass(frozen=True, slots=True)
class Deactivate:
    """Deactivate a DID for good: it resolves, marked deactivated, and changes no more."""

    did: str

    def __post_init__(self) -> None:
        check_did(self.did)


@dataclass(frozen=True, slots=True)
class Bind:
    """An organization's admin binds a DID to the organization (no `member`) or to one of its
    registered members (`member`: the member's identity id). The DID must already hold the
    member's key, or, for the organization, have been created by one of its members."""

    did: str
    org: str
    """The organization (the sender must be its admin)."""
    member: bytes = b""
    """A registered member's identity id (its key's fingerprint); empty: the organization."""

    def __post_init__(self) -> None:
        check_did(self.did)
        check_org_id(self.org)
        if self.member and len(self.member) != 32:
            raise ValueError("a member is named by its 32-byte identity id")


@dataclass(frozen=True, slots=True)
class AllocateStatus:
    """Take the issuer's next status index for a credential about to be issued."""

    issuer: str

    def __post_init__(self) -> None:
        check_did(self.issuer)


@dataclass(frozen=True, slots=True)
class ChangeStatus:
    """Revoke, suspend or reinstate the credential at an index of the issuer's lists."""

    issuer: str
    """The issuer DID (the sender must control it)."""
    index: int
    """The index `allocate_status` gave (list index // 131072, position index % 131072)."""

    def __post_init__(self) -> None:
        check_did(self.issuer)
        if self.index < 0:
            raise ValueError("a status index is not negative")


# ---------------------------------------------------------------------------- governance actions
@dataclass(frozen=True, slots=True)
class TrustIssuer:
    """Put an issuer DID on the trust list of a credential type."""

    credential_type: str
    issuer: str

    def __post_init__(self) -> None:
        check_credential_type(self.credential_type)
        check_did(self.issuer)


@dataclass(frozen=True, slots=True)
class DistrustIssuer:
    """Take an issuer DID off the trust list of a credential type."""

    credential_type: str
    issuer: str

    def __post_init__(self) -> None:
        check_credential_type(self.credential_type)
        check_did(self.issuer)
