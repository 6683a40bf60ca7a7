"""Instrumentation: rewrite a checked contract so that every piece of work it does is paid for and
bounded, then compile it once.

What the rewrite does, and why each piece is needed:

- Gas. Each straight-line run of statements (a basic block) starts with `_gas -= N`, N the sum
  of the block's statement costs. `_gas` is a global int of the contract's namespace. Measured
  on CPython 3.11 (a loop of two statements, ~50 ns per iteration bare): a global or slotted
  attribute counter adds 40-75 ns per block, a Python call per block 90-150 ns, a call per
  statement 230-390 ns. The global needs no object between the code and the host, which
  charges the same counter through the namespace dict. Only function entry and each loop
  iteration also test `if _gas < 0: _oog()`: code between two tests is straight-line, so its
  overrun is bounded by the size of the source, and the runtime tests again when the call
  returns and whenever a built-in charges. Comprehensions cannot hold statements; each of
  their clauses calls `_tick()` per iteration instead (a walrus assignment, the cheaper
  alternative, is illegal inside a comprehension's iterable).
- Recursion. Every function counts itself in `_depth` (incremented on entry, decremented in a
  finally the contract cannot see) and stops past MAX_DEPTH, long before Python's own limit, so
  where the node happens to call the runtime from never changes the outcome.
- Size and cost of values. The operations that can build large values or do work proportional
  to their operands go through helpers of the runtime (`operations.py`): + - * ** << % | and
  their augmented forms (except + and - with an integer literal), comparisons of two computed
  values, `in`, subscripts and slices, method calls (`x.m(...)` becomes `_call(x, "m", ...)`,
  or `_callk` when keywords are given, dispatched on the exact type of x), dict keys,
  f-string pieces, and comprehension results. Everything else (// >> & ^, unary
  operators, `is`, `and`/`or`, calls of functions and built-ins) stays native: it is O(1) on the
  values a contract can hold, or it is already a metered wrapper.
- Maps. A module-level Map variable that the function does not rebind is certainly that Map,
  so its subscripts, `in` and method calls go straight to the Map object (`m[k]` becomes
  `m._lookup(k)`): the state API is the hot path of most contracts.
- Form. Decorators, annotations, docstrings, imports and Map declarations are removed (the
  runtime binds the API names and Map objects itself), so none of them runs at load.

The result keeps the line numbers of the source, so errors point to the contract's own lines.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from cornerstone.contracts import language, limits
from cornerstone.contracts.checker import CheckedContract, check_source

GAS: Final = language.GAS
DEPTH: Final = language.DEPTH

BINARY_HELPERS: Final[dict[type[ast.operator], str]] = {
    ast.Add: "_add",
    ast.Sub: "_sub",
    ast.Mult: "_mul",
    ast.Pow: "_pow",
    ast.LShift: "_lshift",
    ast.Mod: "_mod",
    ast.BitOr: "_or",
}
"""Operators that can grow a value (or format text, for %): a helper checks the result."""
INPLACE_HELPERS: Final[dict[type[ast.operator], str]] = {
    ast.Add: "_iadd",
    ast.Sub: "_sub",
    ast.Mult: "_imul",
    ast.Pow: "_pow",
    ast.LShift: "_lshift",
    ast.Mod: "_mod",
    ast.BitOr: "_ior",
}
"""Augmented forms: `items += more` extends the list in place, as in Python."""
COMPARE_HELPERS: Final[dict[type[ast.cmpop], str]] = {
    ast.Eq: "_eq",
    ast.NotEq: "_ne",
    ast.Lt: "_lt",
    ast.LtE: "_le",
    ast.Gt: "_gt",
    ast.GtE: "_ge",
    ast.In: "_in",
    ast.NotIn: "_not_in",
}
HELPERS: Final = frozenset(
    {
        *BINARY_HELPERS.values(),
        *INPLACE_HELPERS.values(),
        *COMPARE_HELPERS.values(),
        "_oog",
        "_deep",
        "_tick",
        "_call",
        "_callk",
        "_getitem",
        "_setitem",
        "_delitem",
        "_getslice",
        "_setslice",
        "_delslice",
        "_key",
        "_fmt",
        "_text",
        "_sized",
    }
)
"""Every name the instrumented code calls; the runtime binds each one (a test checks)."""


@dataclass(frozen=True, slots=True)
class CompiledContract:
    """A checked contract, instrumented and compiled: load it with `runtime.load`."""

    checked: CheckedContract
    code: types.CodeType
    """The module's code: defines the constants and the instrumented functions."""

    @property
    def filename(self) -> str:
        return self.checked.filename


