"""Real four-node networks on loopback: they commit, agree, survive a stopped or crashed node,
and refuse ports in use. Most run CometBFT's kvstore app, to test the network on its own."""

from __future__ import annotations

import json
import os
import stat
import time
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from cornerstone.cli.localnet import localnet as localnet_cli
from cornerstone.crypto import load_key
from cornerstone.errors import LocalnetError
from cornerstone.identity.ca import CertificateAuthority
from cornerstone.localnet import CONSENSUS_DEFAULTS, Localnet, process
from cornerstone.localnet.ports import HOST
from cornerstone.localnet.process import Managed
from tests.conftest import listening_on
from tests.network.conftest import LocalnetFactory

pytestmark = pytest.mark.network

TIMEOUT = 30.0
"""Seconds any wait for blocks may take; a healthy network needs a few."""


def heights(net: Localnet) -> list[int]:
    return [node.height or 0 for node in net.status()]


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def test_create_writes_keys_one_genesis_and_each_nodes_config(localnets: LocalnetFactory) -> None:
    net = localnets.make(app="cornerstone", start=False)
    manifest = read_json(net.home / "network.json")
    assert manifest["chain_id"] == "cornerstone-local"
    assert manifest["app"] == "cornerstone"
    assert [node["name"] for node in manifest["nodes"]] == ["node1", "node2", "node3", "node4"]

    members = []
    for index in range(1, 5):
        keys = (net.key_file(index), net.admin_key_file(index))
        for key_file in keys:
            assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        members.append([load_key(key_file).public_key.hex() for key_file in keys])
        authority = CertificateAuthority.load(net.ca_dir(index))
        assert sorted(c.role.value for c in authority.list()) == ["admin", "client", "validator"]

    genesis_texts = {(n.cometbft_home / "config" / "genesis.json").read_text() for n in net.nodes}
    assert len(genesis_texts) == 1, "every node must have the same genesis"
    genesis = json.loads(genesis_texts.pop())
    assert genesis["chain_id"] == "cornerstone-local"
    assert genesis["initial_height"] == "1"
    assert [v["power"] for v in genesis["validators"]] == ["10"] * 4
    validator_addresses = [
        read_json(n.cometbft_home / "config" / "priv_validator_key.json")["address"]
        for n in net.nodes
    ]
    assert [v["address"] for v in genesis["validators"]] == validator_addresses
    organizations = genesis["app_state"]["membership"]["organizations"]
    assert [org["id"] for org in organizations] == ["org1", "org2", "org3", "org4"]
    assert [[m["public_key"] for m in org["members"]] for org in organizations] == members
    assert [org["nodes"] for org in organizations] == [[node.node_id] for node in net.nodes]
    governance = genesis["app_state"]["governance"]
    assert governance["voting_period"] == 100
    assert governance["policies"]["membership.add_organization"] == {
        "rule": "MAJORITY",
        "orgs": "*",
        "roles": ["admin"],
    }

    for node in net.nodes:
        config = tomllib.loads((node.cometbft_home / "config" / "config.toml").read_text())
        assert config["moniker"] == node.name
        assert config["proxy_app"] == f"tcp://{HOST}:{node.abci_port}"
        assert config["rpc"]["laddr"] == f"tcp://{HOST}:{node.rpc_port}"
        assert config["p2p"]["laddr"] == f"tcp://{HOST}:{node.p2p_port}"
        peers = config["p2p"]["persistent_peers"].split(",")
        assert sorted(peers) == sorted(p.peer_address for p in net.nodes if p is not node)
        assert config["p2p"]["pex"] is False
        assert config["filter_peers"] is True
        for key, value in CONSENSUS_DEFAULTS.items():
            assert config["consensus"][key] == value

    again = Localnet.load(net.home)
    assert again.nodes == net.nodes


def test_four_nodes_commit_and_agree_on_the_app_hash(localnet: Localnet) -> None:
    answer = httpx.get(
        f"{localnet.nodes[0].rpc_url}/broadcast_tx_commit", params={"tx": '"color=blue"'}
    ).json()["result"]
    assert answer["tx_result"].get("code", 0) == 0
    included = int(answer["height"])
    target = max(included + 1, 3)
    localnet.wait_for_height(target, timeout=TIMEOUT)

    hashes = localnet.app_hashes(target)
    assert len(set(hashes.values())) == 1, hashes
    assert hashes["node1"] != "0" * 16, "the transaction must have changed the app hash"

    query = httpx.get(f"{localnet.nodes[3].rpc_url}/abci_query", params={"data": '"color"'})
    assert query.json()["result"]["response"]["value"] == "Ymx1ZQ=="  # base64 of "blue"


