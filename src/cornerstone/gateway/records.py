"""The module records the index copies, over HTTP: datasets, DIDs, notarized documents
(anchors) and contracts, listed with filters and cursor pagination, and one by id.

    GET /v1/datasets?org=org1&limit=20          newest first; `next_cursor` for the next page
    GET /v1/datasets/{dataset}                  one dataset (id hex)
    GET /v1/dids?status=active                  DIDs (one DID: /v1/dids/{did} resolves it)
    GET /v1/anchors?owner=<hex>                 documents; /v1/anchors/{digest} for one
    GET /v1/contracts?status=frozen             contracts; /v1/contracts/{name} for one

Every row is a copy of its module's answer (record_sources.py); for an answer as of the latest
block, with proofs, ask the module (`/v1/modules/...`) or read the state (`/v1/state/...`).
"""

from __future__ import annotations

from typing import Annotated, Any, Protocol

from fastapi import FastAPI, Query
from fastapi import Path as PathParameter

from cornerstone.gateway import models, record_index
from cornerstone.gateway.errors import NotFoundError
from cornerstone.gateway.index import DEFAULT_PAGE, MAX_PAGE, Index, Order

MAX_HEIGHT = 2**63 - 1
"""The highest height a request may name (the index's heights are int64)."""

PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": models.Problem, "content": {"application/problem+json": {}}}
    for status in (400, 401, 404, 429)
}
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]
CreatedFrom = Annotated[
    int | None, Query(ge=0, le=MAX_HEIGHT, description="Created at this height or later.")
]
CreatedTo = Annotated[
    int | None, Query(ge=0, le=MAX_HEIGHT, description="Created at this height or earlier.")
]
UpdatedFrom = Annotated[
    int | None,
    Query(ge=0, le=MAX_HEIGHT, description="Changed by a block at this height or later."),
]
Org = Annotated[str | None, Query(description="Only this organization's.", max_length=200)]
Owner = Annotated[str | None, Query(description="Only this owner's (identity id, hex).")]
RecordOrder = Annotated[Order, Query(description="By creation: desc (newest first) or asc.")]


class HasIndex(Protocol):
    """What the routes need of the gateway."""

    index: Index


def add_routes(app: FastAPI, gateway: HasIndex) -> None:
    """The module record routes, reading `gateway.index`."""
    index = gateway.index

    @app.get(
        "/v1/datasets",
        response_model=models.DatasetPage,
        responses=PROBLEMS,
        tags=["index"],
        summary="List datasets",
    )
    def datasets(
        owner: Owner = None,
        org: Org = None,
        created_from: CreatedFrom = None,
        created_to: CreatedTo = None,
        updated_from: UpdatedFrom = None,
        order: RecordOrder = "desc",
        cursor: Cursor = None,
        limit: Limit = DEFAULT_PAGE,
    ) -> models.DatasetPage:
        """Datasets as the datashare module answered after their last change, newest first."""
        return record_index.datasets(
            index,
            owner=owner,
            org=org,
            created_from=created_from,
            created_to=created_to,
            updated_from=updated_from,
            order=order,
            cursor=cursor,
            limit=limit,
        )

    @app.get(
        "/v1/datasets/{dataset}",
        response_model=models.Dataset,
        responses=PROBLEMS,
        tags=["index"],
        summary="One dataset",
    )
    def dataset(
        dataset: Annotated[str, PathParameter(description="The dataset's id, hex.")],
    ) -> models.Dataset:
        """A dataset with its versions and grants, as the index last copied it."""
        found = record_index.dataset(index, dataset)
        if found is None:
            raise NotFoundError(what=f"dataset {dataset[:100]} (in the index)")
        return found

    @app.get(
        "/v1/dids",
        response_model=models.DidPage,
        responses=PROBLEMS,
        tags=["index"],
        summary="List DIDs",
    )
    def dids(
        org: Org = None,
        status: Annotated[
            str | None, Query(description="`active` or `deactivated`.", max_length=20)
        ] = None,
        created_from: CreatedFrom = None,
        created_to: CreatedTo = None,
        updated_from: UpdatedFrom = None,
        order: RecordOrder = "desc",
        cursor: Cursor = None,
        limit: Limit = DEFAULT_PAGE,
    ) -> models.DidPage:
        """DIDs with their resolution as the did module answered after their last change,
        newest first. `/v1/dids/{did}` resolves one, as of any version."""
        return record_index.dids(
            index,
            org=org,
            status=status,
            created_from=created_from,
            created_to=created_to,
            updated_from=updated_from,
            order=order,
            cursor=cursor,
            limit=limit,
        )

    @app.get(
        "/v1/anchors",
        response_model=models.AnchorPage,
        responses=PROBLEMS,
        tags=["index"],
        summary="List notarized documents",
    )
    def anchors(
        owner: Owner = None,
        org: Org = None,
        created_from: CreatedFrom = None,
        created_to: CreatedTo = None,
        updated_from: UpdatedFrom = None,
        order: RecordOrder = "desc",
        cursor: Cursor = None,
        limit: Limit = DEFAULT_PAGE,
    ) -> models.AnchorPage:
        """Anchored documents with their revisions, as the notary module answered after their
        last change, newest first."""
        return record_index.anchors(
            index,
            owner=owner,
            org=org,
            created_from=created_from,
            created_to=created_to,
            updated_from=updated_from,
            order=order,
            cursor=cursor,
            limit=limit,
        )

    @app.get(
        "/v1/anchors/{digest}",
        response_model=models.Anchor,
        responses=PROBLEMS,
        tags=["index"],
        summary="One notarized document",
    )
    def anchor(
        digest: Annotated[
            str, PathParameter(description="The digest the document was first anchored with.")
        ],
    ) -> models.Anchor:
        """A document by its first digest (any revision's digest: `/v1/modules/notary/lookup`)."""
        found = record_index.anchor(index, digest)
        if found is None:
            raise NotFoundError(what=f"document {digest[:100]} (in the index)")
        return found

    @app.get(
        "/v1/contracts",
        response_model=models.ContractPage,
        responses=PROBLEMS,
        tags=["index"],
        summary="List contracts",
    )
    def contracts(
        org: Org = None,
        status: Annotated[
            str | None, Query(description="`active`, `frozen` or `revoked`.", max_length=20)
        ] = None,
        created_from: CreatedFrom = None,
        created_to: CreatedTo = None,
        updated_from: UpdatedFrom = None,
        order: RecordOrder = "desc",
        cursor: Cursor = None,
        limit: Limit = DEFAULT_PAGE,
    ) -> models.ContractPage:
        """Contracts as the contracts module answered after their last change, newest first."""
        return record_index.contracts(
            index,
            org=org,
            status=status,
            created_from=created_from,
            created_to=created_to,
            updated_from=updated_from,
            order=order,
            cursor=cursor,
            limit=limit,
        )

    @app.get(
        "/v1/contracts/{name}",
        response_model=models.Contract,
        responses=PROBLEMS,
        tags=["index"],
        summary="One contract",
    )
    def contract(
        name: Annotated[str, PathParameter(description="The contract's name.")],
    ) -> models.Contract:
        """A contract's metadata, status and functions, as the index last copied them."""
        found = record_index.contract(index, name)
        if found is None:
            raise NotFoundError(what=f"contract {name[:100]!r} (in the index)")
        return found
