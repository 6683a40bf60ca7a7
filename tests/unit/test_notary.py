"""Notary handlers as plain functions on an in-memory state."""

from __future__ import annotations

import json

import pytest

from cornerstone.crypto import PrivateKey
from cornerstone.errors import ConfigError
from cornerstone.identity.roles import Role
from cornerstone.module import Context, Identity
from cornerstone.modules.notary import MODULE, handlers
from cornerstone.modules.notary.errors import (
    AlreadyAnchoredError,
    DocumentNotFoundError,
    NotOwnerError,
)
from cornerstone.modules.notary.messages import Anchor, Revise
from cornerstone.modules.notary.queries import Lookup, lookup
from cornerstone.state import MemoryStore, State
from cornerstone.types import Height, Timestamp
from tests.conftest import digest


def ctx(key: PrivateKey, org: str, height: int = 5) -> Context:
    return Context(
        chain_id="c",
        height=Height(height),
        time=Timestamp(height * 1_000),
        sender=Identity(
            id=key.public_key.fingerprint,
            public_key=key.public_key,
            org=org,
            role=Role.CLIENT,
            certificate_serial=None,
        ),
        tx_hash=b"\x00" * 32,
    )


@pytest.fixture
def state() -> State:
    return State(MemoryStore())


def check_invariants(state: State) -> None:
    for invariant in MODULE.invariants.values():
        invariant(state)


def test_anchor_then_lookup_by_any_version(state: State, alice: PrivateKey) -> None:
    events = handlers.anchor(state, ctx(alice, "org1"), Anchor(digest("v1"), {"title": "t"}))
    assert events[0].type == "notary.anchored"
    handlers.revise(state, ctx(alice, "org1", 6), Revise(digest("v1"), digest("v2"), {}))
    by_original = lookup(state, Lookup(digest("v1")))
    by_revision = lookup(state, Lookup(digest("v2")))
    assert isinstance(by_original, dict) and isinstance(by_revision, dict)
    assert by_original["revision"] == 0 and by_revision["revision"] == 1
    assert by_revision["document"] == digest("v1")
    assert by_revision["revisions"] == [
        {"number": 1, "digest": digest("v2"), "height": 6, "time": 6000, "metadata": {}}
    ]
    assert lookup(state, Lookup(digest("unknown"))) is None
    check_invariants(state)


def test_refusals(state: State, alice: PrivateKey, bob: PrivateKey) -> None:
    handlers.anchor(state, ctx(alice, "org1"), Anchor(digest("v1")))
    with pytest.raises(AlreadyAnchoredError):
        handlers.anchor(state, ctx(bob, "org2"), Anchor(digest("v1")))
    with pytest.raises(NotOwnerError):
        handlers.revise(state, ctx(bob, "org2"), Revise(digest("v1"), digest("v2")))
    with pytest.raises(DocumentNotFoundError):
        handlers.revise(state, ctx(alice, "org1"), Revise(digest("none"), digest("v2")))
    with pytest.raises(AlreadyAnchoredError):
        handlers.revise(state, ctx(alice, "org1"), Revise(digest("v1"), digest("v1")))
    check_invariants(state)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Anchor(b"short"),
        lambda: Anchor(digest("x"), {f"k{i}": "v" for i in range(17)}),
        lambda: Anchor(digest("x"), {"": "v"}),
        lambda: Anchor(digest("x"), {"k": "v" * 1025}),
        lambda: Revise(digest("x"), b"short"),
    ],
)
def test_messages_validate_their_fields(build: object) -> None:
    with pytest.raises(ValueError):
        build()  # type: ignore[operator]


def test_genesis_export_recreates_the_state(state: State, alice: PrivateKey) -> None:
    handlers.anchor(state, ctx(alice, "org1"), Anchor(digest("a"), {"t": "1"}))
    handlers.revise(state, ctx(alice, "org1", 7), Revise(digest("a"), digest("b"), {"t": "2"}))
    exported = json.loads(json.dumps(MODULE.genesis.export(state)))
    MODULE.genesis.validate(exported)
    fresh = State(MemoryStore())
    MODULE.genesis.init(fresh, exported)
    assert fresh.writes() == state.writes()


def test_genesis_refuses_a_digest_twice() -> None:
    doc = {"digest": "00" * 32, "owner": "11" * 32, "org": "o", "height": 1, "time": 1}
    with pytest.raises(ConfigError, match="appears twice"):
        MODULE.genesis.validate({"documents": [doc, doc]})
    with pytest.raises(ConfigError, match="no setting"):
        MODULE.genesis.validate({"docs": []})
