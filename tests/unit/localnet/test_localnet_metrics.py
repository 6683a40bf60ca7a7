"""Where each node's application serves its metrics: port +4 of the node's block, derived (so a
network created before the port existed gets it too), shown by `localnet status`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cornerstone.cli.localnet import localnet
from cornerstone.localnet import find_free_base_port, node_ports
from tests.conftest import listening_on
from tests.unit.localnet.test_localnet_network import installed_cometbft, write_home

__all__ = ["installed_cometbft"]  # the fixture, used by every test here


def test_the_metrics_port_is_the_fifth_of_each_block() -> None:
    assert node_ports(26600, 1).metrics == 26604
    assert node_ports(26600, 3).metrics == 26624


def test_a_network_whose_manifest_predates_metrics_shows_each_apps_metrics_url(
    tmp_path: Path,
) -> None:
    base = find_free_base_port(2)  # nothing listens: the nodes are down
    home = write_home(tmp_path / "net", count=2, base=base, app="cornerstone")
    result = CliRunner().invoke(localnet, ["status", "--json", "--home", str(home)])
    assert result.exit_code == 0, result.output
    nodes = json.loads(result.stdout)["nodes"]
    assert [node["metrics_url"] for node in nodes] == [
        f"http://127.0.0.1:{base + 4}/metrics",
        f"http://127.0.0.1:{base + 14}/metrics",
    ]
    table = CliRunner().invoke(localnet, ["status", "--home", str(home)])
    assert table.exit_code == 0, table.output
    header, first = table.output.splitlines()[1:3]
    assert header.endswith("APP METRICS")
    assert first.split()[-1] == "stopped"  # the application is not running


def test_a_kvstore_network_has_no_application_metrics(tmp_path: Path) -> None:
    home = write_home(tmp_path / "net", count=1, base=find_free_base_port(1))
    result = CliRunner().invoke(localnet, ["status", "--json", "--home", str(home)])
    assert "metrics_url" not in json.loads(result.stdout)["nodes"][0]


def test_up_refuses_a_busy_metrics_port_before_creating_anything(tmp_path: Path) -> None:
    base = find_free_base_port(2)
    home = tmp_path / "net"
    with listening_on(base + 14):
        result = CliRunner().invoke(
            localnet, ["up", "--orgs", "2", "--base-port", str(base), "--home", str(home)]
        )
    assert result.exit_code == 1
    assert f"port {base + 14} on 127.0.0.1 is in use" in result.output
    assert not home.exists()
