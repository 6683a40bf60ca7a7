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
import base64
import binascii
import contextlib
import hashlib
import json
import logging
import math
import threading
import time
import typing
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, Literal

import httpx
from fastapi import FastAPI, Header, Query, Request
from fastapi import Path as PathParameter
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from cornerstone import __version__, encoding
from cornerstone.errors import CornerstoneError, ProofError, TransactionError
from cornerstone.gateway import auth, blobs, console, identity, light, models, stream, tls
from cornerstone.gateway.auth import AuthSettings
from cornerstone.gateway.commits import CommitWaiters
from cornerstone.gateway.errors import (
    AuthenticationError,
    BadParameterError,
    BadRequestBodyError,
    BodyTooLargeError,
    CommitTimeoutError,
    GatewayError,
    NotFoundError,
    RateLimitedError,
)
from cornerstone.gateway.index import DEFAULT_PAGE, MAX_PAGE, BlockRecord, Index, Order
from cornerstone.gateway.indexer import Indexer, to_json
from cornerstone.gateway.limits import (
    UNLIMITED_PATHS,
    RateLimit,
    TokenBuckets,
    anonymous_default,
    bucket_of,
)
from cornerstone.gateway.metrics import CONTENT_TYPE, Metrics
from cornerstone.gateway.node import COMMIT_POLL, ChainRefusal, Node, TxOutcome
from cornerstone.gateway.tls import TlsSettings
from cornerstone.tx import MAX_TX_BYTES, decode_transaction

log = logging.getLogger("cornerstone.gateway")

PROBLEM_JSON = "application/problem+json"
MAX_BODY_BYTES = 4 * MAX_TX_BYTES
"""A transaction's bytes as hex in JSON take twice its size; twice that again is room enough."""
DEFAULT_COMMIT_TIMEOUT = 30.0
MAX_COMMIT_TIMEOUT = 120.0
MAX_LAG = 5
"""Blocks the index may trail the node and still be healthy."""
INDEX_CHECK = 1.0
"""Seconds between looks, while waiting for a commit on the indexer's word, at whether the
indexer still keeps up with the node (else the node is asked directly)."""
KEEP_ALIVE = 60
"""Seconds an idle client connection stays open (uvicorn's default is 5): a client submitting
every few seconds otherwise pays a new connection per request, which cost a gateway more CPU
than the request itself (docs/benchmarks.md, issue 6)."""
INDEX_GRACE = 5.0
"""Seconds the indexer may fail or trail by more than MAX_LAG blocks before waiting requests
ask the node instead. Its slips are short (a retry a second later); every waiting request
polling the node meanwhile cost more CPU than the wait itself (docs/benchmarks.md)."""
DEFAULT_RATE = RateLimit(rate=100.0, burst=200)
MAX_HEIGHT = 2**63 - 1
"""The highest height a request may name: CometBFT's heights, and the index's, are int64."""


