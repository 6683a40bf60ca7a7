"""The install-time check: is this source a contract of the language, and what does it export?

`check_source` parses with `ast` and walks an allowlist of syntax. Anything it does not know is
refused, so a Python feature added later is refused until someone decides it is safe. Each
violation names file:line:col and one stable rule id:

    rule                     refused
    syntax                   source that does not parse as Python 3.11, is over MAX_SOURCE_BYTES,
                             or nests deeper than MAX_SYNTAX_DEPTH
    import                   any import but `from cornerstone_contract import <API names>`
    class                    class definitions
    underscore               any name, attribute, argument, keyword or alias starting with "_"
                             (this alone closes __class__, __subclasses__, __globals__,
                             __builtins__, __import__ and the names the instrumenter adds)
    introspection-attribute  frame, code, traceback, generator, coroutine and function internals
                             that start with a letter: f_globals, f_back, gi_frame, cr_frame,
                             tb_frame, co_code, func_globals, mro, with_traceback ...
    format                   str.format / format_map, % on a string literal, f-string
                             conversions (!r !s !a) and format specs: they reach attributes or
                             build unmetered text
    unknown-attribute        an attribute that is neither a method of language.METHODS nor a
                             field of the transaction context
    method-reference         a method named without being called at once (f = items.append)
    attribute-store          assigning or deleting an attribute (functions carry no state)
    forbidden-name           eval, exec, compile, open, getattr, setattr, type, super, vars,
                             globals, iter, next, print, hash, id, ... (language.FORBIDDEN_NAMES)
    unknown-name             a name that is not a local, a module-level name, an imported API
                             name, an allowed built-in or a catchable exception
    float                    float and complex literals, float(), complex()
    true-division            / and /= (integers only; Decimal arithmetic for money)
    set                      set displays, set comprehensions, set(), frozenset(): their order
                             follows hashes, which differ between processes
    async                    async def, async for, async with, await
    generator                yield, yield from, generator expressions (frames escape through
                             gi_frame, and they run code lazily outside the meter's view)
    lambda                   lambda
    global                   global, nonlocal: the only state that outlives a call is the Map API
    try                      bare except, except of anything but KeyError, IndexError,
                             ValueError, ZeroDivisionError, `except ... as`, finally, try*
                             (a finally can swallow the runtime's stop with return or break;
                             a broad except could catch it; no handler ever sees a limit)
    raise                    raise of anything but a catchable exception; raise ... from
    with                     with statements
    assert                   assert (python -O strips it: use require)
    match                    match statements (class patterns read attributes)
    walrus                   assignment expressions
    decorator                decorators other than one @export or @query on a module-level
                             function, or export/query used as values
    nested-function          def inside a function
    module-statement         module-level statements other than API imports, constants
                             (immutable literals, Decimal("literal")), Map declarations and
                             function definitions
    default                  default argument values other than immutable literals
    star                     *args, **kwargs, starred expressions, ** in calls and dict displays
    target                   assignment targets other than names and subscripts; unpacking and
                             loop targets other than names
    map                      Map(...) anywhere but `name = Map("literal", key=T, value=T)` at
                             module level, a map name used twice, unsupported key/value types
    duplicate                a module-level name defined twice
    annotation               annotations other than int, str, bytes, bool, list, dict, tuple,
                             Decimal, None, list[T], dict[str, T] and T | None
    literal-size             integer literals over MAX_INT_BITS, text literals over MAX_TEXT,
                             module-level Decimal literals that are not finite 34-digit numbers
    unsupported-syntax       any other node (Ellipsis, @ matrix product, del of a name list...),
                             and a chained comparison of computed values inside a
                             comprehension's iterable (the instrumenter needs a temporary there)

The check says nothing about what code does at run time: the instrumenter meters it and the
runtime's wrappers enforce the caps, so a contract that passes here can still run out of gas.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from cornerstone import encoding
from cornerstone.contracts import language, limits
from cornerstone.contracts.errors import ContractRefusedError
from cornerstone.contracts.meter import LimitExceeded
from cornerstone.contracts.operations import make_decimal

RULES: Final[Mapping[str, str]] = {
    "syntax": "the source parses as Python 3.11, within the size and nesting limits",
    "import": "only `from cornerstone_contract import <API names>`",
    "class": "classes are not part of the language",
    "underscore": "names and attributes never start with '_'",
    "introspection-attribute": "frame, code, traceback and generator internals are refused",
    "format": "str.format, format_map, %-formatting and f-string conversions or specs",
    "unknown-attribute": "attributes are the listed methods and context fields",
    "method-reference": "methods are called where they are named",
    "attribute-store": "attributes are never assigned or deleted",
    "forbidden-name": "built-ins that reach the interpreter or unmetered work",
    "unknown-name": "every name is defined by the contract, the API or the allowed built-ins",
    "float": "no floats or complex numbers",
    "true-division": "no true division (/); integers and Decimal",
    "set": "no sets (their order differs between processes)",
    "async": "no async code",
    "generator": "no generators",
    "lambda": "no lambda",
    "global": "no global or nonlocal",
    "try": "handlers name only catchable exceptions, without `as`; no finally",
    "raise": "raise names a catchable exception",
    "with": "no with statements",
    "assert": "no assert; use require()",
    "match": "no match statements",
    "walrus": "no assignment expressions",
    "decorator": "only @export or @query, once, on module-level functions",
    "nested-function": "functions are defined at module level",
    "module-statement": "module level: API imports, constants, Map declarations, functions",
    "default": "default values are immutable literals",
    "star": "no *args, **kwargs or starred expressions",
    "target": "targets are names or subscripts; unpacking and loop targets are names",
    "map": 'Map("name", key=T, value=T) assigned once at module level',
    "duplicate": "a module-level name is defined once",
    "annotation": "annotations use the supported type forms",
    "literal-size": "literals fit the integer and text caps",
    "unsupported-syntax": "syntax outside the contract subset",
}
"""Every rule id, with a one-line summary (the module docstring has the full table)."""

MAP_NAME: Final = re.compile(r"[a-z][a-z0-9_]{0,31}")
FunctionKind = Literal["export", "query", "internal"]


# ---------------------------------------------------------------------------- results
@dataclass(frozen=True, slots=True)
class Violation:
    """One place where the source breaks a rule."""

    filename: str
    line: int
    """1-based line in the source."""
    col: int
    """0-based column, as `ast` counts it."""
    rule: str
    """A key of RULES; stable, so tools and tests can match on it."""
    message: str
    """What was found, for a person."""

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}:{self.col}: [{self.rule}] {self.message}"


@dataclass(frozen=True, slots=True)
class TypeSpec:
    """An annotation of an exported function's parameter, checked when a transaction calls it."""

    name: str
    """One of language.TYPE_NAMES."""
    items: tuple[TypeSpec, ...] = ()
    """The item type of list[T] or the value type of dict[str, T]."""
    optional: bool = False
    """T | None."""

    def __str__(self) -> str:
        text = self.name
        if self.items:
            inner = ", ".join(str(i) for i in self.items)
            text = f"{text}[str, {inner}]" if self.name == "dict" else f"{text}[{inner}]"
        return f"{text} | None" if self.optional else text


