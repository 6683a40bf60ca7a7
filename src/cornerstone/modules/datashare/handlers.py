"""One function per datashare message.

The chain sees hashes, locations, sealed boxes and who did what; it never sees data or a data
key. Each handler checks everything before it writes, so a refusal changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from cornerstone.module import Context, Event, Events, Reader, Writer
from cornerstone.modules.datashare.errors import (
    AlreadyReleasedError,
    CredentialRefusedError,
    DatasetExistsError,
    DatasetNotFoundError,
    EncryptionKeyMissingError,
    GrantNotFoundError,
    GrantRevokedError,
    HolderNotRequesterError,
    InvalidExpiryError,
    NoCredentialGrantError,
    NotDatasetOwnerError,
    NoValidGrantError,
    UmbralKeyMissingError,
    UnknownGranteeError,
    VersionMismatchError,
    VersionNotFoundError,
)
from cornerstone.modules.datashare.messages import (
    CREDENTIAL,
    ORG,
    Grant,
    Publish,
    RegisterKey,
    Release,
    Request,
    Revoke,
    request_challenge,
)
from cornerstone.modules.datashare.rules import covers
from cornerstone.modules.datashare.state import (
    OWNER_DELIVERY,
    AccessRequest,
    Dataset,
    EncryptionKey,
    GrantRecord,
    KeyRelease,
    Receipt,
    Version,
    delete_request,
    get_dataset,
    get_encryption_key,
    get_grant,
    get_receipt,
    get_request,
    get_version,
    iter_grants,
    put_dataset,
    put_encryption_key,
    put_grant,
    put_receipt,
    put_release,
    put_request,
    put_version,
)
from cornerstone.modules.did.verify import (
    CredentialFact,
    credential_standing,
    holder_acts_for,
    verify_presentation_at,
)
from cornerstone.modules.membership import active_org_ids, get_member
from cornerstone.state import State
from cornerstone.vc.errors import CredentialError

MAX_SHOWN: Final = 200
"""Characters of a presentation's text (ids, DIDs, reasons) an error message repeats."""


def register_key(state: Writer, ctx: Context, msg: RegisterKey) -> Events:
    put_encryption_key(
        state,
        EncryptionKey(
            identity=ctx.sender.id,
            public_key=msg.public_key,
            org=ctx.sender.org,
            height=ctx.height,
            receiving_key=msg.receiving_key,
            delegating_key=msg.delegating_key,
            verifying_key=msg.verifying_key,
        ),
    )
    return (
        Event(
            "datashare.key_registered",
            (("identity", ctx.sender.id.hex()), ("org", ctx.sender.org)),
        ),
    )


def publish(state: Writer, ctx: Context, msg: Publish) -> Events:
    owner_key = _require_key(state, ctx.sender.id)
    if msg.capsule and not owner_key.delegating_key:
        raise UmbralKeyMissingError(identity=ctx.sender.id.hex())
    known = get_dataset(state, msg.dataset)
    if msg.version == 1:
        if known is not None:
            raise DatasetExistsError(
                dataset=msg.dataset.hex(), owner=known.owner.hex(), next=known.versions + 1
            )
        dataset = Dataset(
            id=msg.dataset,
            owner=ctx.sender.id,
            org=ctx.sender.org,
            title=msg.title,
            versions=1,
            grants=0,
            height=ctx.height,
            time=ctx.time,
        )
    else:
        current = _owned(state, ctx, msg.dataset, "publish a version")
        if msg.version != current.versions + 1:
            raise VersionMismatchError(
                dataset=msg.dataset.hex(),
                current=current.versions,
                next=current.versions + 1,
                got=msg.version,
            )
        dataset = replace(current, versions=msg.version, title=msg.title or current.title)
    put_dataset(state, dataset)
    put_version(
        state,
        Version(
            dataset=msg.dataset,
            number=msg.version,
            content_hash=msg.content_hash,
            cipher_hash=msg.cipher_hash,
            size=msg.size,
            location=msg.location,
            description=msg.description,
            schema=msg.schema,
            owner_key=msg.owner_key,
            height=ctx.height,
            time=ctx.time,
            capsule=msg.capsule,
            key_ciphertext=msg.key_ciphertext,
            delegating_key=owner_key.delegating_key if msg.capsule else b"",
        ),
    )
    return (
        Event(
            "datashare.published",
            (
                ("dataset", msg.dataset.hex()),
                ("version", str(msg.version)),
                ("owner", ctx.sender.id.hex()),
                ("org", ctx.sender.org),
                ("cipher_hash", msg.cipher_hash.hex()),
            ),
        ),
    )


