"""Named invariants of the notary module, checked by the tests after every block."""

from __future__ import annotations

from cornerstone.module import Reader
from cornerstone.modules.notary.state import (
    DigestEntry,
    find_digest,
    get_document,
    get_revision,
    iter_digest_entries,
    iter_documents,
)


def every_digest_points_to_its_version(state: Reader) -> None:
    for digest, entry in iter_digest_entries(state):
        doc = get_document(state, entry.document)
        assert doc is not None, f"digest {digest.hex()} points to a missing document"
        assert entry.revision >= 1, f"digest {digest.hex()} has an entry for an original"
        assert get_document(state, digest) is None, f"digest {digest.hex()} is also a document"
        rev = get_revision(state, doc.digest, entry.revision)
        assert rev is not None and rev.digest == digest, f"revision of {digest.hex()} differs"
    for doc in iter_documents(state):
        for number in range(1, doc.revisions + 1):
            rev = get_revision(state, doc.digest, number)
            assert rev is not None
            found = find_digest(state, rev.digest)
            assert found == DigestEntry(doc.digest, number), f"revision {number} is not indexed"


def revisions_are_numbered_without_gaps(state: Reader) -> None:
    for doc in iter_documents(state):
        for number in range(1, doc.revisions + 1):
            assert get_revision(state, doc.digest, number) is not None, (
                f"document {doc.digest.hex()} lacks revision {number}"
            )
        assert get_revision(state, doc.digest, doc.revisions + 1) is None, (
            f"document {doc.digest.hex()} has a revision past its count"
        )