@dataclass(frozen=True, slots=True)
class Param:
    """A parameter of a contract function."""

    name: str
    type: TypeSpec | None
    """Its annotation, or None for any canonical value."""
    has_default: bool
    default: encoding.Value = None
    """An immutable literal; meaningful only when has_default."""
    positional_only: bool = False


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """A module-level function of the contract."""

    name: str
    kind: FunctionKind
    """"export" (transactions), "query" (read-only) or "internal" (not callable from outside)."""
    params: tuple[Param, ...]
    line: int
    """The line of its `def`."""


@dataclass(frozen=True, slots=True)
class MapSpec:
    """A `variable = Map("name", key=K, value=V)` declaration."""

    variable: str
    """The module-level name the contract uses."""
    name: str
    """The map's name in state (the first byte of its keys' layout; see storage.py)."""
    key: str
    """One of language.MAP_KEY_TYPES."""
    value: str | None
    """One of language.MAP_VALUE_TYPES, or None for any canonical value."""
    line: int


@dataclass(frozen=True, slots=True)
class CheckedContract:
    """A source that passed every rule, and what it declares."""

    filename: str
    source: str
    functions: Mapping[str, FunctionSpec]
    """Every module-level function by name, in source order."""
    maps: tuple[MapSpec, ...]
    imports: Mapping[str, str]
    """Local name -> API name, for each `from cornerstone_contract import name [as local]`."""

    def entry(self, name: str) -> FunctionSpec | None:
        """The exported or query function `name`, or None (internal functions are not entries)."""
        spec = self.functions.get(name)
        return spec if spec is not None and spec.kind != "internal" else None


