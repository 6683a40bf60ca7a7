"""Delivery by the nodes with the SDK against the real application behind an in-memory node:
the owner publishes with a capsule, grants and delegates, and is not used again; four proxies
(`Proxy.step`) answer the request; the reader fetches with proofs, and each failure on the way
says what is missing or wrong."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cornerstone.datashare import DataShare, EncryptionKey, LocalBlobStore, audit
from cornerstone.datashare.delegation import (
    UmbralKeys,
    delegate,
    grant_recipients,
    load_umbral_keys,
    save_umbral_keys,
)
from cornerstone.datashare.errors import NoKeyReleasedError
from cornerstone.datashare.proxy import Proxy, ProxyKey, load_or_create_proxy_key
from cornerstone.datashare.proxy_errors import (
    NoProxiesError,
    NotEnoughFragmentsError,
    ProxyNotRegisteredError,
    UmbralKeyFileError,
    UmbralKeyMismatchError,
)
from cornerstone.sdk import Signer
from tests.conftest import admin_key, genesis, org_key
from tests.unit.cli.fake_rpc import FakeRpc

DATA = b"lot,grade\nL-1,A\nL-2,B\n" * 30
PROXY_ORGS = ("org1", "org2", "org3", "org4")


@dataclass
class Scene:
    rpc: FakeRpc
    owner: DataShare
    reader: DataShare
    proxies: list[Proxy]


def member(rpc: FakeRpc, org: str, store: LocalBlobStore) -> DataShare:
    share = DataShare(
        Signer(rpc.client(), org_key(org)),
        encryption_key=EncryptionKey.generate(),
        store=store,
        umbral=UmbralKeys.generate(),
    )
    share.register_key()
    return share


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[Scene]:
    rpc = FakeRpc.started(genesis())
    store = LocalBlobStore(tmp_path / "store")
    owner, reader = member(rpc, "org1", store), member(rpc, "org2", store)
    proxies = [
        Proxy(Signer(rpc.client(), admin_key(org)), ProxyKey.generate()) for org in PROXY_ORGS
    ]
    made = Scene(rpc, owner, reader, proxies)
    yield made
    for client in (owner.client, reader.client, *(p.signer.client for p in proxies)):
        client.close()


def publish_and_delegate(scene: Scene) -> bytes:
    for proxy in scene.proxies:
        proxy.register()
    owner = scene.owner
    published = owner.publish(DATA, title="lots")
    number, _ = owner.grant(published.dataset, kind="org", grantee="org2", purpose="quality")
    [recipient] = grant_recipients(owner.client, kind="org", grantee="org2")
    assert recipient == scene.reader.identity
    assert owner.umbral is not None
    delegate(
        owner.signer, owner.umbral, dataset=published.dataset, grant=number, recipient=recipient
    )
    return published.dataset


def test_the_proxies_deliver_while_the_owner_is_away(scene: Scene) -> None:
    dataset = publish_and_delegate(scene)
    # From here on the owner's client is not used.
    scene.reader.request(dataset, 1, "quality")
    with pytest.raises(NoKeyReleasedError):
        scene.reader.fetch(dataset, 1)
    [answer] = scene.proxies[0].step()
    assert answer.committed is not None and answer.refusal == ""
    with pytest.raises(NotEnoughFragmentsError, match=r"1 capsule fragment.* 3 are needed"):
        scene.reader.fetch(dataset, 1)
    for proxy in scene.proxies[1:3]:
        [answer] = proxy.step()
        assert answer.committed is not None
    assert scene.proxies[3].step() == [], "nothing left to do once the threshold is reached"
    assert scene.proxies[0].step() == [], "a proxy answers a request once"
    assert scene.reader.fetch(dataset, 1) == DATA
    [entry] = audit(scene.reader.client, dataset=dataset)
    assert entry.receipt["delivery"] == "proxies"
    assert entry.receipt["recipient"] == scene.reader.identity and entry.receipt["grant"] == 1


def test_the_wrong_umbral_key_is_named(scene: Scene) -> None:
    dataset = publish_and_delegate(scene)
    scene.reader.request(dataset, 1, "quality")
    for proxy in scene.proxies:
        proxy.step()
    registered = scene.reader.umbral
    scene.reader.umbral = UmbralKeys.generate()
    with pytest.raises(UmbralKeyMismatchError, match="step 4"):
        scene.reader.fetch(dataset, 1)
    scene.reader.umbral = registered
    assert scene.reader.fetch(dataset, 1) == DATA


def test_a_refused_fragment_is_reported_and_not_retried(scene: Scene) -> None:
    for proxy in scene.proxies:
        proxy.register()
    owner = scene.owner
    assert owner.umbral is not None
    published = owner.publish(DATA, title="lots")
    height = owner.client.height()
    owner.grant(
        published.dataset,
        kind="member",
        grantee=scene.reader.identity.hex(),
        purpose="quality",
        expires_height=height + 3,
    )
    delegate(
        owner.signer,
        owner.umbral,
        dataset=published.dataset,
        grant=1,
        recipient=scene.reader.identity,
    )
    scene.reader.request(published.dataset, 1, "quality")
    scene.rpc.produce([])
    [answer] = scene.proxies[0].step()
    assert answer.committed is None and "expired after height" in answer.refusal
    assert scene.proxies[0].step() == [], "not retried"


def test_delegation_needs_proxies_and_a_receiving_key(scene: Scene) -> None:
    owner = scene.owner
    assert owner.umbral is not None
    published = owner.publish(DATA, title="lots")
    owner.grant(published.dataset, kind="org", grantee="org2", purpose="quality")
    with pytest.raises(NoProxiesError, match="no proxy is registered"):
        delegate(
            owner.signer,
            owner.umbral,
            dataset=published.dataset,
            grant=1,
            recipient=scene.reader.identity,
        )
    with pytest.raises(ProxyNotRegisteredError):
        scene.proxies[0].step()


def test_key_files_are_private_and_checked(tmp_path: Path) -> None:
    keys = UmbralKeys.generate()
    path = tmp_path / "enckeys" / "org1.umbral.json"
    save_umbral_keys(path, keys, name="org1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_umbral_keys(path).receiving_key == keys.receiving_key
    with pytest.raises(UmbralKeyFileError, match="exists"):
        save_umbral_keys(path, keys, name="org1")
    path.chmod(0o644)
    with pytest.raises(UmbralKeyFileError, match="chmod 600"):
        load_umbral_keys(path)
    proxy_path = tmp_path / "node1" / "proxy.json"
    first = load_or_create_proxy_key(proxy_path, name="org1")
    assert stat.S_IMODE(proxy_path.stat().st_mode) == 0o600
    assert load_or_create_proxy_key(proxy_path, name="org1").public_key == first.public_key
    assert keys.receiving_key.hex() in repr(keys) and "seed" not in repr(keys)
