"""The checker's rule table: each rule refuses what it names, at the line and column it names,
and a contract written in the subset passes with its declarations read correctly."""

from __future__ import annotations

import pytest

from cornerstone.contracts import (
    RULES,
    ContractRefusedError,
    TypeSpec,
    check_source,
    find_violations,
)

API = "from cornerstone_contract import export, query, Map, context, emit, require, call\n"

# (rule, source after the API import line, line of the violation). Line 1 is the import.
CASES: list[tuple[str, str, int]] = [
    ("syntax", "def f(:\n    pass\n", 2),
    ("syntax", "def f():\n    return " + "[" * 150 + "]" * 150 + "\n", 3),
    ("syntax", "def f(x):\n    return x" + " + x" * 500 + "\n", 3),
    ("import", "import os\n", 2),
    ("import", "from os import system\n", 2),
    ("import", "from cornerstone_contract import open_file\n", 2),
    ("import", "def f():\n    import os\n", 3),
    ("class", "class A:\n    pass\n", 2),
    ("class", "def f():\n    class B:\n        pass\n", 3),
    ("underscore", "def f(x):\n    return x.__class__\n", 3),
    ("underscore", "def f():\n    return __builtins__\n", 3),
    ("underscore", "def f():\n    return __import__('os')\n", 3),
    ("underscore", "def _hidden():\n    return 1\n", 2),
    ("underscore", "def f(_x):\n    return 1\n", 2),
    ("underscore", "def f():\n    _gas = 10**9\n", 3),
    ("underscore", "def f(x):\n    return sorted(x, _key=1)\n", 3),
    ("introspection-attribute", "def f(g):\n    return g.gi_frame\n", 3),
    ("introspection-attribute", "def f(t):\n    return t.tb_frame\n", 3),
    ("introspection-attribute", "def f(c):\n    return c.co_code\n", 3),
    ("introspection-attribute", "def f(x):\n    return x.f_globals\n", 3),
    ("introspection-attribute", "def f(x):\n    return x.mro()\n", 3),
    ("format", "def f(x):\n    return '{0.__class__}'.format(x)\n", 3),
    ("format", "def f(x):\n    return '{x}'.format_map({'x': x})\n", 3),
    ("format", "def f(x):\n    return '%s' % x\n", 3),
    ("format", "def f(x):\n    return f'{x!r}'\n", 3),
    ("format", "def f(x):\n    return f'{x:>10}'\n", 3),
    ("unknown-attribute", "def f(x):\n    return x.fromkeys([1])\n", 3),
    ("unknown-attribute", "def f(x):\n    return x.real\n", 3),
    ("method-reference", "def f(items):\n    add = items.append\n", 3),
    ("attribute-store", "def f():\n    f.counter = 1\n", 3),
    ("attribute-store", "def f(x):\n    del x.y\n", 3),
    ("forbidden-name", "def f():\n    return eval('1')\n", 3),
    ("forbidden-name", "def f(x):\n    return getattr(x, 'y')\n", 3),
    ("forbidden-name", "def f(x):\n    return type(x)\n", 3),
    ("forbidden-name", "def f():\n    print('hi')\n", 3),
    ("forbidden-name", "def f():\n    return globals()\n", 3),
    ("forbidden-name", "def f(x):\n    return iter(x)\n", 3),
    ("unknown-name", "def f():\n    return undefined_thing\n", 3),
    ("unknown-name", "def f():\n    return Exception\n", 3),
    ("float", "def f():\n    return 1.5\n", 3),
    ("float", "def f():\n    return 2j\n", 3),
    ("float", "def f(x):\n    return float(x)\n", 3),
    ("true-division", "def f(x):\n    return x / 2\n", 3),
    ("true-division", "def f(x):\n    x /= 2\n", 3),
    ("set", "def f():\n    return {1, 2}\n", 3),
    ("set", "def f(x):\n    return {i for i in x}\n", 3),
    ("set", "def f(x):\n    return set(x)\n", 3),
    ("async", "async def f():\n    pass\n", 2),
    ("async", "def f(x):\n    return [i async for i in x]\n", 3),
    ("generator", "def f():\n    yield 1\n", 3),
    ("generator", "def f(x):\n    return list(i for i in x)\n", 3),
    ("lambda", "def f(x):\n    return sorted(x, key=lambda v: v)\n", 3),
    ("global", "def f():\n    global X\n", 3),
    ("global", "def f():\n    nonlocal y\n", 3),
    ("try", "def f():\n    try:\n        pass\n    except:\n        pass\n", 5),
    ("try", "def f():\n    try:\n        pass\n    except Exception:\n        pass\n", 5),
    ("try", "def f():\n    try:\n        pass\n    except BaseException:\n        pass\n", 5),
    (
        "try",
        "def f():\n    try:\n        pass\n    except (KeyError, MemoryError):\n        pass\n",
        5,
    ),
    ("try", "def f():\n    try:\n        pass\n    except KeyError as e:\n        pass\n", 5),
    ("try", "def f():\n    try:\n        pass\n    finally:\n        return 1\n", 6),
    ("raise", "def f():\n    raise RuntimeError('x')\n", 3),
    ("raise", "def f():\n    raise KeyError('x') from None\n", 3),
    ("with", "def f(x):\n    with x:\n        pass\n", 3),
    ("assert", "def f(x):\n    assert x\n", 3),
    ("match", "def f(x):\n    match x:\n        case 1:\n            pass\n", 3),
    ("walrus", "def f(x):\n    return (y := x)\n", 3),
    ("decorator", "@staticmethod\ndef f():\n    pass\n", 2),
    ("decorator", "@export\n@query\ndef f():\n    pass\n", 3),
    ("decorator", "def f():\n    return export(f)\n", 3),
    ("nested-function", "def f():\n    def g():\n        pass\n", 3),
    ("module-statement", "X = []\n", 2),
    ("module-statement", "X = {'a': 1}\n", 2),
    ("module-statement", "for i in range(3):\n    pass\n", 2),
    ("module-statement", "require(True, 'x')\n", 2),
    ("default", "def f(x=[]):\n    pass\n", 2),
    ("default", "def f(x={}):\n    pass\n", 2),
    ("star", "def f(*args):\n    pass\n", 2),
    ("star", "def f(**kwargs):\n    pass\n", 2),
    ("star", "def f(x):\n    return g(*x)\ndef g(a):\n    return a\n", 3),
    ("star", "def f(x):\n    return [*x, *x]\n", 3),
    ("star", "def f(x):\n    return {**x}\n", 3),
    ("star", "def f(x):\n    a, *b = x\n", 3),
    ("target", "def f(x, y):\n    x[0], y = 1, 2\n", 3),
    ("target", "def f(x):\n    for x[0] in range(3):\n        pass\n", 3),
    ("map", "def f():\n    m = Map('m')\n", 3),
    ("map", "M = Map('Bad Name')\n", 2),
    ("map", "M = Map('m', key=list)\n", 2),
    ("map", "M = Map('m')\nN = Map('m')\n", 3),
    ("duplicate", "X = 1\nX = 2\n", 3),
    ("duplicate", "def f():\n    pass\ndef f():\n    pass\n", 4),
    ("annotation", "def f(x: set) -> None:\n    pass\n", 2),
    ("annotation", "def f(x: 'str') -> None:\n    pass\n", 2),
    ("literal-size", "X = " + str(2**600) + "\n", 2),
    ("literal-size", "X = '" + "a" * 70_000 + "'\n", 2),
    ("literal-size", "from cornerstone_contract import Decimal\nX = Decimal('NaN')\n", 3),
    ("module-statement", "from cornerstone_contract import Decimal\nX = Decimal(1.5 + 1)\n", 3),
    ("unsupported-syntax", "def f():\n    return ...\n", 3),
    ("unsupported-syntax", "def f(a, b):\n    return a @ b\n", 3),
]


