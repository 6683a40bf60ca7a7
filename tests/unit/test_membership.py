"""Membership genesis and sender resolution, on an in-memory state."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cornerstone.crypto import PrivateKey
from cornerstone.errors import ConfigError, UnknownSenderError
from cornerstone.identity.certs import issue_member_certificate, make_root_certificate
from cornerstone.identity.errors import (
    CertificateExpiredError,
    CertificateNotYetValidError,
    NotIssuedByOrgError,
    UnknownOrganizationError,
)
from cornerstone.identity.roles import Role
from cornerstone.modules.membership import MODULE, get_member, resolve_sender
from cornerstone.modules.membership.state import node_is_member
from cornerstone.state import MemoryStore, State
from cornerstone.tx import Sender
from tests.conftest import (
    CERTS_FROM_S,
    admin_key,
    genesis,
    member_certificate,
    org_key,
)

NOW_NS = (CERTS_FROM_S + 86_400) * 1_000_000_000


@pytest.fixture
def state() -> State:
    document = genesis()["membership"]
    MODULE.genesis.validate(document)
    state = State(MemoryStore())
    MODULE.genesis.init(state, document)
    return state


def test_genesis_round_trip_and_lookup(state: State) -> None:
    member = get_member(state, org_key("org2").public_key.fingerprint)
    assert member is not None and member.org == "org2" and member.role is Role.CLIENT
    exported = MODULE.genesis.export(state)
    MODULE.genesis.validate(exported)
    again = State(MemoryStore())
    MODULE.genesis.init(again, exported)
    assert again.writes() == state.writes(), "the export recreates the same state"


def test_registered_keys_and_certificates_resolve_to_their_org_and_role(state: State) -> None:
    admin = resolve_sender(state, Sender(admin_key("org3").public_key), NOW_NS)
    assert (admin.org, admin.role, admin.certificate_serial) == ("org3", Role.ADMIN, None)
    key = PrivateKey.generate()
    cert = member_certificate("org2", key, Role.AUDITOR, serial=77)
    found = resolve_sender(state, Sender(key.public_key, cert), NOW_NS)
    assert (found.org, found.role, found.certificate_serial) == ("org2", Role.AUDITOR, 77)
    assert found.id == key.public_key.fingerprint


def test_senders_that_are_not_members_are_refused_with_the_cause(state: State) -> None:
    stranger = PrivateKey.generate()
    with pytest.raises(UnknownSenderError):
        resolve_sender(state, Sender(stranger.public_key), NOW_NS)
    # A root of its own that also calls itself org1: its certificates do not chain to org1's.
    rogue_key = PrivateKey.generate()
    rogue_root = make_root_certificate(
        "org1", rogue_key, not_before_s=CERTS_FROM_S, not_after_s=CERTS_FROM_S + 10**8
    )
    forged = issue_member_certificate(
        rogue_key,
        rogue_root,
        subject_key=stranger.public_key,
        common_name="forged",
        role=Role.ADMIN,
        serial=5,
        not_before_s=CERTS_FROM_S,
        not_after_s=CERTS_FROM_S + 10**7,
    )
    with pytest.raises(NotIssuedByOrgError):
        resolve_sender(state, Sender(stranger.public_key, forged), NOW_NS)
    expired = member_certificate(
        "org1", stranger, not_before_s=CERTS_FROM_S, not_after_s=CERTS_FROM_S + 60
    )
    with pytest.raises(CertificateExpiredError):
        resolve_sender(state, Sender(stranger.public_key, expired), NOW_NS)
    later = member_certificate("org1", stranger, not_before_s=CERTS_FROM_S + 10**6)
    with pytest.raises(CertificateNotYetValidError):
        resolve_sender(state, Sender(stranger.public_key, later), NOW_NS)


def test_a_certificate_of_an_organization_not_on_chain_is_refused() -> None:
    document = genesis(("org1",))["membership"]
    state = State(MemoryStore())
    MODULE.genesis.init(state, document)
    key = PrivateKey.generate()
    with pytest.raises(UnknownOrganizationError):
        resolve_sender(state, Sender(key.public_key, member_certificate("org2", key)), NOW_NS)


def test_only_listed_nodes_are_members(state: State) -> None:
    listed = genesis()["membership"]["organizations"][0]["nodes"][0]
    assert node_is_member(state, listed)
    assert not node_is_member(state, "0" * 40)


def _broken(change: str) -> dict[str, Any]:
    document: dict[str, Any] = copy.deepcopy(genesis()["membership"])
    orgs = document["organizations"]
    if change == "bad id":
        orgs[0]["id"] = "Org 1"
    elif change == "twice":
        orgs[1]["id"] = orgs[0]["id"]
    elif change == "root of another org":
        orgs[0]["root_certificate"] = orgs[1]["root_certificate"]
    elif change == "no root":
        del orgs[0]["root_certificate"]
    elif change == "member twice":
        orgs[1]["members"].append(orgs[0]["members"][0])
    elif change == "bad role":
        orgs[0]["members"][0]["role"] = "king"
    elif change == "bad node":
        orgs[0]["nodes"] = ["xyz"]
    return document


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("bad id", "not an organization id"),
        ("twice", "listed twice"),
        ("root of another org", "names the organization 'org2'"),
        ("no root", "not a PEM text"),
        ("member twice", "member key is listed twice"),
        ("bad role", "not a role"),
        ("bad node", "not a node id"),
    ],
)
def test_bad_genesis_is_refused_with_a_sentence(change: str, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        MODULE.genesis.validate(_broken(change))