@dataclass(frozen=True, slots=True)
class Settings:
    """How one gateway runs."""

    rpc_url: str
    """Its node's CometBFT RPC."""
    data_dir: Path
    """Where the index lives (SQLite), unless `database` names another place."""
    database: str | None = None
    """The index's PostgreSQL database, postgresql://USER@HOST:PORT/NAME; None: SQLite in
    `data_dir`."""
    max_body_bytes: int = MAX_BODY_BYTES
    """Largest request body accepted (413 beyond)."""
    rate_limit: RateLimit = DEFAULT_RATE
    """Requests per client (429 beyond)."""
    trust_identity_header: bool = False
    """Name clients by `X-Cornerstone-Identity` (set by an authenticating proxy in front)
    rather than by their address."""
    follow: bool = True
    """Run the indexer thread (tests that drive the indexer themselves turn it off)."""
    transport: httpx.BaseTransport | None = field(default=None, compare=False)
    """The RPC transport (tests give the fake node's)."""
    clock: Callable[[], float] = time.monotonic
    """The rate limiter's clock (tests give their own)."""
    managed_keys: tuple[tuple[str, Path], ...] = ()
    """Keys the gateway signs with for the console's authenticated user: (name, key file)."""
    console_token_file: Path | None = None
    """Where the gateway writes, at start, the token that allows managed signing (mode 0600)."""
    max_blob_bytes: int = blobs.DEFAULT_MAX_BLOB_BYTES
    """Largest blob uploaded to /v1/blobs (413 beyond); `max_body_bytes` is for the rest."""
    blob_token_file: Path | None = None
    """The token blob uploads need (read, or made and written with mode 0600, at start); None:
    `<data_dir>/blob.token`."""
    auth: AuthSettings = field(default_factory=AuthSettings)
    """Who may call: member authentication policy, freshness window, anonymous rate (auth.py)."""
    tls: TlsSettings | None = None
    """Serve HTTPS, and take members' certificates as client certificates (tls.py); None: HTTP."""


class Gateway:
    """What one running gateway holds: its node, its index, its indexer, its counts."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.node = Node(settings.rpc_url, transport=settings.transport)
        self.index = Index(settings.data_dir, database=settings.database)
        self.indexer = Indexer(
            Node(settings.rpc_url, transport=settings.transport),
            self.index,
            on_indexed=self._indexed,
            on_block=self._block_indexed,
        )
        self.commits: CommitWaiters | None = None
        """Requests waiting for their transaction's block (set once the loop runs)."""
        self._index_slipped: float | None = None
        """When the indexer last stopped keeping up (monotonic); None while it keeps up."""
        self.metrics = Metrics()
        self.buckets = TokenBuckets(settings.rate_limit, clock=settings.clock)
        self.auth = auth.Authenticator(settings.auth, self.node)
        self.signal: stream.IndexSignal | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.stopping = False
        """Set when the server begins to shut down: event streams end instead of waiting."""

    def _indexed(self, height: int) -> None:
        if self.signal is not None:
            self.signal.notify(height)

    def _block_indexed(self, record: BlockRecord) -> None:
        if self.commits is not None:
            self.commits.indexed(record)

    def start(self, signal: stream.IndexSignal) -> None:
        self.signal = signal
        self.commits = CommitWaiters(asyncio.get_running_loop())
        if self.settings.follow:
            self._thread = threading.Thread(
                target=self.indexer.follow, args=(self._stop,), name="indexer", daemon=True
            )
            self._thread.start()

    def begin_shutdown(self) -> None:
        """End the event streams now, so the server's graceful shutdown need not cut them."""
        self.stopping = True
        if self.signal is not None:
            self.signal.notify()

    def index_keeps_up(self) -> bool:
        """The indexer runs, and its last attempt succeeded with at most MAX_LAG blocks to go,
        or did so less than INDEX_GRACE seconds ago."""
        indexer = self.indexer
        if self._thread is None or not self._thread.is_alive():
            return False
        if (
            indexer.last_error is None
            and indexer.chain_height > 0
            and indexer.chain_height - indexer.indexed_height <= MAX_LAG
        ):
            self._index_slipped = None
            return True
        now = time.monotonic()
        if self._index_slipped is None:
            self._index_slipped = now
        return now - self._index_slipped < INDEX_GRACE

    async def submit_and_wait(self, raw: bytes, *, timeout: float) -> TxOutcome:
        """Broadcast `raw` and wait until it is in a block: on the indexer's word while it keeps
        up with the node (commits.py), else by asking the node, without holding a thread."""
        tx_hash = hashlib.sha256(raw).digest()
        waiters = self.commits
        future = None if waiters is None else waiters.expect(tx_hash)  # before the broadcast
        try:
            await run_in_threadpool(self.node.broadcast, raw)
            deadline = time.monotonic() + timeout
            while (remaining := deadline - time.monotonic()) > 0:
                if future is not None and self.index_keeps_up():
                    with contextlib.suppress(TimeoutError):
                        return await asyncio.wait_for(
                            asyncio.shield(future), min(remaining, INDEX_CHECK)
                        )
                    continue
                found = await run_in_threadpool(self.node.committed, tx_hash)
                if found is not None:
                    return found
                await asyncio.sleep(min(COMMIT_POLL, max(0.0, deadline - time.monotonic())))
            raise CommitTimeoutError(tx_hash=tx_hash.hex(), timeout=f"{timeout:g}")
        finally:
            if waiters is not None and future is not None:
                waiters.forget(tx_hash, future)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.indexer.node.close()
        self.node.close()
        self.index.close()


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
    _add_error_handlers(app)
    _add_routes(app, gateway)
    console.add_routes(app, gateway)
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


