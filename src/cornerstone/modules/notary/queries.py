"""Read-only queries of the notary module."""

from __future__ import annotations

from dataclasses import dataclass

from cornerstone import encoding
from cornerstone.module import Reader
from cornerstone.modules.notary.state import find_digest, get_document, get_revision


@dataclass(frozen=True, slots=True)
class Lookup:
    """The document a digest belongs to (as original or as a revision), with its history."""

    digest: bytes


def lookup(state: Reader, query: Lookup) -> encoding.Value:
    entry = find_digest(state, query.digest)
    if entry is None:
        return None
    doc = get_document(state, entry.document)
    assert doc is not None, "a digest entry points to its document"
    revisions: list[encoding.Value] = []
    for number in range(1, doc.revisions + 1):
        rev = get_revision(state, doc.digest, number)
        assert rev is not None, "revisions are numbered without gaps"
        revisions.append(
            {
                "number": rev.number,
                "digest": rev.digest,
                "height": rev.height,
                "time": rev.time,
                "metadata": dict(rev.metadata),
            }
        )
    return {
        "document": doc.digest,
        "revision": entry.revision,
        "owner": doc.owner,
        "org": doc.org,
        "height": doc.height,
        "time": doc.time,
        "metadata": dict(doc.metadata),
        "revisions": revisions,
    }