def test_status_json_describes_every_node(localnet: Localnet) -> None:
    result = CliRunner().invoke(localnet_cli, ["status", "--json", "--home", str(localnet.home)])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) == {"home", "chain_id", "app", "nodes"}
    assert [node["name"] for node in document["nodes"]] == ["node1", "node2", "node3", "node4"]
    for node in document["nodes"]:
        assert set(node) == {
            "name",
            "org",
            "rpc_url",
            "app_running",
            "cometbft_running",
            "height",
            "app_hash",
            "peers",
            "catching_up",
        }
        assert node["app_running"] and node["cometbft_running"]
        assert node["height"] >= 1
        assert isinstance(node["app_hash"], str)
    # Every node dials every other one; give the last connections a moment to form.
    deadline = time.monotonic() + TIMEOUT
    while any(node.peers != 3 for node in localnet.status()):
        assert time.monotonic() < deadline, [node.peers for node in localnet.status()]
        time.sleep(0.2)


def test_a_stopped_node_is_missed_and_catches_up_after_restart(localnet: Localnet) -> None:
    localnet.stop_node(4)
    stopped = localnet.status()[3]
    assert not stopped.cometbft_running
    assert stopped.height is None

    resumed_from = max(heights(localnet))
    localnet.wait_for_height(resumed_from + 3, timeout=TIMEOUT, nodes=[1, 2, 3])

    localnet.start_node(4)
    target = max(heights(localnet)) + 2
    localnet.wait_for_height(target, timeout=TIMEOUT)
    assert len(set(localnet.app_hashes(target).values())) == 1


def test_a_crashed_cometbft_restarts_and_catches_up(localnet: Localnet) -> None:
    localnet.kill_cometbft(2)
    assert not localnet.status()[1].cometbft_running
    localnet.wait_for_height(max(heights(localnet)) + 2, timeout=TIMEOUT, nodes=[1, 3, 4])

    localnet.start_node(2)
    localnet.wait_for_height(max(heights(localnet)) + 1, timeout=TIMEOUT)
    with pytest.raises(LocalnetError, match="no application process to kill"):
        localnet.kill_app(2)


def test_a_port_in_use_is_refused_and_nothing_is_left_running(
    localnets: LocalnetFactory,
) -> None:
    net = localnets.make(start=False)
    with listening_on(net.nodes[2].rpc_port), pytest.raises(LocalnetError) as refused:
        net.start()
    message = refused.value.message
    assert f"port {net.nodes[2].rpc_port} on {HOST} is in use" in message
    assert "cornerstone localnet down" in message
    assert "--base-port" in message
    assert not any(node.cometbft_running for node in net.status())


def test_the_cli_brings_a_network_up_and_down(localnets: LocalnetFactory, tmp_path: Path) -> None:
    home = localnets.track(tmp_path / "cli")
    base = str(localnets.free_base_port(2))
    runner = CliRunner()
    arguments = ["--orgs", "2", "--app", "kvstore", "--base-port", base, "--home", str(home)]

    first = runner.invoke(localnet_cli, ["up", *arguments])
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert lines[0] == f"creating 2 organizations in {home.resolve()}…"
    assert lines[1] == f"starting node1 (org1) rpc http://{HOST}:{int(base) + 1}"
    assert "waiting for the first block…" in lines
    assert lines[-1] == f"stop with: cornerstone localnet down --home {home}"

    again = runner.invoke(localnet_cli, ["up", "--home", str(home)])
    assert again.exit_code == 0, again.output
    assert "every node is running already" in again.output

    other = runner.invoke(localnet_cli, ["up", "--orgs", "3", "--home", str(home)])
    assert other.exit_code == 1
    assert "has 2 organizations, not 3" in other.output

    table = runner.invoke(localnet_cli, ["status", "--home", str(home)])
    assert table.exit_code == 0
    assert table.output.splitlines()[1].split()[:4] == ["NODE", "ORG", "APP", "COMETBFT"]

    stopped = runner.invoke(localnet_cli, ["down", "--purge", "--home", str(home)])
    assert stopped.exit_code == 0, stopped.output
    assert "stopped 2 processes" in stopped.output
    assert not home.exists()


def test_a_pid_file_of_a_reused_pid_is_not_taken_for_our_process(tmp_path: Path) -> None:
    sleeper = Managed(
        label="a sleeper",
        argv=("/bin/sleep", "30"),
        marker="30",
        pid_file=tmp_path / "sleep.pid",
        log_file=tmp_path / "sleep.log",
    )
    pid = process.start(sleeper)
    try:
        assert process.running_pid(sleeper) == pid
        stranger = Managed(
            label="a stranger",
            argv=(),
            marker=str(tmp_path / "not-this-one"),
            pid_file=tmp_path / "sleep.pid",  # same pid, but not its command line
            log_file=tmp_path / "other.log",
        )
        assert not process.is_running(stranger)
    finally:
        assert process.stop([sleeper], timeout=5) == [sleeper]
    assert not process.is_running(sleeper)
    assert not sleeper.pid_file.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
