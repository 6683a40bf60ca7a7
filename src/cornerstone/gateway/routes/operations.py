"""Health and metrics, for the gateway's operators and their monitors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from cornerstone.gateway import models
from cornerstone.gateway.core import MAX_LAG
from cornerstone.gateway.errors import GatewayError
from cornerstone.gateway.metrics import CONTENT_TYPE

if TYPE_CHECKING:
    from cornerstone.gateway.core import Gateway


def add_routes(app: FastAPI, gateway: Gateway) -> None:
    index = gateway.index
    node = gateway.node

    @app.get(
        "/healthz",
        response_model=models.Health,
        responses={503: {"model": models.Health, "description": "Not healthy"}},
        tags=["operations"],
        summary="Health",
    )
    def healthz() -> JSONResponse:
        """Whether the node answers and the index follows it."""
        indexed = index.height()
        try:
            status = node.status()
        except GatewayError:
            status = None
        chain_height = None if status is None else int(status["sync_info"]["latest_block_height"])
        lag = None if chain_height is None else chain_height - indexed
        health = models.Health(
            ok=lag is not None and lag <= MAX_LAG,
            node_reachable=status is not None,
            chain_id=None if status is None else str(status["node_info"]["network"]),
            chain_height=chain_height,
            index_height=indexed,
            lag=lag,
            indexer_error=gateway.indexer.last_error,
        )
        return JSONResponse(health.model_dump(), status_code=200 if health.ok else 503)

    @app.get(
        "/metrics",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE: {"schema": {"type": "string"}}}}},
        tags=["operations"],
        summary="Prometheus metrics",
    )
    def metrics() -> Response:
        """Heights, indexed counts, the node's mempool, requests by route and status, submit
        latency."""
        try:
            pool = node.call("num_unconfirmed_txs")
            mempool: tuple[int, int] | None = (int(pool["total"]), int(pool["total_bytes"]))
        except (GatewayError, KeyError, TypeError, ValueError):
            mempool = None  # the node does not answer: no sample, rather than a false zero
        text = gateway.metrics.render(
            chain_height=gateway.indexer.chain_height,
            index_height=index.height(),
            counts=index.counts(),
            mempool=mempool,
        )
        return Response(text, media_type=CONTENT_TYPE)
