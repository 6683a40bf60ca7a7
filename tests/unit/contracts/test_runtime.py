"""The runtime: gas that every node computes alike, writes applied all or nothing, the caps,
the state API, the context, events, calls between contracts, and errors located in the source."""

from __future__ import annotations

import decimal
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from cornerstone import encoding
from cornerstone.contracts import (
    CallContext,
    ContractAbortedError,
    ContractArgumentsError,
    ContractFailedError,
    ContractLimitError,
    ContractOutOfGasError,
    Harness,
    MemoryStorage,
    ReadOnlyError,
    ReentrantCallError,
    UnknownContractError,
    UnknownFunctionError,
    compile_contract,
    invoke,
    limits,
    load,
)
from cornerstone.types import Gas

API = (
    "from cornerstone_contract import "
    "export, query, Map, context, emit, require, call, has_role, Decimal, sha256\n"
)
CONTEXT = CallContext(
    sender=b"\x05" * 32, org="org1", role="admin", height=7, time=1_000, tx_hash=b"\x06" * 32
)


def harness(body: str, *, gas_limit: int = 10_000_000) -> Harness:
    return Harness(API + body, name="c", gas_limit=gas_limit)


def keys_of(pairs: object) -> list[object]:
    assert isinstance(pairs, list)
    return [pair[0] for pair in pairs]


# ---------------------------------------------------------------------------- gas
def test_gas_follows_the_cost_table() -> None:
    h = harness("@export\ndef f(n: int) -> None:\n    for i in range(n):\n        pass\n")
    for n in (0, 1, 10):
        h.call("f", {"n": n})
        # entry + one block holding the for header + n iterations of (iteration + pass)
        expected = limits.CALL + limits.STATEMENT + n * (limits.ITERATION + limits.STATEMENT)
        assert h.last_gas == expected


def test_state_gas_is_the_native_price() -> None:
    h = harness('m = Map("m", key=str, value=int)\n@export\ndef f() -> None:\n    m["ab"] = 5\n')
    h.call("f")
    key = len(b"m\x00ab")
    write = limits.WRITE_BASE + limits.WRITE_BYTE * (key + len(encoding.encode_int(5)))
    assert h.last_gas == limits.CALL + limits.STATEMENT + write


SAMPLE = """
m = Map("m", key=str)

def fib(n: int) -> int:
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)

@export
def work(n: int) -> dict:
    words = {}
    for i in range(n):
        words[f"w{i % 7}"] = words.get(f"w{i % 7}", 0) + i * i
    m["words"] = words
    ordered = sorted(words.items(), key=pair_value)
    emit("done", count=len(ordered), best=ordered[-1][0])
    return {"fib": fib(12), "ordered": ordered, "text": ",".join(words.keys())}

def pair_value(pair: tuple) -> int:
    return pair[1]
"""


def test_the_same_call_uses_the_same_gas_every_time() -> None:
    first = harness(SAMPLE)
    first.call("work", {"n": 50})
    gas = first.last_gas
    first.call("work", {"n": 50})
    assert first.last_gas == gas
    fresh = harness(SAMPLE)
    assert fresh.call("work", {"n": 50}) == first.call("work", {"n": 50})
    assert fresh.last_gas == gas


