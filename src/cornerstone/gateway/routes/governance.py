"""Organizations and proposals, as the index holds them after each change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from fastapi import FastAPI

from cornerstone.gateway import models
from cornerstone.gateway.index import DEFAULT_PAGE, Order
from cornerstone.gateway.problems import PROBLEMS
from cornerstone.gateway.record_index import known_status
from cornerstone.gateway.routes.params import Cursor, Limit
from cornerstone.modules.governance.state import EXECUTED, EXPIRED, FAILED, OPEN, REJECTED
from cornerstone.modules.membership.state import ACTIVE, REMOVED

ORGANIZATION_STATUSES: Final = (ACTIVE, REMOVED)
PROPOSAL_STATUSES: Final = (OPEN, EXECUTED, FAILED, REJECTED, EXPIRED)

if TYPE_CHECKING:
    from cornerstone.gateway.core import Gateway


def add_routes(app: FastAPI, gateway: Gateway) -> None:
    index = gateway.index

    @app.get(
        "/v1/organizations",
        response_model=models.OrganizationPage,
        responses=PROBLEMS,
        tags=["index"],
        summary="List organizations",
    )
    def organizations(
        status: str | None = None, cursor: Cursor = None, limit: Limit = DEFAULT_PAGE
    ) -> models.OrganizationPage:
        """The organizations, as the membership module answered after the last change."""
        known_status("organizations", status, ORGANIZATION_STATUSES)
        return index.organizations(status=status, cursor=cursor, limit=limit)

    @app.get(
        "/v1/proposals",
        response_model=models.ProposalPage,
        responses=PROBLEMS,
        tags=["index"],
        summary="List proposals",
    )
    def proposals(
        status: str | None = None,
        order: Order = "desc",
        cursor: Cursor = None,
        limit: Limit = DEFAULT_PAGE,
    ) -> models.ProposalPage:
        """Governance proposals, as the governance module answered after the last change."""
        known_status("proposals", status, PROPOSAL_STATUSES)
        return index.proposals(status=status, order=order, cursor=cursor, limit=limit)
