"""The only code that reads and writes the did module's keys (layout in keys.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from cornerstone import encoding
from cornerstone.crypto import PublicKey, Suite
from cornerstone.module import Reader, Writer
from cornerstone.modules.did.keys import (
    BIND_MEMBER_PREFIX,
    BIND_ORG_PREFIX,
    HEAD_PREFIX,
    NEXT_PREFIX,
    TRUST_PREFIX,
    bind_member_key,
    bind_org_key,
    head_key,
    next_key,
    status_key,
    status_prefix,
    trust_key,
    trust_prefix,
    version_key,
    version_prefix,
)
from cornerstone.types import Height, Timestamp

ACTIVE: Final = "active"
SUSPENDED: Final = "suspended"
REVOKED: Final = "revoked"
STATES: Final = (ACTIVE, SUSPENDED, REVOKED)


@dataclass(frozen=True, slots=True)
class Method:
    """A verification method of a DID document, as a Multikey."""

    fragment: str
    """Its id within the document ("key-1" for "<did>#key-1")."""
    public_key: PublicKey
    """The key."""
    relationships: tuple[str, ...]
    """The verification relationships it is in, in `messages.RELATIONSHIPS` order."""


@dataclass(frozen=True, slots=True)
class Service:
    """A service endpoint of a DID document."""

    fragment: str
    type: str
    endpoint: str


@dataclass(frozen=True, slots=True)
class DidRecord:
    """One version of a DID: everything its document and metadata are built from."""

    id: str
    """The method-specific id (the DID is did:cornerstone:<chain id>:<id>)."""
    version: int
    """1 for the version `create` wrote, then one more for each change."""
    height: Height
    """Block height of this version."""
    time: Timestamp
    """Block time of this version, nanoseconds."""
    created_height: Height
    """Block height of version 1."""
    created_time: Timestamp
    """Block time of version 1."""
    org: str
    """The organization of the member that created it."""
    controllers: tuple[str, ...]
    """Other DIDs whose keys may change it (it always controls itself)."""
    methods: tuple[Method, ...]
    """Its verification methods, in the order they were added."""
    services: tuple[Service, ...]
    """Its service endpoints."""
    also_known_as: tuple[str, ...]
    """Other identifiers of the same subject: the organization or member it is bound to."""
    deactivated: bool
    """True from the version that deactivated it on."""

    def method(self, fragment: str) -> Method | None:
        return next((m for m in self.methods if m.fragment == fragment), None)


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """The status of one credential an issuer allocated an index for."""

    state: str
    """active, suspended or revoked."""
    height: Height
    """Height of its last change (or its allocation)."""


# ---------------------------------------------------------------------------- records
def _record_value(record: DidRecord) -> dict[str, encoding.Value]:
    return {
        "version": record.version,
        "height": record.height,
        "time": record.time,
        "created_height": record.created_height,
        "created_time": record.created_time,
        "org": record.org,
        "controllers": list(record.controllers),
        "methods": [
            {
                "fragment": m.fragment,
                "public_key": m.public_key.raw,
                "suite": m.public_key.suite.value,
                "relationships": list(m.relationships),
            }
            for m in record.methods
        ],
        "services": [
            {"fragment": s.fragment, "type": s.type, "endpoint": s.endpoint}
            for s in record.services
        ],
        "also_known_as": list(record.also_known_as),
        "deactivated": record.deactivated,
    }


def _record(did_id: str, raw: bytes) -> DidRecord:
    r = encoding.decode(raw)
    assert isinstance(r, dict), "did records are maps"
    return DidRecord(
        id=did_id,
        version=_int(r["version"]),
        height=Height(_int(r["height"])),
        time=Timestamp(_int(r["time"])),
        created_height=Height(_int(r["created_height"])),
        created_time=Timestamp(_int(r["created_time"])),
        org=_str(r["org"]),
        controllers=tuple(_str(c) for c in _list(r["controllers"])),
        methods=tuple(_method(m) for m in _list(r["methods"])),
        services=tuple(_service(s) for s in _list(r["services"])),
        also_known_as=tuple(_str(a) for a in _list(r["also_known_as"])),
        deactivated=r["deactivated"] is True,
    )


def _method(value: encoding.Value) -> Method:
    assert isinstance(value, dict)
    raw = value["public_key"]
    assert isinstance(raw, bytes)
    return Method(
        fragment=_str(value["fragment"]),
        public_key=PublicKey(raw, Suite(_str(value["suite"]))),
        relationships=tuple(_str(r) for r in _list(value["relationships"])),
    )


def _service(value: encoding.Value) -> Service:
    assert isinstance(value, dict)
    return Service(
        fragment=_str(value["fragment"]), type=_str(value["type"]), endpoint=_str(value["endpoint"])
    )


def get_head(state: Reader, did_id: str) -> int:
    """The DID's current version, 0 when it does not exist."""
    raw = state.get(head_key(did_id))
    return 0 if raw is None else encoding.decode_int(raw)


def get_version(state: Reader, did_id: str, version: int) -> DidRecord | None:
    raw = state.get(version_key(did_id, version))
    return None if raw is None else _record(did_id, raw)


def get_current(state: Reader, did_id: str) -> DidRecord | None:
    version = get_head(state, did_id)
    return get_version(state, did_id, version) if version else None


