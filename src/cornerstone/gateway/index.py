"""The SQL index: blocks, transactions, events and module records, copied from the chain for
queries the chain's RPC cannot answer (filters, pagination, an event log to resume from).

It decides nothing: every row is what the node said, and the whole file can be deleted and
rebuilt from height 1. It lives in SQLite (one file `index.sqlite3` in the gateway's data
folder, the default) or in a PostgreSQL database the gateway is given by URL: the same tables,
the same SQL, the same answers (sql.py holds the few differences). Tables:

    meta           key -> value: the chain id and block 1's hash it was built from, and
                   running counts of transactions and events
    blocks         height (primary key), hash, time, proposer, app_hash, tx_count, event_count
    transactions   (height, tx_index) primary key; hash, sender, public_key, module, operation,
                   nonce, code, codespace, log, gas_wanted, gas_used, raw
    events         (height, tx_index, event_index) primary key; tx_hash, type, attributes (JSON)
    organizations  id primary key; name, status, as_of_height, record (JSON)
    proposals      id primary key; status, module, action, org, height, as_of_height, record
    datasets       id primary key (hex); owner, org, title, versions, grants
    dids           id primary key (the DID); org, status, version
    anchors        id primary key (the document's first digest); owner, org, revisions
    contracts      id primary key (its name); org, status, version
                   and each of these four: created_height, updated_height, as_of_height,
                   record (JSON)
    record_queue   (kind, id) primary key; height: records an indexed block's events named,
                   not yet copied

A block's SQL transaction queues the module records its events name (record_sources.py says
which); the indexer then reads each queued record once, however many blocks named it, and
writes its row and takes it off the queue in one SQL transaction. A crash loses no change, a
rebuild gives the same rows, and a transaction's commit is never kept waiting for record reads.
`updated_height` is the last block that named the record. An index of an older schema is
cleared and rebuilt from 1.

Blocks are contiguous from 1: a block is written in one SQL transaction, only right after the
one before it, so the index height is simply the highest block, and a restart continues there.
Only one indexer writes to an index; readers (request threads) may be many.
Block events (from the end of the block) take tx_index = the block's transaction count, which
puts them after the transactions, where the application emits them.

Lists are pages in a stable order with an opaque cursor naming the last row given: new blocks
never shift a page a client is reading.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cornerstone.gateway import models
from cornerstone.gateway.errors import BadCursorError, BadParameterError
from cornerstone.gateway.sql import Database, Row, Session, open_database

SCHEMA_VERSION = "2"
"""2: the module record tables (an index of version 1 lacks their rows: it is rebuilt)."""
MAX_PAGE = 200
DEFAULT_PAGE = 50

Order = Literal["asc", "desc"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (
    height INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    time TEXT NOT NULL,
    proposer TEXT NOT NULL,
    app_hash TEXT NOT NULL,
    tx_count INTEGER NOT NULL,
    event_count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS transactions (
    height INTEGER NOT NULL,
    tx_index INTEGER NOT NULL,
    hash TEXT NOT NULL,
    sender TEXT,
    public_key TEXT,
    module TEXT,
    operation TEXT,
    nonce INTEGER,
    code INTEGER NOT NULL,
    codespace TEXT NOT NULL,
    log TEXT NOT NULL,
    gas_wanted INTEGER NOT NULL,
    gas_used INTEGER NOT NULL,
    raw BLOB NOT NULL,
    PRIMARY KEY (height, tx_index)
);
CREATE INDEX IF NOT EXISTS transactions_hash ON transactions (hash);
CREATE INDEX IF NOT EXISTS transactions_sender ON transactions (sender, height, tx_index);
CREATE INDEX IF NOT EXISTS transactions_module ON transactions (module, height, tx_index);
CREATE TABLE IF NOT EXISTS events (
    height INTEGER NOT NULL,
    tx_index INTEGER NOT NULL,
    event_index INTEGER NOT NULL,
    tx_hash TEXT,
    type TEXT NOT NULL,
    attributes TEXT NOT NULL,
    PRIMARY KEY (height, tx_index, event_index)
);
CREATE INDEX IF NOT EXISTS events_type ON events (type, height, tx_index, event_index);
CREATE TABLE IF NOT EXISTS organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    as_of_height INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS proposals (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL,
    module TEXT NOT NULL,
    action TEXT NOT NULL,
    org TEXT NOT NULL,
    height INTEGER NOT NULL,
    as_of_height INTEGER NOT NULL,
    record TEXT NOT NULL
);
"""
RecordKind = Literal["datasets", "dids", "anchors", "contracts"]
RECORD_COLUMNS: dict[RecordKind, tuple[tuple[str, str], ...]] = {
    "datasets": (
        ("owner", "TEXT"),
        ("org", "TEXT"),
        ("title", "TEXT"),
        ("versions", "INTEGER"),
        ("grants", "INTEGER"),
    ),
    "dids": (("org", "TEXT"), ("status", "TEXT"), ("version", "INTEGER")),
    "anchors": (("owner", "TEXT"), ("org", "TEXT"), ("revisions", "INTEGER")),
    "contracts": (("org", "TEXT"), ("status", "TEXT"), ("version", "TEXT")),
}
"""Each record table's own columns (the ones people filter on), between `id` and the columns
every record table has: created_height, updated_height, as_of_height, record."""
RECORD_FILTERS: dict[RecordKind, tuple[str, ...]] = {
    "datasets": ("owner", "org"),
    "dids": ("org", "status"),
    "anchors": ("owner", "org"),
    "contracts": ("org", "status"),
}
"""The columns with an index of their own, in list order (created_height, id)."""