# ---------------------------------------------------------------------------- problems
def problem(
    *,
    status: int,
    title: str,
    detail: str,
    code: int,
    codespace: str,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """An RFC 9457 problem details answer."""
    body = models.Problem(
        type=f"urn:cornerstone:{codespace}:{code}",
        title=title,
        status=status,
        detail=detail,
        code=code,
        codespace=codespace,
        instance=instance,
    )
    return JSONResponse(
        body.model_dump(), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def error_problem(error: CornerstoneError, *, status: int, instance: str | None) -> JSONResponse:
    headers = None
    if isinstance(error, RateLimitedError):
        headers = {"Retry-After": str(error.fields["retry_after"])}
    elif isinstance(error, AuthenticationError):
        headers = {"WWW-Authenticate": auth.CHALLENGE, "Accept-Signature": auth.ACCEPT_SIGNATURE}
    return problem(
        status=status,
        title=type(error).__name__.removesuffix("Error"),
        detail=error.message,
        code=error.code,
        codespace=error.codespace,
        instance=instance,
        headers=headers,
    )


def _add_error_handlers(app: FastAPI) -> None:
    async def gateway_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, GatewayError)
        return error_problem(exc, status=exc.status, instance=request.url.path)

    async def chain_refusal(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ChainRefusal)
        return problem(
            status=exc.status,
            title="Refused by the chain",
            detail=exc.log,
            code=exc.code,
            codespace=exc.codespace,
            instance=request.url.path,
        )

    async def transaction_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, TransactionError)  # bytes that do not decode as a transaction
        return error_problem(exc, status=400, instance=request.url.path)

    async def proof_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProofError)  # the node sent a proof that does not verify
        return error_problem(exc, status=502, instance=request.url.path)

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        reasons = "; ".join(
            f"{'.'.join(str(part) for part in error.get('loc', ()))}: {error.get('msg')}"
            for error in exc.errors()
        )
        return error_problem(
            BadParameterError(reason=reasons or "the request is not valid"),
            status=400,
            instance=request.url.path,
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return error_problem(
                NotFoundError(what=f"the route {request.url.path}"),
                status=404,
                instance=request.url.path,
            )
        return problem(
            status=exc.status_code,
            title="HTTP error",
            detail=str(exc.detail),
            code=exc.status_code,
            codespace="http",
            instance=request.url.path,
        )

    async def internal_error(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path, exc_info=exc)
        return problem(
            status=500,
            title="Internal error",
            detail="the gateway failed unexpectedly; its log says why",
            code=500,
            codespace="http",
            instance=request.url.path,
        )

    app.add_exception_handler(GatewayError, gateway_error)
    app.add_exception_handler(ChainRefusal, chain_refusal)
    app.add_exception_handler(TransactionError, transaction_error)
    app.add_exception_handler(ProofError, proof_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, internal_error)


# ---------------------------------------------------------------------------- middleware
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class LimitsMiddleware:
    """Rate limit and body size, before any route runs; and the request count by route.
    Blob uploads (/v1/blobs/...) have their own, larger, body limit.

    A pure ASGI middleware rather than `BaseHTTPMiddleware`, so the event stream passes through
    unbuffered. A body with a Content-Length over the limit is refused at once; a chunked body
    is counted as it arrives and refused when it crosses the limit.
    """

    def __init__(self, app: ASGIApp, gateway: Gateway) -> None:
        self.app = app
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        status_seen = 500

        async def counting_send(message: Message) -> None:
            nonlocal status_seen
            if message["type"] == "http.response.start":
                status_seen = int(message["status"])
            await send(message)

        try:
            refusal = await self._admission(scope)
            if refusal is not None:
                status_seen = refusal.status
                await error_problem(refusal, status=refusal.status, instance=path)(
                    scope, receive, send
                )
                return
            checked = self.gateway.auth.checked(scope, receive)  # a signed body's digest
            await self.app(scope, self._limited(checked, self._limit(scope)), counting_send)
        finally:
            route = scope.get("route")
            template = getattr(route, "path_format", None) or "unmatched"
            self.gateway.metrics.count_request(
                route=template, method=str(scope["method"]), status=status_seen
            )

    async def _admission(self, scope: Scope) -> GatewayError | None:
        """Who the request is from (auth.py), then its rate limit and body size. A request
        whose credentials fail spends a token of its address, so failing is limited too."""
        try:
            caller = await self.gateway.auth.authenticate(scope)
        except AuthenticationError as error:
            limited = self._refusal(scope, None)
            return limited if isinstance(limited, RateLimitedError) else error
        except GatewayError as error:  # the node could not be asked who the caller is (503)
            return error
        return self._refusal(scope, caller)

    def _refusal(self, scope: Scope, caller: auth.Caller | None) -> GatewayError | None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if scope["path"] not in UNLIMITED_PATHS:
            peer = scope.get("client")
            settings = self.gateway.settings
            anonymous = settings.rate_limit  # without authentication, no one is anonymous
            if settings.auth.mode != "none":
                anonymous = settings.auth.anonymous_rate_limit or anonymous_default(anonymous)
            client, rate = bucket_of(
                None if caller is None else caller.name,
                headers,
                peer[0] if peer else None,
                trust_identity=settings.trust_identity_header,
                member=settings.rate_limit,
                anonymous=anonymous,
            )
            wait = self.gateway.buckets.take(client, rate)
            if wait > 0:
                return RateLimitedError(client=client, retry_after=max(1, math.ceil(wait)))
        length = headers.get("content-length")
        limit = self._limit(scope)
        if length is not None and length.isdigit() and int(length) > limit:
            return BodyTooLargeError(limit=limit)
        return None

    def _limit(self, scope: Scope) -> int:
        """The body limit of this request: a blob upload's, or that of the rest."""
        settings = self.gateway.settings
        if str(scope["path"]).startswith(blobs.BLOBS_ROUTE):
            return settings.max_blob_bytes
        return settings.max_body_bytes

    def _limited(self, receive: Receive, limit: int) -> Receive:
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit=limit)
            return message

        return limited_receive


