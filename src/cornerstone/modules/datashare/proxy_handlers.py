"""Handlers of delivery by the nodes: a proxy registers, an owner delegates, proxies submit
capsule fragments, and the fragment that reaches the threshold writes the access receipt.

The chain checks each fragment with Umbral's deterministic verification against the version's
capsule and the keys the delegation recorded, and that it was made with the key fragment the
owner gave that proxy, so `threshold` fragments on chain are always enough to decrypt.
"""

from __future__ import annotations

from cornerstone.module import Context, Event, Events, Reader, Writer
from cornerstone.modules.datashare import pre
from cornerstone.modules.datashare.errors import (
    DelegatingKeyMismatchError,
    DelegationExistsError,
    DelegationGranteeError,
    DuplicateCfragError,
    ForeignKfragError,
    GrantNotFoundError,
    GrantRevokedError,
    InvalidCfragError,
    NoCapsuleError,
    NoDelegationError,
    NoPendingRequestError,
    NotProxyError,
    NoValidGrantError,
    ProxyNotDelegatedError,
    UmbralKeyMissingError,
    UnknownProxyError,
)
from cornerstone.modules.datashare.handlers import (
    _existing_version,
    _owned,
    _refuse_released,
    _require_key,
    grant_refusal,
    recipient_org,
    record_release,
)
from cornerstone.modules.datashare.messages import (
    CREDENTIAL,
    MEMBER,
    ORG,
    Delegate,
    Reencrypt,
    RegisterProxy,
)
from cornerstone.modules.datashare.proxystate import (
    Cfrag,
    Delegation,
    Proxy,
    Share,
    get_cfrag,
    get_delegation,
    get_proxy,
    iter_cfrags,
    put_cfrag,
    put_delegation,
    put_proxy,
)
from cornerstone.modules.datashare.state import (
    GrantRecord,
    get_grant,
    get_request,
)
from cornerstone.modules.did.verify import CredentialFact
from cornerstone.modules.membership import active_org_ids
from cornerstone.state import State

PROXIES_DELIVERY = "proxies"


def register_proxy(state: Writer, ctx: Context, msg: RegisterProxy) -> Events:
    put_proxy(
        state,
        Proxy(
            org=ctx.sender.org, identity=ctx.sender.id, public_key=msg.public_key, height=ctx.height
        ),
    )
    return (
        Event(
            "datashare.proxy_registered",
            (("org", ctx.sender.org), ("identity", ctx.sender.id.hex())),
        ),
    )


def delegate(state: Writer, ctx: Context, msg: Delegate) -> Events:
    _owned(state, ctx, msg.dataset, "delegate key delivery")
    grant = _grant_in_force(state, ctx, msg.dataset, msg.grant)
    owner = _require_key(state, ctx.sender.id)
    if not owner.delegating_key:
        raise UmbralKeyMissingError(identity=ctx.sender.id.hex())
    recipient = _require_key(state, msg.recipient)
    if not recipient.receiving_key:
        raise UmbralKeyMissingError(identity=msg.recipient.hex())

    def not_covered(why: str) -> DelegationGranteeError:
        return DelegationGranteeError(
            grant=msg.grant, dataset=msg.dataset.hex(), recipient=msg.recipient.hex(), why=why
        )

    if grant.kind == MEMBER and grant.grantee != msg.recipient.hex():
        raise not_covered(f"it is for member {grant.grantee}")
    if grant.kind == ORG and recipient_org(state, recipient) != grant.grantee:
        raise not_covered(f"it is for organization {grant.grantee}")
    known = get_delegation(state, msg.dataset, msg.grant, msg.recipient)
    if known is not None:
        raise DelegationExistsError(
            grant=msg.grant,
            dataset=msg.dataset.hex(),
            recipient=msg.recipient.hex(),
            height=known.height,
        )
    active = active_org_ids(state)
    for org in msg.proxies:
        if org not in active or get_proxy(state, org) is None:
            raise UnknownProxyError(org=org)
    put_delegation(
        state,
        Delegation(
            dataset=msg.dataset,
            grant=msg.grant,
            recipient=msg.recipient,
            threshold=msg.threshold,
            shares=tuple(
                Share(org=org, kfrag_id=kfrag_id, sealed_kfrag=sealed)
                for org, kfrag_id, sealed in zip(
                    msg.proxies, msg.kfrag_ids, msg.sealed_kfrags, strict=True
                )
            ),
            receiving_key=recipient.receiving_key,
            delegating_key=owner.delegating_key,
            verifying_key=owner.verifying_key,
            height=ctx.height,
        ),
    )
    return (
        Event(
            "datashare.delegated",
            (
                ("dataset", msg.dataset.hex()),
                ("grant", str(msg.grant)),
                ("recipient", msg.recipient.hex()),
                ("threshold", str(msg.threshold)),
                ("proxies", ",".join(msg.proxies)),
            ),
        ),
    )