def test_gas_and_results_do_not_depend_on_hash_seeds(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(
        "import sys\n"
        "from cornerstone.contracts import Harness\n"
        f"h = Harness({API + SAMPLE!r}, name='c')\n"
        "print(h.call('work', {'n': 40}), h.last_gas, h.events, h.storages['c'].snapshot())\n"
    )
    outputs = set()
    for seed in ("1", "2", "random"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, str(script)], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1


DOWN = """
def down(n: int) -> int:
    if n == 0:
        return 0
    return down(n - 1) + 1

@export
def f(n: int) -> int:
    return down(n)
"""


def test_results_do_not_depend_on_the_python_stack_depth() -> None:
    h = harness(DOWN)

    def nested(depth: int, n: int) -> object:
        if depth:
            return nested(depth - 1, n)
        try:
            return h.call("f", {"n": n})
        except ContractLimitError as error:
            return str(error)

    for n in (limits.MAX_DEPTH - 2, limits.MAX_DEPTH + 5):
        shallow = nested(0, n)
        deep = nested(sys.getrecursionlimit() - 300, n)
        assert shallow == deep


def test_the_decimal_context_of_the_thread_does_not_matter() -> None:
    h = harness(
        "@export\ndef f() -> str:\n"
        "    return Decimal(1) // Decimal(7) + Decimal('2') * Decimal('1.0000001')\n"
    )
    expected = h.call("f")
    with decimal.localcontext(decimal.Context(prec=3, rounding=decimal.ROUND_DOWN)):
        assert h.call("f") == expected
    assert expected == "2.0000002"


# ---------------------------------------------------------------------------- all or nothing
ROLLBACK = """
m = Map("m", key=str, value=int)

@export
def write_then(kind: str) -> None:
    m["a"] = 1
    m["b"] = 2
    del m["seed"]
    emit("wrote")
    if kind == "loop":
        while True:
            pass
    if kind == "raise":
        return {}["missing"]
    if kind == "require":
        require(False, "changed my mind")
    if kind == "limit":
        return "x" * 10**6

@export
def seed() -> None:
    m["seed"] = 7
"""


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("loop", ContractOutOfGasError),
        ("raise", ContractFailedError),
        ("require", ContractAbortedError),
        ("limit", ContractLimitError),
    ],
)
def test_a_failed_call_changes_nothing(kind: str, error: type[Exception]) -> None:
    h = harness(ROLLBACK, gas_limit=200_000)
    h.call("seed")
    before = h.storages["c"].snapshot()
    events = list(h.events)
    with pytest.raises(error):
        h.call("write_then", {"kind": kind})
    assert h.storages["c"].snapshot() == before
    assert h.events == events
    h.call("write_then", {"kind": "none"})
    assert h.state("m") == {"a": 1, "b": 2}


def test_out_of_gas_reports_the_limit_as_used() -> None:
    h = harness(ROLLBACK, gas_limit=100_000)
    with pytest.raises(ContractOutOfGasError) as stopped:
        h.call("write_then", {"kind": "loop"})
    assert stopped.value.fields["gas_used"] == 100_000
    assert "c.write_then ran out of gas at line" in str(stopped.value)


CALLEE = """
n = Map("n", key=str, value=int)

@export
def bump() -> None:
    n["x"] = 1
    require(False, "no")
"""
CALLER = """
m = Map("m", key=str, value=int)

@export
def go() -> None:
    m["y"] = 1
    call("callee", "bump")
"""


def test_a_failing_callee_rolls_back_the_caller_too() -> None:
    h = Harness()
    h.add(API + CALLEE, name="callee")
    h.add(API + CALLER, name="caller")
    with pytest.raises(ContractAbortedError, match=r"callee\.bump refused the call"):
        h.call("go", contract="caller")
    assert h.storages["caller"].snapshot() == {}
    assert h.storages["callee"].snapshot() == {}


# ---------------------------------------------------------------------------- caps
@pytest.mark.parametrize(
    ("expression", "ok"),
    [
        ("2**511", True),
        ("2**512", False),
        ("-(2**511) - (2**511 - 1)", True),
        ("-(2**511) * 2", False),
        ("(2**300) * (2**300)", False),
        ("1 << 511", True),
        ("1 << 512", False),
        (f"len('a' * {limits.MAX_TEXT})", True),
        (f"len('a' * {limits.MAX_TEXT + 1})", False),
        (f"len([0] * {limits.MAX_ITEMS})", True),
        (f"len([0] * {limits.MAX_ITEMS + 1})", False),
        (f"len(list(range({limits.MAX_ITEMS + 1})))", False),
        (f"len([i for i in range({limits.MAX_ITEMS + 1})])", False),
        (f"len({{i: i for i in range({limits.MAX_ITEMS + 1})}})", False),
        (f"len(bytes({limits.MAX_TEXT + 1}))", False),
        ('len(f\'{"a" * 40000}{"b" * 40000}\')', False),
    ],
)
def test_caps(expression: str, ok: bool) -> None:
    h = harness(f"@export\ndef f() -> int:\n    return {expression}\n")
    if ok:
        h.call("f")
    else:
        with pytest.raises(ContractLimitError):
            h.call("f")


