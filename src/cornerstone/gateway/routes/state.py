"""State reads, with their proofs, and module queries: answered by the node."""

from __future__ import annotations

import json
import typing
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import FastAPI, Query, Request

from cornerstone import encoding
from cornerstone.gateway import models
from cornerstone.gateway.errors import BadParameterError
from cornerstone.gateway.indexer import to_json
from cornerstone.gateway.problems import PROBLEMS
from cornerstone.gateway.routes.params import MAX_HEIGHT

if TYPE_CHECKING:
    from cornerstone.gateway.core import Gateway


def add_routes(app: FastAPI, gateway: Gateway) -> None:
    node = gateway.node

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
