"""The SQL databases the index runs on: SQLite (a file, the default) or PostgreSQL (a URL).

    database = open_database(None, folder)                          # folder/index.sqlite3
    database = open_database("postgresql://gw@127.0.0.1:5432/org1", folder)
    with database.transaction() as db:                              # the one writer
        db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", ("a", "b"))
    with database.reader() as db:                                   # any thread
        rows = db.all("SELECT * FROM meta WHERE key = ?", ("a",))   # a list of dicts

The index writes one SQL dialect, the part both databases share: `?` parameters, upserts with
`ON CONFLICT`, row-value comparisons `(a, b) > (?, ?)`, `substr`, `COALESCE`. What differs is
kept here, in the two backends:

    what                SQLite                          PostgreSQL
    parameters          ? as written                    ? becomes %s (and % becomes %%)
    column types        INTEGER, BLOB                   BIGINT, BYTEA
    text order          bytewise (BINARY)               bytewise (COLLATE "C" on every text
                                                        column, whatever the database's locale)
    the writer          one connection, WAL mode        one connection, BEGIN ... COMMIT
    readers             a connection per read           a few kept connections, read-only,
                        (cheap: a file open)            shared by the request threads
    rows                dicts                           dicts

The readers' connections are a small pool of this module's own (psycopg_pool is a package of
its own, for more than this needs): at most MAX_READERS at once, so a gateway holds at most
MAX_READERS + 1 of the server's connections, however many request threads it runs.

A gateway owns its database: two gateways never share one (nor a PostgreSQL database).
"""

from __future__ import annotations

import re
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, closing, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from cornerstone.errors import ConfigError

INDEX_FILE = "index.sqlite3"
BUSY_TIMEOUT_MS = 5000
CONNECT_TIMEOUT_S = 10
MAX_READERS = 8
"""PostgreSQL connections the readers of one gateway hold at most."""
POSTGRES_SCHEMES = ("postgresql://", "postgres://")

Row = dict[str, Any]
Params = Sequence[Any]