def test_recursion_depth_is_capped() -> None:
    h = harness(DOWN)
    h.call("f", {"n": limits.MAX_DEPTH - 2})
    with pytest.raises(ContractLimitError, match="nest deeper than 64"):
        h.call("f", {"n": limits.MAX_DEPTH})


BOOM = """
def boom(n: int) -> int:
    if n == 0:
        raise KeyError("x")
    return boom(n - 1)

@export
def f() -> int:
    caught = 0
    for i in range(20):
        try:
            boom(10)
        except KeyError:
            caught += 1
    return caught
"""


def test_the_recursion_cap_spans_calls_between_contracts() -> None:
    h = Harness()
    h.add(API + DOWN, name="low")
    h.add(
        API + DOWN.replace("return down(n)", "return call('low', 'f', n=n)"),
        name="high",
    )
    h.call("f", {"n": 30}, contract="high")  # 30 frames below 3 frames of "high"
    with pytest.raises(ContractLimitError, match="nest deeper than 64"):
        h.call("f", {"n": 62}, contract="high")


def test_a_caught_exception_does_not_leak_depth() -> None:
    h = harness(BOOM)
    assert h.call("f") == 20


def test_events_are_capped_in_number_and_size() -> None:
    h = harness(
        "@export\ndef f(n: int, size: int) -> None:\n"
        "    for i in range(n):\n"
        "        emit('e', text='x' * size)\n"
    )
    h.call("f", {"n": limits.MAX_EVENTS, "size": 1})
    with pytest.raises(ContractLimitError):
        h.call("f", {"n": limits.MAX_EVENTS + 1, "size": 1})
    with pytest.raises(ContractLimitError):
        h.call("f", {"n": 1, "size": limits.MAX_EVENT_BYTES})


# ---------------------------------------------------------------------------- the state API
MAPS = """
ints = Map("ints", key=int, value=str)
texts = Map("texts", key=str, value=int)
money = Map("money", key=bytes, value=Decimal)
anything = Map("anything", key=str)

@export
def fill() -> None:
    for n in (5, -3, 0, 300, -70000, 2**100, -1):
        ints[n] = str(n)
    for word in ("b", "a", "ab", "é", "B"):
        texts[word] = len(word)
    money[b"\\x01"] = Decimal("10.25")
    anything["x"] = {"list": [1, "two", b"3", None, True], "n": -4}

@query
def ordered(start: int | None = None, stop: int | None = None, limit: int = 100) -> list:
    return ints.range(start, stop, limit)

@query
def words() -> list:
    return texts.range()

@export
def edit() -> dict:
    del ints[5]
    ints.delete(0)
    ints[1] = "one"
    texts.set("z", 26)
    return {
        "five": 5 in ints,
        "one": ints[1],
        "missing": ints.get(42, "none"),
        "seen": ints.range(limit=3),
    }

@export
def wrong_value() -> None:
    texts["a"] = "not an int"

@export
def wrong_key() -> None:
    texts[1] = 1

@export
def missing() -> str:
    return ints[999]

@export
def spend() -> str:
    money[b"\\x01"] = money[b"\\x01"] - Decimal("0.25")
    return money.get(b"\\x01")
"""