def compile_contract(source: str, filename: str) -> CompiledContract:
    """Check, instrument and compile a contract (ContractRefusedError if it breaks a rule)."""
    return instrument(check_source(source, filename))


def instrument(checked: CheckedContract) -> CompiledContract:
    """The compiled, metered form of a checked contract."""
    tree = ast.parse(checked.source, filename=checked.filename, feature_version=(3, 11))
    map_variables = {m.variable for m in checked.maps}
    body: list[ast.stmt] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef):
            body.append(_Function(map_variables).rewrite(stmt))
        elif isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
            if stmt.targets[0].id not in map_variables:
                body.append(stmt)
        elif (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and stmt.target.id not in map_variables
            and stmt.value is not None
        ):
            body.append(ast.copy_location(ast.Assign([stmt.target], stmt.value), stmt))
        # the docstring and the API imports are dropped: the runtime binds the API names
    module = ast.Module(body=body, type_ignores=[])
    ast.fix_missing_locations(module)
    code = compile(module, checked.filename, "exec", dont_inherit=True, optimize=0)
    return CompiledContract(checked=checked, code=code)


# ---------------------------------------------------------------------------- building blocks
def _name(id_: str, ctx: ast.expr_context | None = None) -> ast.Name:
    return ast.Name(id=id_, ctx=ctx or ast.Load())


def _call(helper: str, *args: ast.expr, keywords: list[ast.keyword] | None = None) -> ast.Call:
    return ast.Call(func=_name(helper), args=list(args), keywords=keywords or [])


def _none() -> ast.Constant:
    return ast.Constant(value=None)


def _charge(cost: int, *, check: bool, at: ast.AST) -> list[ast.stmt]:
    """`_gas -= cost`, and `if _gas < 0: _oog()` when `check`."""
    out: list[ast.stmt] = [
        ast.AugAssign(target=_name(GAS, ast.Store()), op=ast.Sub(), value=ast.Constant(cost))
    ]
    if check:
        out.append(
            ast.If(
                test=ast.Compare(left=_name(GAS), ops=[ast.Lt()], comparators=[ast.Constant(0)]),
                body=[ast.Expr(_call("_oog"))],
                orelse=[],
            )
        )
    for stmt in out:
        ast.copy_location(stmt, at)
    return out


_COMPOUND: Final = (ast.If, ast.For, ast.While, ast.Try)
StatementRewrite = Callable[[ast.stmt], list[ast.stmt]]


