"""One function per did message, and the governance actions on trust lists.

Who may change a DID is decided here, not by the operation's policy: the policy only admits
members of the consortium; the document decides which of their keys control it.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Final

from cornerstone.module import Context, Event, Events, Writer
from cornerstone.modules.did.errors import (
    AlreadyBoundError,
    BindingRefusedError,
    DidDeactivatedError,
    DidExistsError,
    DidNotFoundError,
    InvalidDocumentError,
    NotControllerError,
    StatusChangeError,
    StatusListFullError,
    StatusNotFoundError,
    StatusRevokedError,
    TrustChangeError,
    WrongChainDidError,
)
from cornerstone.modules.did.messages import (
    CONTROLLING,
    MAX_ALSO_KNOWN_AS,
    MAX_METHODS,
    MAX_SERVICES,
    RELATIONSHIPS,
    AllocateStatus,
    Bind,
    ChangeStatus,
    Create,
    Deactivate,
    DistrustIssuer,
    TrustIssuer,
    Update,
    parse_key,
    parse_service,
)
from cornerstone.modules.did.state import (
    ACTIVE,
    REVOKED,
    SUSPENDED,
    DidRecord,
    Method,
    Service,
    StatusEntry,
    delete_trust,
    get_current,
    get_member_binding,
    get_next_index,
    get_org_binding,
    get_status,
    is_trusted,
    put_member_binding,
    put_next_index,
    put_org_binding,
    put_status,
    put_trust,
    put_version,
)
from cornerstone.modules.membership import get_member, get_org
from cornerstone.vc.didurl import METHOD_PREFIX, did_of, parse_did
from cornerstone.vc.multibase import b58encode
from cornerstone.vc.statuslist import LIST_SIZE

MAX_LISTS: Final = 64
"""Status lists per issuer; an issuer has LIST_SIZE * MAX_LISTS indexes in all."""
DERIVED_ID_BYTES: Final = 16


# ---------------------------------------------------------------------------- helpers
def _own_id(ctx: Context, did: str) -> str:
    """The id of `did`, which must be a DID of this chain."""
    chain_id, did_id = parse_did(did)
    if chain_id != ctx.chain_id:
        raise WrongChainDidError(did=did, prefix=f"{METHOD_PREFIX}{ctx.chain_id}:")
    return did_id


def _current(state: Writer, ctx: Context, did: str) -> DidRecord:
    """The DID's current version; it must exist and be active."""
    record = get_current(state, _own_id(ctx, did))
    if record is None:
        raise DidNotFoundError(did=did)
    if record.deactivated:
        raise DidDeactivatedError(did=did, height=record.height)
    return record


def _controls(record: DidRecord, ctx: Context) -> bool:
    return any(
        m.public_key == ctx.sender.public_key and any(r in CONTROLLING for r in m.relationships)
        for m in record.methods
    )


def _authorize(state: Writer, ctx: Context, record: DidRecord) -> None:
    """The sender's key must control the DID, or one of its controllers (one level deep, so a
    check costs a bounded number of reads)."""
    if _controls(record, ctx):
        return
    for controller in record.controllers:
        chain_id, controller_id = parse_did(controller)
        found = get_current(state, controller_id) if chain_id == ctx.chain_id else None
        if found is not None and not found.deactivated and _controls(found, ctx):
            return
    raise NotControllerError(key=ctx.sender.public_key.hex(), did=did_of(ctx.chain_id, record.id))


def _next_version(record: DidRecord, ctx: Context) -> DidRecord:
    """The record as the next version, written by this transaction's block."""
    return replace(record, version=record.version + 1, height=ctx.height, time=ctx.time)


def _event(kind: str, record: DidRecord, ctx: Context, *extra: tuple[str, str]) -> Event:
    return Event(
        f"did.{kind}",
        (
            ("did", did_of(ctx.chain_id, record.id)),
            ("version", str(record.version)),
            *extra,
        ),
    )


# ---------------------------------------------------------------------------- DIDs
def create(state: Writer, ctx: Context, msg: Create) -> Events:
    if msg.name:
        did_id = f"{ctx.sender.org}.{msg.name}"
    else:
        digest = hashlib.sha256(b"cornerstone/did/" + ctx.tx_hash).digest()
        did_id = b58encode(digest[:DERIVED_ID_BYTES])
    if get_current(state, did_id) is not None:
        raise DidExistsError(did=did_of(ctx.chain_id, did_id))
    services = tuple(parse_service(s) for s in msg.services)
    _refuse_duplicates(did_id, ctx, ["key-1", *(s.fragment for s in services)])
    record = DidRecord(
        id=did_id,
        version=1,
        height=ctx.height,
        time=ctx.time,
        created_height=ctx.height,
        created_time=ctx.time,
        org=ctx.sender.org,
        controllers=(),
        methods=(Method("key-1", ctx.sender.public_key, RELATIONSHIPS),),
        services=tuple(Service(s.fragment, s.type, s.endpoint) for s in services),
        also_known_as=(),
        deactivated=False,
    )
    put_version(state, record)
    return (_event("created", record, ctx, ("org", ctx.sender.org)),)


