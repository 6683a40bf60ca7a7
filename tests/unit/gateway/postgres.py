"""A real PostgreSQL server for the index's tests: Debian's binaries, started once per test
session in a temporary folder, on a free port of 127.0.0.1, and always stopped at the end.

    from tests.unit.gateway.postgres import (  # noqa: F401 - pytest finds the fixtures here
        database_fixture,
        databases_fixture,
        postgres_server_fixture,
    )

    def test_something(database: str | None) -> None:   # run once on SQLite (None), once on a
        ...                                             # fresh PostgreSQL database (a URL)

The fixtures are named `database`, `databases` and `postgres_server`; their functions carry a
`_fixture` suffix so that a test's argument of the same name is not a redefinition of an import.

PostgreSQL refuses to run as root. When the tests run as root (CI does), `initdb` and `postgres`
run as the unprivileged user `nobody` (subprocess's own `user=`/`group=`, so neither `su` nor
`runuser` is needed), in a folder under the system's temporary directory that `nobody` owns
(pytest's own temporary folders are private to root). Anyone else runs them as themselves.

The server trusts local connections (it listens on 127.0.0.1 and on a socket in its own folder
only), skips fsync (the data is thrown away), and is sent a fast shutdown in teardown, then
killed if it does not stop in time; its folder is removed. If the pytest process dies, the
server gets SIGTERM from the kernel (the parent-death signal) rather than living on.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from tests.servers import (
    answers_before,
    die_with_parent,
    free_port,
    log_tail,
    one_per_session,
    stop_process,
)

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
"""Debian's server binaries, newest major version first."""
SUPERUSER = "cornerstone"
TEMPLATE = "index_template"
START_DEADLINE_S = 30.0
STOP_DEADLINE_S = 15.0
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "shared_buffers": "32MB",
}


def server_binaries() -> Path:
    """The folder of `initdb` and `postgres`; a failure saying to run `make setup` without."""
    for folder in BIN_DIRS:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    found = shutil.which("postgres")
    if found and shutil.which("initdb"):
        return Path(found).parent
    pytest.fail(
        "the PostgreSQL server binaries (initdb, postgres) were not found: run `make setup`, "
        "which installs Debian's postgresql package",
        pytrace=False,
    )


class PostgresServer:
    """One PostgreSQL cluster in a folder of its own, served on 127.0.0.1:`port`."""

    def __init__(self) -> None:
        self.bin = server_binaries()
        self.as_nobody = os.geteuid() == 0
        self.folder = Path(tempfile.mkdtemp(prefix="cornerstone-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._names = itertools.count(1)
        self._template_made = False
        self.uid: int | None = None
        self.gid: int | None = None
        if self.as_nobody:
            nobody = pwd.getpwnam("nobody")
            self.uid, self.gid = nobody.pw_uid, nobody.pw_gid
            os.chown(self.folder, self.uid, self.gid)

    def _run(self, *args: str) -> subprocess.Popen[bytes]:
        log = self.log.open("ab")
        try:
            return subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.folder,
                user=self.uid,
                group=self.gid,
                extra_groups=[] if self.as_nobody else None,  # none of root's groups
                preexec_fn=die_with_parent,  # noqa: PLW1509 - one system call, see there
            )
        finally:
            log.close()

    def _log_tail(self) -> str:
        return log_tail(self.log)

    def start(self) -> None:
        initdb = self._run(
            str(self.bin / "initdb"),
            "--pgdata",
            str(self.data),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
        )
        if initdb.wait(timeout=120) != 0:
            raise RuntimeError(f"initdb failed:\n{self._log_tail()}")
        for _ in range(3):  # the port was free a moment ago; another process may take it
            self.port = free_port()
            options = [f"--{key}={value}" for key, value in SETTINGS.items()]
            self.process = self._run(
                str(self.bin / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-k",
                str(self.folder),
                *options,
            )
            if self._wait_until_ready():
                return
        raise RuntimeError(f"PostgreSQL did not start:\n{self._log_tail()}")

    def _wait_until_ready(self) -> bool:
        """True once the server accepts connections; False if it exited (its port was taken)."""
        assert self.process is not None

        def answers() -> bool:
            try:
                psycopg.connect(self.url("postgres"), connect_timeout=2).close()
            except psycopg.OperationalError:
                return False
            return True

        ready = answers_before(self.process, answers, deadline_s=START_DEADLINE_S, interval_s=0.05)
        if ready is False:
            self.process = None
            return False
        if ready is None:
            self.stop()
            raise RuntimeError(
                f"PostgreSQL did not accept connections within {START_DEADLINE_S} s:\n"
                + self._log_tail()
            )
        return True

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database: its URL. Its locale is en-US (ICU), not the cluster's C, as
        a server set up for people would have it: the index must not depend on the locale."""
        name = f"test_{next(self._names)}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as admin:
            if not self._template_made:
                admin.execute(
                    f"CREATE DATABASE {TEMPLATE} TEMPLATE template0 "
                    "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'"
                )
                self._template_made = True
            admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)

    def stop(self) -> None:
        """Fast shutdown (clients cut, no waiting for them), then a kill past the deadline."""
        process, self.process = self.process, None
        stop_process(process, signal_number=signal.SIGINT, deadline_s=STOP_DEADLINE_S)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


_RUNNING: dict[str, PostgresServer] = {}
"""The one server of the session (see tests.servers.one_per_session)."""


@pytest.fixture(scope="session", name="postgres_server")
def postgres_server_fixture() -> Iterator[PostgresServer]:
    yield from one_per_session(_RUNNING, PostgresServer)


@pytest.fixture(params=["sqlite", "postgresql"], name="databases")
def databases_fixture(request: pytest.FixtureRequest) -> Callable[[], str | None]:
    """Makes index database settings of one backend, each a new empty index: None (SQLite in
    the data folder given beside it), or a fresh PostgreSQL database's URL. The server starts
    only when a PostgreSQL case runs."""
    if request.param == "sqlite":
        return lambda: None
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database


@pytest.fixture(name="database")
def database_fixture(databases: Callable[[], str | None]) -> str | None:
    """One index database setting, on each backend in turn."""
    return databases()
