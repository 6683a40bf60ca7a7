"""The SQL index: it catches up from the node, copies what the chain decided, continues where
it stopped after a restart, and is rebuilt when it belongs to another chain. Every test runs on
SQLite and again on a real PostgreSQL server (tests/unit/gateway/postgres.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from cornerstone.crypto import PrivateKey
from cornerstone.errors import ConfigError
from cornerstone.gateway import create_app
from cornerstone.gateway.index import BlockRecord, Index
from cornerstone.gateway.sql import MAX_READERS
from cornerstone.modules.notary.errors import NotOwnerError
from tests.conftest import admin_key, digest, genesis, make_tx, org_key
from tests.servers import free_port
from tests.unit.gateway.conftest import OCTETS, Harness, settings
from tests.unit.gateway.fake_node import FakeNode
from tests.unit.gateway.postgres import (  # noqa: F401 - pytest finds the fixtures here
    PostgresServer,
    database_fixture,
    databases_fixture,
    postgres_server_fixture,
)


@pytest.fixture
def harness(node: FakeNode, tmp_path: Path, database: str | None) -> Iterator[Harness]:
    """The gateway harness of conftest.py, with its index on each backend in turn."""
    app = create_app(settings(node, tmp_path / "gateway", database=database))
    with TestClient(app) as http:
        yield Harness(node=node, http=http, gateway=app.state.gateway, nonces={})


def rows(index: Index) -> dict[str, list[tuple[object, ...]]]:
    with index.reader() as db:
        return {
            table: [
                tuple(row.values()) for row in db.all(f"SELECT * FROM {table} ORDER BY 1, 2, 3")
            ]
            for table in ("blocks", "transactions", "events", "organizations", "proposals")
        }


def test_catch_up_copies_every_block_transaction_and_event(
    harness: Harness, alice: PrivateKey, bob: PrivateKey
) -> None:
    sent = harness.commit(alice, 3) + harness.commit(bob, 2)
    assert harness.sync() == harness.node.chain.height == 6  # block 1 is empty

    blocks = harness.http.get("/v1/blocks?order=asc").json()["items"]
    assert [block["height"] for block in blocks] == [1, 2, 3, 4, 5, 6]
    assert [block["tx_count"] for block in blocks] == [0, 1, 1, 1, 1, 1]
    assert blocks[1]["app_hash"] == harness.node.app_hashes[1].hex()

    found = harness.http.get(f"/v1/transactions/{sent[3].hash.hex()}").json()
    assert found["sender"] == bob.public_key.fingerprint.hex()
    assert (found["module"], found["operation"], found["nonce"]) == ("notary", "anchor", 0)
    assert (found["height"], found["index"], found["code"]) == (5, 0, 0)
    assert found["raw"] == sent[3].encode().hex()
    assert [event["type"] for event in found["events"]] == ["tx", "notary.anchored"]

    events = harness.http.get("/v1/events?type=notary.anchored").json()["items"]
    assert [event["tx_hash"] for event in events] == [tx.hash.hex() for tx in sent]


def test_a_failed_transaction_is_indexed_with_the_chains_code(harness: Harness) -> None:
    document = digest("doc")
    harness.http.post(
        "/v1/transactions",
        content=harness.tx(org_key("org1"), args={"digest": document, "metadata": {}}).encode(),
        headers=OCTETS,
    )
    revise = harness.tx(
        org_key("org2"), operation="revise", args={"document": document, "digest": digest("x")}
    )
    harness.http.post("/v1/transactions", content=revise.encode(), headers=OCTETS)
    harness.sync()
    failed = harness.http.get("/v1/transactions?failed=true").json()["items"]
    assert [(tx["hash"], tx["codespace"], tx["code"]) for tx in failed] == [
        (revise.hash.hex(), "notary", NotOwnerError.code)
    ]
    assert "owner" in failed[0]["log"]


def test_organizations_and_proposals_are_the_modules_answers(harness: Harness) -> None:
    harness.sync()
    orgs = harness.http.get("/v1/organizations").json()["items"]
    assert [org["id"] for org in orgs] == ["org1", "org2", "org3", "org4"]
    assert orgs[0]["status"] == "active" and orgs[0]["record"]["name"] == "Organization org1"
    assert harness.http.get("/v1/proposals").json()["items"] == []

    propose = harness.tx(
        admin_key("org1"),
        module="governance",
        operation="propose",
        args={
            "module": "governance",
            "action": "set_param",
            "args": {"name": "voting_period", "value": 7},
            "title": "shorter votes",
        },
    )
    committed = harness.http.post(
        "/v1/transactions?wait=commit", content=propose.encode(), headers=OCTETS
    )
    assert committed.json()["code"] == 0, committed.json()
    harness.sync()
    [proposal] = harness.http.get("/v1/proposals?status=open").json()["items"]
    assert (proposal["id"], proposal["org"], proposal["action"]) == (1, "org1", "set_param")
    assert proposal["record"]["title"] == "shorter votes"
    assert proposal["as_of_height"] == harness.node.chain.height
    assert harness.http.get("/v1/proposals?status=executed").json()["items"] == []
    assert len(harness.http.get("/v1/organizations?status=active").json()["items"]) == 4


@pytest.mark.parametrize(
    ("path", "known"),
    [("/v1/organizations", "active, removed"), ("/v1/proposals", "open, executed")],
)
def test_a_status_the_module_never_gives_is_a_problem_not_an_empty_list(
    harness: Harness, path: str, known: str
) -> None:
    answer = harness.http.get(path, params={"status": "Open "})
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert known in answer.json()["detail"] and "'Open '" in answer.json()["detail"]


def test_a_restart_continues_where_the_index_stopped(
    node: FakeNode, tmp_path: Path, alice: PrivateKey, databases: Callable[[], str | None]
) -> None:
    folder = tmp_path / "gateway"
    database = databases()
    with TestClient(create_app(settings(node, folder, database=database))) as http:
        for nonce in range(3):
            http.post("/v1/transactions", content=make_tx(alice, nonce).encode(), headers=OCTETS)
        http.app.state.gateway.indexer.catch_up(limit=2)  # type: ignore[attr-defined]
        assert http.app.state.gateway.index.height() == 2  # type: ignore[attr-defined]
    with TestClient(create_app(settings(node, folder, database=database))) as http:
        gateway = http.app.state.gateway  # type: ignore[attr-defined]
        assert gateway.index.height() == 2
        gateway.indexer.catch_up()
        first = rows(gateway.index)
        gateway.indexer.catch_up()  # nothing new: nothing changes
        assert rows(gateway.index) == first
    assert [row[0] for row in first["blocks"]] == [1, 2, 3, 4]
    assert len(first["transactions"]) == 3 and len(first["events"]) == 6
    with TestClient(
        create_app(settings(node, tmp_path / "in-one-go", database=databases()))
    ) as http:
        # The same chain indexed without a stop gives exactly the same rows.
        http.app.state.gateway.indexer.catch_up()  # type: ignore[attr-defined]
        assert rows(http.app.state.gateway.index) == first  # type: ignore[attr-defined]


def test_a_block_is_written_only_after_the_one_before(tmp_path: Path, database: str | None) -> None:
    index = Index(tmp_path, database=database)
    try:
        later = BlockRecord(
            height=2, hash=b"\x01", time="t", proposer=b"", app_hash=b"", txs=(), block_events=()
        )
        with pytest.raises(ValueError, match="does not follow"):
            index.write_block(later)
        assert index.height() == 0
    finally:
        index.close()


def test_an_index_of_another_chain_is_rebuilt(
    node: FakeNode, tmp_path: Path, database: str | None
) -> None:
    folder = tmp_path / "gateway"
    with TestClient(create_app(settings(node, folder, database=database))) as http:
        gateway = http.app.state.gateway  # type: ignore[attr-defined]
        for nonce in range(2):
            node.produce([make_tx(org_key("org1"), nonce).encode()])
        gateway.indexer.catch_up()
        assert gateway.index.height() == 3
    other = FakeNode.started(genesis(), chain_id="other-chain")
    with TestClient(create_app(settings(other, folder, database=database))) as http:
        gateway = http.app.state.gateway  # type: ignore[attr-defined]
        assert gateway.indexer.catch_up() == 1
        assert gateway.index.meta("chain_id") == "other-chain"
        assert gateway.index.counts()["transactions"] == 0


def test_the_running_counts_match_the_rows(harness: Harness, alice: PrivateKey) -> None:
    harness.commit(alice, 3)
    harness.sync()
    index = harness.gateway.index
    with index.reader() as db:
        actual = {
            table: db.scalar(f"SELECT COUNT(*) FROM {table}")
            for table in ("transactions", "events")
        }
    assert index.counts() == actual == {"transactions": 3, "events": 6}


def test_a_database_that_cannot_be_used_is_one_clear_sentence(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a postgresql://"):
        Index(tmp_path, database="mysql://gw@127.0.0.1/index")
    nobody_there = f"postgresql://gw:secret@127.0.0.1:{free_port()}/index"
    with pytest.raises(ConfigError, match="cannot connect to the index database") as refused:
        Index(tmp_path, database=nobody_there)
    assert "secret" not in refused.value.message


def test_text_keys_page_in_byte_order_whatever_the_locale(
    tmp_path: Path, database: str | None
) -> None:
    ids = ["b", "B", "a", "_c", "A", "a-1", "a1", "é"]
    index = Index(tmp_path, database=database)
    try:
        index.write_organizations([{"id": id_, "status": "active"} for id_ in ids], as_of=1)
        walked: list[str] = []
        cursor = None
        while True:
            page = index.organizations(cursor=cursor, limit=3)
            walked += [org.id for org in page.items]
            if (cursor := page.next_cursor) is None:
                break
        assert walked == sorted(ids)  # code point order: SQLite's, and "C" on PostgreSQL
    finally:
        index.close()


def test_many_request_threads_share_a_few_connections(tmp_path: Path, database: str | None) -> None:
    index = Index(tmp_path, database=database)
    try:
        for height in (1, 2, 3):
            index.write_block(empty_block(height))
        with ThreadPoolExecutor(max_workers=3 * MAX_READERS) as pool:
            pages = list(pool.map(lambda _: index.events(limit=2).items, range(200)))
        assert {tuple(event.id for event in page) for page in pages} == {("1:0:0", "2:0:0")}
        if database is not None:
            with index.reader() as db:
                held = db.scalar(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
                )
            assert held <= MAX_READERS + 1
    finally:
        index.close()


def test_lost_postgresql_connections_are_replaced(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """After the server drops every connection (as on its restart), the write that notices
    fails, as a node call does, and the indexer's next attempt goes on a new connection."""
    index = Index(tmp_path, database=postgres_server.new_database())
    try:
        index.write_block(empty_block(1))
        assert index.height() == 1
        with psycopg.connect(postgres_server.url("postgres"), autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid != pg_backend_pid()",
                (psycopg.conninfo.conninfo_to_dict(index.database.where)["dbname"],),
            )
        with pytest.raises(psycopg.OperationalError):
            index.write_block(empty_block(2))
        index.write_block(empty_block(2))
        with pytest.raises(psycopg.OperationalError):
            index.height()  # the idle reader's connection was dropped too
        assert index.height() == 2
    finally:
        index.close()


def empty_block(height: int) -> BlockRecord:
    return BlockRecord(
        height=height,
        hash=bytes([height]),
        time="t",
        proposer=b"",
        app_hash=b"",
        txs=(),
        block_events=(("block.end", {"height": str(height)}),),
    )
