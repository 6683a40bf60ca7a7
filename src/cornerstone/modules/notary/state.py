"""The only code that reads and writes the notary module's keys."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from cornerstone import encoding
from cornerstone.module import Reader, Writer
from cornerstone.modules.notary.keys import DOC_PREFIX, HASH_PREFIX, doc_key, hash_key, rev_key


@dataclass(frozen=True, slots=True)
class Document:
    """An anchored document and where its history stands."""

    digest: bytes
    """The digest it was first anchored with; its identifier."""
    owner: bytes
    """Public key of the member who anchored it; only it may revise."""
    org: str
    """The owner's organization at the time."""
    height: int
    """Block height of the anchor."""
    time: int
    """Block time of the anchor, nanoseconds."""
    metadata: Mapping[str, str]
    """Descriptive fields given at anchoring."""
    revisions: int
    """How many revisions were added."""


@dataclass(frozen=True, slots=True)
class Revision:
    """One revision of a document."""

    number: int
    """1 for the first revision."""
    digest: bytes
    """SHA-256 of the revised document."""
    height: int
    """Block height of the revision."""
    time: int
    """Block time, nanoseconds."""
    metadata: Mapping[str, str]
    """Descriptive fields of the revision."""


@dataclass(frozen=True, slots=True)
class DigestEntry:
    """Where a known digest belongs."""

    document: bytes
    """The document's identifying digest."""
    revision: int
    """0 for the original, n for the n-th revision."""


def _map(raw: bytes) -> dict[str, encoding.Value]:
    record = encoding.decode(raw)
    assert isinstance(record, dict), "notary records are maps"
    return record


def _str_map(value: encoding.Value) -> dict[str, str]:
    assert isinstance(value, dict)
    return {str(k): str(v) for k, v in value.items()}


def get_document(state: Reader, digest: bytes) -> Document | None:
    raw = state.get(doc_key(digest))
    return None if raw is None else _document(digest, raw)


def _document(digest: bytes, raw: bytes) -> Document:
    r = _map(raw)
    owner, org, height, time, revisions = (
        r["owner"],
        r["org"],
        r["height"],
        r["time"],
        r["revisions"],
    )
    assert isinstance(owner, bytes) and isinstance(org, str)
    assert isinstance(height, int) and isinstance(time, int) and isinstance(revisions, int)
    return Document(
        digest=digest,
        owner=owner,
        org=org,
        height=height,
        time=time,
        metadata=_str_map(r["metadata"]),
        revisions=revisions,
    )


def put_document(state: Writer, doc: Document) -> None:
    record: dict[str, encoding.Value] = {
        "owner": doc.owner,
        "org": doc.org,
        "height": doc.height,
        "time": doc.time,
        "metadata": dict(doc.metadata),
        "revisions": doc.revisions,
    }
    state.set(doc_key(doc.digest), encoding.encode(record))


def iter_documents(state: Reader) -> Iterator[Document]:
    for key, raw in state.iterate(DOC_PREFIX):
        yield _document(key[len(DOC_PREFIX) :], raw)


def get_revision(state: Reader, document: bytes, number: int) -> Revision | None:
    raw = state.get(rev_key(document, number))
    if raw is None:
        return None
    r = _map(raw)
    digest, height, time = r["digest"], r["height"], r["time"]
    assert isinstance(digest, bytes) and isinstance(height, int) and isinstance(time, int)
    return Revision(
        number=number, digest=digest, height=height, time=time, metadata=_str_map(r["metadata"])
    )


def put_revision(state: Writer, document: bytes, revision: Revision) -> None:
    record: dict[str, encoding.Value] = {
        "digest": revision.digest,
        "height": revision.height,
        "time": revision.time,
        "metadata": dict(revision.metadata),
    }
    state.set(rev_key(document, revision.number), encoding.encode(record))


def find_digest(state: Reader, digest: bytes) -> DigestEntry | None:
    """Where any known digest belongs: an original (revision 0) or a revision."""
    if state.get(doc_key(digest)) is not None:
        return DigestEntry(document=digest, revision=0)
    return get_digest_entry(state, digest)


def get_digest_entry(state: Reader, digest: bytes) -> DigestEntry | None:
    """The entry of a revision's digest (originals have none: see `find_digest`)."""
    raw = state.get(hash_key(digest))
    if raw is None:
        return None
    r = _map(raw)
    document, revision = r["document"], r["revision"]
    assert isinstance(document, bytes) and isinstance(revision, int)
    return DigestEntry(document=document, revision=revision)


def put_digest_entry(state: Writer, digest: bytes, entry: DigestEntry) -> None:
    record: dict[str, encoding.Value] = {"document": entry.document, "revision": entry.revision}
    state.set(hash_key(digest), encoding.encode(record))


def iter_digest_entries(state: Reader) -> Iterator[tuple[bytes, DigestEntry]]:
    for key, raw in state.iterate(HASH_PREFIX):
        r = _map(raw)
        document, revision = r["document"], r["revision"]
        assert isinstance(document, bytes) and isinstance(revision, int)
        yield key[len(HASH_PREFIX) :], DigestEntry(document=document, revision=revision)
