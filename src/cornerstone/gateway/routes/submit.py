"""POST /v1/transactions: a signed transaction into the node's mempool, and optionally its wait
for the block that holds it.

The gateway's hot path, so it has two routes. A submission whose query is empty or plain
(`wait=none|commit`, `timeout=` a number of seconds in range) takes a lean Starlette route that
reads the body and calls the node without FastAPI's request parsing, validation or a thread hop,
which cost about a quarter of a submission's CPU (issue 6). Any other query goes on to the FastAPI
route below it, which documents the operation in the OpenAPI document and validates what it
gets: both end in `_submitted`, so the answers, and the problems, are the same.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect
from starlette.routing import Match, Route

from cornerstone.gateway import models
from cornerstone.gateway.errors import BadRequestBodyError
from cornerstone.gateway.problems import PROBLEMS
from cornerstone.tx import decode_transaction

if TYPE_CHECKING:
    from cornerstone.gateway.core import Gateway

DEFAULT_COMMIT_TIMEOUT = 30.0
MAX_COMMIT_TIMEOUT = 120.0
SUBMIT_PATH: Final = "/v1/transactions"
PLAIN_QUERY: Final = re.compile(rb"wait=(none|commit)(?:&timeout=([0-9]{1,3}(?:\.[0-9]{1,6})?))?")
"""The queries the lean route takes; FastAPI's route takes (and validates) any other."""
PLAIN: Final = "cornerstone.submit"
"""The scope key under which the lean route's match leaves `wait` and `timeout`."""

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def add_routes(app: FastAPI, gateway: Gateway) -> None:
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
        return await _submitted(gateway, raw, wait=wait, timeout=timeout, started=started)

    documented = app.router.routes[-1]
    lean = PlainSubmissions(SUBMIT_PATH, Submit(gateway), methods=["POST"], include_in_schema=False)
    app.router.routes.insert(app.router.routes.index(documented), lean)


class PlainSubmissions(Route):
    """The lean route: POST /v1/transactions with a plain query, or none."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.FULL:
            return Match.NONE, {}  # FastAPI's route answers, as for any other query
        plain = _plain_query(scope["query_string"])
        if plain is None:
            return Match.NONE, {}
        child_scope[PLAIN] = plain
        child_scope["route"] = self  # as FastAPI's routes do: the metrics name requests by it
        return match, child_scope


class Submit:
    """The lean route's ASGI endpoint."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.monotonic()
        wait, timeout = scope[PLAIN]
        content_type = ""
        for name, value in scope["headers"]:
            if name == b"content-type":  # ASGI servers give header names in lower case
                content_type = value.decode("latin-1")
                break
        raw = _transaction_bytes(content_type, await _body(receive))
        response = await _submitted(self.gateway, raw, wait=wait, timeout=timeout, started=started)
        await response(scope, receive, send)


async def _submitted(
    gateway: Gateway, raw: bytes, *, wait: str, timeout: float, started: float
) -> Response:
    """Submit `raw` (and wait for its block with wait=commit): the answer for both routes."""
    decode_transaction(raw)  # the chain's own strict decoder: malformed bytes stop here
    if wait == "none":
        tx_hash = await gateway.node.abroadcast(raw)
        gateway.metrics.observe_submit(time.monotonic() - started, wait="none")
        return JSONResponse(models.Accepted(hash=tx_hash.hex()).model_dump(), status_code=202)
    outcome = await gateway.submit_and_wait(raw, timeout=timeout)
    gateway.metrics.observe_submit(time.monotonic() - started, wait="commit")
    committed = models.committed_of(outcome)
    return JSONResponse(committed.model_dump(), status_code=200)


def _plain_query(query: bytes) -> tuple[str, float] | None:
    """`wait` and `timeout` of a plain query (their defaults when empty); None for any other."""
    if not query:
        return "none", DEFAULT_COMMIT_TIMEOUT
    plain = PLAIN_QUERY.fullmatch(query)
    if plain is None:
        return None
    timeout = DEFAULT_COMMIT_TIMEOUT if plain[2] is None else float(plain[2])
    if not 0 < timeout <= MAX_COMMIT_TIMEOUT:
        return None  # out of range: FastAPI's route says so, as a problem
    return plain[1].decode(), timeout


async def _body(receive: Receive) -> bytes:
    """The request's body, as Starlette's `Request.body` reads it."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


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
