"""One function per datashare message.

The chain sees hashes, locations, sealed boxes and who did what; it never sees data or a data
key. Each handler checks everything before it writes, so a refusal changes nothing.
"""

from __future__ import annotations

from dataclasses import replace

from cornerstone.module import Context, Event, Events, Reader, Writer
from cornerstone.modules.datashare.errors import (
    AlreadyReleasedError,
    CredentialGrantsNotYetError,
    DatasetExistsError,
    DatasetNotFoundError,
    EncryptionKeyMissingError,
    GrantNotFoundError,
    GrantRevokedError,
    InvalidExpiryError,
    NotDatasetOwnerError,
    NoValidGrantError,
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
)
from cornerstone.modules.datashare.rules import covers
from cornerstone.modules.datashare.state import (
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
from cornerstone.modules.membership import active_org_ids, get_member


def register_key(state: Writer, ctx: Context, msg: RegisterKey) -> Events:
    put_encryption_key(
        state,
        EncryptionKey(
            identity=ctx.sender.id, public_key=msg.public_key, org=ctx.sender.org, height=ctx.height
        ),
    )
    return (
        Event(
            "datashare.key_registered",
            (("identity", ctx.sender.id.hex()), ("org", ctx.sender.org)),
        ),
    )


def publish(state: Writer, ctx: Context, msg: Publish) -> Events:
    _require_key(state, ctx.sender.id)
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
    if msg.kind == CREDENTIAL:
        raise CredentialGrantsNotYetError(grantee=msg.grantee)
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
        ),
    )
    put_dataset(state, replace(dataset, grants=number))
    return (
        Event(
            "datashare.granted",
            (
                ("dataset", msg.dataset.hex()),
                ("grant", str(number)),
                ("kind", msg.kind),
                ("grantee", msg.grantee),
                ("purpose", msg.purpose),
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
    put_request(
        state,
        AccessRequest(
            dataset=msg.dataset,
            version=msg.version,
            requester=ctx.sender.id,
            org=ctx.sender.org,
            purpose=msg.purpose,
            height=ctx.height,
        ),
    )
    return (
        Event(
            "datashare.requested",
            (
                ("dataset", msg.dataset.hex()),
                ("version", str(msg.version)),
                ("requester", ctx.sender.id.hex()),
                ("org", ctx.sender.org),
                ("purpose", msg.purpose),
            ),
        ),
    )


def release(state: Writer, ctx: Context, msg: Release) -> Events:
    _owned(state, ctx, msg.dataset, "release keys")
    _existing_version(state, msg.dataset, msg.version)
    key = _require_key(state, msg.recipient)
    _refuse_released(state, msg.dataset, msg.version, msg.recipient)
    org = recipient_org(state, key)
    chosen = _covering_grant(state, msg, org=org, height=ctx.height, time=ctx.time)
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
    put_receipt(
        state,
        Receipt(
            dataset=msg.dataset,
            version=msg.version,
            recipient=msg.recipient,
            org=org,
            grant=chosen.number,
            purpose=msg.purpose,
            height=ctx.height,
            time=ctx.time,
            tx_hash=ctx.tx_hash,
        ),
    )
    delete_request(state, msg.dataset, msg.version, msg.recipient)
    return (
        Event(
            "datashare.released",
            (
                ("dataset", msg.dataset.hex()),
                ("version", str(msg.version)),
                ("recipient", msg.recipient.hex()),
                ("org", org),
                ("grant", str(chosen.number)),
                ("purpose", msg.purpose),
            ),
        ),
    )


# ---------------------------------------------------------------------------- helpers
def recipient_org(state: Reader, key: EncryptionKey) -> str:
    """The recipient's organization now: its membership record's for a registered key, else the
    one it acted for when it registered its encryption key (a certificate holder)."""
    member = get_member(state, key.identity)
    return member.org if member is not None else key.org


def _covering_grant(
    state: Reader, msg: Release, *, org: str, height: int, time: int
) -> GrantRecord:
    """The lowest-numbered grant that covers the release, so every node picks the same one."""
    if org not in active_org_ids(state):
        raise NoValidGrantError(
            dataset=msg.dataset.hex(),
            height=height,
            recipient=msg.recipient.hex(),
            org=org,
            purpose=msg.purpose,
            why=f"{org} is not an active member organization",
        )
    reasons = []
    for candidate in iter_grants(state, msg.dataset):
        why = covers(
            candidate,
            recipient=msg.recipient,
            org=org,
            purpose=msg.purpose,
            height=height,
            time=time,
        )
        if why is None:
            return candidate
        reasons.append(why)
    raise NoValidGrantError(
        dataset=msg.dataset.hex(),
        height=height,
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
