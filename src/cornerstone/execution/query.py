"""Read-only queries: `/<module>/<query>` with canonical arguments, answered from state.

`/batch` answers many module queries in one ABCI query, for the gateway's indexer: a block of
thousands of anchors names thousands of records, and one query each would cost an RPC and an
ABCI round trip apiece, on every gateway. Its data is the canonical encoding of a list of
`[module, query, arguments]` (arguments as the encoded bytes a single query takes); its answer
is a list in the same order of `{"answer": <encoded answer>}` or, for a query refused on its
own, `{"code": …, "codespace": …, "log": …}`. All answers are from the same state.
"""

from __future__ import annotations

from cornerstone import encoding
from cornerstone.errors import (
    BadBatchError,
    CornerstoneError,
    InvalidArgumentsError,
    UnknownModuleError,
    UnknownOperationError,
)
from cornerstone.module import Reader, parse_message
from cornerstone.modules import BY_NAME


def run_query(state: Reader, module_name: str, query_name: str, data: bytes) -> bytes:
    """Answer one module query; its arguments and answer are canonical encodings."""
    module = BY_NAME.get(module_name)
    if module is None:
        raise UnknownModuleError(module=module_name)
    query = module.queries.get(query_name)
    if query is None:
        raise UnknownOperationError(module=module_name, operation=query_name)
    try:
        args = encoding.decode(data) if data else {}
        if not isinstance(args, dict):
            raise ValueError("query arguments must be a map")
        request = parse_message(query.request, args)
        # A query's own checks of its arguments raise ValueError as parsing does.
        answer = query.handler(state, request)
    except ValueError as exc:
        raise InvalidArgumentsError(
            module=module_name, operation=query_name, reason=str(exc)
        ) from None
    return encoding.encode(answer)


BATCH_LIMIT = 1000
"""Queries in one batch at most: an answer stays well under CometBFT's RPC response limits."""


def run_batch(state: Reader, data: bytes) -> bytes:
    """Answer a batch of module queries (see the module's docstring)."""
    try:
        items = encoding.decode(data)
    except ValueError as exc:
        raise BadBatchError(limit=BATCH_LIMIT, reason=str(exc)) from None
    if not isinstance(items, list) or len(items) > BATCH_LIMIT:
        raise BadBatchError(limit=BATCH_LIMIT, reason="not a list, or too long")
    answers: list[encoding.Value] = []
    for item in items:
        if not (
            isinstance(item, list)
            and len(item) == 3
            and isinstance(item[0], str)
            and isinstance(item[1], str)
            and isinstance(item[2], bytes)
        ):
            raise BadBatchError(limit=BATCH_LIMIT, reason="an item is not [module, query, bytes]")
        try:
            answers.append({"answer": run_query(state, item[0], item[1], item[2])})
        except CornerstoneError as error:
            answers.append({"code": error.code, "codespace": error.codespace, "log": error.message})
    return encoding.encode(answers)
