"""did handlers and messages as plain functions on an in-memory state: message validation,
derived and chosen ids, update semantics, the limits of a status list, and genesis."""

from __future__ import annotations

from typing import Any

import pytest

from cornerstone.chain import put_chain_id
from cornerstone.crypto import PrivateKey, Suite
from cornerstone.errors import ConfigError
from cornerstone.identity.roles import Role
from cornerstone.module import Context, Identity, parse_message
from cornerstone.modules.did import MODULE, handlers
from cornerstone.modules.did.errors import (
    DidExistsError,
    DidNotFoundError,
    InvalidDocumentError,
    StatusListFullError,
)
from cornerstone.modules.did.messages import AllocateStatus, Create, Deactivate, Update
from cornerstone.modules.did.queries import Resolve, resolve
from cornerstone.state import MemoryStore, State
from cornerstone.types import Height, Timestamp

DID = "did:cornerstone:c:org1.alice"


def ctx(key: PrivateKey, height: int = 5, tx: bytes = b"\x00" * 32) -> Context:
    return Context(
        chain_id="c",
        height=Height(height),
        time=Timestamp(height * 1_000_000_000),
        sender=Identity(
            id=key.public_key.fingerprint,
            public_key=key.public_key,
            org="org1",
            role=Role.CLIENT,
            certificate_serial=None,
        ),
        tx_hash=tx,
    )


@pytest.fixture
def state() -> State:
    made = State(MemoryStore())
    put_chain_id(made, "c")
    return made


def check_invariants(state: State) -> None:
    for invariant in MODULE.invariants.values():
        invariant(state)


@pytest.mark.parametrize(
    ("cls", "args", "says"),
    [
        (Create, {"name": "Alice"}, "a DID name"),
        (Create, {"services": [{"id": "s", "type": "T"}]}, "a service is"),
        (Update, {"did": DID}, "changes nothing"),
        (Update, {"did": "did:web:example.com", "remove_keys": ["k"]}, "not a did:cornerstone"),
        (Update, {"did": DID, "remove_keys": ["#bad"]}, "a fragment"),
        (Update, {"did": DID, "add_keys": [{"id": "k", "public_key": b"x"}]}, "the key k"),
        (
            Update,
            {"did": DID, "add_keys": [{"id": "k", "public_key": b"x" * 32, "relationships": []}]},
            "relationships",
        ),
        (AllocateStatus, {"issuer": "did:cornerstone:c"}, "did:cornerstone:<chain id>:<id>"),
    ],
)
def test_malformed_messages_are_refused_with_a_sentence(
    cls: type[Any], args: dict[str, Any], says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        parse_message(cls, args)


def test_ids_are_chosen_under_the_org_or_derived_from_the_transaction(state: State) -> None:
    key = PrivateKey.from_seed(b"a" * 32)
    created = handlers.create(state, ctx(key), Create(name="alice"))
    assert dict(created[0].attributes)["did"] == DID
    with pytest.raises(DidExistsError):
        handlers.create(state, ctx(key), Create(name="alice"))
    one = handlers.create(state, ctx(key, tx=b"\x01" * 32), Create())
    two = handlers.create(state, ctx(key, tx=b"\x02" * 32), Create())
    assert dict(one[0].attributes)["did"] != dict(two[0].attributes)["did"]
    check_invariants(state)


def test_updates_keep_documents_whole(state: State) -> None:
    key = PrivateKey.from_seed(b"a" * 32)
    p256 = PrivateKey.generate(Suite.P256).public_key
    handlers.create(state, ctx(key), Create(name="alice"))

    def update(**args: Any) -> None:
        handlers.update(state, ctx(key, 6), parse_message(Update, {"did": DID, **args}))

    with pytest.raises(InvalidDocumentError, match="no key could change it"):
        update(remove_keys=["key-1"])
    with pytest.raises(InvalidDocumentError, match="names two things"):
        update(add_keys=[{"id": "key-1", "public_key": p256.raw, "suite": "ecdsa-p256"}])
    with pytest.raises(InvalidDocumentError, match="in the document already"):
        update(add_keys=[{"id": "key-9", "public_key": key.public_key.raw}])
    with pytest.raises(InvalidDocumentError, match="no service"):
        update(remove_services=["hub"])
    update(
        add_keys=[
            {
                "id": "p",
                "public_key": p256.raw,
                "suite": "ecdsa-p256",
                "relationships": ["assertionMethod"],
            }
        ]
    )
    document = resolve(state, Resolve(did=DID))
    assert isinstance(document, dict)
    methods = document["didDocument"]["verificationMethod"]
    assert methods[1]["publicKeyMultibase"].startswith("zDn")
    assert document["didDocument"]["assertionMethod"] == [DID + "#key-1", DID + "#p"]
    assert document["didDocument"]["capabilityInvocation"] == [DID + "#key-1"]
    with pytest.raises(DidNotFoundError):
        handlers.deactivate(
            state, ctx(key), parse_message(Deactivate, {"did": "did:cornerstone:c:nobody"})
        )
    check_invariants(state)


def test_an_issuer_runs_out_of_indexes_rather_than_reusing_one(
    state: State, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = PrivateKey.from_seed(b"a" * 32)
    handlers.create(state, ctx(key), Create(name="alice"))
    monkeypatch.setattr(handlers, "LIST_SIZE", 2)
    monkeypatch.setattr(handlers, "MAX_LISTS", 1)
    for expected in (0, 1):
        events = handlers.allocate_status(state, ctx(key), AllocateStatus(DID))
        assert dict(events[0].attributes)["index"] == str(expected)
    with pytest.raises(StatusListFullError):
        handlers.allocate_status(state, ctx(key), AllocateStatus(DID))
    check_invariants(state)


def test_genesis_refuses_what_is_not_its_own() -> None:
    MODULE.genesis.validate({"trust": [{"credential_type": "T", "issuer": DID}]})
    bad_documents: tuple[dict[str, Any], ...] = (
        {"trusts": []},
        {"trust": [{"credential_type": "a/b", "issuer": DID}]},
        {"records": {b"membership/x".hex(): "00"}},
        {"records": {b"head/x".hex(): "ff"}},
    )
    for bad in bad_documents:
        with pytest.raises(ConfigError):
            MODULE.genesis.validate(bad)