# ---------------------------------------------------------------------------- entry points
def check_source(source: str, filename: str) -> CheckedContract:
    """The checked contract; ContractRefusedError listing every violation otherwise."""
    found, checked = _check(source, filename)
    if found or checked is None:
        first = found[0] if found else Violation(filename, 1, 0, "syntax", "empty result")
        raise ContractRefusedError(
            filename=filename, count=len(found), first=str(first), violations=tuple(found)
        )
    return checked


def find_violations(source: str, filename: str) -> tuple[Violation, ...]:
    """Every violation in the source, in the order of the source (empty when it passes)."""
    return _check(source, filename)[0]


def _check(source: str, filename: str) -> tuple[tuple[Violation, ...], CheckedContract | None]:
    if len(source.encode("utf-8", "surrogatepass")) > limits.MAX_SOURCE_BYTES:
        message = f"the source is larger than {limits.MAX_SOURCE_BYTES} bytes"
        return (Violation(filename, 1, 0, "syntax", message),), None
    try:
        tree = ast.parse(source, filename=filename, feature_version=(3, 11))
    except SyntaxError as exc:
        line, col = exc.lineno or 1, max((exc.offset or 1) - 1, 0)
        return (Violation(filename, line, col, "syntax", exc.msg),), None
    except (ValueError, RecursionError, MemoryError) as exc:
        reason = "nests too deeply" if not isinstance(exc, ValueError) else str(exc)
        return (Violation(filename, 1, 0, "syntax", f"the source {reason}"),), None
    checker = _Checker(filename)
    try:
        checker.module(tree)
    except RecursionError:
        return (Violation(filename, 1, 0, "syntax", "the source nests too deeply"),), None
    found = tuple(sorted(checker.found, key=lambda v: (v.line, v.col, v.rule)))
    if found:
        return found, None
    return (), CheckedContract(
        filename=filename,
        source=source,
        functions=checker.functions,
        maps=tuple(checker.maps),
        imports=checker.imports,
    )


# ---------------------------------------------------------------------------- the walk
_ALLOWED_CONSTANTS: Final = (bool, int, str, bytes, type(None))