# ---------------------------------------------------------------------------- routes
PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": models.Problem, "content": {PROBLEM_JSON: {}}, "description": text}
    for status, text in (
        (400, "A mistake in the request"),
        (404, "Not found"),
        (413, "The body is over the limit"),
        (422, "The chain refused the transaction"),
        (429, "Too many requests from this client"),
        (502, "The node answered wrongly"),
        (503, "The node does not answer"),
        (504, "Not committed in time"),
    )
}
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
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]
HeightFrom = Annotated[int | None, Query(ge=1, le=MAX_HEIGHT, description="Lowest height.")]
HeightTo = Annotated[int | None, Query(ge=1, le=MAX_HEIGHT, description="Highest height.")]


def _add_routes(app: FastAPI, gateway: Gateway) -> None:
    index = gateway.index
    node = gateway.node

    @app.post(
        "/v1/transactions",
        response_model=models.Accepted,
        status_code=202,
        response_description="In the mempool (without wait=commit)",
        responses={
            200: {"model": models.Committed, "description": "In a block (with wait=commit)"},
            **PROBLEMS,
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": models.TransactionBody.model_json_schema()},
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                },
            }
        },
        tags=["transactions"],
        summary="Submit a signed transaction",
    )
    async def submit(
        request: Request,
        wait: Annotated[
            Literal["none", "commit"],
            Query(description="`commit`: answer once the transaction is in a block."),
        ] = "none",
        timeout: Annotated[
            float,
            Query(gt=0, le=MAX_COMMIT_TIMEOUT, description="Seconds to wait for the commit."),
        ] = DEFAULT_COMMIT_TIMEOUT,
    ) -> Response:
        """Broadcast the transaction's bytes to the node's mempool. The body is either the raw
        bytes (`application/octet-stream`) or JSON with `hex` or `base64`. A transaction the
        chain refuses is a problem with the chain's code: 400 when the bytes are not a
        transaction, 422 when the chain refuses it."""
        started = time.monotonic()
        raw = _transaction_bytes(request.headers.get("content-type", ""), await request.body())
        decode_transaction(raw)  # the chain's own strict decoder: malformed bytes stop here
        if wait == "none":
            tx_hash = await run_in_threadpool(node.broadcast, raw)
            gateway.metrics.observe_submit(time.monotonic() - started, wait="none")
            return JSONResponse(models.Accepted(hash=tx_hash.hex()).model_dump(), status_code=202)
        outcome = await gateway.submit_and_wait(raw, timeout=timeout)
        gateway.metrics.observe_submit(time.monotonic() - started, wait="commit")
        committed = models.committed_of(outcome)
        return JSONResponse(committed.model_dump(), status_code=200)

    @app.get(
        "/v1/state/{key:path}",
        response_model=models.ProvenValue,
        responses=PROBLEMS,
        tags=["state"],
        summary="Read a state key, with its proof",
    )
    def state(
        key: str,
        prove: Annotated[bool, Query(description="Check and return the proof.")] = True,
        height: Annotated[int, Query(ge=0, le=MAX_HEIGHT, description="0: the latest state.")] = 0,
    ) -> models.ProvenValue:
        """A state key's value or absence. The key is a path (`membership/org/org1`, as UTF-8)
        or `0x` and hex for binary keys. With `prove` (the default) the gateway checks the proof
        against the app hash in the header of the next block, and returns both."""
        raw_key = _state_key(key)
        if not prove:
            value, at = node.read(raw_key, height=height)
            return _proven_value(raw_key, value, at, None, None)
        proven = node.read_proven(raw_key, height=height)
        return _proven_value(proven.key, proven.value, proven.height, proven.app_hash, proven.proof)

    @app.get(
        "/v1/modules/{module}/{query}",
        response_model=models.QueryAnswer,
        responses=PROBLEMS,
        tags=["state"],
        summary="Ask a module's query",
    )
    def module_query(module: str, query: str, request: Request) -> models.QueryAnswer:
        """A module's read-only query, e.g. `/v1/modules/notary/lookup?digest=<hex>`. Query
        parameters are its arguments: integers in decimal, bytes in hex, text as it is."""
        args = _query_args(module, query, dict(request.query_params))
        value, height = node.query(module, query, args)
        return models.QueryAnswer(module=module, query=query, height=height, value=to_json(value))

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
        return index.proposals(status=status, order=order, cursor=cursor, limit=limit)

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


