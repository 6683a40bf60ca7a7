"""Localnet without processes: loading a home, refusing a bad one, status through a fake RPC,
and the CLI's one-sentence errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from cornerstone.cli.localnet import localnet
from cornerstone.errors import LocalnetError
from cornerstone.localnet import Localnet, down, find_free_base_port
from cornerstone.localnet import cometbft as cometbft_module
from cornerstone.localnet.network import FORMAT_VERSION, MANIFEST
from tests.conftest import listening_on

VERSION = "0.38.26"


@pytest.fixture(autouse=True)
def installed_cometbft(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Pretend CometBFT VERSION is installed, without running it."""
    binary = tmp_path / "cometbft"
    monkeypatch.setattr(cometbft_module, "find_cometbft", lambda: binary)
    monkeypatch.setattr(cometbft_module, "version", lambda _: VERSION)


def write_home(home: Path, *, count: int = 2, base: int = 26600, **overrides: Any) -> Path:
    """A home as `create` leaves it, minus CometBFT's files (not needed without processes)."""
    manifest: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "chain_id": "cornerstone-local",
        "app": "kvstore",
        "cometbft_version": VERSION,
        "base_port": base,
        "nodes": [
            {
                "index": i,
                "name": f"node{i}",
                "org": f"org{i}",
                "node_id": f"{i:040x}",
                "p2p_port": base + 10 * (i - 1),
                "rpc_port": base + 1 + 10 * (i - 1),
                "abci_port": base + 2 + 10 * (i - 1),
            }
            for i in range(1, count + 1)
        ],
    }
    manifest.update(overrides)
    home.mkdir(parents=True)
    (home / MANIFEST).write_text(json.dumps(manifest))
    for i in range(1, count + 1):
        (home / f"node{i}").mkdir()
    return home


def test_load_reads_the_nodes(tmp_path: Path) -> None:
    net = Localnet.load(write_home(tmp_path / "net"))
    assert [node.name for node in net.nodes] == ["node1", "node2"]
    second = net.node(2)
    assert (second.org, second.rpc_url) == ("org2", "http://127.0.0.1:26611")
    assert second.home == (tmp_path / "net" / "node2").resolve()
    with pytest.raises(LocalnetError, match="there is no node 3: this network has nodes 1 to 2"):
        net.node(3)


def test_load_without_a_network_says_how_to_start_one(tmp_path: Path) -> None:
    with pytest.raises(LocalnetError, match=r"no local network in .*localnet up"):
        Localnet.load(tmp_path / "absent")


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        ({"format": FORMAT_VERSION + 1}, "layout version"),
        ({"cometbft_version": "0.37.0"}, "made for CometBFT 0.37.0, and CometBFT 0.38.26"),
        ({"nodes": [{"index": 1}]}, "damaged"),
        ({"app": "bitcoin"}, "damaged"),
    ],
)
def test_an_incompatible_home_is_refused_with_the_way_out(
    tmp_path: Path, overrides: dict[str, Any], why: str
) -> None:
    home = write_home(tmp_path / "net", **overrides)
    with pytest.raises(LocalnetError, match=why) as refused:
        Localnet.load(home)
    assert "localnet down --purge" in refused.value.message
    assert "choose another --home" in refused.value.message


def test_a_manifest_that_is_not_json_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "net"
    home.mkdir()
    (home / MANIFEST).write_text("{")
    with pytest.raises(LocalnetError, match="cannot be read"):
        Localnet.load(home)


def test_create_refuses_bad_arguments_before_writing_anything(tmp_path: Path) -> None:
    home = tmp_path / "net"
    with pytest.raises(LocalnetError, match="1 to 32 organizations"):
        Localnet.create(home, orgs=0)
    with pytest.raises(LocalnetError, match="base port 65500 does not fit 4 nodes"):
        Localnet.create(home, orgs=4, base_port=65500)
    with pytest.raises(LocalnetError, match="unknown consensus setting"):
        Localnet.create(home, orgs=4, consensus={"timeout_comit": "1s"})
    with pytest.raises(LocalnetError, match="chain id"):
        Localnet.create(home, orgs=4, chain_id="")
    assert not home.exists()


def test_create_refuses_a_home_in_use(tmp_path: Path) -> None:
    with pytest.raises(LocalnetError, match="holds a local network already"):
        Localnet.create(write_home(tmp_path / "net"), orgs=2)
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(LocalnetError, match="not an empty folder"):
        Localnet.create(other, orgs=2)
    assert (other / "notes.txt").read_text() == "mine"


def status_answer(height: int, *, node_id: str) -> httpx.Response:
    info = {"latest_block_height": str(height), "latest_app_hash": "AB", "catching_up": False}
    return httpx.Response(200, json={"result": {"node_info": {"id": node_id}, "sync_info": info}})


