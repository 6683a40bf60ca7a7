"""The index's module records through the gateway, against the real application (the fake node
of tests/unit/gateway runs it in-process): datasets, DIDs, anchors and contracts appear after
the blocks that create them and change with the blocks that change them, list with filters and
cursors (no record twice, none skipped), refuse bad filters with a problem, and are rebuilt
from the chain alone. Every test runs on SQLite and again on a real PostgreSQL server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from cornerstone import encoding
from cornerstone.crypto import PrivateKey
from cornerstone.datashare import EncryptionKey, encrypt
from cornerstone.errors import ClientError
from cornerstone.gateway import create_app
from cornerstone.gateway.index import BlockRecord, Index, Named, TxRecord
from cornerstone.gateway.record_sources import named
from cornerstone.sdk import AsyncRecords, Records
from tests.conftest import admin_key, digest, genesis, make_tx, org_key
from tests.unit.gateway.conftest import OCTETS, Harness, settings
from tests.unit.gateway.fake_node import FakeNode
from tests.unit.gateway.postgres import (  # noqa: F401 - pytest finds the fixtures here
    database_fixture,
    databases_fixture,
    postgres_server_fixture,
)

GATEWAY = "http://gateway.test"
RECORD_TABLES = ("datasets", "dids", "anchors", "contracts")
CONTRACT = """from cornerstone_contract import Map, export, query

counter = Map("counter", key=str, value=int)


@export
def bump() -> int:
    counter["n"] = counter.get("n", 0) + 1
    return counter["n"]


@query
def value() -> int:
    return counter.get("n", 0)
"""


@pytest.fixture
def node() -> FakeNode:
    return FakeNode.started(genesis())


@pytest.fixture
def harness(node: FakeNode, tmp_path: Path, database: str | None) -> Iterator[Harness]:
    app = create_app(settings(node, tmp_path / "gateway", database=database))
    with TestClient(app) as http:
        yield Harness(node=node, http=http, gateway=app.state.gateway, nonces={})


def commit(
    harness: Harness, key: PrivateKey, module: str, operation: str, args: dict[str, Any]
) -> dict[str, Any]:
    """Submit one transaction and wait for its block; its committed answer (code 0 checked)."""
    tx = harness.tx(key, module=module, operation=operation, args=args, gas_limit=5_000_000)
    answer = harness.http.post("/v1/transactions?wait=commit", content=tx.encode(), headers=OCTETS)
    committed: dict[str, Any] = answer.json()
    assert answer.status_code == 200 and committed["code"] == 0, committed
    return committed


def anchor(harness: Harness, key: PrivateKey, label: str) -> str:
    commit(harness, key, "notary", "anchor", {"digest": digest(label), "metadata": {"l": label}})
    return digest(label).hex()


def publish(harness: Harness, key: PrivateKey, dataset: bytes, version: int = 1) -> None:
    enc = EncryptionKey.generate()
    if version == 1:
        commit(harness, key, "datashare", "register_key", {"public_key": enc.public_key})
    sealed = encrypt(b"a,b\n1,2\n", dataset=dataset, version=version)
    args: dict[str, encoding.Value] = {
        "dataset": dataset,
        "version": version,
        "content_hash": sealed.content_hash,
        "cipher_hash": sealed.cipher_hash,
        "size": sealed.size,
        "location": f"file:///store/{sealed.cipher_hash.hex()}",
        "owner_key": sealed.key.wrap_for(enc.public_key),
        "title": f"set {dataset.hex()[:4]}" if version == 1 else "",
        "schema": "",
    }
    commit(harness, key, "datashare", "publish", args)


def install(harness: Harness, name: str) -> None:
    """Install a contract by a proposal of org1 that org2 and org3 approve."""
    proposed = commit(
        harness,
        admin_key("org1"),
        "governance",
        "propose",
        {
            "module": "contracts",
            "action": "install",
            "args": {"name": name, "version": "1.0", "source": CONTRACT},
        },
    )
    [proposal] = [
        e["attributes"]["proposal"]
        for e in proposed["events"]
        if e["type"] == "governance.proposed"
    ]
    for org in ("org2", "org3"):
        vote = {"proposal": int(proposal), "approve": True}
        commit(harness, admin_key(org), "governance", "vote", vote)


def all_pages(harness: Harness, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list, following its cursors."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = harness.http.get(path, params=query)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


def record_rows(index: Index) -> dict[str, list[dict[str, Any]]]:
    """The record tables' rows, without the height each copy was read at (a later read)."""
    with index.reader() as db:
        return {
            table: [
                {k: v for k, v in row.items() if k != "as_of_height"}
                for row in db.all(f"SELECT * FROM {table} ORDER BY id")
            ]
            for table in RECORD_TABLES
        }


