"""The gateway's HTTP API: one FastAPI application per node.

    app = create_app(Settings(rpc_url="http://127.0.0.1:26601", data_dir=Path("gw")))

Writes are transactions the client signed: the gateway hands them to its node's mempool and can
wait for their commit; it decides nothing itself, and signs only with the keys its organization
gives it to manage, for the console's authenticated user (console.py). Reads of state go to the node
(with proofs, checked here and passed on); lists, filters and the event stream come from the SQL
index, which an indexer thread keeps in step with the node.

Every refusal is an RFC 9457 problem details document with a stable `code` and `codespace`: the
chain's own for what the chain refused, "gateway" for what the gateway refused (see errors.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from cornerstone import __version__
from cornerstone.gateway import blobs, console, identity, light, records, stream, tls
from cornerstone.gateway.core import DEFAULT_RATE, MAX_BODY_BYTES, Gateway, Settings
from cornerstone.gateway.middleware import LimitsMiddleware
from cornerstone.gateway.problems import (
    PROBLEM_JSON,
    PROBLEMS,
    add_error_handlers,
    error_problem,
    problem,
)
from cornerstone.gateway.routes import chain, governance, operations, state, submit

__all__ = [
    "DEFAULT_RATE",
    "MAX_BODY_BYTES",
    "PROBLEMS",
    "PROBLEM_JSON",
    "Gateway",
    "LimitsMiddleware",
    "Settings",
    "create_app",
    "error_problem",
    "problem",
    "run",
]

KEEP_ALIVE = 60
"""Seconds an idle client connection stays open (uvicorn's default is 5): a client submitting
every few seconds otherwise pays a new connection per request, which cost a gateway more CPU
than the request itself (docs/benchmarks.md, issue 6)."""
HTTP_PROTOCOL = "httptools"
"""uvicorn's HTTP/1.1 implementation: the C parser (httptools) rather than h11, which parses in
Python and cost about a quarter of a submission's CPU (issue 6). tls.py serves HTTPS with it too."""


def create_app(settings: Settings) -> FastAPI:
    """The gateway application. Its lifespan starts the indexer and closes the index and the
    node clients; an app that is never served should `app.state.gateway.close()`."""
    gateway = Gateway(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        gateway.start(stream.IndexSignal(asyncio.get_running_loop()))
        try:
            yield
        finally:
            await gateway.node.aclose()
            await run_in_threadpool(gateway.close)

    app = FastAPI(
        title="Cornerstone gateway",
        version=__version__,
        summary="One organization's way into a Cornerstone network.",
        description=__doc__,
        lifespan=lifespan,
        # FastAPI's /docs and /redoc pages load their scripts from a CDN; a gateway must work
        # with no internet access, so only the document is served (the console will bundle a
        # viewer).
        docs_url=None,
        redoc_url=None,
    )
    app.state.gateway = gateway
    add_error_handlers(app)
    # The order routes are added in is the order of the OpenAPI document's paths.
    submit.add_routes(app, gateway)
    state.add_routes(app, gateway)
    chain.add_routes(app, gateway)
    governance.add_routes(app, gateway)
    chain.add_stream_route(app, gateway)
    operations.add_routes(app, gateway)
    console.add_routes(app, gateway)
    records.add_routes(app, gateway)
    blobs.add_routes(app, gateway)
    identity.add_routes(app, gateway)
    light.add_routes(app, gateway)
    app.add_middleware(LimitsMiddleware, gateway=gateway)
    _document_problems_as_problem_json(app)
    return app


def _document_problems_as_problem_json(app: FastAPI) -> None:
    """FastAPI documents a response model as `application/json`; problems are sent as
    `application/problem+json`, so the document says that instead."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            for item in document.get("paths", {}).values():
                for operation in item.values():
                    for response in operation.get("responses", {}).values():
                        content = response.get("content", {})
                        if PROBLEM_JSON in content and "application/json" in content:
                            content[PROBLEM_JSON] = content.pop("application/json")
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def run(settings: Settings, *, host: str, port: int, access_log: bool = False) -> None:
    """Serve the gateway until SIGINT or SIGTERM (uvicorn handles both). Logging is the
    caller's (`cornerstone.logs.configure_logging`): uvicorn's records go to the root's handler."""
    import uvicorn

    app = create_app(settings)
    gateway: Gateway = app.state.gateway

    class Server(uvicorn.Server):
        """uvicorn's server, which also tells the event streams to end when a signal comes."""

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            super().handle_exit(sig, frame)
            gateway.begin_shutdown()

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info",
        timeout_graceful_shutdown=3,  # a request still running after this is cut
        timeout_keep_alive=KEEP_ALIVE,
        access_log=access_log,
        log_config=None,
        **({"http": HTTP_PROTOCOL} | _tls_options(settings.tls, gateway)),
    )
    Server(config).run()


def _tls_options(settings: tls.TlsSettings | None, gateway: Gateway) -> dict[str, Any]:
    """uvicorn's options for HTTPS with client certificates (tls.py); none for plain HTTP."""
    if settings is None:
        return {}
    roots = tls.chain_roots(gateway.node) if settings.client_ca_from_chain else []
    return tls.uvicorn_options(tls.server_context(settings, roots))