def _record_schema() -> str:
    parts = []
    for kind, columns in RECORD_COLUMNS.items():
        own = "".join(f"    {name} {kind_of} NOT NULL,\n" for name, kind_of in columns)
        parts.append(
            f"CREATE TABLE IF NOT EXISTS {kind} (\n    id TEXT PRIMARY KEY,\n{own}"
            "    created_height INTEGER NOT NULL,\n    updated_height INTEGER NOT NULL,\n"
            "    as_of_height INTEGER NOT NULL,\n    record TEXT NOT NULL\n);\n"
            f"CREATE INDEX IF NOT EXISTS {kind}_created ON {kind} (created_height, id);\n"
        )
        parts += [
            f"CREATE INDEX IF NOT EXISTS {kind}_{name} ON {kind} ({name}, created_height, id);\n"
            for name in RECORD_FILTERS[kind]
        ]
    return "".join(parts)


SCHEMA += _record_schema() + (
    "CREATE TABLE IF NOT EXISTS record_queue (\n"
    "    kind TEXT NOT NULL,\n    id TEXT NOT NULL,\n    height INTEGER NOT NULL,\n"
    "    PRIMARY KEY (kind, id)\n);\n"
    "CREATE INDEX IF NOT EXISTS record_queue_height ON record_queue (height, kind, id);\n"
)
TABLES = (
    "blocks",
    "transactions",
    "events",
    "organizations",
    "proposals",
    *RECORD_COLUMNS,
    "record_queue",
    "meta",
)


# ---------------------------------------------------------------------------- what is written
@dataclass(frozen=True, slots=True)
class TxRecord:
    """One transaction of a block, decoded as far as the bytes allow, with the chain's verdict."""

    hash: bytes
    """sha256 of `raw`."""
    raw: bytes
    """The transaction's bytes, as the block holds them."""
    sender: bytes | None
    """The sender's identity id; None when the bytes are not a Cornerstone transaction."""
    public_key: bytes | None
    """The sender's public key."""
    module: str | None
    """The module addressed."""
    operation: str | None
    """The operation."""
    nonce: int | None
    """The sender's nonce."""
    code: int
    """The chain's result code (0: it succeeded)."""
    codespace: str
    """Who defined `code`."""
    log: str
    """The chain's sentence for a failure."""
    gas_wanted: int
    """Its gas limit, as the chain reports it."""
    gas_used: int
    """The gas it used."""
    events: tuple[tuple[str, dict[str, str]], ...]
    """Its events: type and attributes."""


