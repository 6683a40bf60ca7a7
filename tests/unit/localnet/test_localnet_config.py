"""What a node's config.toml says, and the genesis every node shares."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from cornerstone.crypto import PrivateKey
from cornerstone.errors import LocalnetError
from cornerstone.identity.roles import Role
from cornerstone.localnet.config import CONSENSUS_DEFAULTS, consensus_timeouts, node_settings
from cornerstone.localnet.genesis import (
    VALIDATOR_POWER,
    FoundingMember,
    FoundingOrg,
    Validator,
    app_state,
    build_genesis,
    rfc3339,
)
from cornerstone.localnet.tomlfile import TOP_LEVEL
from cornerstone.modules.governance import genesis as governance_genesis
from cornerstone.modules.membership import genesis as membership_genesis
from tests.conftest import root_certificate

PEERS = ["aa@127.0.0.1:26610", "bb@127.0.0.1:26620"]


def settings(app: str = "cornerstone") -> dict[str, dict[str, object]]:
    return {
        section: dict(values)
        for section, values in node_settings(
            moniker="node1",
            p2p_port=26600,
            rpc_port=26601,
            abci_port=26602,
            peers=PEERS,
            app="kvstore" if app == "kvstore" else "cornerstone",
            timeouts=consensus_timeouts(None),
        ).items()
    }


def test_a_node_listens_on_loopback_and_dials_every_peer() -> None:
    config = settings()
    assert config[TOP_LEVEL]["proxy_app"] == "tcp://127.0.0.1:26602"
    assert config[TOP_LEVEL]["filter_peers"] is True, "our app admits member nodes only"
    assert config["rpc"]["laddr"] == "tcp://127.0.0.1:26601"
    assert config["p2p"]["laddr"] == "tcp://127.0.0.1:26600"
    assert config["p2p"]["persistent_peers"] == ",".join(PEERS)
    assert config["p2p"]["pex"] is False
    assert config["p2p"]["allow_duplicate_ip"] is True
    assert config["p2p"]["addr_book_strict"] is False
    assert config["rpc"]["cors_allowed_origins"] == []
    assert config["instrumentation"]["prometheus"] is False
    assert config["consensus"] == dict(CONSENSUS_DEFAULTS)


def test_kvstore_runs_inside_cometbft() -> None:
    assert settings("kvstore")[TOP_LEVEL]["proxy_app"] == "kvstore"
    assert settings("kvstore")[TOP_LEVEL]["filter_peers"] is False


def test_consensus_overrides_replace_only_what_they_name() -> None:
    timeouts = consensus_timeouts({"timeout_commit": "1s"})
    assert timeouts["timeout_commit"] == "1s"
    assert timeouts["timeout_propose"] == CONSENSUS_DEFAULTS["timeout_propose"]


def test_unknown_consensus_settings_and_bad_durations_are_refused() -> None:
    with pytest.raises(LocalnetError, match="unknown consensus setting 'timeout_comit'"):
        consensus_timeouts({"timeout_comit": "1s"})
    with pytest.raises(LocalnetError, match="duration"):
        consensus_timeouts({"timeout_commit": "fast"})


def test_genesis_has_every_validator_with_equal_power() -> None:
    template = {
        "genesis_time": "2000-01-01T00:00:00Z",
        "chain_id": "test-chain-x",
        "initial_height": "0",
        "consensus_params": {"block": {"max_bytes": "22020096", "max_gas": "-1"}},
        "validators": [{"address": "OLD"}],
        "app_hash": "",
    }
    validators = [
        Validator(name=f"node{i}", address=f"ADDR{i}", pub_key={"type": "t", "value": f"k{i}"})
        for i in (1, 2)
    ]
    moment = datetime(2026, 1, 2, 3, 4, 5, 600, tzinfo=UTC)
    genesis = build_genesis(
        template,
        chain_id="cornerstone-local",
        genesis_time=moment,
        validators=validators,
        state={"membership": {}},
    )
    assert genesis["chain_id"] == "cornerstone-local"
    assert genesis["initial_height"] == "1"
    assert genesis["genesis_time"] == "2026-01-02T03:04:05.000600Z"
    assert genesis["consensus_params"] == template["consensus_params"]
    assert [v["power"] for v in genesis["validators"]] == ["10", "10"]
    assert [v["name"] for v in genesis["validators"]] == ["node1", "node2"]
    assert genesis["app_state"] == {"membership": {}}
    assert template["validators"] == [{"address": "OLD"}]  # the template is not changed


def test_the_app_state_is_a_valid_membership_and_governance_genesis() -> None:
    orgs = []
    for i in (1, 2):
        root = root_certificate(f"org{i}")
        validator = Validator(
            name=f"node{i}",
            address=f"ADDR{i}",
            pub_key={
                "type": "tendermint/PubKeyEd25519",
                "value": base64.b64encode(bytes([i]) * 32).decode(),
            },
        )
        members = tuple(
            FoundingMember(name=name, role=role, public_key=PrivateKey.generate().public_key)
            for name, role in (("client", Role.CLIENT), ("admin", Role.ADMIN))
        )
        orgs.append(
            FoundingOrg(
                id=f"org{i}",
                name=f"Organization {i}",
                root_certificate=root,
                nodes=(f"{i:02x}" * 20,),
                validators=(validator,),
                members=members,
            )
        )
    state = app_state("cornerstone", orgs)
    membership_genesis.validate(state["membership"])
    governance_genesis.validate(state["governance"])
    membership_genesis.check_validators(
        state["membership"],
        [(bytes([1]) * 32, VALIDATOR_POWER), (bytes([2]) * 32, VALIDATOR_POWER)],
    )
    second = state["membership"]["organizations"][1]
    assert second["nodes"] == ["02" * 20]
    assert [(m["name"], m["role"]) for m in second["members"]] == [
        ("client", "client"),
        ("admin", "admin"),
    ]
    assert state["governance"]["policies"]["governance.set_policy"]["rule"] == "MAJORITY"
    assert app_state("kvstore", orgs) == {}


def test_rfc3339_is_utc() -> None:
    assert rfc3339(datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)) == "2026-05-06T07:08:09.000000Z"
