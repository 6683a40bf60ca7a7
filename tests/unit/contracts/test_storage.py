"""Map keys sort as their values, the write buffer merges with storage, and WriterStorage puts
a contract's key space under a prefix of the chain's state."""

from __future__ import annotations

import random

from cornerstone.contracts import (
    CallContext,
    Harness,
    WriterStorage,
    compile_contract,
    invoke,
    load,
)
from cornerstone.contracts.storage import Buffer, MemoryStorage, decode_key, encode_key
from cornerstone.state import MemoryStore, State
from cornerstone.types import Gas


def test_integer_keys_sort_as_numbers() -> None:
    rng = random.Random(4)
    numbers = {0, 1, -1, 255, 256, -255, -256, 2**511 - 1, -(2**511)}
    numbers |= {rng.randrange(-(2**200), 2**200) for _ in range(500)}
    numbers |= {rng.randrange(-300, 300) for _ in range(200)}
    by_bytes = sorted(numbers, key=lambda n: encode_key("int", n))
    assert by_bytes == sorted(numbers)
    for n in numbers:
        assert decode_key("int", encode_key("int", n)) == n


def test_text_keys_sort_by_code_point() -> None:
    words = ["b", "a", "ab", "é", "B", "", "\x00", "z" * 10, "日本"]
    assert sorted(words, key=lambda w: encode_key("str", w)) == sorted(words)


def test_the_buffer_merges_writes_and_deletes_in_order() -> None:
    storage = MemoryStorage()
    for key in (b"a", b"c", b"e"):
        storage.set(key, key.upper())
    buffer = Buffer(storage)
    buffer.set(b"b", b"B")
    buffer.delete(b"c")
    buffer.set(b"e", b"E2")
    assert list(buffer.range(b"a", b"z")) == [(b"a", b"A"), (b"b", b"B"), (b"e", b"E2")]
    assert list(buffer.range(b"b", b"e")) == [(b"b", b"B")]
    assert storage.get(b"c") == b"C"  # nothing applied yet
    buffer.flush()
    assert storage.snapshot() == {b"a": b"A", b"b": b"B", b"e": b"E2"}


def test_a_contract_on_the_chain_state() -> None:
    source = (
        "from cornerstone_contract import export, query, Map\n"
        "m = Map('m', key=int, value=str)\n"
        "@export\ndef put(n: int) -> None:\n    m[n] = str(n)\n"
        "@query\ndef listed() -> list:\n    return m.range()\n"
    )
    contract = load(compile_contract(source, "c.py"), "c")
    state = State(MemoryStore())
    storage = WriterStorage(state, b"contract/c/")
    context = CallContext(b"s", "org1", "client", 1, 0, b"t")
    for n in (3, -2, 10):
        invoke(contract, "put", {"n": n}, storage=storage, context=context, gas_limit=Gas(10**6))
    listed = invoke(
        contract,
        "listed",
        {},
        storage=storage,
        context=context,
        gas_limit=Gas(10**6),
        read_only=True,
    )
    assert listed.value == [[-2, "-2"], [3, "3"], [10, "10"]]
    assert all(key.startswith(b"contract/c/m\x00") for key in state.writes())


def test_harness_state_reads_back_typed_values() -> None:
    h = Harness(
        "from cornerstone_contract import export, Map, Decimal\n"
        "m = Map('m', key=bytes, value=Decimal)\n"
        "@export\ndef f() -> None:\n    m[b'k'] = Decimal('1.10')\n"
    )
    h.call("f")
    assert str(h.get("m", b"k")) == "1.10"