@dataclass(frozen=True, slots=True)
class BlockRecord:
    """A committed block with its results, ready to be written in one SQL transaction."""

    height: int
    """Its height."""
    hash: bytes
    """The block hash."""
    time: str
    """The block time, RFC 3339 as CometBFT gives it."""
    proposer: bytes
    """The proposer's validator address."""
    app_hash: bytes
    """The app hash in the header (the state after the previous block)."""
    txs: tuple[TxRecord, ...]
    """Its transactions, in block order."""
    block_events: tuple[tuple[str, dict[str, str]], ...]
    """The events of the block itself (FinalizeBlock's, from the end of the block)."""


@dataclass(frozen=True, slots=True)
class Named:
    """A module record an indexed block's events named: it is to be copied again."""

    kind: RecordKind
    """Its table."""
    id: str
    """Its id there: dataset id (hex), the DID, the document's first digest (hex), the
    contract's name."""
    height: int
    """The last indexed block that named it."""


@dataclass(frozen=True, slots=True)
class RecordCopy:
    """A module record as its module answered, after the blocks that named it."""

    kind: RecordKind
    """Its table."""
    id: str
    """Its id there (see `Named`)."""
    updated_height: int
    """The last indexed block that named it."""
    record: dict[str, Any] | None
    """The module's whole answer as JSON (bytes as hex); None: the module knows no such record
    (any row of it goes)."""
    as_of_height: int
    """The height of the state that answered."""
    created_height: int = 0
    """The height the module says it was created at."""
    columns: tuple[tuple[str, str | int], ...] = ()
    """Its table's own columns (RECORD_COLUMNS), from the answer, in that order."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where an event stands in the chain's order: a stream resumes strictly after one."""

    height: int
    """The block."""
    tx_index: int
    """The transaction's index (the block's transaction count for block events)."""
    event_index: int
    """The event's index in its transaction."""

    def __str__(self) -> str:
        return f"{self.height}:{self.tx_index}:{self.event_index}"

    @classmethod
    def parse(cls, text: str) -> Position:
        """The position an event id names; BadParameterError for anything else."""
        parts = text.strip().split(":")
        try:
            height, tx_index, event_index = (int(part) for part in parts)
        except ValueError:
            raise BadParameterError(
                reason=f"the event id {text!r} is not height:tx_index:event_index"
            ) from None
        if min(height, tx_index, event_index) < 0:
            raise BadParameterError(reason=f"the event id {text!r} has a negative part")
        return cls(height, tx_index, event_index)


