"""Caps and gas costs of the contract runtime: named integers, the same on every node.

Gas is the unit of `cornerstone.gas` (native modules pay the same for state), so a contract and
a native module doing the same work pay comparable amounts. On the reference machine one gas is
roughly 5 ns of work; an instrumented statement takes 50-100 ns, hence 10 gas.

    gas cost                                                         gas
    a statement (simple statement, or the header of if/for/while/try)  STATEMENT      10
    a loop iteration (for, while, each clause of a comprehension)      ITERATION      10
    entering a contract function                                       CALL           50
    an item built, copied, moved or compared by a built-in in C        ITEM            2
    an item visited by a walk in Python (containers compared,
    values stored, copied or returned, lazy iterators consumed)        WALK            8
    16 characters or bytes built or scanned by a built-in              TEXT_CHUNK      1
    a substring search (find, count, in, split, replace, partition)
    in n characters for a needle of m: n * min(m, 100) / 8             SEARCH
    a state read: READ_BASE + READ_BYTE per byte of key and value      (gas.py)  100 + 1/B
    a Map.range: READ_BASE, ITEM x log2 per write pending in the call,
    then each pair as a read
    a state write: WRITE_BASE + WRITE_BYTE per byte of key and value   (gas.py)  500 + 10/B
    a state delete: WRITE_BASE + WRITE_BYTE per byte of key            (gas.py)  500 + 10/B
    an event: EVENT_BASE + EVENT_BYTE per byte of its name and attributes      200 + 5/B
    a call to another contract: CONTRACT_CALL + COPY_BYTE per argument
    and result byte (they are copied, never shared)                           1000 + 2/B
    a role check through the host                                      ROLE_CHECK    200
    sha256: HASH_BASE + TEXT_CHUNK per 16 bytes hashed                 HASH_BASE     100

Memory follows gas: a call can hold at most ~16 bytes per gas it was given (text costs one gas
per 16 bytes built, items two gas each), so the gas limit a host sets bounds a call's memory.

Statement costs are charged once per straight-line run of statements (a basic block), before
it runs, so a block that raises half-way has paid for all of it; that is the same on every node.

    cap                                                                 value
    bits of an integer (checked on every arithmetic result)             MAX_INT_BITS      512
    characters of a str, bytes of a bytes                               MAX_TEXT       65_536
    items of a list, tuple or dict                                      MAX_ITEMS      10_000
    nesting of lists, tuples and dicts inside each other                MAX_NESTING        32
    contract function frames on the stack (recursion)                   MAX_DEPTH          64
    contracts calling contracts                                         MAX_CALL_DEPTH      8
    bytes of an encoded Map key / value                                 MAX_KEY_BYTES 256 /
                                                                        MAX_VALUE_BYTES 65_536
    pairs returned by one Map.range                                     MAX_RANGE       1_000
    bytes of one event / events of one transaction                      MAX_EVENT_BYTES 4_096 /
                                                                        MAX_EVENTS        256
    characters of a require() message                                   MAX_MESSAGE       256
    bytes of contract source / nesting of its syntax                    MAX_SOURCE_BYTES 262_144
                                                                        MAX_SYNTAX_DEPTH  100
"""

from __future__ import annotations

from typing import Final

from cornerstone import gas

# ---------------------------------------------------------------------------- gas costs
STATEMENT: Final = 10
ITERATION: Final = 10
CALL: Final = 50
ITEM: Final = 2
WALK: Final = 8
SEARCH_WINDOW: Final = 100
"""CPython's default substring search is O(n * m) at worst for needles shorter than this (longer
ones use the linear two-way algorithm)."""
SEARCH_DIVISOR: Final = 8
TEXT_CHUNK: Final = 1
TEXT_CHUNK_SIZE: Final = 16
"""A built-in that builds or scans text pays TEXT_CHUNK per this many characters or bytes."""
READ_BASE: Final = gas.READ_BASE
READ_BYTE: Final = gas.READ_BYTE
WRITE_BASE: Final = gas.WRITE_BASE
WRITE_BYTE: Final = gas.WRITE_BYTE
EVENT_BASE: Final = 200
EVENT_BYTE: Final = 5
CONTRACT_CALL: Final = 1000
COPY_BYTE: Final = 2
ROLE_CHECK: Final = 200
HASH_BASE: Final = 100

# ---------------------------------------------------------------------------- caps
MAX_INT_BITS: Final = 512
INT_LIMIT: Final = 1 << MAX_INT_BITS
"""Every integer a contract computes is strictly between -INT_LIMIT and INT_LIMIT."""
MAX_INT_DIGITS: Final = 160
"""Longest string int() parses (512 bits are 155 decimal digits); parsing is quadratic."""
MAX_TEXT: Final = 65_536
MAX_ITEMS: Final = 10_000
MAX_NESTING: Final = 32
MAX_DEPTH: Final = 64
MAX_CALL_DEPTH: Final = 8
MAX_KEY_BYTES: Final = 256
MAX_VALUE_BYTES: Final = 65_536
MAX_RANGE: Final = 1_000
MAX_EVENT_BYTES: Final = 4_096
MAX_EVENTS: Final = 256
MAX_MESSAGE: Final = 256
MAX_SOURCE_BYTES: Final = 262_144
MAX_SYNTAX_DEPTH: Final = 100
HASH_SAFE_INT: Final = (1 << 61) - 1
"""Integer dict keys stay below this: CPython hashes them to themselves there, so no contract can
build many keys with one hash (which would make each insertion scan all the others)."""

# ---------------------------------------------------------------------------- Decimal
DECIMAL_PRECISION: Final = 34
"""Significant digits of Decimal arithmetic (IEEE 754 decimal128), the same on every node."""
DECIMAL_EMAX: Final = 6144
DECIMAL_EMIN: Final = -6143
MAX_DECIMAL_TEXT: Final = 100
"""Longest string Decimal() parses."""
