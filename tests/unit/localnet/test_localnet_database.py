"""`localnet up --database`: each node's gateway gets its own PostgreSQL database, named from
the prefix, kept in network.json, created on a real server when missing; bad URLs are refused
in one sentence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from cornerstone.cli.localnet import localnet
from cornerstone.errors import LocalnetError
from cornerstone.localnet import Localnet
from cornerstone.localnet import cometbft as cometbft_module
from cornerstone.localnet.config import check_database_prefix, gateway_database
from cornerstone.localnet.database import ensure_database
from cornerstone.localnet.network import FORMAT_VERSION, MANIFEST
from tests.servers import free_port
from tests.unit.gateway.postgres import (  # noqa: F401 - pytest finds the fixture here
    PostgresServer,
    postgres_server_fixture,
)

VERSION = "0.38.26"
PREFIX = "postgresql://me@db.example:5433/cs"


@pytest.fixture(autouse=True)
def installed_cometbft(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Pretend CometBFT VERSION is installed, without running it."""
    monkeypatch.setattr(cometbft_module, "find_cometbft", lambda: tmp_path / "cometbft")
    monkeypatch.setattr(cometbft_module, "version", lambda _: VERSION)


def write_home(home: Path, **extra: Any) -> Path:
    """A two-node cornerstone home as a version before `--database` wrote it (plus `extra`)."""
    manifest: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "chain_id": "cornerstone-local",
        "app": "cornerstone",
        "cometbft_version": VERSION,
        "base_port": 26600,
        "nodes": [
            {
                "index": i,
                "name": f"node{i}",
                "org": f"org{i}",
                "node_id": f"{i:040x}",
                "p2p_port": 26600 + 10 * (i - 1),
                "rpc_port": 26601 + 10 * (i - 1),
                "abci_port": 26602 + 10 * (i - 1),
            }
            for i in (1, 2)
        ],
        **extra,
    }
    home.mkdir(parents=True)
    (home / MANIFEST).write_text(json.dumps(manifest))
    return home


def database_argument(net: Localnet, index: int) -> str | None:
    managed = net._gateway_process(net.node(index))
    assert managed is not None
    argv = list(managed.argv)
    return argv[argv.index("--database") + 1] if "--database" in argv else None


def test_each_node_gets_its_own_database_on_the_same_server() -> None:
    assert gateway_database(PREFIX, "node2") == "postgresql://me@db.example:5433/cs_node2"
    with_options = "postgresql://me@127.0.0.1:5432/idx?sslmode=require"
    assert gateway_database(with_options, "node10") == (
        "postgresql://me@127.0.0.1:5432/idx_node10?sslmode=require"
    )


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("mysql://me@db/cs", "postgresql://USER@HOST:PORT/PREFIX"),
        ("postgresql:///cs", "postgresql://USER@HOST:PORT/PREFIX"),
        ("postgresql://me:secret@db/cs", "PGPASSWORD"),
        ("postgresql://me@db/", "database name prefix"),
        ("postgresql://me@db/Cs-Main", "database name prefix"),
    ],
)
def test_a_url_that_cannot_name_the_databases_is_refused(url: str, why: str) -> None:
    with pytest.raises(LocalnetError) as caught:
        check_database_prefix(url)
    assert why in caught.value.message
    assert "secret" not in caught.value.message


def test_a_network_made_before_the_option_starts_its_gateways_on_sqlite(tmp_path: Path) -> None:
    net = Localnet.load(write_home(tmp_path / "net"))
    assert net.gateway_database is None
    assert database_argument(net, 1) is None


def test_the_database_is_kept_in_the_manifest_and_given_to_every_gateway(tmp_path: Path) -> None:
    home = write_home(tmp_path / "net")
    Localnet.load(home).use_database(PREFIX)

    manifest = json.loads((home / MANIFEST).read_text())
    assert manifest["gateway_database"] == PREFIX
    assert manifest["format"] == FORMAT_VERSION
    again = Localnet.load(home)  # a later `localnet up`, without the option
    assert database_argument(again, 1) == "postgresql://me@db.example:5433/cs_node1"
    assert database_argument(again, 2) == "postgresql://me@db.example:5433/cs_node2"


def test_the_cli_refuses_a_password_before_touching_the_network(tmp_path: Path) -> None:
    home = write_home(tmp_path / "net")
    before = (home / MANIFEST).read_text()
    result = CliRunner().invoke(
        localnet,
        ["up", "--database", "postgresql://me:secret@db/cs", "--home", str(home)],
    )
    assert result.exit_code == 1
    assert "PGPASSWORD" in result.output
    assert "Traceback" not in result.output and "secret" not in result.output
    assert (home / MANIFEST).read_text() == before


def test_a_missing_database_is_created_once(postgres_server: PostgresServer) -> None:
    url = postgres_server.url("localnet_made_node1")
    assert ensure_database(url) is True
    assert ensure_database(url) is False
    with psycopg.connect(url) as connection:
        assert connection.execute("SELECT current_database()").fetchone() == (
            "localnet_made_node1",
        )


def test_a_server_that_does_not_answer_is_one_sentence() -> None:
    url = f"postgresql://nobody@127.0.0.1:{free_port()}/x"  # nothing listens there
    with pytest.raises(LocalnetError) as caught:
        ensure_database(url)
    assert "the gateway database x on 127.0.0.1" in caught.value.message
    assert "CREATEDB" in caught.value.message