def test_records_appear_with_the_blocks_that_create_them_and_follow_their_changes(
    harness: Harness,
) -> None:
    owner = org_key("org1")
    dataset = bytes(range(16))
    publish(harness, owner, dataset)
    document = anchor(harness, org_key("org2"), "bill of lading")
    created = commit(harness, owner, "did", "create", {"name": "shipper", "services": []})
    [did] = [e["attributes"]["did"] for e in created["events"] if e["type"] == "did.created"]
    install(harness, "counter")
    before = harness.node.chain.height
    assert harness.gateway.indexer.catch_up(limit=1) == 1
    assert harness.http.get("/v1/datasets").json() == {"items": [], "next_cursor": None}

    harness.sync()
    [found] = harness.http.get("/v1/datasets").json()["items"]
    assert (found["id"], found["owner"], found["org"]) == (
        dataset.hex(),
        owner.public_key.fingerprint.hex(),
        "org1",
    )
    assert (found["versions"], found["grants"]) == (1, 0)
    assert found["record"]["versions_list"][0]["version"] == 1
    assert found["created_height"] == found["updated_height"] == found["record"]["height"]
    assert harness.http.get(f"/v1/datasets/{dataset.hex()}").json() == found

    [document_row] = harness.http.get("/v1/anchors").json()["items"]
    assert (document_row["id"], document_row["org"], document_row["revisions"]) == (
        document,
        "org2",
        0,
    )
    assert document_row["record"]["metadata"] == {"l": "bill of lading"}
    [did_row] = harness.http.get("/v1/dids").json()["items"]
    assert (did_row["id"], did_row["org"], did_row["status"], did_row["version"]) == (
        did,
        "org1",
        "active",
        1,
    )
    assert did_row["record"]["didDocument"]["id"] == did
    [contract] = harness.http.get("/v1/contracts").json()["items"]
    assert (contract["id"], contract["status"], contract["version"]) == ("counter", "active", "1.0")
    assert [f["name"] for f in contract["record"]["functions"]] == ["bump", "value"]
    assert contract["created_height"] == contract["updated_height"] == before
    assert contract["as_of_height"] == before

    # Changes: a second version and a grant, a revision, a deactivation.
    publish(harness, owner, dataset, version=2)
    grant = {"dataset": dataset, "kind": "org", "grantee": "org2", "purpose": "audit"}
    commit(harness, owner, "datashare", "grant", grant)
    revision = {"document": digest("bill of lading"), "digest": digest("v2"), "metadata": {}}
    commit(harness, org_key("org2"), "notary", "revise", revision)
    commit(harness, owner, "did", "deactivate", {"did": did})
    commit(
        harness,
        org_key("org3"),
        "contracts",
        "call",
        {"contract": "counter", "function": "bump", "args": {}},
    )
    harness.sync()
    changed = harness.http.get(f"/v1/datasets/{dataset.hex()}").json()
    assert (changed["versions"], changed["grants"]) == (2, 1)
    assert (
        changed["updated_height"] == before + 2
        and changed["created_height"] == found["created_height"]
    )
    assert harness.http.get(f"/v1/anchors/{document}").json()["revisions"] == 1
    assert harness.http.get("/v1/dids?status=deactivated").json()["items"][0]["version"] == 2
    assert harness.http.get("/v1/dids?status=active").json()["items"] == []
    # A call changes no contract record: the row is the one of the installation.
    assert harness.http.get("/v1/contracts/counter").json()["updated_height"] == before


