"""The PostgreSQL databases of a local network's gateways: one per node, made when missing.

    ensure_database("postgresql://me@127.0.0.1:5432/cs_node1")   # True: it was created

`cornerstone localnet up --database postgresql://USER@HOST:PORT/PREFIX` gives node i's gateway
the database PREFIX_node<i> (config.gateway_database). Before a gateway starts, its database is
created if the server lacks it, through the server's maintenance database `postgres`, as USER:
that user needs the CREATEDB privilege, or the databases must exist already. The gateway makes
its own tables in it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from cornerstone.errors import LocalnetError

CONNECT_TIMEOUT = 10
"""Seconds to reach the server."""
MAINTENANCE_DATABASE = "postgres"
"""The database every PostgreSQL server has, to connect to when the wanted one is missing."""


def ensure_database(url: str) -> bool:
    """Create the database `url` names if the server does not have it; True if it did."""
    parts = urlsplit(url)
    name = parts.path.removeprefix("/")
    where = f"{parts.hostname}:{parts.port or 5432}"
    try:
        with psycopg.connect(
            url, dbname=MAINTENANCE_DATABASE, autocommit=True, connect_timeout=CONNECT_TIMEOUT
        ) as admin:
            found = admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if found is not None:
                return False
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LocalnetError(
            reason=f"the gateway database {name} on {where} could not be found or created "
            f"({reason}): check the server, then create the database or give --database a "
            "user allowed to (CREATEDB)"
        ) from None