class Session:
    """Statements on one connection: what `transaction()` and `reader()` hand out."""

    def __init__(self, connection: sqlite3.Connection | psycopg.Connection[Row], dialect: Dialect):
        self._connection = connection
        self._dialect = dialect

    def execute(self, sql: str, params: Params = ()) -> None:
        self._connection.execute(self._dialect.statement(sql), params)

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        return list(self._connection.execute(self._dialect.statement(sql), params).fetchall())

    def one(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = self._connection.execute(self._dialect.statement(sql), params).fetchone()
        return row

    def scalar(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row (None when there is no row)."""
        row = self.one(sql, params)
        return None if row is None else next(iter(row.values()))


class Dialect:
    """How the shared SQL is spelled for one database (SQLite's: as written)."""

    name = "sqlite"

    def statement(self, sql: str) -> str:
        return sql

    def ddl(self, schema: str) -> list[str]:
        """The schema's statements, one by one."""
        return [part.strip() for part in schema.split(";") if part.strip()]


class PostgresDialect(Dialect):
    name = "postgresql"

    def statement(self, sql: str) -> str:
        return _postgres_statement(sql)

    def ddl(self, schema: str) -> list[str]:
        # 64-bit integers everywhere (SQLite's INTEGER is 64-bit already), bytes as BYTEA, and
        # text ordered by its bytes as SQLite orders it: the same pages, the same cursors.
        schema = re.sub(r"\bINTEGER\b", "BIGINT", schema)
        schema = re.sub(r"\bTEXT\b", 'TEXT COLLATE "C"', schema)
        return super().ddl(re.sub(r"\bBLOB\b", "BYTEA", schema))


@lru_cache(maxsize=256)
def _postgres_statement(sql: str) -> str:
    # The index's SQL holds no `?` or `%` inside string literals but in LIKE patterns, which
    # the doubling keeps: psycopg reads `%%` as a literal `%`.
    return sql.replace("%", "%%").replace("?", "%s")


class Database(ABC):
    """One index database: a single writer and any number of readers."""

    dialect: Dialect

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Session]:
        """The writer, in one SQL transaction: committed at the end, rolled back on an error."""

    @abstractmethod
    def reader(self) -> AbstractContextManager[Session]:
        """A connection for reading, from any thread."""

    @abstractmethod
    def close(self) -> None:
        """Close every connection."""

    @property
    @abstractmethod
    def where(self) -> str:
        """Where the data is, for people (a PostgreSQL URL without its password)."""

    def create(self, schema: str) -> None:
        with self.transaction() as db:
            for statement in self.dialect.ddl(schema):
                db.execute(statement)


def open_database(url: str | None, folder: Path) -> Database:
    """The database a gateway's `--database` names: SQLite in `folder` when None or empty."""
    if not url:
        return SqliteDatabase(folder / INDEX_FILE)
    if url.startswith(POSTGRES_SCHEMES):
        return PostgresDatabase(url)
    raise ConfigError(
        reason=f"the index database {url!r} is not a postgresql://USER@HOST:PORT/NAME URL "
        "(leave it out for SQLite in the data folder)"
    )


class SqliteDatabase(Database):
    """A file in WAL mode: readers never wait for the writer, a crash keeps whole blocks."""

    dialect = Dialect()

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._writer = self._connect()
        self._writer.execute("PRAGMA journal_mode=WAL")
        self._writer.execute("PRAGMA synchronous=NORMAL")  # WAL keeps it consistent on a crash

    def _connect(self) -> sqlite3.Connection:
        # check_same_thread=False: the writer is made on one thread and used by the indexer's;
        # it is never used by two threads at once.
        connection = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
        )
        connection.row_factory = _sqlite_dict
        return connection

    @property
    def where(self) -> str:
        return str(self.path)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._writer:
            yield Session(self._writer, self.dialect)

    @contextmanager
    def reader(self) -> Iterator[Session]:
        with closing(self._connect()) as connection:
            connection.execute("PRAGMA query_only=ON")
            yield Session(connection, self.dialect)

    def close(self) -> None:
        self._writer.close()


def _sqlite_dict(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> Row:
    return {column[0]: value for column, value in zip(cursor.description, row, strict=True)}


class PostgresDatabase(Database):
    """A PostgreSQL database: the writer's connection, and up to MAX_READERS read-only
    connections kept for the readers, all closed by `close`."""

    dialect = PostgresDialect()

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(MAX_READERS)
        self._idle: list[psycopg.Connection[Row]] = []
        self._closed = False
        self._writer = self._connect()

    @property
    def where(self) -> str:
        info = psycopg.conninfo.conninfo_to_dict(self.url)
        return f"postgresql://{info.get('user', '')}@{info.get('host', '')}:" + (
            f"{info.get('port', '')}/{info.get('dbname', '')}"
        )

    def _connect(self, *, read_only: bool = False) -> psycopg.Connection[Row]:
        if self._closed:
            raise RuntimeError("the index database is closed")
        try:
            connection = psycopg.connect(
                self.url, autocommit=True, row_factory=dict_row, connect_timeout=CONNECT_TIMEOUT_S
            )
        except psycopg.OperationalError as exc:
            raise ConfigError(
                reason=f"cannot connect to the index database {self.where}: "
                + (" ".join(str(exc).split()) or "no reason given")
            ) from exc
        if read_only:
            connection.execute("SET default_transaction_read_only = on")
        return connection

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        if self._writer.broken:  # the server restarted: the next block goes on a new one
            self._writer.close()
            self._writer = self._connect()
        with self._writer.transaction():
            yield Session(self._writer, self.dialect)

    @contextmanager
    def reader(self) -> Iterator[Session]:
        with self._slots:  # a free slot: an idle connection, or room for a new one
            connection = self._take()
            try:
                yield Session(connection, self.dialect)
            finally:
                self._give_back(connection)

    def _take(self) -> psycopg.Connection[Row]:
        with self._lock:
            while self._idle:
                connection = self._idle.pop()
                if not connection.broken:
                    return connection
                connection.close()  # the server restarted since: a new one below
        return self._connect(read_only=True)

    def _give_back(self, connection: psycopg.Connection[Row]) -> None:
        with self._lock:
            if not self._closed and not connection.broken:
                self._idle.append(connection)
                return
        connection.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in (*idle, self._writer):
            connection.close()
