"""`cornerstone localnet up --database`: a real one-organization network whose gateway indexes
into a real PostgreSQL server, in the database named for its node, made by `up` itself."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from cornerstone.cli.localnet import localnet as localnet_cli
from cornerstone.localnet import Localnet
from tests.network.conftest import LocalnetFactory
from tests.unit.gateway.postgres import (  # noqa: F401 - pytest finds the fixture here
    PostgresServer,
    postgres_server_fixture,
)

pytestmark = pytest.mark.network

TIMEOUT = 60.0


def indexed_height(url: str) -> int:
    """The highest block in the gateway's PostgreSQL index; 0 before its tables exist."""
    try:
        with psycopg.connect(url, connect_timeout=5) as connection:
            row = connection.execute("SELECT max(height) FROM blocks").fetchone()
    except psycopg.Error:
        return 0
    return int(row[0] or 0) if row else 0


def test_up_with_database_indexes_each_gateway_in_its_own_postgresql_database(
    localnets: LocalnetFactory, tmp_path: Path, postgres_server: PostgresServer
) -> None:
    home = localnets.track(tmp_path / "net")
    prefix = postgres_server.url("localnet")
    result = CliRunner().invoke(
        localnet_cli,
        [
            "up",
            "--orgs",
            "1",
            "--base-port",
            str(localnets.free_base_port(1)),
            "--database",
            prefix,
            "--home",
            str(home),
        ],
    )
    assert result.exit_code == 0, result.output

    node1 = postgres_server.url("localnet_node1")
    deadline = time.monotonic() + TIMEOUT
    while indexed_height(node1) < 2:
        assert time.monotonic() < deadline, "node1's gateway indexed no blocks in PostgreSQL"
        time.sleep(0.2)
    assert not (home / "node1" / "gateway" / "index.sqlite3").exists()

    # Kept for the next start: a restarted network's gateway goes on in the same database.
    net = Localnet.load(home)
    assert net.gateway_database == prefix
    net.stop()
    before = indexed_height(node1)
    net.start()
    deadline = time.monotonic() + TIMEOUT
    while indexed_height(node1) <= before:
        assert time.monotonic() < deadline, "the restarted gateway did not go on indexing"
        time.sleep(0.2)