def test_every_rule_has_a_case() -> None:
    assert {rule for rule, _, _ in CASES} == set(RULES)


@pytest.mark.parametrize(
    ("rule", "body", "line"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_each_rule_refuses_at_its_line(rule: str, body: str, line: int) -> None:
    found = find_violations(API + body, "contract.py")
    assert any(v.rule == rule and v.line == line for v in found), [str(v) for v in found]
    for violation in found:
        assert violation.rule in RULES
        assert violation.filename == "contract.py"


def test_violations_name_file_line_and_column() -> None:
    source = API + "def f(x):\n    return x.__class__\n"
    (violation,) = find_violations(source, "escrow.py")
    assert (violation.line, violation.col, violation.rule) == (3, 11, "underscore")
    assert str(violation).startswith("escrow.py:3:11: [underscore]")


def test_check_source_raises_with_every_violation() -> None:
    source = API + "import os\ndef f():\n    return 1.5 / 2\n"
    with pytest.raises(ContractRefusedError) as refused:
        check_source(source, "bad.py")
    violations = refused.value.fields["violations"]
    assert [v.rule for v in violations] == ["import", "float", "true-division"]
    assert refused.value.code == 4000
    assert "bad.py:2:0: [import]" in str(refused.value)


def test_oversized_source_is_refused() -> None:
    source = API + "X = 1\n" * 60_000
    (violation,) = find_violations(source, "big.py")
    assert violation.rule == "syntax"


def test_a_contract_in_the_subset_passes_with_its_declarations() -> None:
    source = '''"""Deals between two organizations."""
from cornerstone_contract import export, query, Map, context, emit, require, Decimal as D

deals = Map("deals", key=str, value=dict)
paid = Map("paid", key=int, value=Decimal)
LIMIT = 10
NAMES = ("a", "b", -1)


@export
def open_deal(deal: str, amount: int, to: str | None = None, tags: list[str] = ()) -> None:
    """Opens a deal."""
    require(deal not in deals, "the deal exists")
    total = 0
    for i in range(LIMIT):
        total += i
    try:
        value = {"a": 1}["b"]
    except (KeyError, IndexError):
        value = 0
    deals[deal] = {"amount": amount, "to": to or context.org, "total": total + value}
    emit("opened", deal=deal)


@query
def amount(deal: str) -> int:
    return deals.get(deal, {}).get("amount", 0)


def helper(x: dict[str, int]) -> int:
    return len(x) * D("2")
'''
    checked = check_source(source, "deals.py")
    assert [m.name for m in checked.maps] == ["deals", "paid"]
    assert (checked.maps[1].key, checked.maps[1].value) == ("int", "Decimal")
    assert checked.imports["D"] == "Decimal"
    open_deal = checked.functions["open_deal"]
    assert open_deal.kind == "export"
    assert [p.name for p in open_deal.params] == ["deal", "amount", "to", "tags"]
    assert open_deal.params[2].type == TypeSpec("str", optional=True)
    assert open_deal.params[3].type == TypeSpec("list", (TypeSpec("str"),))
    assert open_deal.params[3].default == ()
    assert checked.functions["amount"].kind == "query"
    assert checked.functions["helper"].kind == "internal"
    assert checked.entry("helper") is None
    assert checked.entry("amount") is not None


def test_names_are_checked_against_what_the_contract_defines() -> None:
    source = API + "def f(x):\n    y = x\n    return [z for z in y if z] + [emit]\n"
    assert find_violations(source, "c.py") == ()
    # an API name that was not imported is unknown
    source = "from cornerstone_contract import export\ndef f():\n    return has_role('o')\n"
    assert [v.rule for v in find_violations(source, "c.py")] == ["unknown-name"]


def test_a_chained_comparison_in_a_comprehension_iterable_needs_names() -> None:
    good = API + "def f(x, n):\n    return [i for i in (x if 0 < n < 5 else [])]\n"
    assert find_violations(good, "c.py") == ()
    bad = API + "def f(x, n):\n    return [i for i in (x if 0 < len(x) < 5 else [])]\n"
    assert [v.rule for v in find_violations(bad, "c.py")] == ["unsupported-syntax"]
