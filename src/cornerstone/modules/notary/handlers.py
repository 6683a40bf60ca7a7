"""One function per notary message."""

from __future__ import annotations

from dataclasses import replace

from cornerstone.module import Context, Event, Events, Writer
from cornerstone.modules.notary.errors import (
    AlreadyAnchoredError,
    DocumentNotFoundError,
    NotOwnerError,
)
from cornerstone.modules.notary.messages import Anchor, Revise
from cornerstone.modules.notary.state import (
    DigestEntry,
    Document,
    Revision,
    find_digest,
    get_document,
    put_digest_entry,
    put_document,
    put_revision,
)


def _refuse_known(state: Writer, digest: bytes) -> None:
    known = find_digest(state, digest)
    if known is not None:
        raise AlreadyAnchoredError(
            digest=digest.hex(), document=known.document.hex(), revision=known.revision
        )


def anchor(state: Writer, ctx: Context, msg: Anchor) -> Events:
    _refuse_known(state, msg.digest)
    put_document(
        state,
        Document(
            digest=msg.digest,
            owner=ctx.sender.id,
            org=ctx.sender.org,
            height=ctx.height,
            time=ctx.time,
            metadata=msg.metadata,
            revisions=0,
        ),
    )
    return (
        Event(
            "notary.anchored",
            (("digest", msg.digest.hex()), ("owner", ctx.sender.id.hex()), ("org", ctx.sender.org)),
        ),
    )


def revise(state: Writer, ctx: Context, msg: Revise) -> Events:
    doc = get_document(state, msg.document)
    if doc is None:
        raise DocumentNotFoundError(digest=msg.document.hex())
    if doc.owner != ctx.sender.id:
        raise NotOwnerError(owner=doc.owner.hex(), document=msg.document.hex())
    _refuse_known(state, msg.digest)
    number = doc.revisions + 1
    put_revision(
        state,
        msg.document,
        Revision(
            number=number,
            digest=msg.digest,
            height=ctx.height,
            time=ctx.time,
            metadata=msg.metadata,
        ),
    )
    put_document(state, replace(doc, revisions=number))
    put_digest_entry(state, msg.digest, DigestEntry(document=msg.document, revision=number))
    return (
        Event(
            "notary.revised",
            (
                ("document", msg.document.hex()),
                ("digest", msg.digest.hex()),
                ("revision", str(number)),
            ),
        ),
    )
