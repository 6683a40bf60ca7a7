"""The only code that reads and writes the keys of delivery by the nodes' proxies: registered
proxies, delegations and capsule fragments (layout in keys.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cornerstone.module import Reader, Writer
from cornerstone.modules.datashare.keys import (
    CFRAG_PREFIX,
    DATASET_ID_SIZE,
    DELEGATION_PREFIX,
    IDENTITY_SIZE,
    PROXY_PREFIX,
    cfrag_key,
    cfrags_prefix,
    delegation_key,
    proxy_key,
    split_access,
)
from cornerstone.modules.datashare.state import _bytes, _int, _map, _put, _str


@dataclass(frozen=True, slots=True)
class Proxy:
    """An organization's re-encryption proxy."""

    org: str
    identity: bytes
    """The identity that registered it and signs its capsule fragments."""
    public_key: bytes
    """The X25519 key its key fragments are sealed to."""
    height: int


@dataclass(frozen=True, slots=True)
class Share:
    """One proxy's part of a delegation."""

    org: str
    kfrag_id: bytes
    sealed_kfrag: bytes
    """The key fragment sealed to the proxy's X25519 key (registered at the delegation)."""


@dataclass(frozen=True, slots=True)
class Delegation:
    """Key fragments an owner gave the proxies so they re-encrypt for one recipient under one
    grant; the Umbral keys are those registered at the delegation, against which every capsule
    fragment is verified."""

    dataset: bytes
    grant: int
    recipient: bytes
    threshold: int
    shares: tuple[Share, ...]
    """In organization order."""
    receiving_key: bytes
    delegating_key: bytes
    verifying_key: bytes
    height: int

    def share_of(self, org: str) -> Share | None:
        for share in self.shares:
            if share.org == org:
                return share
        return None


@dataclass(frozen=True, slots=True)
class Cfrag:
    """A proxy's verified capsule fragment of one version for one recipient."""

    dataset: bytes
    version: int
    recipient: bytes
    org: str
    grant: int
    """The grant (and so the delegation) it was made under."""
    cfrag: bytes
    height: int


# ---------------------------------------------------------------------------- proxies
def _proxy(org: str, raw: bytes) -> Proxy:
    r = _map(raw)
    return Proxy(
        org=org,
        identity=_bytes(r["identity"]),
        public_key=_bytes(r["key"]),
        height=_int(r["height"]),
    )


def get_proxy(state: Reader, org: str) -> Proxy | None:
    raw = state.get(proxy_key(org))
    return None if raw is None else _proxy(org, raw)


def put_proxy(state: Writer, p: Proxy) -> None:
    _put(state, proxy_key(p.org), {"identity": p.identity, "key": p.public_key, "height": p.height})


def iter_proxies(state: Reader) -> Iterator[Proxy]:
    """Registered proxies in organization order."""
    for key, raw in state.iterate(PROXY_PREFIX):
        yield _proxy(key[len(PROXY_PREFIX) :].decode("ascii"), raw)


# ---------------------------------------------------------------------------- delegations
def _delegation(dataset: bytes, grant: int, recipient: bytes, raw: bytes) -> Delegation:
    r = _map(raw)
    shares = r["proxies"]
    assert isinstance(shares, list)
    parsed = []
    for entry in shares:
        assert isinstance(entry, list) and len(entry) == 3
        parsed.append(
            Share(org=_str(entry[0]), kfrag_id=_bytes(entry[1]), sealed_kfrag=_bytes(entry[2]))
        )
    return Delegation(
        dataset=dataset,
        grant=grant,
        recipient=recipient,
        threshold=_int(r["threshold"]),
        shares=tuple(parsed),
        receiving_key=_bytes(r["receiving"]),
        delegating_key=_bytes(r["delegating"]),
        verifying_key=_bytes(r["verifying"]),
        height=_int(r["height"]),
    )


def get_delegation(
    state: Reader, dataset: bytes, grant: int, recipient: bytes
) -> Delegation | None:
    raw = state.get(delegation_key(dataset, grant, recipient))
    return None if raw is None else _delegation(dataset, grant, recipient, raw)


def put_delegation(state: Writer, d: Delegation) -> None:
    _put(
        state,
        delegation_key(d.dataset, d.grant, d.recipient),
        {
            "threshold": d.threshold,
            "proxies": [[s.org, s.kfrag_id, s.sealed_kfrag] for s in d.shares],
            "receiving": d.receiving_key,
            "delegating": d.delegating_key,
            "verifying": d.verifying_key,
            "height": d.height,
        },
    )


def iter_delegations(state: Reader, dataset: bytes | None = None) -> Iterator[Delegation]:
    """Delegations (of one dataset, or all) by dataset, grant, recipient."""
    for key, raw in state.iterate(DELEGATION_PREFIX + (dataset or b"")):
        rest = key[len(DELEGATION_PREFIX) :]
        yield _delegation(
            rest[:DATASET_ID_SIZE],
            int.from_bytes(rest[DATASET_ID_SIZE : DATASET_ID_SIZE + 4], "big"),
            rest[DATASET_ID_SIZE + 4 :],
            raw,
        )


# ---------------------------------------------------------------------------- fragments
_ACCESS_SIZE = DATASET_ID_SIZE + 4 + IDENTITY_SIZE


def _cfrag(suffix: bytes, raw: bytes) -> Cfrag:
    dataset, version, recipient = split_access(suffix[:_ACCESS_SIZE])
    r = _map(raw)
    return Cfrag(
        dataset=dataset,
        version=version,
        recipient=recipient,
        org=suffix[_ACCESS_SIZE:].decode("ascii"),
        grant=_int(r["grant"]),
        cfrag=_bytes(r["cfrag"]),
        height=_int(r["height"]),
    )


def get_cfrag(
    state: Reader, dataset: bytes, version: int, recipient: bytes, org: str
) -> Cfrag | None:
    key = cfrag_key(dataset, version, recipient, org)
    raw = state.get(key)
    return None if raw is None else _cfrag(key[len(CFRAG_PREFIX) :], raw)


def put_cfrag(state: Writer, c: Cfrag) -> None:
    _put(
        state,
        cfrag_key(c.dataset, c.version, c.recipient, c.org),
        {"grant": c.grant, "cfrag": c.cfrag, "height": c.height},
    )


def iter_cfrags(
    state: Reader, dataset: bytes | None = None, version: int = 0, recipient: bytes = b""
) -> Iterator[Cfrag]:
    """Capsule fragments of one (dataset, version, recipient), or all, in key order."""
    prefix = cfrags_prefix(dataset, version, recipient) if dataset is not None else CFRAG_PREFIX
    for key, raw in state.iterate(prefix):
        yield _cfrag(key[len(CFRAG_PREFIX) :], raw)