def test_status_reports_an_unreachable_node_as_down(tmp_path: Path) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.port == 26611:
            raise httpx.ConnectError("refused", request=request)
        if request.url.path == "/status":
            return status_answer(7, node_id=f"{1:040x}")
        return httpx.Response(200, json={"result": {"n_peers": "1"}})

    net = Localnet.load(write_home(tmp_path / "net"), transport=httpx.MockTransport(answer))
    first, second = net.status()
    assert (first.height, first.app_hash, first.peers, first.catching_up) == (7, "ab", 1, False)
    assert not first.cometbft_running  # no pid file: answers, but not started by us
    assert second.to_json() == {
        "name": "node2",
        "org": "org2",
        "rpc_url": "http://127.0.0.1:26611",
        "app_running": False,
        "cometbft_running": False,
        "height": None,
        "app_hash": None,
        "peers": None,
        "catching_up": None,
    }


def test_another_node_on_a_nodes_port_is_not_taken_for_it(tmp_path: Path) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/status":
            return status_answer(9, node_id="f" * 40)  # a node of some other network
        return httpx.Response(200, json={"result": {"n_peers": "1"}})

    net = Localnet.load(write_home(tmp_path / "net"), transport=httpx.MockTransport(answer))
    assert [node.height for node in net.status()] == [None, None]


def test_wait_for_height_names_the_laggards(tmp_path: Path) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.port == 26611:
            raise httpx.ConnectError("refused", request=request)
        return status_answer(2, node_id=f"{1:040x}")

    net = Localnet.load(write_home(tmp_path / "net"), transport=httpx.MockTransport(answer))
    net.wait_for_height(2, timeout=1, nodes=[1])
    with pytest.raises(LocalnetError) as late:
        net.wait_for_height(3, timeout=0.3)
    assert "reach height 3 within 0.3 s" in late.value.message
    assert "node1 is at height 2" in late.value.message
    assert "node2 does not answer at http://127.0.0.1:26611" in late.value.message


def test_down_of_a_missing_home_does_nothing(tmp_path: Path) -> None:
    assert down(tmp_path / "absent", purge=True) == 0


def test_down_purge_deletes_only_a_local_network(tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(LocalnetError, match="not a local network"):
        down(precious, purge=True)
    assert (precious / "thesis.tex").exists()

    home = write_home(tmp_path / "net")
    assert down(home, purge=True) == 0
    assert not home.exists()


def test_down_works_for_a_network_load_refuses(tmp_path: Path) -> None:
    home = write_home(tmp_path / "net", format=FORMAT_VERSION + 1)
    down(home, purge=True)
    assert not home.exists()


# ---------------------------------------------------------------------------- the CLI
def test_cli_status_without_a_network_is_one_sentence(tmp_path: Path) -> None:
    result = CliRunner().invoke(localnet, ["status", "--home", str(tmp_path / "absent")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: there is no local network in ")
    assert "Traceback" not in result.output
    assert result.output.count("\n") == 1


def test_cli_up_refuses_another_org_count(tmp_path: Path) -> None:
    home = write_home(tmp_path / "net", count=2)
    result = CliRunner().invoke(localnet, ["up", "--orgs", "3", "--home", str(home)])
    assert result.exit_code == 1
    assert "has 2 organizations, not 3" in result.output
    assert "down --purge" in result.output


def test_cli_status_json_is_one_document(tmp_path: Path) -> None:
    home = write_home(tmp_path / "net", count=1, base=find_free_base_port(1))  # nothing listens
    result = CliRunner().invoke(localnet, ["status", "--json", "--home", str(home)])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["chain_id"] == "cornerstone-local"
    assert document["nodes"][0]["name"] == "node1"
    assert document["nodes"][0]["height"] is None


def test_cli_down_without_a_network_is_fine(tmp_path: Path) -> None:
    result = CliRunner().invoke(localnet, ["down", "--home", str(tmp_path / "absent")])
    assert result.exit_code == 0
    assert "there is no local network" in result.output


def test_cli_up_refuses_a_bad_org_count_in_one_sentence(tmp_path: Path) -> None:
    result = CliRunner().invoke(localnet, ["up", "--orgs", "0", "--home", str(tmp_path / "n")])
    assert result.exit_code == 1
    assert result.output == "Error: a local network has 1 to 32 organizations, not 0\n"


def test_cli_up_checks_ports_before_creating_anything(tmp_path: Path) -> None:
    base = find_free_base_port(2)
    home = tmp_path / "net"
    with listening_on(base + 11):
        result = CliRunner().invoke(
            localnet, ["up", "--orgs", "2", "--base-port", str(base), "--home", str(home)]
        )
    assert result.exit_code == 1
    assert f"port {base + 11} on 127.0.0.1 is in use" in result.output
    assert not home.exists()
