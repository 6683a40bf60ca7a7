"""Membership and governance on a real network: a revoked member is refused on every node, a
node of no member organization is refused by its peers until its organization is admitted by
vote and then joins as a validator, and a removed organization's transactions and validator
stop counting."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from cornerstone.crypto import load_key
from cornerstone.errors import TransactionRejectedError
from cornerstone.identity.ca import CertificateAuthority
from cornerstone.identity.roles import Role
from cornerstone.localnet import Localnet
from cornerstone.localnet.ports import find_free_base_port
from cornerstone.sdk import Client, Signer

pytestmark = pytest.mark.network

DEADLINE = 90.0


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Localnet]:
    home = tmp_path_factory.mktemp("governance")
    # Room for a fifth node's ports after the four founders'.
    network = Localnet.create(home, orgs=4, base_port=find_free_base_port(5))
    try:
        network.start()
        yield network
    finally:
        network.stop()


def wait_for(what: str, condition: Callable[[], bool], timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting until {what}")
        time.sleep(0.2)


def admin(net: Localnet, client: Client, org_index: int) -> Signer:
    """Organization `org_index`'s admin, sending through `client`'s node."""
    return Signer(client, load_key(net.admin_key_file(org_index)))


def propose(signer: Signer, module: str, action: str, args: Mapping[str, Any]) -> int:
    committed = signer.submit(
        "governance", "propose", {"module": module, "action": action, "args": args}
    )
    (proposal,) = [
        int(a["proposal"]) for kind, a in committed.events if kind == "governance.proposed"
    ]
    return proposal


def vote(signer: Signer, proposal: int) -> None:
    signer.submit("governance", "vote", {"proposal": proposal, "approve": True})


def status_of(client: Client, proposal: int) -> str:
    found = client.query("governance", "proposal", id=proposal)
    assert isinstance(found, dict)
    return str(found["status"])


def validator_addresses(client: Client) -> list[str]:
    validators = client.rpc("validators", per_page="100")["validators"]
    return sorted(v["address"] for v in validators)


def signed(client: Client, height: int, address: str) -> bool:
    commit = client.rpc("commit", height=str(height))["signed_header"]["commit"]
    return any(
        s.get("validator_address") == address and s.get("block_id_flag") == 2
        for s in commit["signatures"]
    )


def test_a_revoked_member_is_refused_on_every_node(net: Localnet) -> None:
    ca = CertificateAuthority.load(net.ca_dir(2))
    issued = ca.issue("billing", Role.CLIENT)
    assert issued.key_file is not None
    key = load_key(ca.directory / issued.key_file)
    certificate = ca.certificate(issued.serial)
    with Client(net.node(2).rpc_url) as client:
        member = Signer(client, key, certificate=certificate)
        digest = hashlib.sha256(b"before revocation").digest()
        member.submit("notary", "anchor", {"digest": digest, "metadata": {}})

        org2 = admin(net, client, 2)
        proposal = propose(
            org2, "membership", "revoke_certificate", {"org": "org2", "serial": issued.serial}
        )
        assert status_of(client, proposal) == "executed", "org2's own admin suffices"
        tx = member.sign("notary", "anchor", {"digest": hashlib.sha256(b"after").digest()})
    for node in net.nodes:
        with Client(node.rpc_url) as client, pytest.raises(TransactionRejectedError) as refused:
            client.broadcast(tx)
        assert (refused.value.fields["codespace"], refused.value.fields["tx_code"]) == (
            "identity",
            6,
        ), node.name


def test_a_stranger_node_is_refused_until_its_organization_is_admitted(net: Localnet) -> None:
    joining = net.add_node("org5")
    org5_ca = CertificateAuthority.create(net.ca_dir(joining.index), "org5")
    validator_file = joining.cometbft_home / "config" / "priv_validator_key.json"
    validator = json.loads(validator_file.read_text())
    net.start_node(joining.index)
    # Its peers ask their applications, which know no such node.
    wait_for(
        "node1 refuses the stranger",
        lambda: f"refused peer {joining.node_id}" in net.node(1).app_log.read_text(),
    )
    # As an operator would: the node waits for its admission. (Left running, CometBFT 0.38's
    # persistent-peer redialing can give up on a peer that keeps closing the connection.)
    net.stop_node(joining.index)

    args = {
        "id": "org5",
        "name": "Organization 5",
        "root_certificate": org5_ca.certificate_der,
        "nodes": [joining.node_id],
        "validators": [base64.b64decode(validator["pub_key"]["value"])],
        "power": 10,
    }
    with Client(net.node(1).rpc_url) as client:
        proposal = propose(admin(net, client, 1), "membership", "add_organization", args)
        vote(admin(net, client, 2), proposal)
        assert status_of(client, proposal) == "open", "2 of 4 is not a majority"
        vote(admin(net, client, 3), proposal)
        assert status_of(client, proposal) == "executed"
        address = validator["address"]
        wait_for("the new validator is in the set", lambda: address in validator_addresses(client))
        net.start_node(joining.index)
        with Client(joining.rpc_url) as own:
            wait_for(
                "the new node catches up", lambda: not own.status()["sync_info"]["catching_up"]
            )
        wait_for(
            "the new validator signs blocks",
            lambda: signed(client, client.height() - 1, address),
        )
        start = client.height()
        wait_for(
            "the chain keeps committing with 5 validators", lambda: client.height() >= start + 3
        )
        assert len(validator_addresses(client)) == 5

    # Its members act with certificates from its own CA.
    issued = org5_ca.issue("first", Role.CLIENT)
    assert issued.key_file is not None
    key = load_key(org5_ca.directory / issued.key_file)
    with Client(joining.rpc_url) as own:
        member = Signer(own, key, certificate=org5_ca.certificate(issued.serial))
        member.submit("notary", "anchor", {"digest": hashlib.sha256(b"org5").digest()})


def test_a_removed_organization_is_refused_and_its_validator_stops_counting(
    net: Localnet,
) -> None:
    with Client(net.node(1).rpc_url) as client:
        before = validator_addresses(client)
        proposal = propose(
            admin(net, client, 1), "membership", "remove_organization", {"id": "org4"}
        )
        for org in (2, 3):
            if status_of(client, proposal) == "open":
                vote(admin(net, client, org), proposal)
        assert status_of(client, proposal) == "executed"
        node4 = json.loads(
            (net.node(4).cometbft_home / "config" / "priv_validator_key.json").read_text()
        )["address"]
        wait_for(
            "org4's validator leaves the set", lambda: node4 not in validator_addresses(client)
        )
        assert len(validator_addresses(client)) == len(before) - 1
        start = client.height()
        wait_for("the chain keeps committing", lambda: client.height() >= start + 3)
        assert not signed(client, client.height() - 1, node4)

    with Client(net.node(1).rpc_url) as client:
        tx = Signer(client, load_key(net.key_file(4))).sign(
            "notary", "anchor", {"digest": hashlib.sha256(b"after removal").digest()}
        )
    for node in net.nodes:
        if node.index == 4:
            continue
        with Client(node.rpc_url) as client, pytest.raises(TransactionRejectedError) as refused:
            client.broadcast(tx)
        assert refused.value.fields["tx_code"] == 2000, node.name