class _Checker:
    """Walks the tree once, collecting violations and the contract's declarations."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.found: list[Violation] = []
        self.functions: dict[str, FunctionSpec] = {}
        self.maps: list[MapSpec] = []
        self.imports: dict[str, str] = {}
        self.module_names: set[str] = set()
        self.local_names: set[str] = set()
        self.too_deep = False
        self.in_iterable = 0
        """How many comprehension iterables enclose the expression being checked."""

    def report(self, node: ast.AST, rule: str, message: str) -> None:
        line = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0)
        self.found.append(Violation(self.filename, line, col, rule, message))

    # ------------------------------------------------------------------ module level
    def module(self, tree: ast.Module) -> None:
        self.module_names = self._module_bindings(tree.body)
        for index, stmt in enumerate(tree.body):
            self.local_names = set()
            if index == 0 and _is_docstring(stmt):
                continue
            if isinstance(stmt, ast.ImportFrom | ast.Import):
                self.import_(stmt)
            elif isinstance(stmt, ast.FunctionDef):
                self.function(stmt)
            elif isinstance(stmt, ast.Assign | ast.AnnAssign):
                self.module_assign(stmt)
            elif isinstance(stmt, ast.ClassDef):
                self.report(stmt, "class", f"class {stmt.name}: classes are not available")
            elif isinstance(stmt, ast.AsyncFunctionDef):
                self.report(stmt, "async", f"async def {stmt.name}: async code is not available")
            else:
                self.report(
                    stmt,
                    "module-statement",
                    f"{type(stmt).__name__} at module level: only imports of the API, "
                    "constants, Map declarations and functions",
                )
                self.statement(stmt, 0)

    def _module_bindings(self, body: list[ast.stmt]) -> set[str]:
        """Every module-level name, reporting names defined twice."""
        names: set[str] = set()

        def bind(name: str, node: ast.AST) -> None:
            if name in names:
                self.report(node, "duplicate", f"'{name}' is defined twice at module level")
            names.add(name)

        for stmt in body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                bind(stmt.name, stmt)
            elif isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    bind(alias.asname or alias.name, stmt)
            elif isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        bind(target.id, target)
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                bind(stmt.target.id, stmt.target)
        return names

    def import_(self, stmt: ast.Import | ast.ImportFrom) -> None:
        if isinstance(stmt, ast.Import) or stmt.module != language.API_MODULE or stmt.level:
            names = ", ".join(a.name for a in stmt.names)
            source = names if isinstance(stmt, ast.Import) else f"{stmt.module} ({names})"
            self.report(
                stmt, "import", f"import of {source}: only {language.API_MODULE} can be imported"
            )
            return
        for alias in stmt.names:
            if alias.name not in language.API_NAMES:
                self.report(
                    stmt, "import", f"{language.API_MODULE} has no '{alias.name}' to import"
                )
                continue
            local = alias.asname or alias.name
            if self.bind_ok(local, stmt):
                self.imports[local] = alias.name

    def module_assign(self, stmt: ast.Assign | ast.AnnAssign) -> None:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        value = stmt.value
        if len(targets) != 1 or not isinstance(targets[0], ast.Name) or value is None:
            self.report(stmt, "module-statement", "a module-level assignment binds one name")
            return
        name = targets[0].id
        self.bind_ok(name, targets[0])
        if isinstance(stmt, ast.AnnAssign):
            self.annotation(stmt.annotation)
        if isinstance(value, ast.Call) and self.api_name(value.func) == "Map":
            self.map_declaration(name, value)
        elif _is_decimal_literal(value, self.imports):
            assert isinstance(value, ast.Call) and isinstance(value.args[0], ast.Constant)
            try:  # Decimal("0.01"): immutable, made once at load, so it must be valid now
                make_decimal(value.args[0].value)
            except (ValueError, ArithmeticError, LimitExceeded) as exc:
                self.report(value, "literal-size", f"not a contract Decimal: {exc}")
        elif not self.constant(value):
            self.report(
                value,
                "module-statement",
                f"'{name}' must be an immutable literal (int, str, bytes, bool, None, a tuple of "
                "them, or Decimal(literal)): module-level state outside Map would be shared "
                "between calls",
            )

    def map_declaration(self, variable: str, call: ast.Call) -> None:
        if len(call.args) != 1 or not (
            isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)
        ):
            self.report(call, "map", 'a Map is declared as Map("name", key=T, value=T)')
            return
        name = call.args[0].value
        if not MAP_NAME.fullmatch(name):
            self.report(call, "map", f"map name {name!r} must match {MAP_NAME.pattern}")
            return
        if any(m.name == name for m in self.maps):
            self.report(call, "map", f"the map name {name!r} is used twice")
            return
        types: dict[str, str | None] = {"key": "str", "value": None}
        for keyword in call.keywords:
            allowed = {"key": language.MAP_KEY_TYPES, "value": language.MAP_VALUE_TYPES}
            if keyword.arg not in allowed:
                self.report(keyword, "map", f"Map takes key= and value=, not {keyword.arg}=")
                return
            if not (
                isinstance(keyword.value, ast.Name) and keyword.value.id in allowed[keyword.arg]
            ):
                options = ", ".join(sorted(allowed[keyword.arg]))
                self.report(keyword, "map", f"Map {keyword.arg}= is one of {options}")
                return
            types[keyword.arg] = keyword.value.id
        key = types["key"] or "str"
        self.maps.append(MapSpec(variable, name, key, types["value"], call.lineno))

    # ------------------------------------------------------------------ functions
    def function(self, node: ast.FunctionDef) -> None:
        self.local_names = set()
        self.bind_ok(node.name, node)
        kind: FunctionKind = "internal"
        for index, decorator in enumerate(node.decorator_list):
            api = self.api_name(decorator) if isinstance(decorator, ast.Name) else None
            if api not in language.DECORATORS or index > 0:
                self.report(decorator, "decorator", "the only decorators are one @export or @query")
            elif api == "export":
                kind = "export"
            elif api == "query":
                kind = "query"
        params = self.arguments(node.args)
        if node.returns is not None:
            self.annotation(node.returns)
        self.local_names = {p.name for p in params} | _bound_in(node.body)
        for stmt in _without_docstring(node.body):
            self.statement(stmt, 1)
        self.functions[node.name] = FunctionSpec(node.name, kind, params, node.lineno)

    def arguments(self, args: ast.arguments) -> tuple[Param, ...]:
        if args.vararg is not None:
            self.report(args.vararg, "star", "*args is not available: name each parameter")
        if args.kwarg is not None:
            self.report(args.kwarg, "star", "**kwargs is not available: name each parameter")
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
        defaults += args.defaults
        params: list[Param] = []
        all_args = [*positional, *args.kwonlyargs]
        all_defaults = [*defaults, *args.kw_defaults]
        for index, (arg, default) in enumerate(zip(all_args, all_defaults, strict=True)):
            self.bind_ok(arg.arg, arg)
            spec = self.annotation(arg.annotation) if arg.annotation is not None else None
            value: encoding.Value = None
            if default is not None:
                if self.constant(default):
                    value = _constant_value(default)
                else:
                    self.report(
                        default,
                        "default",
                        f"the default of '{arg.arg}' must be an immutable literal",
                    )
            params.append(
                Param(
                    name=arg.arg,
                    type=spec,
                    has_default=default is not None,
                    default=value,
                    positional_only=index < len(args.posonlyargs),
                )
            )
        return tuple(params)

    def annotation(self, node: ast.expr) -> TypeSpec | None:
        spec = _type_spec(node)
        if spec is None:
            self.report(node, "annotation", f"unsupported annotation {ast.unparse(node)!r}")
        return spec

    # ------------------------------------------------------------------ statements
    def statement(self, node: ast.stmt, depth: int) -> None:
        if self.deep(node, depth):
            return
        d = depth + 1
        if isinstance(node, ast.FunctionDef):
            self.report(node, "nested-function", f"def {node.name} inside a function")
        elif isinstance(node, ast.AsyncFunctionDef | ast.AsyncFor | ast.AsyncWith):
            self.report(node, "async", "async code is not available")
        elif isinstance(node, ast.ClassDef):
            self.report(node, "class", f"class {node.name}: classes are not available")
        elif isinstance(node, ast.Return):
            self.optional(node.value, d)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                self.target(target, d, unpacking=False)
            self.expr(node.value, d)
        elif isinstance(node, ast.AugAssign):
            if isinstance(node.op, ast.Div):
                self.report(node, "true-division", "/= is not available: use //= or Decimal")
            elif isinstance(node.op, ast.MatMult):
                self.report(node, "unsupported-syntax", "@= is not available")
            if isinstance(node.target, ast.Tuple | ast.List):
                self.report(node.target, "target", "augmented assignment to a tuple")
            else:
                self.target(node.target, d, unpacking=False)
            self.expr(node.value, d)
        elif isinstance(node, ast.AnnAssign):
            self.annotation(node.annotation)
            self.target(node.target, d, unpacking=False)
            self.optional(node.value, d)
        elif isinstance(node, ast.For):
            self.target(node.target, d, unpacking=True)
            self.expr(node.iter, d)
            self.block(node.body, d)
            self.block(node.orelse, d)
        elif isinstance(node, ast.While | ast.If):
            self.expr(node.test, d)
            self.block(node.body, d)
            self.block(node.orelse, d)
        elif isinstance(node, ast.Expr):
            self.expr(node.value, d)
        elif isinstance(node, ast.Break | ast.Continue | ast.Pass):
            pass
        elif isinstance(node, ast.Raise):
            self.raise_(node, d)
        elif isinstance(node, ast.Try):
            self.try_(node, d)
        elif isinstance(node, ast.TryStar):
            self.report(node, "try", "try/except* is not available")
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                if isinstance(target, ast.Tuple | ast.List):
                    self.report(target, "unsupported-syntax", "delete one target at a time")
                else:
                    self.target(target, d, unpacking=False)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            keyword = "global" if isinstance(node, ast.Global) else "nonlocal"
            self.report(node, "global", f"{keyword} is not available: keep state in a Map")
        elif isinstance(node, ast.With):
            self.report(node, "with", "with statements are not available")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            self.report(node, "import", "imports are at module level, from the API only")
        elif isinstance(node, ast.Assert):
            self.report(node, "assert", "assert is stripped by python -O: use require()")
        elif isinstance(node, ast.Match):
            self.report(node, "match", "match statements are not available")
        else:
            self.report(node, "unsupported-syntax", f"{type(node).__name__} is not available")

    def block(self, body: Iterable[ast.stmt], depth: int) -> None:
        for stmt in body:
            self.statement(stmt, depth)

    def raise_(self, node: ast.Raise, depth: int) -> None:
        if node.cause is not None:
            self.report(node, "raise", "raise ... from is not available")
        exc = node.exc
        if exc is None:
            return
        target = exc.func if isinstance(exc, ast.Call) else exc
        if not (isinstance(target, ast.Name) and target.id in language.CATCHABLE):
            names = ", ".join(sorted(language.CATCHABLE))
            self.report(node, "raise", f"raise one of {names} (or use require())")
        if isinstance(exc, ast.Call):
            self.call_arguments(exc, depth)

    def try_(self, node: ast.Try, depth: int) -> None:
        if node.finalbody:
            self.report(
                node.finalbody[0],
                "try",
                "finally is not available: a return or break in it would swallow the "
                "runtime's stop",
            )
        for handler in node.handlers:
            if handler.type is None:
                self.report(handler, "try", "a bare except would catch the runtime's limits")
            else:
                kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
                for kind in kinds:
                    if not (isinstance(kind, ast.Name) and kind.id in language.CATCHABLE):
                        names = ", ".join(sorted(language.CATCHABLE))
                        self.report(
                            kind, "try", f"except {ast.unparse(kind)}: only {names} can be caught"
                        )
            if handler.name is not None:
                self.report(handler, "try", f"except ... as {handler.name} is not available")
            self.block(handler.body, depth)
        self.block(node.body, depth)
        self.block(node.orelse, depth)

    def target(self, node: ast.expr, depth: int, *, unpacking: bool) -> None:
        """A place assigned to (or deleted, or iterated into)."""
        if isinstance(node, ast.Name):
            self.bind_ok(node.id, node)
        elif isinstance(node, ast.Tuple | ast.List):
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    self.report(element, "star", "starred assignment is not available")
                elif isinstance(element, ast.Name):
                    self.bind_ok(element.id, element)
                else:
                    self.report(element, "target", "unpacking assigns to names only")
                    self.expr(element, depth)
        elif isinstance(node, ast.Subscript) and not unpacking:
            self.expr(node.value, depth)
            self.expr(node.slice, depth)
        elif isinstance(node, ast.Attribute):
            self.report(node, "attribute-store", f"assigning or deleting .{node.attr}")
        elif isinstance(node, ast.Starred):
            self.report(node, "star", "starred assignment is not available")
        else:
            self.report(node, "target", "loop targets are names or tuples of names")
            self.expr(node, depth)

    # ------------------------------------------------------------------ expressions
    def optional(self, node: ast.expr | None, depth: int) -> None:
        if node is not None:
            self.expr(node, depth)

    def expr(self, node: ast.expr, depth: int) -> None:
        if self.deep(node, depth):
            return
        d = depth + 1
        if isinstance(node, ast.Constant):
            self.literal(node)
        elif isinstance(node, ast.Name):
            self.name(node)
        elif isinstance(node, ast.Attribute):
            self.attribute(node, d, called=False)
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute):
                self.attribute(node.func, d, called=True)
            elif isinstance(node.func, ast.Name) and self.api_name(node.func) == "Map":
                self.report(node, "map", "Map is declared at module level: NAME = Map(...)")
            else:
                self.expr(node.func, d)
            self.call_arguments(node, d)
        elif isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Div):
                self.report(node, "true-division", "/ is not available: use // or Decimal")
            elif isinstance(node.op, ast.MatMult):
                self.report(node, "unsupported-syntax", "@ is not available")
            elif isinstance(node.op, ast.Mod) and _is_text(node.left):
                self.report(node, "format", "%-formatting is not available: use an f-string")
            self.expr(node.left, d)
            self.expr(node.right, d)
        elif isinstance(node, ast.BoolOp):
            for value in node.values:
                self.expr(value, d)
        elif isinstance(node, ast.UnaryOp):
            self.expr(node.operand, d)
        elif isinstance(node, ast.Compare):
            if self.in_iterable and any(not _is_simple(c) for c in node.comparators[:-1]):
                self.report(
                    node,
                    "unsupported-syntax",
                    "a chained comparison of computed values in a comprehension's iterable: "
                    "compute it before the comprehension",
                )
            self.expr(node.left, d)
            for comparator in node.comparators:
                self.expr(comparator, d)
        elif isinstance(node, ast.IfExp):
            self.expr(node.test, d)
            self.expr(node.body, d)
            self.expr(node.orelse, d)
        elif isinstance(node, ast.List | ast.Tuple):
            for element in node.elts:
                self.expr(element, d)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if key is None:
                    self.report(value, "star", "** in a dict display is not available")
                else:
                    self.expr(key, d)
                self.expr(value, d)
        elif isinstance(node, ast.Subscript):
            self.expr(node.value, d)
            self.expr(node.slice, d)
        elif isinstance(node, ast.Slice):
            for part in (node.lower, node.upper, node.step):
                self.optional(part, d)
        elif isinstance(node, ast.ListComp | ast.DictComp):
            self.comprehension(node, d)
        elif isinstance(node, ast.JoinedStr):
            self.fstring(node, d)
        elif isinstance(node, ast.Set | ast.SetComp):
            self.report(node, "set", "sets are not available: their order differs between nodes")
        elif isinstance(node, ast.GeneratorExp):
            self.report(node, "generator", "generator expressions are not available")
        elif isinstance(node, ast.Yield | ast.YieldFrom):
            self.report(node, "generator", "generators are not available")
        elif isinstance(node, ast.Await):
            self.report(node, "async", "await is not available")
        elif isinstance(node, ast.Lambda):
            self.report(node, "lambda", "lambda is not available: define a function")
        elif isinstance(node, ast.NamedExpr):
            self.report(node, "walrus", "assignment expressions are not available")
        elif isinstance(node, ast.Starred):
            self.report(node, "star", "starred expressions are not available")
        else:
            self.report(node, "unsupported-syntax", f"{type(node).__name__} is not available")

    def deep(self, node: ast.AST, depth: int) -> bool:
        if depth <= limits.MAX_SYNTAX_DEPTH:
            return False
        if not self.too_deep:
            self.too_deep = True
            self.report(node, "syntax", f"the code nests deeper than {limits.MAX_SYNTAX_DEPTH}")
        return True

    def literal(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, float | complex):
            self.report(node, "float", f"{value!r}: floats are not available (use int or Decimal)")
        elif value is Ellipsis or not isinstance(value, _ALLOWED_CONSTANTS):
            self.report(node, "unsupported-syntax", f"the literal {value!r} is not available")
        elif isinstance(value, int) and not -limits.INT_LIMIT < value < limits.INT_LIMIT:
            self.report(node, "literal-size", f"the integer is over {limits.MAX_INT_BITS} bits")
        elif isinstance(value, str | bytes) and len(value) > limits.MAX_TEXT:
            self.report(node, "literal-size", f"the literal is longer than {limits.MAX_TEXT}")

    def name(self, node: ast.Name) -> None:
        name = node.id
        if not isinstance(node.ctx, ast.Load):
            self.bind_ok(name, node)
            return
        if not self.spelling_ok(name, node):
            return
        api = self.imports.get(name)
        if api in language.DECORATORS:
            self.report(node, "decorator", f"{name} is a decorator: write @{name} above a def")
        elif api == "Map":
            self.report(node, "map", "Map is declared at module level: NAME = Map(...)")
        elif not (
            name in self.local_names
            or name in self.module_names
            or name in language.BUILTINS
            or name in language.CATCHABLE
        ):
            self.report(node, "unknown-name", f"'{name}' is not defined")

    def spelling_ok(self, name: str, node: ast.AST) -> bool:
        """Report a name no contract may spell, whether it reads or binds it."""
        if name.startswith("_"):
            self.report(node, "underscore", f"'{name}': names starting with '_' are reserved")
        elif name in language.FORBIDDEN_NAMES:
            self.report(node, "forbidden-name", f"'{name}' is not available in contracts")
        elif name in language.FLOAT_NAMES:
            self.report(node, "float", f"'{name}' is not available (use int or Decimal)")
        elif name in language.SET_NAMES:
            self.report(node, "set", f"'{name}' is not available: set order differs between nodes")
        else:
            return True
        return False

    def bind_ok(self, name: str, node: ast.AST) -> bool:
        return self.spelling_ok(name, node)

    def attribute(self, node: ast.Attribute, depth: int, *, called: bool) -> None:
        attr = node.attr
        if not isinstance(node.ctx, ast.Load):
            self.report(node, "attribute-store", f"assigning or deleting .{attr}")
        elif attr.startswith("_"):
            self.report(node, "underscore", f"'.{attr}': attributes starting with '_' are refused")
        elif attr in language.FORMAT_ATTRIBUTES:
            self.report(node, "format", f".{attr}() can reach attributes: use an f-string")
        elif attr in language.INTROSPECTION_ATTRIBUTES:
            self.report(node, "introspection-attribute", f"'.{attr}' reaches interpreter internals")
        elif called and attr not in language.METHOD_NAMES:
            self.report(node, "unknown-attribute", f"there is no method .{attr}() in contracts")
        elif not called and attr in language.METHOD_NAMES:
            self.report(node, "method-reference", f".{attr} must be called where it is named")
        elif not called and attr not in language.CONTEXT_FIELDS:
            self.report(node, "unknown-attribute", f"there is no attribute .{attr} in contracts")
        self.expr(node.value, depth)

    def call_arguments(self, node: ast.Call, depth: int) -> None:
        for arg in node.args:
            self.expr(arg, depth)
        for keyword in node.keywords:
            if keyword.arg is None:
                self.report(keyword, "star", "** in a call is not available")
            elif keyword.arg.startswith("_"):
                self.report(keyword, "underscore", f"keyword '{keyword.arg}' starts with '_'")
            self.expr(keyword.value, depth)

    def comprehension(self, node: ast.ListComp | ast.DictComp, depth: int) -> None:
        for generator in node.generators:
            if generator.is_async:
                self.report(node, "async", "async comprehensions are not available")
            self.target(generator.target, depth, unpacking=True)
            self.in_iterable += 1
            self.expr(generator.iter, depth)
            self.in_iterable -= 1
            for condition in generator.ifs:
                self.expr(condition, depth)
        if isinstance(node, ast.ListComp):
            self.expr(node.elt, depth)
        else:
            self.expr(node.key, depth)
            self.expr(node.value, depth)

    def fstring(self, node: ast.JoinedStr, depth: int) -> None:
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                if part.conversion != -1:
                    self.report(part, "format", "f-string conversions (!r, !s, !a) are refused")
                if part.format_spec is not None:
                    self.report(part, "format", "f-string format specs are refused")
                self.expr(part.value, depth)

    # ------------------------------------------------------------------ helpers
    def api_name(self, node: ast.expr) -> str | None:
        """The API name a `Name` node refers to through the imports, if any."""
        if isinstance(node, ast.Name) and node.id not in self.local_names:
            return self.imports.get(node.id)
        return None

    def constant(self, node: ast.expr) -> bool:
        """Is `node` an immutable literal? Reports floats and oversized literals on the way."""
        if isinstance(node, ast.Constant):
            self.literal(node)
            return isinstance(node.value, _ALLOWED_CONSTANTS)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            return isinstance(node.operand, ast.Constant) and self.constant(node.operand)
        if isinstance(node, ast.Tuple):
            return all(self.constant(element) for element in node.elts)
        return False


# ---------------------------------------------------------------------------- pure helpers
def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    return body[1:] if body and _is_docstring(body[0]) else body


def _is_decimal_literal(node: ast.expr, imports: Mapping[str, str]) -> bool:
    """Decimal("0.01") or Decimal(5), with the API's Decimal."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and imports.get(node.func.id) == "Decimal"
        and not node.keywords
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Constant)
        and type(node.args[0].value) in (str, int)
    )