# ---------------------------------------------------------------------------- cursors
def encode_cursor(kind: str, order: Order, position: Sequence[int | str]) -> str:
    """An opaque cursor: which list, in which order, and the last row given."""
    document = json.dumps([kind, order, *position], separators=(",", ":"))
    return base64.urlsafe_b64encode(document.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, order: Order, shape: Sequence[type]) -> list[Any]:
    """The position a cursor of list `kind` in `order` names; BadCursorError otherwise."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        document = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error):
        raise BadCursorError(cursor=cursor) from None
    if (
        not isinstance(document, list)
        or len(document) != 2 + len(shape)
        or document[:2] != [kind, order]
        or not all(
            type(value) is expected for value, expected in zip(document[2:], shape, strict=True)
        )
    ):
        raise BadCursorError(cursor=cursor)
    return document[2:]


# ---------------------------------------------------------------------------- the index
class Index:
    """The index of one gateway: one writer (the indexer), any number of readers.

    `database` is None for SQLite in `folder`, or a postgresql:// URL.
    """

    def __init__(self, folder: Path, *, database: str | None = None) -> None:
        self.database: Database = open_database(database, folder)
        try:
            self.database.create(SCHEMA)
            if self.meta("schema") not in (None, SCHEMA_VERSION):
                self.clear()  # built by an older gateway: tables it did not fill are empty
            self.set_meta("schema", SCHEMA_VERSION)
        except BaseException:
            self.database.close()
            raise

    def close(self) -> None:
        self.database.close()

    def reader(self) -> AbstractContextManager[Session]:
        """A read-only connection for one request (readers never wait for the writer)."""
        return self.database.reader()

    # ------------------------------------------------------------------ writing
    def height(self) -> int:
        """The highest block in the index (0 when empty)."""
        with self.reader() as db:
            return int(db.scalar("SELECT COALESCE(MAX(height), 0) AS top FROM blocks"))

    def meta(self, key: str) -> str | None:
        with self.reader() as db:
            value = db.scalar("SELECT value FROM meta WHERE key = ?", (key,))
        return None if value is None else str(value)

    def set_meta(self, key: str, value: str) -> None:
        with self.database.transaction() as db:
            db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def clear(self) -> None:
        """Forget everything (the index belonged to another chain): it is rebuilt from 1."""
        with self.database.transaction() as db:
            for table in TABLES:
                keep = " WHERE key != 'schema'" if table == "meta" else ""
                db.execute(f"DELETE FROM {table}{keep}")

    def write_block(self, block: BlockRecord, named: Sequence[tuple[RecordKind, str]] = ()) -> None:
        """Add the next block, with its transactions and events, in one SQL transaction, and
        queue the module records its events `named` for copying."""
        with self.database.transaction() as db:
            top = int(db.scalar("SELECT COALESCE(MAX(height), 0) AS top FROM blocks"))
            if block.height != top + 1:
                raise ValueError(f"block {block.height} does not follow the index's {top}")
            event_count = sum(len(tx.events) for tx in block.txs) + len(block.block_events)
            db.execute(
                "INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    block.height,
                    block.hash.hex(),
                    block.time,
                    block.proposer.hex(),
                    block.app_hash.hex(),
                    len(block.txs),
                    event_count,
                ),
            )
            for index, tx in enumerate(block.txs):
                db.execute(
                    "INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        block.height,
                        index,
                        tx.hash.hex(),
                        None if tx.sender is None else tx.sender.hex(),
                        None if tx.public_key is None else tx.public_key.hex(),
                        tx.module,
                        tx.operation,
                        tx.nonce,
                        tx.code,
                        tx.codespace,
                        tx.log,
                        tx.gas_wanted,
                        tx.gas_used,
                        tx.raw,
                    ),
                )
                _insert_events(db, block.height, index, tx.hash.hex(), tx.events)
            _insert_events(db, block.height, len(block.txs), None, block.block_events)
            for table, added in (("transactions", len(block.txs)), ("events", event_count)):
                db.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                    "SET value = CAST(CAST(meta.value AS BIGINT) + CAST(excluded.value AS BIGINT) "
                    "AS TEXT)",
                    (f"count:{table}", str(added)),
                )
            for kind, record_id in named:
                db.execute(
                    "INSERT INTO record_queue (kind, id, height) VALUES (?, ?, ?) "
                    "ON CONFLICT (kind, id) DO UPDATE SET height = excluded.height",
                    (kind, record_id, block.height),
                )

    def queued_records(self, limit: int) -> list[Named]:
        """Records waiting to be copied, the longest waiting first."""
        with self.reader() as db:
            rows = db.all(
                "SELECT kind, id, height FROM record_queue ORDER BY height, kind, id LIMIT ?",
                (limit,),
            )
        return [Named(kind=row["kind"], id=row["id"], height=row["height"]) for row in rows]

    def write_records(self, copies: Sequence[RecordCopy], done: Sequence[Named]) -> None:
        """Write the copies and take `done` off the queue, in one SQL transaction; a record a
        block named again meanwhile (a higher height) stays queued."""
        with self.database.transaction() as db:
            for copy in copies:
                _write_record(db, copy)
            for named in done:
                db.execute(
                    "DELETE FROM record_queue WHERE kind = ? AND id = ? AND height = ?",
                    (named.kind, named.id, named.height),
                )

    def write_organizations(self, records: Sequence[dict[str, Any]], *, as_of: int) -> None:
        """Replace the organizations with the membership module's answer at height `as_of`."""
        with self.database.transaction() as db:
            db.execute("DELETE FROM organizations")
            for record in records:
                db.execute(
                    "INSERT INTO organizations VALUES (?, ?, ?, ?, ?)",
                    (
                        str(record["id"]),
                        str(record.get("name", "")),
                        str(record.get("status", "")),
                        as_of,
                        json.dumps(record, sort_keys=True),
                    ),
                )

    def write_proposals(self, records: Sequence[dict[str, Any]], *, as_of: int) -> None:
        """Replace the proposals with the governance module's answer at height `as_of`."""
        with self.database.transaction() as db:
            db.execute("DELETE FROM proposals")
            for record in records:
                db.execute(
                    "INSERT INTO proposals VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        int(record["id"]),
                        str(record.get("status", "")),
                        str(record.get("module", "")),
                        str(record.get("action", "")),
                        str(record.get("org", "")),
                        int(record.get("height", 0)),
                        as_of,
                        json.dumps(record, sort_keys=True),
                    ),
                )

    # ------------------------------------------------------------------ reading
    def block(self, height: int) -> models.Block | None:
        with self.reader() as db:
            row = db.one("SELECT * FROM blocks WHERE height = ?", (height,))
        return None if row is None else _block(row)

    def blocks(
        self,
        *,
        height_from: int | None = None,
        height_to: int | None = None,
        order: Order = "desc",
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE,
    ) -> models.BlockPage:
        where, params = height_range("height", height_from, height_to)
        rows, next_position = page_of(
            self,
            table="blocks",
            kind="blocks",
            columns=("height",),
            shape=(int,),
            where=where,
            params=params,
            order=order,
            cursor=cursor,
            limit=limit,
        )
        return models.BlockPage(items=[_block(row) for row in rows], next_cursor=next_position)

    def transaction(self, tx_hash: str) -> models.Transaction | None:
        with self.reader() as db:
            row = db.one(
                "SELECT * FROM transactions WHERE hash = ? ORDER BY height LIMIT 1", (tx_hash,)
            )
        return None if row is None else _transaction(row)

    def transaction_events(self, tx_hash: str) -> list[models.EventOut]:
        with self.reader() as db:
            rows = db.all(
                "SELECT * FROM events WHERE tx_hash = ? ORDER BY height, tx_index, event_index",
                (tx_hash,),
            )
        return [_event(row) for row in rows]

    def transactions(
        self,
        *,
        module: str | None = None,
        operation: str | None = None,
        sender: str | None = None,
        height_from: int | None = None,
        height_to: int | None = None,
        failed: bool | None = None,
        order: Order = "desc",
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE,
    ) -> models.TransactionPage:
        where, params = height_range("height", height_from, height_to)
        for column, value in (("module", module), ("operation", operation), ("sender", sender)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value.lower() if column == "sender" else value)
        if failed is not None:
            where.append("code != 0" if failed else "code = 0")
        rows, next_position = page_of(
            self,
            table="transactions",
            kind="transactions",
            columns=("height", "tx_index"),
            shape=(int, int),
            where=where,
            params=params,
            order=order,
            cursor=cursor,
            limit=limit,
        )
        return models.TransactionPage(
            items=[_transaction(row) for row in rows], next_cursor=next_position
        )

    def events(
        self,
        *,
        types: Sequence[str] = (),
        tx_hash: str | None = None,
        height_from: int | None = None,
        height_to: int | None = None,
        order: Order = "asc",
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE,
    ) -> models.EventPage:
        where, params = height_range("height", height_from, height_to)
        _type_filter(types, where, params)
        if tx_hash is not None:
            where.append("tx_hash = ?")
            params.append(tx_hash.lower())
        rows, next_position = page_of(
            self,
            table="events",
            kind="events",
            columns=("height", "tx_index", "event_index"),
            shape=(int, int, int),
            where=where,
            params=params,
            order=order,
            cursor=cursor,
            limit=limit,
        )
        return models.EventPage(items=[_event(row) for row in rows], next_cursor=next_position)

    def events_after(
        self, after: Position | None, *, types: Sequence[str], limit: int
    ) -> list[models.EventOut]:
        """Events strictly after `after` (from the first when None), in chain order: what the
        stream sends next."""
        where: list[str] = []
        params: list[Any] = []
        if after is not None:
            where.append("(height, tx_index, event_index) > (?, ?, ?)")
            params += [after.height, after.tx_index, after.event_index]
        _type_filter(types, where, params)
        sql = "SELECT * FROM events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY height, tx_index, event_index LIMIT ?"
        with self.reader() as db:
            rows = db.all(sql, [*params, limit])
        return [_event(row) for row in rows]

    def organizations(
        self, *, status: str | None = None, cursor: str | None = None, limit: int = DEFAULT_PAGE
    ) -> models.OrganizationPage:
        where: list[str] = []
        params: list[Any] = []
        if status is not None:
            where.append("status = ?")
            params.append(status)
        rows, next_position = page_of(
            self,
            table="organizations",
            kind="organizations",
            columns=("id",),
            shape=(str,),
            where=where,
            params=params,
            order="asc",
            cursor=cursor,
            limit=limit,
        )
        return models.OrganizationPage(
            items=[
                models.Organization(
                    id=row["id"],
                    name=row["name"],
                    status=row["status"],
                    as_of_height=row["as_of_height"],
                    record=json.loads(row["record"]),
                )
                for row in rows
            ],
            next_cursor=next_position,
        )

    def proposals(
        self,
        *,
        status: str | None = None,
        order: Order = "desc",
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE,
    ) -> models.ProposalPage:
        where: list[str] = []
        params: list[Any] = []
        if status is not None:
            where.append("status = ?")
            params.append(status)
        rows, next_position = page_of(
            self,
            table="proposals",
            kind="proposals",
            columns=("id",),
            shape=(int,),
            where=where,
            params=params,
            order=order,
            cursor=cursor,
            limit=limit,
        )
        return models.ProposalPage(
            items=[
                models.Proposal(
                    id=row["id"],
                    status=row["status"],
                    module=row["module"],
                    action=row["action"],
                    org=row["org"],
                    height=row["height"],
                    as_of_height=row["as_of_height"],
                    record=json.loads(row["record"]),
                )
                for row in rows
            ],
            next_cursor=next_position,
        )

    def counts(self) -> dict[str, int]:
        """Transactions and events indexed, for the metrics: totals kept as blocks are written,
        so a scrape costs the same on a large index as on a small one."""
        with self.reader() as db:
            rows = db.all("SELECT key, value FROM meta WHERE key LIKE 'count:%'")
        return {str(row["key"]).removeprefix("count:"): int(row["value"]) for row in rows}