def test_lists_filter_and_page_without_repeating_or_skipping(harness: Harness) -> None:
    keys = {org: org_key(org) for org in ("org1", "org2")}
    made = {
        org: [anchor(harness, key, f"{org}/{n}") for n in range(5)] for org, key in keys.items()
    }
    harness.sync()
    newest_first = all_pages(harness, "/v1/anchors", limit=3)
    assert [a["id"] for a in newest_first] == [*reversed(made["org1"] + made["org2"])]
    oldest_first = all_pages(harness, "/v1/anchors", limit=4, order="asc")
    assert [a["id"] for a in oldest_first] == made["org1"] + made["org2"]
    assert [a["id"] for a in all_pages(harness, "/v1/anchors", org="org2", limit=2)] == [
        *reversed(made["org2"])
    ]
    owner = keys["org1"].public_key.fingerprint.hex()
    by_owner = all_pages(harness, "/v1/anchors", owner=owner.upper(), order="asc", limit=2)
    assert [a["id"] for a in by_owner] == made["org1"]
    middle = harness.http.get("/v1/anchors", params={"order": "asc", "limit": 10}).json()
    third = middle["items"][2]["created_height"]
    window = {"created_from": third, "created_to": third + 1, "order": "asc"}
    assert [a["id"] for a in all_pages(harness, "/v1/anchors", **window)] == made["org1"][2:4]

    # Records created while a client pages are on the other end: the pages it reads stay whole.
    first = harness.http.get("/v1/anchors", params={"order": "asc", "limit": 6}).json()
    anchor(harness, keys["org1"], "late")
    harness.sync()
    rest = all_pages(harness, "/v1/anchors", order="asc", limit=6, cursor=first["next_cursor"])
    assert [a["id"] for a in first["items"] + rest] == [
        *made["org1"],
        *made["org2"],
        digest("late").hex(),
    ]


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/v1/dids?status=retired", "the status of dids is one of active, deactivated"),
        ("/v1/contracts?status=paused", "the status of contracts is one of active, frozen"),
        ("/v1/datasets?owner=not-hex", "owner is bytes in hex"),
        ("/v1/anchors?cursor=bm90LWEtY3Vyc29y", "was not given by this gateway"),
        ("/v1/datasets?order=sideways", ""),
        ("/v1/contracts?limit=0", ""),
        ("/v1/dids?created_from=-1", ""),
    ],
)
def test_a_bad_filter_is_a_problem(harness: Harness, path: str, problem: str) -> None:
    answer = harness.http.get(path)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["codespace"] == "gateway"
    assert problem in answer.json()["detail"]


def test_a_cursor_of_another_list_is_refused(harness: Harness) -> None:
    for n in range(3):
        anchor(harness, org_key("org1"), f"doc {n}")
    harness.sync()
    cursor = harness.http.get("/v1/anchors?limit=1").json()["next_cursor"]
    assert cursor is not None
    answer = harness.http.get("/v1/contracts", params={"cursor": cursor})
    assert answer.status_code == 400 and answer.json()["codespace"] == "gateway"


def test_one_unknown_record_is_not_found(harness: Harness) -> None:
    harness.sync()
    for path in ("/v1/datasets/00ff", "/v1/anchors/abcd", "/v1/contracts/nothing"):
        answer = harness.http.get(path)
        assert answer.status_code == 404, path
        assert answer.json()["codespace"] == "gateway"