# ---------------------------------------------------------------------------- parsing
def _transaction_bytes(content_type: str, body: bytes) -> bytes:
    """The transaction's bytes from a raw body, or from JSON with `hex` or `base64`."""
    kind = content_type.split(";", maxsplit=1)[0].strip().lower()
    if kind == "application/octet-stream":
        if not body:
            raise BadRequestBodyError(reason="the body is empty")
        return body
    if kind not in ("application/json", ""):
        raise BadRequestBodyError(
            reason=f"send application/octet-stream or application/json, not {kind}"
        )
    try:
        document = models.TransactionBody.model_validate_json(body)
    except ValueError:
        raise BadRequestBodyError(
            reason='expected JSON {"hex": "..."} or {"base64": "..."}'
        ) from None
    if (document.hex is None) == (document.base64 is None):
        raise BadRequestBodyError(reason="give exactly one of hex and base64")
    try:
        if document.hex is not None:
            raw = bytes.fromhex(document.hex.removeprefix("0x"))
        else:
            raw = base64.b64decode(document.base64 or "", validate=True)
    except (ValueError, binascii.Error):
        raise BadRequestBodyError(reason="the hex or base64 does not decode") from None
    if not raw:
        raise BadRequestBodyError(reason="the transaction is empty")
    return raw


