"""The surface of the contract language, as names: what the checker lets a contract spell and
what the runtime binds. The checker, the instrumenter and the runtime all read these tables, so
the three never disagree about what exists.

A contract sees only:

- the API module `cornerstone_contract` (imported by name: `from cornerstone_contract import
  export, Map`),
- the built-ins in BUILTINS (each a wrapper that charges gas and enforces the caps),
- the methods in METHODS, always called at once (`items.append(x)`; never `f = items.append`),
- the fields of the transaction context in CONTEXT_FIELDS (`context.sender`),
- the exception classes in CATCHABLE, in `except` and `raise`.

Everything the instrumenter adds is spelled with a leading underscore, which contract code can
never spell, so contract code cannot reach the meter, the helpers or its own builtins.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

API_MODULE: Final = "cornerstone_contract"

API_NAMES: Final = frozenset(
    {
        "export",  # decorator: a function transactions call
        "query",  # decorator: a read-only function
        "Map",  # a typed map in state, declared at module level
        "context",  # the transaction context (CONTEXT_FIELDS)
        "emit",  # emit(event, **attributes)
        "require",  # require(condition, message): refuse the transaction
        "call",  # call(contract, function, **args): another contract
        "has_role",  # has_role(org, role="admin"): the sender acts for org with role
        "Decimal",  # Decimal("12.50"): exact decimal money
        "sha256",  # sha256(data: bytes) -> bytes
    }
)
DECORATORS: Final = frozenset({"export", "query"})

BUILTINS: Final = frozenset(
    {
        "abs",
        "all",
        "any",
        "bool",
        "bytes",
        "chr",
        "dict",
        "divmod",
        "enumerate",
        "int",
        "len",
        "list",
        "max",
        "min",
        "ord",
        "range",
        "reversed",
        "sorted",
        "str",
        "sum",
        "tuple",
        "zip",
    }
)

CATCHABLE: Final = frozenset({"KeyError", "IndexError", "ValueError", "ZeroDivisionError"})
"""The only exceptions a contract may name in `except` or `raise`. None of the runtime's own
stops (gas, caps, depth, require) derives from them, and neither do RecursionError or
MemoryError, so no handler can swallow a limit."""

CONTEXT_FIELDS: Final = frozenset(
    {"sender", "org", "role", "height", "time", "tx_hash", "contract", "caller"}
)
"""Attributes read without a call, on `context` only. No built-in type has attributes with these
names, so reading them on anything else fails."""

METHODS: Final[Mapping[str, frozenset[str]]] = {
    "list": frozenset(
        {
            "append",
            "clear",
            "copy",
            "count",
            "extend",
            "index",
            "insert",
            "pop",
            "remove",
            "reverse",
            "sort",
        }
    ),
    "dict": frozenset(
        {
            "clear",
            "copy",
            "get",
            "items",
            "keys",
            "pop",
            "popitem",
            "setdefault",
            "update",
            "values",
        }
    ),
    "str": frozenset(
        {
            "count",
            "encode",
            "endswith",
            "find",
            "index",
            "isalnum",
            "isalpha",
            "isdigit",
            "islower",
            "isspace",
            "isupper",
            "join",
            "lower",
            "lstrip",
            "partition",
            "removeprefix",
            "removesuffix",
            "replace",
            "rfind",
            "rpartition",
            "rsplit",
            "rstrip",
            "split",
            "startswith",
            "strip",
            "upper",
        }
    ),
    "bytes": frozenset(
        {
            "count",
            "decode",
            "endswith",
            "find",
            "hex",
            "index",
            "join",
            "replace",
            "split",
            "startswith",
            "strip",
        }
    ),
    "tuple": frozenset({"count", "index"}),
    "int": frozenset({"bit_length", "to_bytes"}),
    "Decimal": frozenset({"quantize"}),
    "Map": frozenset({"delete", "get", "has", "range", "set"}),
}
"""Methods by the type they belong to. A call `x.name(...)` is dispatched on the exact type of x
at run time; a name valid for one type is refused on the others."""

METHOD_NAMES: Final = frozenset(name for names in METHODS.values() for name in names)

TYPE_NAMES: Final = frozenset(
    {"int", "str", "bytes", "bool", "list", "dict", "tuple", "Decimal", "None"}
)
"""Names an annotation may use (annotations are checked at the call boundary, then dropped)."""
MAP_KEY_TYPES: Final = frozenset({"str", "int", "bytes"})
MAP_VALUE_TYPES: Final = frozenset({"int", "str", "bytes", "bool", "list", "dict", "Decimal"})

FORBIDDEN_NAMES: Final = frozenset(
    {
        "__import__",
        "aiter",
        "anext",
        "ascii",
        "breakpoint",
        "bytearray",
        "callable",
        "classmethod",
        "compile",
        "copyright",
        "credits",
        "delattr",
        "dir",
        "eval",
        "exec",
        "exit",
        "filter",
        "format",
        "getattr",
        "globals",
        "hasattr",
        "hash",
        "help",
        "id",
        "input",
        "isinstance",
        "issubclass",
        "iter",
        "license",
        "locals",
        "map",
        "memoryview",
        "next",
        "object",
        "open",
        "pow",
        "print",
        "property",
        "quit",
        "repr",
        "round",
        "setattr",
        "slice",
        "staticmethod",
        "super",
        "type",
        "vars",
    }
)
"""Built-ins that reach the interpreter, the host, or unmetered work. Named in the refusal so a
contract author learns why, rather than getting "unknown name"."""
FLOAT_NAMES: Final = frozenset({"float", "complex"})
SET_NAMES: Final = frozenset({"set", "frozenset"})

INTROSPECTION_ATTRIBUTES: Final = frozenset(
    {
        # frames
        "f_back",
        "f_builtins",
        "f_code",
        "f_globals",
        "f_lasti",
        "f_lineno",
        "f_locals",
        "f_trace",
        "f_trace_lines",
        "f_trace_opcodes",
        # generators, coroutines, async generators
        "gi_code",
        "gi_frame",
        "gi_running",
        "gi_suspended",
        "gi_yieldfrom",
        "cr_await",
        "cr_code",
        "cr_frame",
        "cr_origin",
        "cr_running",
        "ag_await",
        "ag_code",
        "ag_frame",
        "ag_running",
        # tracebacks
        "tb_frame",
        "tb_lasti",
        "tb_lineno",
        "tb_next",
        # code objects
        "co_argcount",
        "co_cellvars",
        "co_code",
        "co_consts",
        "co_exceptiontable",
        "co_filename",
        "co_firstlineno",
        "co_flags",
        "co_freevars",
        "co_kwonlyargcount",
        "co_lines",
        "co_linetable",
        "co_lnotab",
        "co_name",
        "co_names",
        "co_nlocals",
        "co_positions",
        "co_posonlyargcount",
        "co_qualname",
        "co_stacksize",
        "co_varnames",
        # functions, methods, cells, classes, exceptions (Python 2 spellings included)
        "cell_contents",
        "func_closure",
        "func_code",
        "func_defaults",
        "func_dict",
        "func_globals",
        "func_name",
        "im_class",
        "im_func",
        "im_self",
        "mro",
        "with_traceback",
        "add_note",
    }
)
FORMAT_ATTRIBUTES: Final = frozenset({"format", "format_map"})

# ---------------------------------------------------------------------------- generated names
GAS: Final = "_gas"
"""The gas left: a global int of the contract's namespace, which the instrumented code decrements
and the host's Meter charges through the namespace dict (see `instrument`)."""
DEPTH: Final = "_depth"
"""Contract function frames on the stack."""
