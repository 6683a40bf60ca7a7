"""Who sent a transaction: a key registered on chain, or a certificate under a member root.

Both CheckTx and FinalizeBlock call `resolve_sender`; validity is judged at the time they pass
(the last block's time in CheckTx, the block's own time in a block), never the wall clock.
"""

from __future__ import annotations

import functools
import hashlib
from collections import OrderedDict
from typing import Final

from cornerstone.errors import UnknownSenderError
from cornerstone.identity.certs import (
    CertificateInfo,
    certificate_org,
    check_validity,
    parse_member_certificate,
    serial_hex,
)
from cornerstone.identity.errors import CertificateRevokedError, UnknownOrganizationError
from cornerstone.module import Identity, Reader
from cornerstone.modules.membership.errors import OrganizationRemovedError
from cornerstone.modules.membership.state import Organization, get_member, get_org, is_revoked
from cornerstone.tx import Sender

_CACHE_CAPACITY: Final = 10_000
_parsed: OrderedDict[tuple[bytes, bytes], CertificateInfo] = OrderedDict()
"""Certificates that verified against a root, by (certificate hash, root hash). Parsing and
verifying a certificate is a pure function of the two byte strings, and costs more than the
rest of a transaction's checks; time and revocation are checked every time."""


def resolve_sender(state: Reader, sender: Sender, at_ns: int) -> Identity:
    """The identity `sender` acts as, or a TransactionError naming why it may not act."""
    if sender.certificate is None:
        member = get_member(state, sender.id)
        if member is None:
            raise UnknownSenderError(sender=sender.public_key.hex())
        _require_active(get_org(state, member.org), member.org)
        return Identity(
            id=sender.id,
            public_key=sender.public_key,
            org=member.org,
            role=member.role,
            certificate_serial=None,
        )
    claimed = _claimed_org(sender.certificate)
    org = get_org(state, claimed)
    if org is None:
        raise UnknownOrganizationError(org=claimed)
    _require_active(org, claimed)
    info = _verified(sender.certificate, org.root)
    check_validity(info, at_ns)
    if is_revoked(state, org.id, info.serial):
        raise CertificateRevokedError(serial=serial_hex(info.serial), org=org.id)
    return Identity(
        id=sender.id,
        public_key=sender.public_key,
        org=org.id,
        role=info.role,
        certificate_serial=info.serial,
    )


def verified_certificate(state: Reader, der: bytes) -> CertificateInfo:
    """The certificate `der` checked against the root of the organization it names (neither
    time nor revocation is checked)."""
    claimed = _claimed_org(der)
    org = get_org(state, claimed)
    if org is None:
        raise UnknownOrganizationError(org=claimed)
    return _verified(der, org.root)


def _require_active(org: Organization | None, org_id: str) -> None:
    assert org is not None, f"a member of missing organization {org_id}"
    if not org.active:
        raise OrganizationRemovedError(org=org_id, height=org.removed_at)


@functools.lru_cache(maxsize=4096)
def _claimed_org(der: bytes) -> str:
    return certificate_org(der)


def _verified(der: bytes, root: bytes) -> CertificateInfo:
    key = (hashlib.sha256(der).digest(), hashlib.sha256(root).digest())
    info = _parsed.get(key)
    if info is None:
        info = parse_member_certificate(der, root)
        if len(_parsed) >= _CACHE_CAPACITY:
            # O(1): a plain dict's first key, dropped again and again, is found by walking the
            # holes left before it (see execution/block.py's cache of checks).
            _parsed.popitem(last=False)
        _parsed[key] = info
    return info