class _Function(ast.NodeTransformer):
    """Rewrites one module-level function (statements by hand, expressions as a transformer)."""

    def __init__(self, map_variables: set[str]) -> None:
        self.temps = 0
        self.module_maps = map_variables
        self.maps: set[str] = set()
        """Names that are certainly Map objects in this function: module-level Map variables it
        does not bind itself (module-level names can never be rebound). Their subscripts and
        method calls go straight to the Map, without the generic dispatch."""

    def is_map(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Name) and node.id in self.maps

    def temp(self, prefix: str) -> str:
        self.temps += 1
        return f"_{prefix}{self.temps}"

    # ------------------------------------------------------------------ the function
    def rewrite(self, node: ast.FunctionDef) -> ast.FunctionDef:
        params = {a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]}
        bound = {
            n.id
            for n in ast.walk(node)
            if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
        }
        self.maps = self.module_maps - params - bound
        node.decorator_list = []
        node.returns = None
        for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
            arg.annotation = None
        body = node.body[1:] if _is_docstring(node.body[0]) else node.body
        guarded = [
            ast.If(
                test=ast.Compare(
                    left=_name(DEPTH), ops=[ast.Gt()], comparators=[ast.Constant(limits.MAX_DEPTH)]
                ),
                body=[ast.Expr(_call("_deep"))],
                orelse=[],
            ),
            *self.body(body),
        ]
        node.body = [
            ast.Global(names=[GAS, DEPTH]),
            *_charge(limits.CALL, check=True, at=node),
            ast.AugAssign(target=_name(DEPTH, ast.Store()), op=ast.Add(), value=ast.Constant(1)),
            ast.Try(
                body=guarded,
                handlers=[],
                orelse=[],
                finalbody=[
                    ast.AugAssign(
                        target=_name(DEPTH, ast.Store()), op=ast.Sub(), value=ast.Constant(1)
                    )
                ],
            ),
        ]
        for stmt in node.body:
            ast.copy_location(stmt, node)
        return node

    def body(self, stmts: list[ast.stmt], *, extra: int = 0, check: bool = False) -> list[ast.stmt]:
        """The statements, each basic block preceded by its charge.

        `extra` is added to the first block (a loop iteration's cost), and `check` makes the
        first charge test the meter (loop bodies do, so every iteration is tested).
        """
        out: list[ast.stmt] = []
        pending: list[ast.stmt] = []
        cost = extra
        first = True
        anchor: ast.stmt | None = None
        for stmt in stmts:
            anchor = anchor or stmt
            cost += limits.STATEMENT
            pending.extend(self.statement(stmt))
            if isinstance(stmt, _COMPOUND):
                out += _charge(cost, check=check and first, at=anchor)
                out += pending
                pending, cost, first, anchor = [], 0, False, None
        if cost and anchor is not None:
            out += _charge(cost, check=check and first, at=anchor)
            out += pending
        return out

    # ------------------------------------------------------------------ statements
    def statement(self, node: ast.stmt) -> list[ast.stmt]:
        rewrite: StatementRewrite | None = getattr(self, f"stmt_{type(node).__name__}", None)
        if rewrite is None:
            raise AssertionError(f"the checker let {type(node).__name__} through")
        out: list[ast.stmt] = rewrite(node)
        for stmt in out:
            ast.copy_location(stmt, node)
        return out

    def stmt_Expr(self, node: ast.Expr) -> list[ast.stmt]:
        return [ast.Expr(self.expr(node.value))]

    def stmt_Return(self, node: ast.Return) -> list[ast.stmt]:
        return [ast.Return(self.expr(node.value) if node.value is not None else None)]

    def stmt_Pass(self, node: ast.Pass) -> list[ast.stmt]:
        return [node]

    stmt_Break = stmt_Continue = stmt_Pass

    def stmt_Assign(self, node: ast.Assign) -> list[ast.stmt]:
        value = self.expr(node.value)
        if len(node.targets) == 1:
            return [self.store(node.targets[0], value, at=node)]
        temp = self.temp("v")
        out: list[ast.stmt] = [ast.Assign(targets=[_name(temp, ast.Store())], value=value)]
        out += [self.store(target, _name(temp), at=node) for target in node.targets]
        return out

    def stmt_AnnAssign(self, node: ast.AnnAssign) -> list[ast.stmt]:
        if node.value is None:
            return [ast.Pass()]
        return [self.store(node.target, self.expr(node.value), at=node)]

    def store(self, target: ast.expr, value: ast.expr, *, at: ast.AST) -> ast.stmt:
        """`target = value`, with subscripts through the helpers (value evaluated first)."""
        if isinstance(target, ast.Subscript):
            if self.is_map(target.value) and not isinstance(target.slice, ast.Slice):
                store = _method(target.value, "_store", value, self.expr(target.slice))
                return ast.copy_location(ast.Expr(store), at)
            obj = self.expr(target.value)
            if isinstance(target.slice, ast.Slice):
                call = _call("_setslice", value, obj, *self.slice_parts(target.slice))
            else:
                call = _call("_setitem", value, obj, self.expr(target.slice))
            return ast.copy_location(ast.Expr(call), at)
        return ast.copy_location(ast.Assign(targets=[target], value=value), at)

    def stmt_AugAssign(self, node: ast.AugAssign) -> list[ast.stmt]:
        value = self.expr(node.value)
        helper = INPLACE_HELPERS.get(type(node.op))

        def combine(current: ast.expr) -> ast.expr:
            if helper is None:
                return ast.BinOp(left=current, op=node.op, right=value)
            return _call(helper, current, value)

        target = node.target
        if isinstance(target, ast.Name):
            if helper is None:
                return [ast.AugAssign(target=target, op=node.op, value=value)]
            return [ast.Assign(targets=[target], value=combine(_name(target.id)))]
        assert isinstance(target, ast.Subscript), "the checker allows names and subscripts"
        if self.is_map(target.value) and not isinstance(target.slice, ast.Slice):
            key = self.temp("k")
            current = _method(target.value, "_lookup", _name(key))
            return [
                ast.Assign(targets=[_name(key, ast.Store())], value=self.expr(target.slice)),
                ast.Expr(_method(target.value, "_store", combine(current), _name(key))),
            ]
        obj = self.temp("o")
        out: list[ast.stmt] = [
            ast.Assign(targets=[_name(obj, ast.Store())], value=self.expr(target.value))
        ]
        if isinstance(target.slice, ast.Slice):
            parts: list[ast.expr] = []
            for part in self.slice_parts(target.slice):
                name = self.temp("s")
                out.append(ast.Assign(targets=[_name(name, ast.Store())], value=part))
                parts.append(_name(name))
            current = _call("_getslice", _name(obj), *parts)
            out.append(ast.Expr(_call("_setslice", combine(current), _name(obj), *parts)))
        else:
            key = self.temp("k")
            out.append(ast.Assign(targets=[_name(key, ast.Store())], value=self.expr(target.slice)))
            current = _call("_getitem", _name(obj), _name(key))
            out.append(ast.Expr(_call("_setitem", combine(current), _name(obj), _name(key))))
        return out

    def stmt_Delete(self, node: ast.Delete) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for target in node.targets:
            if isinstance(target, ast.Subscript):
                if self.is_map(target.value) and not isinstance(target.slice, ast.Slice):
                    out.append(ast.Expr(_method(target.value, "delete", self.expr(target.slice))))
                    continue
                obj = self.expr(target.value)
                if isinstance(target.slice, ast.Slice):
                    out.append(ast.Expr(_call("_delslice", obj, *self.slice_parts(target.slice))))
                else:
                    out.append(ast.Expr(_call("_delitem", obj, self.expr(target.slice))))
            else:
                out.append(ast.Delete(targets=[target]))
        return out

    def stmt_If(self, node: ast.If) -> list[ast.stmt]:
        node.test = self.expr(node.test)
        node.body = self.body(node.body)
        node.orelse = self.body(node.orelse)
        return [node]

    def stmt_While(self, node: ast.While) -> list[ast.stmt]:
        node.test = self.expr(node.test)
        node.body = self.body(node.body, extra=limits.ITERATION, check=True)
        node.orelse = self.body(node.orelse)
        return [node]

    def stmt_For(self, node: ast.For) -> list[ast.stmt]:
        node.iter = self.expr(node.iter)
        node.body = self.body(node.body, extra=limits.ITERATION, check=True)
        node.orelse = self.body(node.orelse)
        return [node]

    def stmt_Try(self, node: ast.Try) -> list[ast.stmt]:
        node.body = self.body(node.body)
        for handler in node.handlers:
            handler.body = self.body(handler.body)
        node.orelse = self.body(node.orelse)
        return [node]

    def stmt_Raise(self, node: ast.Raise) -> list[ast.stmt]:
        if node.exc is not None:
            node.exc = self.expr(node.exc)
        return [node]

    # ------------------------------------------------------------------ expressions
    def expr(self, node: ast.expr) -> ast.expr:
        result = self.visit(node)
        assert isinstance(result, ast.expr)
        return result

    def slice_parts(self, node: ast.Slice) -> list[ast.expr]:
        return [
            self.expr(p) if p is not None else _none() for p in (node.lower, node.upper, node.step)
        ]

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        helper = BINARY_HELPERS.get(type(node.op))
        if helper is None or (isinstance(node.op, ast.Add | ast.Sub) and _adds_a_literal(node)):
            return node
        return ast.copy_location(_call(helper, node.left, node.right), node)

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        self.generic_visit(node)
        operands = [node.left, *node.comparators]
        if len(node.ops) == 1:
            op, right = node.ops[0], operands[1]
            if isinstance(op, ast.In | ast.NotIn) and self.is_map(right):
                test: ast.expr = _method(right, "has", operands[0])
                if isinstance(op, ast.NotIn):
                    test = ast.UnaryOp(op=ast.Not(), operand=test)
                return ast.copy_location(test, node)
            return ast.copy_location(_compare(op, operands[0], right), node)
        # a < b < c: b is evaluated once, through a temporary unless it is a name or literal
        parts: list[ast.expr] = []
        left = operands[0]
        for index, op in enumerate(node.ops):
            right = operands[index + 1]
            last = index == len(node.ops) - 1
            if not last and not isinstance(right, ast.Name | ast.Constant):
                temp = self.temp("c")
                parts.append(
                    _compare(op, left, ast.NamedExpr(target=_name(temp, ast.Store()), value=right))
                )
                left = _name(temp)
            else:
                parts.append(_compare(op, left, right))
                left = right
        return ast.copy_location(ast.BoolOp(op=ast.And(), values=parts), node)

    def visit_Subscript(self, node: ast.Subscript) -> ast.expr:
        if self.is_map(node.value) and not isinstance(node.slice, ast.Slice):
            return ast.copy_location(_method(node.value, "_lookup", self.expr(node.slice)), node)
        obj = self.expr(node.value)
        if isinstance(node.slice, ast.Slice):
            call = _call("_getslice", obj, *self.slice_parts(node.slice))
        else:
            call = _call("_getitem", obj, self.expr(node.slice))
        return ast.copy_location(call, node)

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and self.is_map(func.value):
            return node  # a Map method, called natively (the checker allowed only table names)
        if isinstance(func, ast.Attribute):
            helper = "_callk" if node.keywords else "_call"  # no **kwargs dict for most calls
            call = _call(
                helper, func.value, ast.Constant(func.attr), *node.args, keywords=node.keywords
            )
            return ast.copy_location(call, node)
        return node

    def visit_Dict(self, node: ast.Dict) -> ast.expr:
        self.generic_visit(node)
        node.keys = [k if k is None or _is_safe_key(k) else _keyed(k) for k in node.keys]
        return node

    def visit_ListComp(self, node: ast.ListComp) -> ast.expr:
        self.generic_visit(node)
        _meter_generators(node.generators)
        return ast.copy_location(_call("_sized", node), node)

    def visit_DictComp(self, node: ast.DictComp) -> ast.expr:
        self.generic_visit(node)
        _meter_generators(node.generators)
        if not _is_safe_key(node.key):
            node.key = _keyed(node.key)
        return ast.copy_location(_call("_sized", node), node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.expr:
        self.generic_visit(node)
        return ast.copy_location(_call("_text", node), node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.expr:
        self.generic_visit(node)
        node.value = ast.copy_location(_call("_fmt", node.value), node.value)
        return node


def _method(obj: ast.expr, name: str, *args: ast.expr) -> ast.Call:
    """obj.name(*args) on a Map (the leading-underscore ones exist only for generated code)."""
    return ast.Call(
        func=ast.Attribute(value=obj, attr=name, ctx=ast.Load()), args=list(args), keywords=[]
    )


def _adds_a_literal(node: ast.BinOp) -> bool:
    """x + 5, 7 - x: only numbers can succeed, and a literal addend grows an integer by at most
    one bit per doubling of the statements run, so no check is needed (the next * or ** checks)."""
    return any(
        isinstance(side, ast.Constant) and type(side.value) is int
        for side in (node.left, node.right)
    )


def _compare(op: ast.cmpop, left: ast.expr, right: ast.expr) -> ast.expr:
    """One comparison: native when it is O(1) whatever the values, else through a helper."""
    native = ast.Compare(left=left, ops=[op], comparators=[right])
    if isinstance(op, ast.Is | ast.IsNot):
        return native
    if isinstance(op, ast.In | ast.NotIn):
        # membership in a literal tuple or text costs at most the literal's size
        if isinstance(right, ast.Constant) or (
            isinstance(right, ast.Tuple) and all(isinstance(e, ast.Constant) for e in right.elts)
        ):
            return native
    elif isinstance(left, ast.Constant) or isinstance(right, ast.Constant):
        # against a literal: the literal bounds the work (ints, short text, None)
        return native
    return _call(COMPARE_HELPERS[type(op)], left, right)


def _is_safe_key(node: ast.expr) -> bool:
    """A literal key the dict-key rule accepts anyway (`_key` checks the others at run time)."""
    if not isinstance(node, ast.Constant):
        return False
    value = node.value
    if isinstance(value, int) and not isinstance(value, bool):
        return -limits.HASH_SAFE_INT < value < limits.HASH_SAFE_INT
    return isinstance(value, str | bytes | bool | None)


def _keyed(node: ast.expr) -> ast.expr:
    return ast.copy_location(_call("_key", node), node)


def _meter_generators(generators: list[ast.comprehension]) -> None:
    """Each clause of a comprehension pays per iteration, before its own conditions."""
    for generator in generators:
        generator.ifs = [_call("_tick"), *generator.ifs]


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


__all__ = ["HELPERS", "CompiledContract", "compile_contract", "instrument"]