def _is_simple(node: ast.expr) -> bool:
    """A name or literal: evaluating it twice has no effect (the instrumenter relies on it)."""
    return isinstance(node, ast.Name | ast.Constant)


def _is_text(node: ast.expr) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str | bytes)
    )


def _bound_in(body: list[ast.stmt]) -> set[str]:
    """Names a function body binds anywhere (comprehension variables included)."""
    names: set[str] = set()
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                names.add(node.id)
    return names


def _constant_value(node: ast.expr) -> encoding.Value:
    """The value of a literal the checker accepted (int, str, bytes, bool, None, tuples)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, _ALLOWED_CONSTANTS):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        number = node.operand.value
        if isinstance(number, int):
            return -number if isinstance(node.op, ast.USub) else number
    if isinstance(node, ast.Tuple):
        return tuple(_constant_value(e) for e in node.elts)
    raise ValueError("not a literal")


def _type_spec(node: ast.expr) -> TypeSpec | None:
    """The TypeSpec an annotation spells, or None when it is not a supported form."""
    if isinstance(node, ast.Constant) and node.value is None:
        return TypeSpec("None")
    if isinstance(node, ast.Name) and node.id in language.TYPE_NAMES:
        return TypeSpec(node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = _type_spec(node.left), _type_spec(node.right)
        if left is None or right is None:
            return None
        if right.name == "None" and left.name != "None":
            return TypeSpec(left.name, left.items, optional=True)
        if left.name == "None" and right.name != "None":
            return TypeSpec(right.name, right.items, optional=True)
        return None
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        if node.value.id == "list":
            item = _type_spec(node.slice)
            return TypeSpec("list", (item,)) if item is not None else None
        if node.value.id == "dict" and isinstance(node.slice, ast.Tuple):
            elements = node.slice.elts
            if len(elements) == 2 and isinstance(elements[0], ast.Name):
                value = _type_spec(elements[1])
                if elements[0].id == "str" and value is not None:
                    return TypeSpec("dict", (value,))
    return None


__all__ = [
    "RULES",
    "CheckedContract",
    "FunctionSpec",
    "MapSpec",
    "Param",
    "TypeSpec",
    "Violation",
    "check_source",
    "find_violations",
]