def test_maps_keep_key_order() -> None:
    h = harness(MAPS)
    h.call("fill")
    numbers = keys_of(h.query("ordered"))
    assert numbers == sorted([5, -3, 0, 300, -70000, 2**100, -1])
    assert keys_of(h.query("words")) == ["B", "a", "ab", "b", "é"]
    middle = h.query("ordered", {"start": -3, "stop": 300})
    assert middle == [[-3, "-3"], [-1, "-1"], [0, "0"], [5, "5"]]
    assert h.query("ordered", {"limit": 2}) == [[-70000, "-70000"], [-3, "-3"]]
    assert h.state("anything") == {"x": {"list": [1, "two", b"3", None, True], "n": -4}}


def test_maps_read_their_own_writes_within_a_call() -> None:
    h = harness(MAPS)
    h.call("fill")
    result = h.call("edit")
    assert result == {
        "five": False,
        "one": "one",
        "missing": "none",
        "seen": [[-70000, "-70000"], [-3, "-3"], [-1, "-1"]],
    }
    assert 5 not in h.state("ints") and 0 not in h.state("ints")
    assert h.state("texts")["z"] == 26


def test_maps_enforce_their_types() -> None:
    h = harness(MAPS)
    with pytest.raises(ContractFailedError, match="the values of map 'texts' are int"):
        h.call("wrong_value")
    with pytest.raises(ContractFailedError, match="the keys of map 'texts' are str"):
        h.call("wrong_key")
    with pytest.raises(ContractFailedError, match="KeyError: 999"):
        h.call("missing")


def test_decimal_maps_keep_exact_money() -> None:
    h = harness(MAPS)
    h.call("fill")
    assert h.call("spend") == "10.00"
    assert h.state("money") == {b"\x01": Decimal("10.00")}


READ_ONLY = """
m = Map("m", key=str, value=int)

@query
def w() -> None:
    m["a"] = 1

@query
def e() -> None:
    emit("x")

@export
def t() -> int:
    return 1
"""


def test_a_query_cannot_write_or_emit() -> None:
    h = harness(READ_ONLY)
    with pytest.raises(ReadOnlyError, match="cannot write state"):
        h.query("w")
    with pytest.raises(ReadOnlyError, match="cannot emit events"):
        h.query("e")
    with pytest.raises(UnknownFunctionError):
        h.query("t")
    with pytest.raises(UnknownFunctionError):
        h.call("w")


# ---------------------------------------------------------------------------- context and host
WHO = """
@export
def who() -> dict:
    return {
        "sender": context.sender,
        "org": context.org,
        "role": context.role,
        "height": context.height,
        "time": context.time,
        "tx": context.tx_hash,
        "contract": context.contract,
        "caller": context.caller,
        "admin": has_role("org1"),
        "other": has_role("org2", "admin"),
    }
"""


def test_the_context_reaches_the_contract() -> None:
    contract = load(compile_contract(API + WHO, "who.py"), "who")
    result = invoke(
        contract, "who", {}, storage=MemoryStorage(), context=CONTEXT, gas_limit=Gas(10**6)
    )
    assert result.value == {
        "sender": CONTEXT.sender,
        "org": "org1",
        "role": "admin",
        "height": 7,
        "time": 1_000,
        "tx": CONTEXT.tx_hash,
        "contract": "who",
        "caller": None,
        "admin": True,
        "other": False,
    }


def test_role_checks_go_through_the_host() -> None:
    asked: list[tuple[str, str]] = []

    def roles(context: CallContext, org: str, role: str) -> bool:
        asked.append((org, role))
        return org == "org9"

    source = API + "@export\ndef f() -> bool:\n    return has_role('org9', 'auditor')\n"
    h = Harness(source, role_check=roles)
    assert h.call("f") is True
    assert asked == [("org9", "auditor")]


STORE = """
log = Map("log", key=str)

@export
def keep(items: list) -> list:
    items.append(context.caller)
    log["last"] = items
    emit("kept", n=len(items))
    return items

@query
def peek() -> list:
    return log.get("last")
"""
FRONT = """
@export
def go() -> dict:
    mine = [1, 2]
    back = call("store", "keep", items=mine)
    emit("went")
    return {"mine": mine, "back": back, "peek": call("store", "peek")}
"""