def _state_key(key: str) -> bytes:
    if key.startswith("0x"):
        try:
            return bytes.fromhex(key[2:])
        except ValueError:
            raise BadParameterError(reason=f"the key {key!r} is not 0x and hex") from None
    if not key:
        raise BadParameterError(reason="the key is empty")
    return key.encode()


def _proven_value(
    key: bytes, value: bytes | None, height: int, app_hash: bytes | None, proof: bytes | None
) -> models.ProvenValue:
    decoded: Any = None
    if value is not None:
        try:
            decoded = to_json(encoding.decode(value))
        except encoding.DecodeError:
            decoded = None
    return models.ProvenValue(
        key=key.hex(),
        value=None if value is None else value.hex(),
        decoded=decoded,
        height=height,
        app_hash=None if app_hash is None else app_hash.hex(),
        proof_type=None if proof is None else "cornerstone/smt/v1",
        proof=None if proof is None else proof.hex(),
    )


def _types(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _query_args(module: str, query: str, params: dict[str, str]) -> dict[str, encoding.Value]:
    """Query parameters as the query's typed arguments, by the field types of its request.

    A query this gateway does not know (a newer chain's) gets its arguments as text: the chain
    decides whether they fit.
    """
    from cornerstone.modules import BY_NAME  # the modules' shapes, to type the arguments

    known = BY_NAME.get(module)
    request = None if known is None else known.queries.get(query)
    hints = {} if request is None else typing.get_type_hints(request.request)
    return {name: _typed(name, hints.get(name, str), value) for name, value in params.items()}


def _typed(name: str, hint: Any, value: str) -> encoding.Value:
    options = typing.get_args(hint) if typing.get_origin(hint) is not None else (hint,)
    for option in options:
        try:
            if option is int:
                return int(value)
            if option is bool:
                if value.lower() not in ("true", "false"):
                    raise ValueError(value)
                return value.lower() == "true"
            if option is bytes:
                return bytes.fromhex(value.removeprefix("0x"))
            if option is str:
                return value
        except ValueError:
            continue
    if any(option in (int, bool, bytes, str) for option in options):
        raise BadParameterError(reason=f"the argument {name!r} cannot be {value!r}")
    try:
        parsed: encoding.Value = json.loads(value)
    except ValueError:
        raise BadParameterError(reason=f"the argument {name!r} must be JSON") from None
    return parsed


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
        **_tls_options(settings.tls, gateway),
    )
    Server(config).run()


def _tls_options(settings: tls.TlsSettings | None, gateway: Gateway) -> dict[str, Any]:
    """uvicorn's options for HTTPS with client certificates (tls.py); none for plain HTTP."""
    if settings is None:
        return {}
    roots = tls.chain_roots(gateway.node) if settings.client_ca_from_chain else []
    return tls.uvicorn_options(tls.server_context(settings, roots))
