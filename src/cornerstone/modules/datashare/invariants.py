"""Named invariants of the datashare module, checked by the tests after every block."""

from __future__ import annotations

from dataclasses import replace

from cornerstone.module import Reader
from cornerstone.modules.datashare.messages import CREDENTIAL, WRAPPED_KEY_SIZE
from cornerstone.modules.datashare.rules import covers
from cornerstone.modules.datashare.state import (
    get_grant,
    get_receipt,
    get_release,
    get_version,
    iter_datasets,
    iter_grants,
    iter_receipts,
    iter_recipient_index,
    iter_releases,
    iter_requests,
)


def every_release_has_exactly_one_receipt(state: Reader) -> None:
    """A key release and its receipt exist together (one key suffix each), and the
    by-recipient index lists exactly the receipts."""
    releases = 0
    for r in iter_releases(state):
        releases += 1
        assert get_receipt(state, r.dataset, r.version, r.recipient) is not None, (
            f"release of {r.dataset.hex()} v{r.version} to {r.recipient.hex()} has no receipt"
        )
    receipts = 0
    for receipt in iter_receipts(state):
        receipts += 1
        assert get_release(state, receipt.dataset, receipt.version, receipt.recipient), (
            f"receipt of {receipt.dataset.hex()} v{receipt.version} has no release"
        )
    indexed = 0
    for recipient, dataset, version in iter_recipient_index(state):
        indexed += 1
        assert get_receipt(state, dataset, version, recipient) is not None, "index without receipt"
    assert releases == receipts == indexed, (releases, receipts, indexed)


def every_receipt_was_covered_by_its_grant(state: Reader) -> None:
    """The grant a receipt names covered that recipient and purpose at the receipt's height and
    time (for a CREDENTIAL grant: the credential the receipt records was of its type and
    issuer and unexpired then; its status then is the did module's history, not re-read).
    (A revocation later in the same block records the same height: it is not held against a
    release that came before it.)"""
    for receipt in iter_receipts(state):
        grant = get_grant(state, receipt.dataset, receipt.grant)
        assert grant is not None, f"receipt names missing grant {receipt.grant}"
        if grant.revoked_at >= receipt.height:
            grant = replace(grant, revoked_at=0)
        why = covers(
            grant,
            recipient=receipt.recipient,
            org=receipt.org,
            purpose=receipt.purpose,
            height=receipt.height,
            time=receipt.time,
            credential=receipt.credential,
        )
        assert why is None, f"receipt of {receipt.dataset.hex()} v{receipt.version}: {why}"
        assert (receipt.credential is not None) == (grant.kind == CREDENTIAL), (
            "a receipt records a credential exactly when a credential grant covered it"
        )
        version = get_version(state, receipt.dataset, receipt.version)
        assert version is not None and version.height <= receipt.height, "receipt before version"


def versions_and_grants_are_numbered_without_gaps(state: Reader) -> None:
    for d in iter_datasets(state):
        assert d.versions >= 1, f"dataset {d.id.hex()} has no version"
        for number in range(1, d.versions + 2):
            exists = get_version(state, d.id, number) is not None
            assert exists == (number <= d.versions), f"{d.id.hex()} version {number}"
        numbers = [g.number for g in iter_grants(state, d.id)]
        assert numbers == list(range(1, d.grants + 1)), f"{d.id.hex()} grants {numbers}"


def only_sealed_keys_are_stored(state: Reader) -> None:
    """Every key on chain is a sealed box of WRAPPED_KEY_SIZE bytes, never a bare data key."""
    for r in iter_releases(state):
        assert len(r.wrapped_key) == WRAPPED_KEY_SIZE, "a release holds a sealed box"
    for d in iter_datasets(state):
        for number in range(1, d.versions + 1):
            version = get_version(state, d.id, number)
            assert version is not None and len(version.owner_key) == WRAPPED_KEY_SIZE


def requests_are_pending(state: Reader) -> None:
    """A request is deleted by the release that answers it."""
    for r in iter_requests(state):
        assert get_receipt(state, r.dataset, r.version, r.requester) is None, "answered request"
        assert get_version(state, r.dataset, r.version) is not None, "request for no version"