def update(state: Writer, ctx: Context, msg: Update) -> Events:
    record = _current(state, ctx, msg.did)
    _authorize(state, ctx, record)

    def refuse(reason: str) -> InvalidDocumentError:
        return InvalidDocumentError(did=msg.did, reason=reason)

    methods = list(record.methods)
    services = list(record.services)
    for fragment in msg.remove_keys:
        if not any(m.fragment == fragment for m in methods):
            raise refuse(f"it has no key #{fragment}")
        methods = [m for m in methods if m.fragment != fragment]
    for fragment in msg.remove_services:
        if not any(s.fragment == fragment for s in services):
            raise refuse(f"it has no service #{fragment}")
        services = [s for s in services if s.fragment != fragment]
    for spec in (parse_key(k) for k in msg.add_keys):
        if any(m.public_key == spec.public_key for m in methods):
            raise refuse(f"the key of #{spec.fragment} is in the document already")
        methods.append(Method(spec.fragment, spec.public_key, spec.relationships))
    services += [
        Service(s.fragment, s.type, s.endpoint)
        for s in (parse_service(v) for v in msg.add_services)
    ]
    _refuse_duplicates(
        record.id, ctx, [*(m.fragment for m in methods), *(s.fragment for s in services)]
    )
    if len(methods) > MAX_METHODS or len(services) > MAX_SERVICES:
        raise refuse(f"a DID has at most {MAX_METHODS} keys and {MAX_SERVICES} services")
    controllers = record.controllers
    if msg.controllers is not None:
        own = did_of(ctx.chain_id, record.id)
        controllers = tuple(sorted(dict.fromkeys(c for c in msg.controllers if c != own)))
        for controller in controllers:
            found = get_current(state, _own_id(ctx, controller))
            if found is None or found.deactivated:
                raise refuse(f"the controller {controller} is not an active DID of this chain")
    if not controllers and not any(any(r in CONTROLLING for r in m.relationships) for m in methods):
        raise refuse("no key could change it any more (deactivate it instead)")
    changed = replace(
        _next_version(record, ctx),
        methods=tuple(methods),
        services=tuple(services),
        controllers=controllers,
    )
    put_version(state, changed)
    return (_event("updated", changed, ctx),)


def _refuse_duplicates(did_id: str, ctx: Context, fragments: list[str]) -> None:
    seen: list[str] = []
    for fragment in fragments:
        if fragment in seen:
            raise InvalidDocumentError(
                did=did_of(ctx.chain_id, did_id), reason=f"#{fragment} names two things"
            )
        seen.append(fragment)


def deactivate(state: Writer, ctx: Context, msg: Deactivate) -> Events:
    record = _current(state, ctx, msg.did)
    _authorize(state, ctx, record)
    changed = replace(_next_version(record, ctx), deactivated=True)
    put_version(state, changed)
    return (_event("deactivated", changed, ctx),)


def bind(state: Writer, ctx: Context, msg: Bind) -> Events:
    """Only the organization's admin sends it (the operation's policy); the DID's controller
    need not sign, but the DID must already hold the member's key (or, for the organization,
    have been created by one of its members), so nobody is bound to a DID it does not hold."""
    record = _current(state, ctx, msg.did)
    org = get_org(state, msg.org)
    if org is None or not org.active:
        raise BindingRefusedError(
            did=msg.did, identity=msg.org, reason="it is not an active member organization"
        )
    if msg.member:
        identity = f"member {msg.member.hex()} of {msg.org}"
        member = get_member(state, msg.member)
        if member is None or member.org != msg.org:
            raise BindingRefusedError(
                did=msg.did, identity=identity, reason="no such registered member"
            )
        if not any(m.public_key == member.public_key for m in record.methods):
            raise BindingRefusedError(
                did=msg.did, identity=identity, reason="the DID does not hold the member's key"
            )
        bound = get_member_binding(state, msg.member)
        urn = f"urn:cornerstone:{ctx.chain_id}:member:{msg.member.hex()}"
    else:
        identity = f"organization {msg.org}"
        if record.org != msg.org:
            raise BindingRefusedError(
                did=msg.did, identity=identity, reason=f"a member of {record.org} created it"
            )
        bound = get_org_binding(state, msg.org)
        urn = f"urn:cornerstone:{ctx.chain_id}:org:{msg.org}"
    if bound is not None:
        raise AlreadyBoundError(identity=identity, did=did_of(ctx.chain_id, bound))
    if len(record.also_known_as) >= MAX_ALSO_KNOWN_AS:
        raise BindingRefusedError(did=msg.did, identity=identity, reason="too many bindings")
    if msg.member:
        put_member_binding(state, msg.member, record.id)
    else:
        put_org_binding(state, msg.org, record.id)
    changed = replace(_next_version(record, ctx), also_known_as=(*record.also_known_as, urn))
    put_version(state, changed)
    return (_event("bound", changed, ctx, ("identity", urn)),)