def grant(state: Writer, ctx: Context, msg: Grant) -> Events:
    dataset = _owned(state, ctx, msg.dataset, "grant access")
    if msg.kind == ORG and msg.grantee not in active_org_ids(state):
        raise UnknownGranteeError(grantee=msg.grantee)
    if msg.expires_height and msg.expires_height < ctx.height:
        raise InvalidExpiryError(
            reason=f"expiry height {msg.expires_height} is before this block ({ctx.height})"
        )
    if msg.expires_time and msg.expires_time <= ctx.time:
        raise InvalidExpiryError(
            reason=f"expiry time {msg.expires_time} is not after this block's time ({ctx.time})"
        )
    number = dataset.grants + 1
    put_grant(
        state,
        GrantRecord(
            dataset=msg.dataset,
            number=number,
            kind=msg.kind,
            grantee=msg.grantee,
            purpose=msg.purpose,
            expires_height=msg.expires_height,
            expires_time=msg.expires_time,
            height=ctx.height,
            time=ctx.time,
            revoked_at=0,
            issuer=msg.issuer,
        ),
    )
    put_dataset(state, replace(dataset, grants=number))
    issuer = (("issuer", msg.issuer),) if msg.issuer else ()
    return (
        Event(
            "datashare.granted",
            (
                ("dataset", msg.dataset.hex()),
                ("grant", str(number)),
                ("kind", msg.kind),
                ("grantee", msg.grantee),
                ("purpose", msg.purpose),
                *issuer,
            ),
        ),
    )


def revoke(state: Writer, ctx: Context, msg: Revoke) -> Events:
    _owned(state, ctx, msg.dataset, "revoke a grant")
    found = get_grant(state, msg.dataset, msg.grant)
    if found is None:
        raise GrantNotFoundError(dataset=msg.dataset.hex(), grant=msg.grant)
    if found.revoked_at:
        raise GrantRevokedError(dataset=msg.dataset.hex(), grant=msg.grant, height=found.revoked_at)
    put_grant(state, replace(found, revoked_at=ctx.height))
    return (
        Event(
            "datashare.revoked",
            (("dataset", msg.dataset.hex()), ("grant", str(msg.grant))),
        ),
    )


def request(state: Writer, ctx: Context, msg: Request) -> Events:
    _existing_version(state, msg.dataset, msg.version)
    _require_key(state, ctx.sender.id)
    _refuse_released(state, msg.dataset, msg.version, ctx.sender.id)
    credential = _presented_credential(state, ctx, msg) if msg.presentation else None
    put_request(
        state,
        AccessRequest(
            dataset=msg.dataset,
            version=msg.version,
            requester=ctx.sender.id,
            org=ctx.sender.org,
            purpose=msg.purpose,
            height=ctx.height,
            credential=credential,
        ),
    )
    held = (("credential", credential.id),) if credential is not None else ()
    return (
        Event(
            "datashare.requested",
            (
                ("dataset", msg.dataset.hex()),
                ("version", str(msg.version)),
                ("requester", ctx.sender.id.hex()),
                ("org", ctx.sender.org),
                ("purpose", msg.purpose),
                *held,
            ),
        ),
    )


