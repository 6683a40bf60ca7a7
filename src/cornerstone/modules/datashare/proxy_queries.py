"""Read-only queries of delivery by the nodes: the registered proxies, who can receive through
them, delegations, the capsule fragments of a release, and a proxy's work to do."""

from __future__ import annotations

from dataclasses import dataclass

from cornerstone import encoding
from cornerstone.module import Reader
from cornerstone.modules.datashare.keys import cfrag_key, delegation_key
from cornerstone.modules.datashare.proxystate import (
    get_cfrag,
    get_delegation,
    get_proxy,
    iter_cfrags,
    iter_delegations,
    iter_proxies,
)
from cornerstone.modules.datashare.queries import MAX_PAGE
from cornerstone.modules.datashare.state import (
    get_grant,
    get_version,
    iter_encryption_keys,
    iter_requests,
)
from cornerstone.modules.membership import active_org_ids, get_member


@dataclass(frozen=True, slots=True)
class Proxies:
    """Every registered re-encryption proxy, in organization order."""


def proxies(state: Reader, query: Proxies) -> encoding.Value:
    active = active_org_ids(state)
    return [
        {
            "org": p.org,
            "identity": p.identity,
            "public_key": p.public_key,
            "height": p.height,
            "active": p.org in active,
        }
        for p in iter_proxies(state)
    ]


@dataclass(frozen=True, slots=True)
class Receivers:
    """The identities of an organization (now) with a registered Umbral receiving key: whom a
    delegation under a grant to that organization can name."""

    org: str


def receivers(state: Reader, query: Receivers) -> encoding.Value:
    found: list[encoding.Value] = []
    for key in iter_encryption_keys(state):
        member = get_member(state, key.identity)
        org = member.org if member is not None else key.org
        if org == query.org and key.receiving_key:
            found.append({"identity": key.identity, "receiving_key": key.receiving_key})
            if len(found) == MAX_PAGE:
                break
    return found


@dataclass(frozen=True, slots=True)
class DelegationQuery:
    """One delegation, with its keys and shares."""

    dataset: bytes
    grant: int
    recipient: bytes


def delegation(state: Reader, query: DelegationQuery) -> encoding.Value:
    found = get_delegation(state, query.dataset, query.grant, query.recipient)
    if found is None:
        return None
    return {
        "threshold": found.threshold,
        "proxies": [s.org for s in found.shares],
        "height": found.height,
        "state_key": delegation_key(query.dataset, query.grant, query.recipient),
    }


@dataclass(frozen=True, slots=True)
class Delegations:
    """The delegations of a dataset (grant, recipient, threshold, proxies)."""

    dataset: bytes


def delegations(state: Reader, query: Delegations) -> encoding.Value:
    return [
        {
            "grant": d.grant,
            "recipient": d.recipient,
            "threshold": d.threshold,
            "proxies": [s.org for s in d.shares],
            "height": d.height,
        }
        for d in iter_delegations(state, query.dataset)
    ]


@dataclass(frozen=True, slots=True)
class CfragsQuery:
    """The capsule fragments on chain for one version and recipient: their state keys, to
    read with proofs."""

    dataset: bytes
    version: int
    recipient: bytes


def cfrags(state: Reader, query: CfragsQuery) -> encoding.Value:
    return [
        {
            "org": c.org,
            "grant": c.grant,
            "height": c.height,
            "state_key": cfrag_key(c.dataset, c.version, c.recipient, c.org),
        }
        for c in iter_cfrags(state, query.dataset, query.version, query.recipient)
    ]


@dataclass(frozen=True, slots=True)
class ProxyWork:
    """Pending requests that a delegation gives `org`'s proxy a key fragment for, for a
    version with a capsule under the delegation's key, and that it has not answered yet."""

    org: str


def proxy_work(state: Reader, query: ProxyWork) -> encoding.Value:
    found: list[encoding.Value] = []
    if get_proxy(state, query.org) is None:
        return found
    for r in iter_requests(state):
        if get_cfrag(state, r.dataset, r.version, r.requester, query.org) is not None:
            continue
        version = get_version(state, r.dataset, r.version)
        if version is None or not version.capsule:
            continue
        for d in iter_delegations(state, r.dataset):
            share = d.share_of(query.org)
            if d.recipient != r.requester or share is None:
                continue
            grant = get_grant(state, d.dataset, d.grant)
            if d.delegating_key != version.delegating_key or grant is None or grant.revoked_at:
                continue
            found.append(
                {
                    "dataset": r.dataset,
                    "version": r.version,
                    "recipient": r.requester,
                    "grant": d.grant,
                    "request_height": r.height,
                    "sealed_kfrag": share.sealed_kfrag,
                    "capsule": version.capsule,
                    "receiving_key": d.receiving_key,
                    "delegating_key": d.delegating_key,
                    "verifying_key": d.verifying_key,
                }
            )
            break
        if len(found) == MAX_PAGE:
            break
    return found
