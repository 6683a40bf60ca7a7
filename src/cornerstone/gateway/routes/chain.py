"""Blocks, transactions and events from the SQL index, and the event stream."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import FastAPI, Header, Query
from fastapi import Path as PathParameter
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from cornerstone.gateway import models, stream
from cornerstone.gateway.errors import NotFoundError
from cornerstone.gateway.index import DEFAULT_PAGE, Order
from cornerstone.gateway.problems import PROBLEMS
from cornerstone.gateway.routes.params import MAX_HEIGHT, Cursor, HeightFrom, HeightTo, Limit

if TYPE_CHECKING:
    from cornerstone.gateway.core import Gateway


def add_routes(app: FastAPI, gateway: Gateway) -> None:
    index = gateway.index

    @app.get(
        "/v1/blocks",
        response_model=models.BlockPage,
        responses=PROBLEMS,
        tags=["index"],
        summary="List blocks",
    )
    def blocks(
        height_from: HeightFrom = None,
        height_to: HeightTo = None,
        order: Order = "desc",
        cursor: Cursor = None,
        limit: Limit = DEFAULT_PAGE,
    ) -> models.BlockPage:
        """Indexed blocks, newest first by default."""
        return index.blocks(
            height_from=height_from, height_to=height_to, order=order, cursor=cursor, limit=limit
        )

    @app.get(
        "/v1/blocks/{height}",
        response_model=models.Block,
        responses=PROBLEMS,
        tags=["index"],
        summary="One block",
    )
    def block(height: Annotated[int, PathParameter(ge=0, le=MAX_HEIGHT)]) -> models.Block:
        found = index.block(height)
        if found is None:
            raise NotFoundError(what=f"block {height} (the index is at {index.height()})")
        return found

    @app.get(
        "/v1/transactions",
        response_model=models.TransactionPage,
        responses=PROBLEMS,
        tags=["index"],
        summary="List transactions",
    )
    def transactions(
        module: str | None = None,
        operation: str | None = None,
        sender: Annotated[str | None, Query(description="Identity id, hex.")] = None,
        height_from: HeightFrom = None,
        height_to: HeightTo = None,
        failed: Annotated[bool | None, Query(description="Only failed (or succeeded).")] = None,
        order: Order = "desc",
        cursor: Cursor = None,
        limit: Limit = DEFAULT_PAGE,
    ) -> models.TransactionPage:
        """Indexed transactions, newest first by default, with filters."""
        return index.transactions(
            module=module,
            operation=operation,
            sender=sender,
            height_from=height_from,
            height_to=height_to,
            failed=failed,
            order=order,
            cursor=cursor,
            limit=limit,
        )

    @app.get(
        "/v1/transactions/{tx_hash}",
        response_model=models.TransactionWithEvents,
        responses=PROBLEMS,
        tags=["index"],
        summary="One transaction",
    )
    def transaction(tx_hash: str) -> models.TransactionWithEvents:
        found = index.transaction(tx_hash.lower().removeprefix("0x"))
        if found is None:
            raise NotFoundError(what=f"transaction {tx_hash} (in the index)")
        return models.TransactionWithEvents(
            **found.model_dump(), events=index.transaction_events(found.hash)
        )

    @app.get(
        "/v1/events",
        response_model=models.EventPage,
        responses=PROBLEMS,
        tags=["index"],
        summary="List events",
    )
    def events(
        type: Annotated[
            str | None, Query(description="Comma-separated types; `module.*` for all of one.")
        ] = None,
        tx_hash: str | None = None,
        height_from: HeightFrom = None,
        height_to: HeightTo = None,
        order: Order = "asc",
        cursor: Cursor = None,
        limit: Limit = DEFAULT_PAGE,
    ) -> models.EventPage:
        """Indexed events in the chain's order (oldest first by default)."""
        return index.events(
            types=_types(type),
            tx_hash=tx_hash,
            height_from=height_from,
            height_to=height_to,
            order=order,
            cursor=cursor,
            limit=limit,
        )


SSE_EVENT_SCHEMA: dict[str, Any] = {
    # Before OpenAPI 3.2's `itemSchema`, the schema of an event stream describes one event.
    "type": "object",
    "description": "One server-sent event: a committed event, in the chain's order.",
    "properties": {
        "id": {"type": "string", "description": "`height:tx_index:event_index`."},
        "event": {"type": "string", "const": "message"},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": {"$ref": "#/components/schemas/EventOut"},
        },
    },
    "required": ["id", "data"],
}


def add_stream_route(app: FastAPI, gateway: Gateway) -> None:
    index = gateway.index

    @app.get(
        "/v1/stream",
        response_class=StreamingResponse,
        responses={
            200: {
                "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}},
                "description": "Server-sent events; each `data` is an EventOut as JSON.",
            },
            **PROBLEMS,
        },
        tags=["stream"],
        summary="Stream committed events",
    )
    async def event_stream(
        from_height: HeightFrom = None,
        to_height: Annotated[
            int | None,
            Query(ge=1, le=MAX_HEIGHT, description="End the stream after this height."),
        ] = None,
        types: Annotated[
            str | None, Query(description="Comma-separated types; `module.*` for all of one.")
        ] = None,
        last_event_id: Annotated[str | None, Header()] = None,
    ) -> StreamingResponse:
        """Committed events as server-sent events, each with id `height:tx_index:event_index`.
        Resume with `Last-Event-ID` (after that event) or `from_height` (from that block):
        nothing is missed or repeated."""
        signal = gateway.signal
        assert signal is not None, "the lifespan starts the gateway"
        after = stream.start_after(
            last_event_id=last_event_id,
            from_height=from_height,
            index_height=await run_in_threadpool(index.height),
        )
        return StreamingResponse(
            stream.events(
                index,
                signal,
                after=after,
                types=_types(types),
                to_height=to_height,
                stopping=lambda: gateway.stopping,
            ),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )


def _types(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]