def _insert_events(
    db: Session,
    height: int,
    tx_index: int,
    tx_hash: str | None,
    events: Sequence[tuple[str, dict[str, str]]],
) -> None:
    for event_index, (kind, attributes) in enumerate(events):
        db.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
            (height, tx_index, event_index, tx_hash, kind, json.dumps(attributes)),
        )


def _write_record(db: Session, copy: RecordCopy) -> None:
    """Upsert (or delete) one module record's row."""
    if copy.record is None:
        db.execute(f"DELETE FROM {copy.kind} WHERE id = ?", (copy.id,))
        return
    names = [name for name, _ in RECORD_COLUMNS[copy.kind]]
    if [name for name, _ in copy.columns] != names:
        raise ValueError(f"a copy for {copy.kind} has the columns {copy.columns!r}")
    every = ["id", *names, "created_height", "updated_height", "as_of_height", "record"]
    holes = ", ".join("?" for _ in every)
    updates = ", ".join(f"{name} = excluded.{name}" for name in every[1:])
    db.execute(
        f"INSERT INTO {copy.kind} ({', '.join(every)}) VALUES ({holes}) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}",
        (
            copy.id,
            *(value for _, value in copy.columns),
            copy.created_height,
            copy.updated_height,
            copy.as_of_height,
            json.dumps(copy.record, sort_keys=True),
        ),
    )