def test_contracts_call_each_other_with_copies() -> None:
    h = Harness()
    h.add(API + STORE, name="store")
    h.add(API + FRONT, name="front")
    result = h.call("go", contract="front")
    assert result == {"mine": [1, 2], "back": [1, 2, "front"], "peek": [1, 2, "front"]}
    assert [e.type for e in h.events] == ["contract.store.kept", "contract.front.went"]
    assert h.state("log", contract="store") == {"last": [1, 2, "front"]}


def test_calls_back_into_a_running_contract_are_refused() -> None:
    h = Harness()
    h.add(
        API + '@export\ndef ping() -> None:\n    call("b", "pong")\n'
        "@export\ndef again() -> int:\n    return 1\n",
        name="a",
    )
    h.add(API + '@export\ndef pong() -> None:\n    call("a", "again")\n', name="b")
    with pytest.raises(ReentrantCallError):
        h.call("ping", contract="a")


def test_calling_an_unknown_contract() -> None:
    h = harness("@export\ndef f() -> None:\n    call('nobody', 'x')\n")
    with pytest.raises(UnknownContractError):
        h.call("f")


def test_a_query_calls_only_queries() -> None:
    h = Harness()
    h.add(
        API + "@export\ndef change() -> int:\n    return 1\n"
        "@query\ndef look() -> int:\n    return 2\n",
        name="other",
    )
    h.add(API + '@query\ndef q(name: str) -> int:\n    return call("other", name)\n', name="main")
    assert h.query("q", {"name": "look"}, contract="main") == 2
    with pytest.raises(UnknownFunctionError):
        h.query("q", {"name": "change"}, contract="main")


def test_calls_share_the_gas_limit() -> None:
    h = Harness(gas_limit=50_000)
    h.add(API + "@export\ndef spin() -> None:\n    while True:\n        pass\n", name="spinner")
    h.add(API + "@export\ndef go() -> None:\n    call('spinner', 'spin')\n", name="victim")
    with pytest.raises(ContractOutOfGasError, match=r"spinner\.spin"):
        h.call("go", contract="victim")
    assert h.last_gas == 50_000


# ---------------------------------------------------------------------------- arguments and errors
ARGS = """
@export
def f(name: str, amount: int, price: Decimal, tags: list[str] = (), note: str | None = None):
    return [name, amount, price * 2, tags, note]
"""


def test_arguments_are_bound_and_typed() -> None:
    h = harness(ARGS)
    assert h.call("f", {"name": "a", "amount": 3, "price": "1.25"}) == ["a", 3, "2.50", [], None]
    assert h.call("f", {"name": "a", "amount": 3, "price": 2, "tags": ["x"], "note": "n"}) == [
        "a",
        3,
        "4",
        ["x"],
        "n",
    ]
    cases: list[tuple[dict[str, object], str]] = [
        ({"name": "a", "amount": 3}, "'price' is missing"),
        ({"name": "a", "amount": 3, "price": "1", "extra": 1}, "unknown argument 'extra'"),
        ({"name": "a", "amount": "3", "price": "1"}, "'amount'"),
        ({"name": "a", "amount": True, "price": "1"}, "'amount'"),
        ({"name": "a", "amount": 1, "price": "NaN"}, "'price'"),
        ({"name": "a", "amount": 1, "price": "1", "tags": [1]}, "'tags'"),
        ({"name": "a" * (limits.MAX_TEXT + 1), "amount": 1, "price": "1"}, "'name'"),
    ]
    for args, reason in cases:
        with pytest.raises(ContractArgumentsError, match=reason):
            h.call("f", args)
    with pytest.raises(UnknownFunctionError):
        h.call("nothing")