def _presented_credential(state: Writer, ctx: Context, msg: Request) -> CredentialFact:
    """Verify the request's presentation at this block and pick the credential that a
    CREDENTIAL grant of the dataset accepts now: the first presented, against the
    lowest-numbered grant, so every node records the same one."""

    def refused(error: CredentialError) -> CredentialRefusedError:
        return CredentialRefusedError(
            dataset=msg.dataset.hex(),
            version=msg.version,
            vc_code=error.code,
            reason=_shown(error.message),
        )

    meter = state.meter if isinstance(state, State) else None
    try:
        verified = verify_presentation_at(
            state,
            chain_id=ctx.chain_id,
            time=ctx.time,
            text=msg.presentation,
            challenge=request_challenge(
                chain_id=ctx.chain_id,
                dataset=msg.dataset,
                version=msg.version,
                requester=ctx.sender.id,
                purpose=msg.purpose,
            ),
            domain=ctx.chain_id,
            charge=meter.charge if meter is not None else _free,
        )
    except CredentialError as error:
        raise refused(error) from None
    if holder_acts_for(state, verified.holder, chain_id=ctx.chain_id, sender=ctx.sender) is None:
        raise HolderNotRequesterError(holder=_shown(verified.holder), requester=ctx.sender.id.hex())
    reasons: list[str] = []
    standing_errors: list[CredentialError] = []
    grants = [g for g in iter_grants(state, msg.dataset) if g.kind == CREDENTIAL]
    for fact in verified.credentials:
        for candidate in grants:
            why = covers(
                candidate,
                recipient=ctx.sender.id,
                org=ctx.sender.org,
                purpose=msg.purpose,
                height=ctx.height,
                time=ctx.time,
                credential=fact,
            )
            if why is not None:
                reasons.append(why)
                continue
            standing = credential_standing(
                state, fact, chain_id=ctx.chain_id, credential_type=candidate.grantee, time=ctx.time
            )
            if standing is None:
                return fact
            standing_errors.append(standing)
    if standing_errors:
        raise refused(standing_errors[0])
    first = verified.credentials[0]
    raise NoCredentialGrantError(
        dataset=msg.dataset.hex(),
        credential=_shown(first.id),
        issuer=_shown(first.issuer),
        types=_shown(", ".join(first.types)),
        purpose=msg.purpose,
        why="; ".join(reasons) if reasons else "the dataset has no grants to credential holders",
    )


def _free(_gas: int) -> None:
    """The charge of a state without a gas meter (handler tests, tools)."""


def _shown(text: str, limit: int = MAX_SHOWN) -> str:
    """Text from a presentation as an error message may carry it: valid UTF-8 (a JSON escape
    can make a lone surrogate) and short."""
    safe = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return safe if len(safe) <= limit else safe[: limit - 3] + "..."


def release(state: Writer, ctx: Context, msg: Release) -> Events:
    _owned(state, ctx, msg.dataset, "release keys")
    _existing_version(state, msg.dataset, msg.version)
    key = _require_key(state, msg.recipient)
    _refuse_released(state, msg.dataset, msg.version, msg.recipient)
    org = recipient_org(state, key)
    # The holder's presentation consented to the request's purpose, and to no other.
    pending = get_request(state, msg.dataset, msg.version, msg.recipient)
    credential = (
        pending.credential if pending is not None and pending.purpose == msg.purpose else None
    )
    chosen = _covering_grant(state, ctx, msg, org=org, credential=credential)
    if chosen.kind != CREDENTIAL:
        credential = None
    put_release(
        state,
        KeyRelease(
            dataset=msg.dataset,
            version=msg.version,
            recipient=msg.recipient,
            wrapped_key=msg.wrapped_key,
            recipient_key=key.public_key,
        ),
    )
    return (
        record_release(
            state,
            ctx,
            dataset=msg.dataset,
            version=msg.version,
            recipient=msg.recipient,
            org=org,
            grant=chosen.number,
            purpose=msg.purpose,
            credential=credential,
        ),
    )


# ---------------------------------------------------------------------------- helpers
def record_release(
    state: Writer,
    ctx: Context,
    *,
    dataset: bytes,
    version: int,
    recipient: bytes,
    org: str,
    grant: int,
    purpose: str,
    credential: CredentialFact | None,
    delivery: str = OWNER_DELIVERY,
) -> Event:
    """Write a key release's one access receipt, close its request, and return the event that
    announces it: the same for the owner's release and for the proxies' threshold."""
    put_receipt(
        state,
        Receipt(
            dataset=dataset,
            version=version,
            recipient=recipient,
            org=org,
            grant=grant,
            purpose=purpose,
            height=ctx.height,
            time=ctx.time,
            tx_hash=ctx.tx_hash,
            credential=credential,
            delivery=delivery,
        ),
    )
    delete_request(state, dataset, version, recipient)
    # The owner's releases announced no delivery before proxies existed; they still do not.
    how = (("delivery", delivery),) if delivery != OWNER_DELIVERY else ()
    held = (("credential", credential.id),) if credential is not None else ()
    return Event(
        "datashare.released",
        (
            ("dataset", dataset.hex()),
            ("version", str(version)),
            ("recipient", recipient.hex()),
            ("org", org),
            ("grant", str(grant)),
            ("purpose", purpose),
            *how,
            *held,
        ),
    )