def height_range(
    column: str, height_from: int | None, height_to: int | None
) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if height_from is not None:
        where.append(f"{column} >= ?")
        params.append(height_from)
    if height_to is not None:
        where.append(f"{column} <= ?")
        params.append(height_to)
    return where, params


def _type_filter(types: Sequence[str], where: list[str], params: list[Any]) -> None:
    """Exact types, or a module's every type with `module.*`."""
    if not types:
        return
    clauses = []
    for kind in types:
        if kind.endswith(".*"):
            clauses.append("substr(type, 1, ?) = ?")
            params += [len(kind) - 1, kind[:-1]]
        else:
            clauses.append("type = ?")
            params.append(kind)
    where.append("(" + " OR ".join(clauses) + ")")


def page_of(
    index: Index,
    *,
    table: str,
    kind: str,
    columns: tuple[str, ...],
    shape: tuple[type, ...],
    where: list[str],
    params: list[Any],
    order: Order,
    cursor: str | None,
    limit: int,
) -> tuple[list[Row], str | None]:
    """One page of `table` in the order of its key `columns`, after the cursor's row.

    A cursor names the last row given, not an offset, so rows added meanwhile (new blocks at
    the top) never shift or repeat what the next page holds.
    """
    if order not in ("asc", "desc"):
        raise BadParameterError(reason=f"order is asc or desc, not {order!r}")
    if not 1 <= limit <= MAX_PAGE:
        raise BadParameterError(reason=f"limit is 1 to {MAX_PAGE}, not {limit}")
    where = list(where)
    params = list(params)
    key = ", ".join(columns)
    if cursor is not None:
        position = decode_cursor(cursor, kind, order, shape)
        holes = ", ".join("?" for _ in columns)
        where.append(f"({key}) {'>' if order == 'asc' else '<'} ({holes})")
        params += position
    direction = "ASC" if order == "asc" else "DESC"
    sql = f"SELECT * FROM {table}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY " + ", ".join(f"{column} {direction}" for column in columns) + " LIMIT ?"
    with index.reader() as db:
        rows = db.all(sql, [*params, limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(kind, order, [rows[-1][column] for column in columns])


def _block(row: Row) -> models.Block:
    return models.Block(
        height=row["height"],
        hash=row["hash"],
        time=row["time"],
        proposer=row["proposer"],
        app_hash=row["app_hash"],
        tx_count=row["tx_count"],
        event_count=row["event_count"],
    )


def _transaction(row: Row) -> models.Transaction:
    return models.Transaction(
        hash=row["hash"],
        height=row["height"],
        index=row["tx_index"],
        sender=row["sender"],
        public_key=row["public_key"],
        module=row["module"],
        operation=row["operation"],
        nonce=row["nonce"],
        code=row["code"],
        codespace=row["codespace"],
        log=row["log"],
        gas_wanted=row["gas_wanted"],
        gas_used=row["gas_used"],
        raw=bytes(row["raw"]).hex(),
    )


def _event(row: Row) -> models.EventOut:
    position = Position(row["height"], row["tx_index"], row["event_index"])
    return models.EventOut(
        id=str(position),
        height=row["height"],
        tx_index=row["tx_index"],
        event_index=row["event_index"],
        tx_hash=row["tx_hash"],
        type=row["type"],
        attributes=json.loads(row["attributes"]),
    )
