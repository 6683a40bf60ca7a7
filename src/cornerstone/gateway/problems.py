"""RFC 9457 problem details: every refusal of the gateway, with a stable `code` and `codespace`
(errors.py), and the exception handlers that turn errors into them."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from cornerstone.errors import CornerstoneError, ProofError, TransactionError
from cornerstone.gateway import auth, models
from cornerstone.gateway.errors import (
    AuthenticationError,
    BadParameterError,
    GatewayError,
    NotFoundError,
    RateLimitedError,
)
from cornerstone.gateway.node import ChainRefusal

log = logging.getLogger("cornerstone.gateway")

PROBLEM_JSON = "application/problem+json"


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


def add_error_handlers(app: FastAPI) -> None:
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