def recipient_org(state: Reader, key: EncryptionKey) -> str:
    """The recipient's organization now: its membership record's for a registered key, else the
    one it acted for when it registered its encryption key (a certificate holder)."""
    member = get_member(state, key.identity)
    return member.org if member is not None else key.org


def grant_refusal(
    state: Reader,
    ctx: Context,
    grant: GrantRecord,
    *,
    recipient: bytes,
    org: str,
    purpose: str,
    credential: CredentialFact | None,
) -> str | None:
    """Why `grant` does not cover a release to `recipient` (of active organization `org`) for
    `purpose` now, None when it does: `rules.covers`, and for a CREDENTIAL grant a credential
    the request proved that still stands (unexpired, no status bit set, issuer active and
    trusted for the type). The one rule of the owner's release and of the proxies' threshold."""
    why = covers(
        grant,
        recipient=recipient,
        org=org,
        purpose=purpose,
        height=ctx.height,
        time=ctx.time,
        credential=credential,
    )
    if why is None and grant.kind == CREDENTIAL and credential is not None:
        error = credential_standing(
            state, credential, chain_id=ctx.chain_id, credential_type=grant.grantee, time=ctx.time
        )
        if error is not None:
            why = f"grant {grant.number}: credential {credential.id}: {error.message}"
    return why


def _covering_grant(
    state: Reader,
    ctx: Context,
    msg: Release,
    *,
    org: str,
    credential: CredentialFact | None,
) -> GrantRecord:
    """The lowest-numbered grant that covers the release (`grant_refusal`), so every node picks
    the same one."""
    if org not in active_org_ids(state):
        raise NoValidGrantError(
            dataset=msg.dataset.hex(),
            height=ctx.height,
            recipient=msg.recipient.hex(),
            org=org,
            purpose=msg.purpose,
            why=f"{org} is not an active member organization",
        )
    reasons = []
    for candidate in iter_grants(state, msg.dataset):
        why = grant_refusal(
            state,
            ctx,
            candidate,
            recipient=msg.recipient,
            org=org,
            purpose=msg.purpose,
            credential=credential,
        )
        if why is None:
            return candidate
        reasons.append(why)
    raise NoValidGrantError(
        dataset=msg.dataset.hex(),
        height=ctx.height,
        recipient=msg.recipient.hex(),
        org=org,
        purpose=msg.purpose,
        why="; ".join(reasons) if reasons else "the dataset has no grants",
    )


def _owned(state: Reader, ctx: Context, dataset_id: bytes, action: str) -> Dataset:
    dataset = get_dataset(state, dataset_id)
    if dataset is None:
        raise DatasetNotFoundError(dataset=dataset_id.hex())
    if dataset.owner != ctx.sender.id:
        raise NotDatasetOwnerError(
            owner=dataset.owner.hex(), dataset=dataset_id.hex(), action=action
        )
    return dataset


def _existing_version(state: Reader, dataset_id: bytes, version: int) -> Version:
    dataset = get_dataset(state, dataset_id)
    if dataset is None:
        raise DatasetNotFoundError(dataset=dataset_id.hex())
    found = get_version(state, dataset_id, version)
    if found is None:
        raise VersionNotFoundError(
            dataset=dataset_id.hex(), version=version, versions=f"1 to {dataset.versions}"
        )
    return found


def _require_key(state: Reader, identity: bytes) -> EncryptionKey:
    key = get_encryption_key(state, identity)
    if key is None:
        raise EncryptionKeyMissingError(identity=identity.hex())
    return key


def _refuse_released(state: Reader, dataset: bytes, version: int, recipient: bytes) -> None:
    done = get_receipt(state, dataset, version, recipient)
    if done is not None:
        raise AlreadyReleasedError(
            dataset=dataset.hex(), version=version, recipient=recipient.hex(), height=done.height
        )
