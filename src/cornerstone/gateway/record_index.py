"""Reading the index's copies of module records: datasets, DIDs, anchors and contracts.

    page = datasets(index, org="org1", limit=20)          # newest first
    page = datasets(index, org="org1", cursor=page.next_cursor)
    found = record(index, "contracts", "escrow")          # one row, or None

Lists are in the order of (created_height, id), newest first by default: a record's place never
changes once it is indexed, so a cursor names the last row given and pages neither repeat nor
skip a record while new ones arrive or old ones change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Final

from cornerstone.gateway import models
from cornerstone.gateway.errors import BadParameterError
from cornerstone.gateway.index import (
    DEFAULT_PAGE,
    RECORD_COLUMNS,
    Index,
    Order,
    RecordKind,
    height_range,
    page_of,
)
from cornerstone.gateway.sql import Row

STATUSES: Final[dict[RecordKind, tuple[str, ...]]] = {
    "dids": ("active", "deactivated"),
    "contracts": ("active", "frozen", "revoked"),
}
"""The statuses a list may be filtered by (the modules' own)."""
_HEX = re.compile(r"(?:[0-9a-f]{2})+")


def datasets(
    index: Index,
    *,
    owner: str | None = None,
    org: str | None = None,
    created_from: int | None = None,
    created_to: int | None = None,
    updated_from: int | None = None,
    order: Order = "desc",
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE,
) -> models.DatasetPage:
    rows, next_cursor = _page(
        index,
        "datasets",
        equal=(("owner", _hex("owner", owner)), ("org", org)),
        heights=(created_from, created_to, updated_from),
        order=order,
        cursor=cursor,
        limit=limit,
    )
    return models.DatasetPage(items=[_dataset(row) for row in rows], next_cursor=next_cursor)


def dids(
    index: Index,
    *,
    org: str | None = None,
    status: str | None = None,
    created_from: int | None = None,
    created_to: int | None = None,
    updated_from: int | None = None,
    order: Order = "desc",
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE,
) -> models.DidPage:
    rows, next_cursor = _page(
        index,
        "dids",
        equal=(("org", org), ("status", _status("dids", status))),
        heights=(created_from, created_to, updated_from),
        order=order,
        cursor=cursor,
        limit=limit,
    )
    return models.DidPage(items=[_did(row) for row in rows], next_cursor=next_cursor)


def anchors(
    index: Index,
    *,
    owner: str | None = None,
    org: str | None = None,
    created_from: int | None = None,
    created_to: int | None = None,
    updated_from: int | None = None,
    order: Order = "desc",
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE,
) -> models.AnchorPage:
    rows, next_cursor = _page(
        index,
        "anchors",
        equal=(("owner", _hex("owner", owner)), ("org", org)),
        heights=(created_from, created_to, updated_from),
        order=order,
        cursor=cursor,
        limit=limit,
    )
    return models.AnchorPage(items=[_anchor(row) for row in rows], next_cursor=next_cursor)


def contracts(
    index: Index,
    *,
    org: str | None = None,
    status: str | None = None,
    created_from: int | None = None,
    created_to: int | None = None,
    updated_from: int | None = None,
    order: Order = "desc",
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE,
) -> models.ContractPage:
    rows, next_cursor = _page(
        index,
        "contracts",
        equal=(("org", org), ("status", _status("contracts", status))),
        heights=(created_from, created_to, updated_from),
        order=order,
        cursor=cursor,
        limit=limit,
    )
    return models.ContractPage(items=[_contract(row) for row in rows], next_cursor=next_cursor)


def dataset(index: Index, dataset_id: str) -> models.Dataset | None:
    row = _one(index, "datasets", _hex("dataset", dataset_id) or "")
    return None if row is None else _dataset(row)


def anchor(index: Index, digest: str) -> models.Anchor | None:
    row = _one(index, "anchors", _hex("digest", digest) or "")
    return None if row is None else _anchor(row)


def contract(index: Index, name: str) -> models.Contract | None:
    row = _one(index, "contracts", name)
    return None if row is None else _contract(row)


# ---------------------------------------------------------------------------- helpers
def _page(
    index: Index,
    kind: RecordKind,
    *,
    equal: Sequence[tuple[str, str | None]],
    heights: tuple[int | None, int | None, int | None],
    order: Order,
    cursor: str | None,
    limit: int,
) -> tuple[list[Row], str | None]:
    created_from, created_to, updated_from = heights
    where, params = height_range("created_height", created_from, created_to)
    if updated_from is not None:
        where.append("updated_height >= ?")
        params.append(updated_from)
    for column, value in equal:
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    return page_of(
        index,
        table=kind,
        kind=kind,
        columns=("created_height", "id"),
        shape=(int, str),
        where=where,
        params=params,
        order=order,
        cursor=cursor,
        limit=limit,
    )


def _one(index: Index, kind: RecordKind, record_id: str) -> Row | None:
    with index.reader() as db:
        return db.one(f"SELECT * FROM {kind} WHERE id = ?", (record_id,))


def _hex(name: str, value: str | None) -> str | None:
    """A hex filter, lower-case and without 0x; BadParameterError for anything else."""
    if value is None:
        return None
    lowered = value.strip().lower().removeprefix("0x")
    if not _HEX.fullmatch(lowered):
        raise BadParameterError(reason=f"{name} is bytes in hex, not {value[:100]!r}")
    return lowered


def _status(kind: RecordKind, status: str | None) -> str | None:
    return known_status(kind, status, STATUSES[kind])


def known_status(kind: str, status: str | None, statuses: Sequence[str]) -> str | None:
    """A status filter the module can answer for, or BadParameterError (a 400) naming the ones
    it can: a misspelt status would otherwise list nothing, silently."""
    if status is not None and status not in statuses:
        known = ", ".join(statuses)
        raise BadParameterError(reason=f"the status of {kind} is one of {known}, not {status!r}")
    return status


def _common(row: Row, kind: RecordKind) -> dict[str, Any]:
    own = {name: row[name] for name, _ in RECORD_COLUMNS[kind]}
    return {
        "id": row["id"],
        **own,
        "created_height": row["created_height"],
        "updated_height": row["updated_height"],
        "as_of_height": row["as_of_height"],
        "record": json.loads(row["record"]),
    }


def _dataset(row: Row) -> models.Dataset:
    return models.Dataset(**_common(row, "datasets"))


def _did(row: Row) -> models.DidEntry:
    return models.DidEntry(**_common(row, "dids"))


def _anchor(row: Row) -> models.Anchor:
    return models.Anchor(**_common(row, "anchors"))


def _contract(row: Row) -> models.Contract:
    return models.Contract(**_common(row, "contracts"))