def test_a_rebuild_from_an_empty_index_gives_the_same_rows(
    harness: Harness, node: FakeNode, tmp_path: Path, databases: Any
) -> None:
    owner = org_key("org1")
    publish(harness, owner, bytes(16))
    anchor(harness, org_key("org3"), "invoice")
    commit(harness, owner, "did", "create", {"name": "carrier", "services": []})
    install(harness, "counter")
    commit(harness, admin_key("org1"), "did", "create", {"name": "admin", "services": []})
    harness.sync()
    first = record_rows(harness.gateway.index)
    assert [len(first[table]) for table in RECORD_TABLES] == [1, 2, 1, 1]

    harness.gateway.index.clear()
    assert all(rows == [] for rows in record_rows(harness.gateway.index).values())
    harness.sync()
    assert record_rows(harness.gateway.index) == first

    # And a gateway that indexes the same chain in another database from scratch.
    elsewhere = create_app(settings(node, tmp_path / "elsewhere", database=databases()))
    with TestClient(elsewhere) as http:
        gateway = http.app.state.gateway  # type: ignore[attr-defined]
        gateway.indexer.catch_up()
        assert record_rows(gateway.index) == first


class Forward(httpx.BaseTransport):
    """The SDK's requests, answered by the in-process gateway."""

    def __init__(self, http: TestClient) -> None:
        self.http = http

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.http.get(request.url.path, params=request.url.params)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


def test_the_sdk_lists_every_record_and_reads_one(harness: Harness) -> None:
    made = [anchor(harness, org_key("org1"), f"sdk {n}") for n in range(5)]
    install(harness, "counter")
    harness.sync()
    with Records(GATEWAY, transport=Forward(harness.http)) as records:
        assert [a["id"] for a in records.all("anchors", order="asc", limit=2)] == made
        page = records.anchors(limit=2)
        assert [a["id"] for a in page.items] == made[:2:-1] and page.next_cursor is not None
        assert records.contract("counter")["status"] == "active"  # type: ignore[index]
        assert records.dataset("00" * 16) is None
        with pytest.raises(ClientError, match="the status of contracts is one of"):
            records.contracts(status="paused")

    async def read_all() -> tuple[list[str], dict[str, Any] | None]:
        transport = httpx.ASGITransport(app=harness.http.app)
        async with AsyncRecords(GATEWAY, transport=transport) as records:
            found = [a["id"] async for a in records.all("anchors", order="asc", limit=3)]
            return found, await records.anchor(made[0])

    found, one = asyncio.run(read_all())
    assert found == made
    assert one is not None and one["record"]["metadata"] == {"l": "sdk 0"}


def test_an_index_built_before_the_record_tables_is_rebuilt(
    node: FakeNode, tmp_path: Path, database: str | None
) -> None:
    folder = tmp_path / "gateway"
    node.produce([make_tx(org_key("org1"), 0).encode()])
    with TestClient(create_app(settings(node, folder, database=database))) as http:
        index = http.app.state.gateway.index  # type: ignore[attr-defined]
        http.app.state.gateway.indexer.catch_up()  # type: ignore[attr-defined]
        index.set_meta("schema", "1")  # as an index of the previous gateway: no record rows
        with index.database.transaction() as db:
            db.execute("DELETE FROM anchors")
    with TestClient(create_app(settings(node, folder, database=database))) as http:
        gateway = http.app.state.gateway  # type: ignore[attr-defined]
        assert gateway.index.height() == 0
        assert gateway.indexer.catch_up() == 2
        [found] = http.get("/v1/anchors").json()["items"]
        assert found["owner"] == org_key("org1").public_key.fingerprint.hex()