def test_errors_name_the_function_line_and_kind() -> None:
    source = API + "def inner(d: dict) -> int:\n    x = 1\n    return d['k'] // 0\n"
    source += "@export\ndef outer() -> int:\n    return inner({'k': 1})\n"
    h = Harness(source, name="calc", filename="calc.py")
    with pytest.raises(ContractFailedError) as failed:
        h.call("outer")
    error = failed.value
    assert (error.fields["function"], error.fields["line"], error.fields["kind"]) == (
        "inner",
        4,
        "ZeroDivisionError",
    )
    assert str(error) == (
        "calc.inner failed at line 4: ZeroDivisionError: integer division or modulo by zero"
    )
    assert error.code == 4001


def test_messages_carry_no_memory_address() -> None:
    h = harness("def g() -> None:\n    pass\n@export\ndef f() -> None:\n    return {}[g]\n")
    with pytest.raises(ContractFailedError) as failed:
        h.call("f")
    assert "0x" not in str(failed.value).replace("0x…", "")


def test_require_reports_its_message() -> None:
    h = harness("@export\ndef f(n: int) -> None:\n    require(n > 0, 'n must be positive')\n")
    with pytest.raises(ContractAbortedError, match=r"c\.f refused the call at line 4: n must be"):
        h.call("f", {"n": 0})


def test_results_are_canonical_values() -> None:
    h = harness(
        "@export\ndef f() -> list:\n    return [(1, 2), {'d': Decimal('1.50')}, b'x']\n"
        "@export\ndef g() -> dict:\n    return {1: 2}\n"
    )
    assert h.call("f") == [[1, 2], {"d": "1.50"}, b"x"]
    with pytest.raises(ContractFailedError, match="dict are str"):
        h.call("g")


def test_built_ins_behave_like_python() -> None:
    h = harness(
        "@export\ndef f() -> list:\n"
        "    words = 'b a c a'.split()\n"
        "    counts = {}\n"
        "    for w in words:\n"
        "        counts[w] = counts.get(w, 0) + 1\n"
        "    pairs = sorted(counts.items(), key=second, reverse=True)\n"
        "    return [pairs, min(3, 1, 2), max([4, 9]), sum(range(5)), any([0, 1]), all([]),\n"
        "            list(zip([1, 2], 'ab')), list(enumerate('xy', 1)), list(reversed([1, 2])),\n"
        "            '-'.join(['a', 'b']), 'abc'.upper(), 'a,b'.replace(',', ';'), b'hi'.hex(),\n"
        "            int('42'), str(7), bytes([1, 2]), tuple([1]), dict(a=1), divmod(7, 2),\n"
        "            abs(-3), 'x' in 'xyz', 2 in [1, 2], 'k' in {'k': 1}, len(words[1:3]),\n"
        "            sha256(b'') == sha256(''.encode()), (255).to_bytes(2, 'big'),\n"
        "            ord('a'), chr(98)]\n"
        "def second(pair: tuple) -> int:\n    return pair[1]\n"
    )
    assert h.call("f") == [
        [["a", 2], ["b", 1], ["c", 1]],
        1,
        9,
        10,
        True,
        True,
        [[1, "a"], [2, "b"]],
        [[1, "x"], [2, "y"]],
        [2, 1],
        "a-b",
        "ABC",
        "a;b",
        "6869",
        42,
        "7",
        b"\x01\x02",
        [1],
        {"a": 1},
        [3, 1],
        3,
        True,
        True,
        True,
        2,
        True,
        b"\x00\xff",
        97,
        "b",
    ]


def test_a_loaded_contract_keeps_no_state_between_calls() -> None:
    h = harness(
        "LIMIT = (1, 2)\n@export\ndef f(x: int) -> list:\n"
        "    items = list(LIMIT)\n    items.append(x)\n    return items\n"
    )
    assert h.call("f", {"x": 3}) == [1, 2, 3]
    assert h.call("f", {"x": 4}) == [1, 2, 4]


def test_the_runtime_refuses_bad_contract_names() -> None:
    compiled = compile_contract(API + "@export\ndef f() -> None:\n    pass\n", "c.py")
    with pytest.raises(ValueError, match="contract name"):
        load(compiled, "Bad Name")
