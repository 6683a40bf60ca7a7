"""Named invariants of the notary module, checked by the tests after every block."""

from __future__ import annotations

from cornerstone.module import Reader
from cornerstone.modules.notary.state import (
    get_document,
    get_revision,
    iter_digest_entries,
    iter_documents,
)


def every_digest_points_to_its_version(state: Reader) -> None:
    for digest, entry in iter_digest_entries(state):
        doc = get_document(state, entry.document)
        assert doc is not None, f"digest {digest.hex()} points to a missing document"
        if entry.revision == 0:
            assert digest == doc.digest, f"digest {digest.hex()} is not its document's"
        else:
            rev = get_revision(state, doc.digest, entry.revision)
            assert rev is not None and rev.digest == digest, f"revision of {digest.hex()} differs"


def revisions_are_numbered_without_gaps(state: Reader) -> None:
    for doc in iter_documents(state):
        for number in range(1, doc.revisions + 1):
            assert get_revision(state, doc.digest, number) is not None, (
                f"document {doc.digest.hex()} lacks revision {number}"
            )
        assert get_revision(state, doc.digest, doc.revisions + 1) is None, (
            f"document {doc.digest.hex()} has a revision past its count"
        )
