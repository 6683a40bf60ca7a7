"""Datashare: datasets whose encrypted versions live off chain, grants, key releases and the
access receipts that make every release auditable.

The chain holds who owns what, hashes and locations of ciphertexts, who may read, and sealed
boxes of data keys (X25519, libsodium) for the recipients; never data, never a bare key. A
release is accepted only under a grant valid at its height and writes exactly one receipt.
Grants to holders of a credential type rely on the did module's on-chain verifier
(`cornerstone.modules.did.verify`), its narrow interface to this module. The client side
(encryption, key wrapping, the object store) is `cornerstone.datashare`.

So that owners need not be online, the organizations' nodes can deliver keys too: owners
delegate Umbral key fragments to the registered proxies, and a threshold of verified capsule
fragments on chain writes the receipt (`proxy_handlers`, `pre`).
"""

from cornerstone.identity.roles import Role
from cornerstone.module import Genesis, Module, Operation, Query
from cornerstone.modules.datashare import (
    genesis,
    handlers,
    invariants,
    proxy_handlers,
    proxy_queries,
    queries,
)
from cornerstone.modules.datashare.messages import (
    Delegate,
    Grant,
    Publish,
    Reencrypt,
    RegisterKey,
    RegisterProxy,
    Release,
    Request,
    Revoke,
)
from cornerstone.policy import ALL_ORGS, policy

SENDERS = policy("ANY", ALL_ORGS, Role.ADMIN, Role.CLIENT)
"""Any admin or client of any member organization; ownership checks are the handlers'."""
ADMINS = policy("ANY", ALL_ORGS, Role.ADMIN)
"""An organization's admin designates its node's re-encryption proxy."""

MODULE = Module(
    name="datashare",
    operations={
        "register_key": Operation(RegisterKey, handlers.register_key, SENDERS),
        "publish": Operation(Publish, handlers.publish, SENDERS),
        "grant": Operation(Grant, handlers.grant, SENDERS),
        "revoke": Operation(Revoke, handlers.revoke, SENDERS),
        "request": Operation(Request, handlers.request, SENDERS),
        "release": Operation(Release, handlers.release, SENDERS),
        "register_proxy": Operation(RegisterProxy, proxy_handlers.register_proxy, ADMINS),
        "delegate": Operation(Delegate, proxy_handlers.delegate, SENDERS),
        "reencrypt": Operation(Reencrypt, proxy_handlers.reencrypt, ADMINS),
    },
    queries={
        "key": Query(queries.KeyQuery, queries.key),
        "dataset": Query(queries.DatasetQuery, queries.dataset),
        "datasets": Query(queries.Datasets, queries.datasets),
        "version": Query(queries.VersionQuery, queries.version),
        "requests": Query(queries.Requests, queries.requests),
        "release": Query(queries.ReleaseQuery, queries.release),
        "receipts": Query(queries.Receipts, queries.receipts),
        "proxies": Query(proxy_queries.Proxies, proxy_queries.proxies),
        "receivers": Query(proxy_queries.Receivers, proxy_queries.receivers),
        "delegation": Query(proxy_queries.DelegationQuery, proxy_queries.delegation),
        "delegations": Query(proxy_queries.Delegations, proxy_queries.delegations),
        "cfrags": Query(proxy_queries.CfragsQuery, proxy_queries.cfrags),
        "proxy_work": Query(proxy_queries.ProxyWork, proxy_queries.proxy_work),
    },
    genesis=Genesis(validate=genesis.validate, init=genesis.init, export=genesis.export),
    invariants={
        "every_release_has_exactly_one_receipt": invariants.every_release_has_exactly_one_receipt,
        "every_receipt_was_covered_by_its_grant": invariants.every_receipt_was_covered_by_its_grant,
        "versions_and_grants_are_numbered_without_gaps": (
            invariants.versions_and_grants_are_numbered_without_gaps
        ),
        "only_sealed_keys_are_stored": invariants.only_sealed_keys_are_stored,
        "requests_are_pending": invariants.requests_are_pending,
        "receipts_by_proxies_have_their_threshold": (
            invariants.receipts_by_proxies_have_their_threshold
        ),
    },
)

__all__ = [
    "MODULE",
    "Delegate",
    "Grant",
    "Publish",
    "Reencrypt",
    "RegisterKey",
    "RegisterProxy",
    "Release",
    "Request",
    "Revoke",
]
