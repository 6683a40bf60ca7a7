"""Named invariants of the datashare module, checked by the tests after every block."""

from __future__ import annotations

from dataclasses import replace

from cornerstone.module import Reader
from cornerstone.modules.datashare import pre
from cornerstone.modules.datashare.messages import (
    CREDENTIAL,
    SEALED_KFRAG_SIZE,
    WRAPPED_KEY_SIZE,
    min_threshold,
)
from cornerstone.modules.datashare.proxystate import (
    get_delegation,
    get_proxy,
    iter_cfrags,
    iter_delegations,
)
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
    """A key release by the owner and its receipt exist together (one key suffix each); a
    receipt of delivery by proxies has no owner release; and the by-recipient index lists
    exactly the receipts."""
    releases = 0
    for r in iter_releases(state):
        releases += 1
        found = get_receipt(state, r.dataset, r.version, r.recipient)
        assert found is not None and found.delivery == "owner", (
            f"release of {r.dataset.hex()} v{r.version} to {r.recipient.hex()} has no receipt"
        )
    receipts = by_owner = 0
    for receipt in iter_receipts(state):
        receipts += 1
        released = get_release(state, receipt.dataset, receipt.version, receipt.recipient)
        if receipt.delivery == "owner":
            by_owner += 1
            assert released, f"receipt of {receipt.dataset.hex()} v{receipt.version} has no release"
        else:
            assert receipt.delivery == "proxies", receipt.delivery
            assert released is None, "a release by proxies has no owner release too"
    indexed = 0
    for recipient, dataset, version in iter_recipient_index(state):
        indexed += 1
        assert get_receipt(state, dataset, version, recipient) is not None, "index without receipt"
    assert releases == by_owner and receipts == indexed, (releases, by_owner, receipts, indexed)


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
            if version.capsule:
                assert len(version.key_ciphertext) == pre.KEY_CIPHERTEXT_SIZE
                assert len(version.capsule) == pre.CAPSULE_SIZE
    for delegation in iter_delegations(state):
        for share in delegation.shares:
            assert len(share.sealed_kfrag) == SEALED_KFRAG_SIZE, "a delegation holds sealed boxes"


def requests_are_pending(state: Reader) -> None:
    """A request is deleted by the release that answers it."""
    for r in iter_requests(state):
        assert get_receipt(state, r.dataset, r.version, r.requester) is None, "answered request"
        assert get_version(state, r.dataset, r.version) is not None, "request for no version"


def receipts_by_proxies_have_their_threshold(state: Reader) -> None:
    """Every capsule fragment was given under a delegation that names its proxy, with that
    proxy's key fragment, for a version with a capsule; every receipt by proxies has at least
    the delegation's threshold of them from distinct registered proxies under its grant; and
    every delegation's threshold is within its bounds."""
    for d in iter_delegations(state):
        assert min_threshold(len(d.shares)) <= d.threshold <= len(d.shares), "threshold bounds"
    for c in iter_cfrags(state):
        delegation = get_delegation(state, c.dataset, c.grant, c.recipient)
        assert delegation is not None, f"fragment of {c.org} under no delegation"
        share = delegation.share_of(c.org)
        assert share is not None, f"fragment of {c.org}, which the delegation does not name"
        assert pre.cfrag_kfrag_id(c.cfrag) == share.kfrag_id, f"{c.org} used another fragment"
        assert get_proxy(state, c.org) is not None, f"fragment of unregistered proxy {c.org}"
        version = get_version(state, c.dataset, c.version)
        assert version is not None and version.capsule, "fragment of a version without capsule"
    for receipt in iter_receipts(state):
        if receipt.delivery != "proxies":
            continue
        delegation = get_delegation(state, receipt.dataset, receipt.grant, receipt.recipient)
        assert delegation is not None, "a receipt by proxies names a delegated grant"
        orgs = [
            c.org
            for c in iter_cfrags(state, receipt.dataset, receipt.version, receipt.recipient)
            if c.grant == receipt.grant and c.height <= receipt.height
        ]
        assert len(orgs) >= delegation.threshold, (
            f"receipt of {receipt.dataset.hex()} v{receipt.version} by {len(orgs)} proxies, "
            f"threshold {delegation.threshold}"
        )