def test_only_the_events_that_change_a_record_name_it() -> None:
    def tx(*events: tuple[str, dict[str, str]]) -> TxRecord:
        return TxRecord(
            hash=b"",
            raw=b"",
            sender=None,
            public_key=None,
            module=None,
            operation=None,
            nonce=None,
            code=0,
            codespace="",
            log="",
            gas_wanted=0,
            gas_used=0,
            events=events,
        )

    block = BlockRecord(
        height=7,
        hash=b"",
        time="",
        proposer=b"",
        app_hash=b"",
        txs=(
            tx(
                ("datashare.published", {"dataset": "aa"}),
                ("datashare.requested", {"dataset": "bb"}),
            ),
            tx(("contracts.called", {"contract": "c1"}), ("contract.c1.bumped", {"n": "1"})),
            tx(
                ("notary.revised", {"document": "d1", "digest": "d2"}),
                ("did.status_revoked", {"issuer": "x"}),
            ),
            tx(("datashare.granted", {"dataset": "aa"}), ("did.created", {"did": "did:x"})),
        ),
        block_events=(("contracts.frozen", {"contract": "c2"}),),
    )
    assert named(block) == [
        ("datasets", "aa"),
        ("anchors", "d1"),
        ("dids", "did:x"),
        ("contracts", "c2"),
    ]


def test_records_queued_by_a_block_are_copied_after_a_crash(
    node: FakeNode, tmp_path: Path, database: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "gateway"
    node.produce([make_tx(org_key("org2"), 0).encode()])
    with TestClient(create_app(settings(node, folder, database=database))) as http:
        indexer = http.app.state.gateway.indexer  # type: ignore[attr-defined]
        # The gateway stops right after the block's SQL transaction, before any record read.
        monkeypatch.setattr(indexer, "copy_records", lambda: None)
        assert indexer.catch_up() == 2
        assert http.get("/v1/anchors").json()["items"] == []
        [queued] = indexer.index.queued_records(10)
        assert (queued.kind, queued.height) == ("anchors", 2)
    with TestClient(create_app(settings(node, folder, database=database))) as http:
        gateway = http.app.state.gateway  # type: ignore[attr-defined]
        assert gateway.indexer.catch_up() == 2  # no block to index; the queue is emptied
        [found] = http.get("/v1/anchors").json()["items"]
        assert (found["org"], found["updated_height"]) == ("org2", 2)
        assert gateway.index.queued_records(10) == []


def test_a_block_of_many_anchors_is_read_with_one_query(
    node: FakeNode, tmp_path: Path, database: str | None
) -> None:
    # Anchors are the busiest records: a node query each would cost every gateway an RPC and
    # an ABCI round trip per transaction. The indexer asks for a whole page in one batch.
    keys = [org_key(f"org{n}") for n in (1, 2, 3)]
    node.produce(
        [
            make_tx(key, nonce, args={"digest": digest(f"{n}/{nonce}"), "metadata": {}}).encode()
            for n, key in enumerate(keys)
            for nonce in range(10)
        ]
    )
    asked: list[str] = []
    answer = node._methods["abci_query"]

    def counted(params: Any) -> Any:
        asked.append(str(params.get("path", "")).strip('"'))
        return answer(params)

    node._methods["abci_query"] = counted
    with TestClient(create_app(settings(node, tmp_path / "gateway", database=database))) as http:
        gateway = http.app.state.gateway  # type: ignore[attr-defined]
        gateway.indexer.catch_up()
        assert len(http.get("/v1/anchors", params={"limit": 100}).json()["items"]) == 30
    assert asked.count("/batch") == 1
    assert "/notary/lookup" not in asked


def test_a_record_named_again_while_it_was_read_stays_queued(
    tmp_path: Path, database: str | None
) -> None:
    index = Index(tmp_path, database=database)
    try:
        for height in (1, 2):
            block = BlockRecord(
                height=height,
                hash=b"",
                time="",
                proposer=b"",
                app_hash=b"",
                txs=(),
                block_events=(),
            )
            index.write_block(block, [("contracts", "escrow")])
        [queued] = index.queued_records(10)
        assert queued.height == 2
        read_at_one = Named(kind="contracts", id="escrow", height=1)
        index.write_records([], done=[read_at_one])
        assert index.queued_records(10) == [queued]
        index.write_records([], done=[queued])
        assert index.queued_records(10) == []
    finally:
        index.close()