def reencrypt(state: Writer, ctx: Context, msg: Reencrypt) -> Events:
    where = {"dataset": msg.dataset.hex(), "version": msg.version}
    version = _existing_version(state, msg.dataset, msg.version)
    if not version.capsule:
        raise NoCapsuleError(**where)
    org = ctx.sender.org
    proxy = get_proxy(state, org)
    if proxy is None:
        raise NotProxyError(sender=ctx.sender.id.hex(), org=org, why="it has none")
    if proxy.identity != ctx.sender.id:
        raise NotProxyError(
            sender=ctx.sender.id.hex(), org=org, why=f"its proxy signs as {proxy.identity.hex()}"
        )
    _refuse_released(state, msg.dataset, msg.version, msg.recipient)
    ids = {"grant": msg.grant, "dataset": msg.dataset.hex(), "recipient": msg.recipient.hex()}
    delegation = get_delegation(state, msg.dataset, msg.grant, msg.recipient)
    if delegation is None:
        raise NoDelegationError(**ids)
    share = delegation.share_of(org)
    if share is None:
        raise ProxyNotDelegatedError(**ids, org=org)
    given = get_cfrag(state, msg.dataset, msg.version, msg.recipient, org)
    if given is not None:
        raise DuplicateCfragError(
            **where, org=org, recipient=msg.recipient.hex(), height=given.height
        )
    pending = get_request(state, msg.dataset, msg.version, msg.recipient)
    if pending is None:
        raise NoPendingRequestError(**where, recipient=msg.recipient.hex())
    grant = get_grant(state, msg.dataset, msg.grant)
    assert grant is not None, "delegations are of grants"
    recipient_key = _require_key(state, msg.recipient)
    recipient_of = recipient_org(state, recipient_key)
    credential = pending.credential if grant.kind == CREDENTIAL else None
    why = _not_covering(state, ctx, grant, msg.recipient, recipient_of, pending.purpose, credential)
    if why is not None:
        raise NoValidGrantError(
            dataset=msg.dataset.hex(),
            height=ctx.height,
            recipient=msg.recipient.hex(),
            org=recipient_of,
            purpose=pending.purpose,
            why=why,
        )
    if version.delegating_key != delegation.delegating_key:
        raise DelegatingKeyMismatchError(**where, grant=msg.grant)
    if pre.cfrag_kfrag_id(msg.cfrag) != share.kfrag_id:
        raise ForeignKfragError(**where, org=org)
    if isinstance(state, State) and state.meter is not None:
        state.meter.charge(pre.CFRAG_VERIFY_GAS)
    if not pre.cfrag_verifies(
        msg.cfrag,
        capsule_bytes=version.capsule,
        verifying_key=delegation.verifying_key,
        delegating_key=delegation.delegating_key,
        receiving_key=delegation.receiving_key,
    ):
        raise InvalidCfragError(**where, org=org)
    put_cfrag(
        state,
        Cfrag(
            dataset=msg.dataset,
            version=msg.version,
            recipient=msg.recipient,
            org=org,
            grant=msg.grant,
            cfrag=msg.cfrag,
            height=ctx.height,
        ),
    )
    count = sum(
        1
        for c in iter_cfrags(state, msg.dataset, msg.version, msg.recipient)
        if c.grant == msg.grant
    )
    events = [
        Event(
            "datashare.reencrypted",
            (
                ("dataset", msg.dataset.hex()),
                ("version", str(msg.version)),
                ("recipient", msg.recipient.hex()),
                ("proxy", org),
                ("grant", str(msg.grant)),
                ("fragments", str(count)),
                ("threshold", str(delegation.threshold)),
            ),
        )
    ]
    if count < delegation.threshold:
        return tuple(events)
    events.append(
        record_release(
            state,
            ctx,
            dataset=msg.dataset,
            version=msg.version,
            recipient=msg.recipient,
            org=recipient_of,
            grant=msg.grant,
            purpose=pending.purpose,
            credential=credential,
            delivery=PROXIES_DELIVERY,
        )
    )
    return tuple(events)


# ---------------------------------------------------------------------------- helpers
def _grant_in_force(state: Reader, ctx: Context, dataset: bytes, number: int) -> GrantRecord:
    grant = get_grant(state, dataset, number)
    if grant is None:
        raise GrantNotFoundError(dataset=dataset.hex(), grant=number)
    if grant.revoked_at:
        raise GrantRevokedError(dataset=dataset.hex(), grant=number, height=grant.revoked_at)
    if (grant.expires_height and ctx.height > grant.expires_height) or (
        grant.expires_time and ctx.time >= grant.expires_time
    ):
        raise DelegationGranteeError(
            grant=number, dataset=dataset.hex(), recipient="anyone", why="it has expired"
        )
    return grant


def _not_covering(
    state: Reader,
    ctx: Context,
    grant: GrantRecord,
    recipient: bytes,
    org: str,
    purpose: str,
    credential: CredentialFact | None,
) -> str | None:
    """Why `grant` does not cover this release now (None when it does): the owner's release
    rule, for this one grant."""
    if org not in active_org_ids(state):
        return f"{org} is not an active member organization"
    return grant_refusal(
        state, ctx, grant, recipient=recipient, org=org, purpose=purpose, credential=credential
    )