def put_version(state: Writer, record: DidRecord) -> None:
    """Write a new version and make it current (versions are never rewritten)."""
    assert record.version == get_head(state, record.id) + 1, "versions are numbered in order"
    state.set(version_key(record.id, record.version), encoding.encode(_record_value(record)))
    state.set(head_key(record.id), encoding.encode_int(record.version))


def iter_versions(state: Reader, did_id: str) -> Iterator[DidRecord]:
    for _key, raw in state.iterate(version_prefix(did_id)):
        yield _record(did_id, raw)


def version_as_of(
    state: Reader, did_id: str, *, height: int = 0, time: int = 0
) -> DidRecord | None:
    """The version in force after block `height` (or at block time `time`): the last one
    written at or before it. 0 for both: the current version."""
    if not height and not time:
        return get_current(state, did_id)
    found: DidRecord | None = None
    for record in iter_versions(state, did_id):
        if (height and record.height > height) or (time and record.time > time):
            break
        found = record
    return found


def iter_ids(state: Reader) -> Iterator[str]:
    for key, _raw in state.iterate(HEAD_PREFIX):
        yield key[len(HEAD_PREFIX) :].decode("ascii")


# ---------------------------------------------------------------------------- bindings
def get_org_binding(state: Reader, org: str) -> str | None:
    raw = state.get(bind_org_key(org))
    return None if raw is None else _str(encoding.decode(raw))


def put_org_binding(state: Writer, org: str, did_id: str) -> None:
    state.set(bind_org_key(org), encoding.encode(did_id))


def get_member_binding(state: Reader, identity_id: bytes) -> str | None:
    raw = state.get(bind_member_key(identity_id))
    return None if raw is None else _str(encoding.decode(raw))


def put_member_binding(state: Writer, identity_id: bytes, did_id: str) -> None:
    state.set(bind_member_key(identity_id), encoding.encode(did_id))


def iter_bindings(state: Reader) -> Iterator[tuple[str, str, str]]:
    """("org", org id, DID id) and ("member", identity id hex, DID id), in key order."""
    for key, raw in state.iterate(BIND_ORG_PREFIX):
        yield "org", key[len(BIND_ORG_PREFIX) :].decode("ascii"), _str(encoding.decode(raw))
    for key, raw in state.iterate(BIND_MEMBER_PREFIX):
        yield "member", key[len(BIND_MEMBER_PREFIX) :].hex(), _str(encoding.decode(raw))


# ---------------------------------------------------------------------------- trust lists
def is_trusted(state: Reader, credential_type: str, issuer: str) -> bool:
    return state.get(trust_key(credential_type, issuer)) is not None


def put_trust(
    state: Writer, credential_type: str, issuer: str, *, height: Height, time: Timestamp
) -> None:
    value: dict[str, encoding.Value] = {"height": height, "time": time}
    state.set(trust_key(credential_type, issuer), encoding.encode(value))


def delete_trust(state: Writer, credential_type: str, issuer: str) -> None:
    state.delete(trust_key(credential_type, issuer))


def iter_trusted(state: Reader, credential_type: str = "") -> Iterator[tuple[str, str, int]]:
    """(credential type, issuer DID, height trusted since), by type then issuer."""
    prefix = trust_prefix(credential_type) if credential_type else TRUST_PREFIX
    for key, raw in state.iterate(prefix):
        kind, _, issuer = key[len(TRUST_PREFIX) :].decode("ascii").partition("/")
        record = encoding.decode(raw)
        assert isinstance(record, dict)
        yield kind, issuer, _int(record["height"])


# ---------------------------------------------------------------------------- status lists
def get_next_index(state: Reader, issuer_id: str) -> int:
    raw = state.get(next_key(issuer_id))
    return 0 if raw is None else encoding.decode_int(raw)


def put_next_index(state: Writer, issuer_id: str, index: int) -> None:
    state.set(next_key(issuer_id), encoding.encode_int(index))


def iter_next_indexes(state: Reader) -> Iterator[tuple[str, int]]:
    for key, raw in state.iterate(NEXT_PREFIX):
        yield key[len(NEXT_PREFIX) :].decode("ascii"), encoding.decode_int(raw)


def get_status(state: Reader, issuer_id: str, index: int) -> StatusEntry | None:
    raw = state.get(status_key(issuer_id, index))
    return None if raw is None else _status(raw)


def put_status(state: Writer, issuer_id: str, index: int, entry: StatusEntry) -> None:
    value: dict[str, encoding.Value] = {"state": entry.state, "height": entry.height}
    state.set(status_key(issuer_id, index), encoding.encode(value))


def iter_statuses(
    state: Reader, issuer_id: str, *, start: int = 0
) -> Iterator[tuple[int, StatusEntry]]:
    prefix = status_prefix(issuer_id)
    for key, raw in state.iterate(prefix, start=prefix + start.to_bytes(8, "big")):
        yield int.from_bytes(key[len(prefix) :], "big"), _status(raw)


def _status(raw: bytes) -> StatusEntry:
    r = encoding.decode(raw)
    assert isinstance(r, dict)
    return StatusEntry(state=_str(r["state"]), height=Height(_int(r["height"])))


# ---------------------------------------------------------------------------- values
def _int(value: encoding.Value) -> int:
    assert type(value) is int
    return value


def _str(value: encoding.Value) -> str:
    assert isinstance(value, str)
    return value


def _list(value: encoding.Value) -> list[encoding.Value]:
    assert isinstance(value, list)
    return value