# ---------------------------------------------------------------------------- status lists
def allocate_status(state: Writer, ctx: Context, msg: AllocateStatus) -> Events:
    record = _current(state, ctx, msg.issuer)
    _authorize(state, ctx, record)
    index = get_next_index(state, record.id)
    if index >= LIST_SIZE * MAX_LISTS:
        raise StatusListFullError(issuer=msg.issuer, capacity=LIST_SIZE * MAX_LISTS)
    put_status(state, record.id, index, StatusEntry(state=ACTIVE, height=ctx.height))
    put_next_index(state, record.id, index + 1)
    return (
        Event(
            "did.status_allocated",
            (
                ("issuer", msg.issuer),
                ("index", str(index)),
                ("list", str(index // LIST_SIZE)),
                ("list_index", str(index % LIST_SIZE)),
            ),
        ),
    )


def _change_status(
    state: Writer, ctx: Context, msg: ChangeStatus, *, to: str, allowed_from: tuple[str, ...]
) -> Events:
    record = _current(state, ctx, msg.issuer)
    _authorize(state, ctx, record)
    entry = get_status(state, record.id, msg.index)
    if entry is None:
        raise StatusNotFoundError(issuer=msg.issuer, index=msg.index)
    if entry.state == REVOKED:
        raise StatusRevokedError(issuer=msg.issuer, index=msg.index)
    if entry.state not in allowed_from:
        change = {SUSPENDED: "suspended", ACTIVE: "reinstated"}.get(to, to)
        raise StatusChangeError(
            issuer=msg.issuer, index=msg.index, state=entry.state, change=change
        )
    put_status(state, record.id, msg.index, StatusEntry(state=to, height=ctx.height))
    return (
        Event(
            f"did.status_{to}",
            (("issuer", msg.issuer), ("index", str(msg.index)), ("state", to)),
        ),
    )


def revoke_status(state: Writer, ctx: Context, msg: ChangeStatus) -> Events:
    return _change_status(state, ctx, msg, to=REVOKED, allowed_from=(ACTIVE, SUSPENDED))


def suspend_status(state: Writer, ctx: Context, msg: ChangeStatus) -> Events:
    return _change_status(state, ctx, msg, to=SUSPENDED, allowed_from=(ACTIVE,))


def reinstate_status(state: Writer, ctx: Context, msg: ChangeStatus) -> Events:
    return _change_status(state, ctx, msg, to=ACTIVE, allowed_from=(SUSPENDED,))


# ---------------------------------------------------------------------------- trust lists
def trust_issuer(state: Writer, ctx: Context, msg: TrustIssuer) -> Events:
    _current(state, ctx, msg.issuer)  # only an existing, active DID is trusted
    if is_trusted(state, msg.credential_type, msg.issuer):
        raise TrustChangeError(
            issuer=msg.issuer, state="trusted", credential_type=msg.credential_type
        )
    put_trust(state, msg.credential_type, msg.issuer, height=ctx.height, time=ctx.time)
    return (
        Event(
            "did.issuer_trusted",
            (("credential_type", msg.credential_type), ("issuer", msg.issuer)),
        ),
    )


def distrust_issuer(state: Writer, ctx: Context, msg: DistrustIssuer) -> Events:
    if not is_trusted(state, msg.credential_type, msg.issuer):
        raise TrustChangeError(
            issuer=msg.issuer, state="not trusted", credential_type=msg.credential_type
        )
    delete_trust(state, msg.credential_type, msg.issuer)
    return (
        Event(
            "did.issuer_distrusted",
            (("credential_type", msg.credential_type), ("issuer", msg.issuer)),
        ),
    )
