"""Read-only queries: `/<module>/<query>` with canonical arguments, answered from state."""

from __future__ import annotations

from cornerstone import encoding
from cornerstone.errors import InvalidArgumentsError, UnknownModuleError, UnknownOperationError
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
