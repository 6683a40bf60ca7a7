"""What contract code can do to values, each piece paid for and bounded.

`make_operations(meter, map_type)` builds, for one contract's namespace, the helpers the
instrumented code calls (`_add`, `_eq`, `_getitem`, `_call`, ...) and the built-ins it sees. They
are closures over that contract's meter, so every charge lands on the counter its statements
decrement.

The principles, which the escape corpus in tests/unit/contracts/escapes tests:

- Nothing grows unchecked: every result that can be larger than its operands (+, *, **, <<, |,
  joins, replaces, comprehensions, list(), bytes(n), ...) is checked against the caps, and
  where the size is known in advance (`"a" * 10**9`, `1 << 10**9`, `10 ** 10**10`) it is
  checked before any memory is taken.
- Work is paid in proportion: a built-in that copies, scans, compares or sorts n items charges
  ITEM per item (TEXT_CHUNK per 16 characters of text); comparing or searching containers walks
  them first (charging per item visited, refusing nesting past MAX_NESTING), so shared or
  self-referencing structures cannot make one statement do unbounded work.
- Dict keys are str, bytes, bool, None, or int in (-2**61, 2**61): CPython hashes those without
  attacker-chosen collisions and in O(1); tuples (whose hash is deep and predictable) and
  Decimals are refused as keys.
- No floats (`**` with a negative exponent is refused), no %-formatting of text, and str() and
  f-strings format only numbers, text, booleans and None (a container's repr could be huge).
- Methods are dispatched on the exact type: (type(x), name) must be in the table, which is
  language.METHODS; `keys()`, `values()` and `items()` return lists, so no set-like view (whose
  set operations return sets) ever reaches a contract.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, Final

from cornerstone.contracts import limits
from cornerstone.contracts.language import GAS
from cornerstone.contracts.meter import LimitExceeded, Meter, OutOfGas

ITEM: Final = limits.ITEM
WALK: Final = limits.WALK
MAX_ITEMS: Final = limits.MAX_ITEMS
MAX_TEXT: Final = limits.MAX_TEXT
INT_LIMIT: Final = limits.INT_LIMIT
HASH_SAFE: Final = limits.HASH_SAFE_INT
NoneType: Final = type(None)
SCALARS: Final = frozenset({int, bool, str, bytes, NoneType, Decimal})
CONTAINERS: Final = (list, tuple, dict)
WALKED: Final = frozenset({list, tuple, dict, str, bytes})
"""Item types a walk must look into: containers, and text (compared character by character)."""
ROUNDINGS: Final = frozenset(
    {
        decimal.ROUND_CEILING,
        decimal.ROUND_DOWN,
        decimal.ROUND_FLOOR,
        decimal.ROUND_HALF_DOWN,
        decimal.ROUND_HALF_EVEN,
        decimal.ROUND_HALF_UP,
        decimal.ROUND_UP,
        decimal.ROUND_05UP,
    }
)
_MISSING: Final = object()

Helpers = dict[str, Any]


def type_name(value: object) -> str:
    """The name a contract author knows a value's type by."""
    kind = type(value)
    if kind is Decimal:
        return "Decimal"
    if kind is NoneType:
        return "None"
    return kind.__name__


def too_many(what: str) -> LimitExceeded:
    return LimitExceeded(f"{what} would have more than {MAX_ITEMS} items")


def too_long(what: str) -> LimitExceeded:
    return LimitExceeded(f"{what} would be longer than {MAX_TEXT} characters or bytes")


def too_big() -> LimitExceeded:
    return LimitExceeded(f"an integer would pass {limits.MAX_INT_BITS} bits")


def check_int(value: int) -> int:
    if -INT_LIMIT < value < INT_LIMIT:
        return value
    raise too_big()


def dict_key(key: Any) -> Any:
    """The key, if a dict may hold it (see the module docstring); TypeError otherwise."""
    kind = type(key)
    if kind is str or kind is bytes or kind is bool or key is None:
        return key
    if kind is int and -HASH_SAFE < key < HASH_SAFE:
        return key
    if kind is int:
        raise LimitExceeded("an integer dict key must be below 2**61 in magnitude")
    raise TypeError(f"dict keys are str, bytes, int, bool or None, not {type_name(key)}")


def make_decimal(value: Any) -> Decimal:
    """Decimal(value) for a contract: from int, str or Decimal; exact, finite, 34 digits."""
    kind = type(value)
    if kind is Decimal:
        return value  # type: ignore[no-any-return]
    if kind is int:
        number = Decimal(value)
    elif kind is str:
        if len(value) > limits.MAX_DECIMAL_TEXT:
            raise LimitExceeded(f"Decimal() parses at most {limits.MAX_DECIMAL_TEXT} characters")
        try:
            number = Decimal(value)
        except ArithmeticError:
            raise ValueError(f"{value!r} is not a decimal number") from None
    else:
        raise TypeError(f"Decimal() takes an int or a str, not {type_name(value)}")
    if not number.is_finite():
        raise ValueError("a Decimal is a finite number (no NaN or Infinity)")
    if len(number.as_tuple().digits) > limits.DECIMAL_PRECISION:
        raise ValueError(f"a Decimal has at most {limits.DECIMAL_PRECISION} significant digits")
    if number and not limits.DECIMAL_EMIN <= number.adjusted() <= limits.DECIMAL_EMAX:
        raise ValueError("the Decimal's exponent is out of range")
    return number


def make_operations(meter: Meter, map_type: type) -> tuple[Helpers, Helpers]:
    """(helpers bound under their `_names`, the contract's built-ins)."""
    namespace = meter.namespace
    charge = meter.charge

    # ------------------------------------------------------------------ sizes and walks
    def sized(value: Any) -> Any:
        """Check a freshly built text or container against the caps, and charge for it."""
        kind = type(value)
        if kind is str or kind is bytes:
            size = len(value)
            if size > MAX_TEXT:
                raise too_long(f"a {kind.__name__}")
            if size >= 64:
                charge(size >> 4)
        elif kind is list or kind is tuple or kind is dict:
            size = len(value)
            if size > MAX_ITEMS:
                raise too_many(f"a {kind.__name__}")
            charge(size * ITEM)
        return value

    def weigh(value: Any) -> int:
        """Walk a value (shared parts once per reference), charge for it, return the count.

        A container of numbers, booleans and None is counted at C speed (ITEM per item); one
        holding containers or text is iterated in Python (WALK per item, plus TEXT_CHUNK per 16
        characters, which a comparison may read), at most MAX_NESTING deep.
        """
        kind = type(value)
        if kind is not list and kind is not tuple and kind is not dict:
            return 1
        budget = max(namespace[GAS], 0) + 1
        count = 0
        cost = 0
        stack: list[tuple[Any, int]] = [(value, 1)]
        while stack:
            current, depth = stack.pop()
            if depth > limits.MAX_NESTING:
                raise LimitExceeded(f"values nest deeper than {limits.MAX_NESTING} levels")
            items = current.values() if type(current) is dict else current
            count += len(current)
            if set(map(type, items)).isdisjoint(WALKED):
                cost += len(current) * ITEM
            else:
                cost += len(current) * WALK
                for item in items:
                    item_kind = type(item)
                    if item_kind is list or item_kind is tuple or item_kind is dict:
                        stack.append((item, depth + 1))
                    elif item_kind is str or item_kind is bytes:
                        cost += len(item) >> 4
            if cost > budget:
                charge(cost)  # raises OutOfGas before the walk goes on
        charge(cost)
        return count

    def search_cost(haystack: int, needle: int) -> None:
        """A substring search: O(n * m) at worst in CPython for short needles."""
        cost = haystack * min(max(needle, 1), limits.SEARCH_WINDOW) // limits.SEARCH_DIVISOR
        if cost:
            charge(cost)

    def text_size(argument: Any) -> int:
        """Characters a text method reads from one argument (a str, or a tuple of them)."""
        kind = type(argument)
        if kind is str or kind is bytes:
            return len(argument)
        if kind is tuple:
            charge(len(argument) * ITEM)
            return sum(len(a) for a in argument if type(a) is str or type(a) is bytes)
        return 0

    def compare_cost(a: Any, b: Any) -> None:
        ta, tb = type(a), type(b)
        if ta in SCALARS or tb in SCALARS:
            if (ta is str or ta is bytes) and tb is ta:
                size = min(len(a), len(b))
                if size >= 256:
                    charge(size >> 4)
            return
        weigh(a)
        weigh(b)

    def items_of(iterable: Any, what: str) -> list[Any] | tuple[Any, ...] | str | bytes:
        """The items of an iterable, bounded by MAX_ITEMS, charged ITEM each."""
        kind = type(iterable)
        if kind is list or kind is tuple:
            if len(iterable) > MAX_ITEMS:
                raise too_many(what)
            charge(len(iterable) * ITEM)
            return iterable  # type: ignore[no-any-return]
        if kind is str or kind is bytes or kind is dict or kind is range:
            size = len(iterable)
            if size > MAX_ITEMS:
                raise too_many(what)
            charge(size * ITEM)
            return list(iterable)
        if kind is map_type:
            raise TypeError("a Map is not iterable: use its range() method")
        out: list[Any] = []
        append = out.append
        for item in iterable:  # lazy iterators: zip, enumerate, reversed
            if len(out) >= MAX_ITEMS:
                raise too_many(what)
            append(item)
        charge(len(out) * WALK)
        return out

    def order_cost(items: list[Any] | tuple[Any, ...], sorting: bool) -> None:
        """Charge for comparing the items (n log n when sorting)."""
        kinds = set(map(type, items))
        if kinds <= SCALARS:
            weight = len(items)
            if str in kinds or bytes in kinds:
                weight += sum(len(i) for i in items if type(i) in (str, bytes)) >> 4
            charge(weight * ITEM)
        else:
            weight = weigh(items)
        if sorting and len(items) > 1:
            charge(weight * ITEM * (len(items).bit_length() - 1))

    def contains_cost(item: Any, container: list[Any] | tuple[Any, ...]) -> None:
        kind = type(item)
        if kind is str or kind is bytes:  # each comparison may read the whole text
            charge(len(container) * (ITEM + (len(item) >> 4)))
        elif kind in SCALARS:
            charge(len(container) * ITEM)
        else:
            charge(weigh(container) * ITEM + len(container) * weigh(item) * ITEM)

    # ------------------------------------------------------------------ arithmetic
    def add(a: Any, b: Any) -> Any:
        result = a + b
        kind = type(result)
        if kind is int:
            if -INT_LIMIT < result < INT_LIMIT:
                return result
            raise too_big()
        if kind is str or kind is bytes or kind is list or kind is tuple:
            return sized(result)
        return result

    def sub(a: Any, b: Any) -> Any:
        result = a - b
        if type(result) is int and not -INT_LIMIT < result < INT_LIMIT:
            raise too_big()
        return result

    def repeat_check(sequence: Any, times: Any) -> None:
        kind = type(sequence)
        size = len(sequence) * times if times > 0 else 0
        if kind is str or kind is bytes:
            if size > MAX_TEXT:
                raise too_long(f"a repeated {kind.__name__}")
            charge(size >> 4)
        else:
            if size > MAX_ITEMS:
                raise too_many(f"a repeated {kind.__name__}")
            charge(size * ITEM)

    def mul(a: Any, b: Any) -> Any:
        a_int, b_int = isinstance(a, int), isinstance(b, int)
        if a_int and b_int:
            if a.bit_length() + b.bit_length() > limits.MAX_INT_BITS + 1:
                raise too_big()
            return check_int(a * b)
        if b_int and type(a) in (str, bytes, list, tuple):
            repeat_check(a, b)
        elif a_int and type(b) in (str, bytes, list, tuple):
            repeat_check(b, a)
        return a * b

    def power(a: Any, b: Any) -> Any:
        if isinstance(a, int) and isinstance(b, int):
            if b < 0:
                raise ValueError("a negative exponent would give a fraction: use Decimal")
            if b > 1 and a not in (0, 1, -1) and (a.bit_length() - 1) * b > limits.MAX_INT_BITS:
                raise too_big()
            return check_int(a**b)
        return a**b

    def lshift(a: Any, b: Any) -> Any:
        big = isinstance(a, int) and isinstance(b, int) and a and b > 0
        if big and a.bit_length() + b > limits.MAX_INT_BITS:
            raise too_big()
        return a << b

    def mod(a: Any, b: Any) -> Any:
        if type(a) is str or type(a) is bytes:
            raise TypeError("%-formatting is not available: use an f-string")
        return a % b

    def bit_or(a: Any, b: Any) -> Any:
        result = a | b
        if type(result) is dict:
            sized(result)
        return result

    def iadd(a: Any, b: Any) -> Any:
        if type(a) is list:
            if type(b) is not list and type(b) is not tuple:
                raise TypeError(f"can only add a list or tuple to a list, not {type_name(b)}")
            if len(a) + len(b) > MAX_ITEMS:
                raise too_many("a list")
            charge(len(b) * ITEM)
            a.extend(b)
            return a
        return add(a, b)

    def imul(a: Any, b: Any) -> Any:
        if type(a) is list and isinstance(b, int):
            repeat_check(a, b)
            a *= b
            return a
        return mul(a, b)

    def ior(a: Any, b: Any) -> Any:
        if type(a) is dict:
            if type(b) is not dict:
                raise TypeError(f"|= merges a dict into a dict, not {type_name(b)}")
            if len(a) + len(b) > MAX_ITEMS:
                raise too_many("a dict")
            charge(len(b) * ITEM)
            a.update(b)
            return a
        return bit_or(a, b)

    # ------------------------------------------------------------------ comparisons
    def eq(a: Any, b: Any) -> bool:
        compare_cost(a, b)
        return bool(a == b)

    def ne(a: Any, b: Any) -> bool:
        compare_cost(a, b)
        return bool(a != b)

    def lt(a: Any, b: Any) -> bool:
        compare_cost(a, b)
        return bool(a < b)

    def le(a: Any, b: Any) -> bool:
        compare_cost(a, b)
        return bool(a <= b)

    def gt(a: Any, b: Any) -> bool:
        compare_cost(a, b)
        return bool(a > b)

    def ge(a: Any, b: Any) -> bool:
        compare_cost(a, b)
        return bool(a >= b)

    def contains(item: Any, container: Any) -> bool:
        kind = type(container)
        if kind is dict:
            return dict_key(item) in container
        if kind is map_type:
            return bool(container.has(item))
        if kind is str or kind is bytes:
            if type(item) is kind:
                search_cost(len(container), len(item))
            return item in container
        if kind is list or kind is tuple:
            contains_cost(item, container)
            return item in container
        if kind is range:
            if not isinstance(item, int):
                raise TypeError("only integers can be looked up in a range")
            return item in container
        raise TypeError(f"'in' needs a container, not {type_name(container)}")

    def not_contains(item: Any, container: Any) -> bool:
        return not contains(item, container)

    # ------------------------------------------------------------------ subscripts
    def getitem(obj: Any, key: Any) -> Any:
        kind = type(obj)
        if kind is dict:
            return obj[dict_key(key)]
        if kind is map_type:
            return obj._lookup(key)
        if kind is list or kind is tuple or kind is str or kind is bytes or kind is range:
            return obj[key]
        raise TypeError(f"a {type_name(obj)} cannot be indexed")

    def setitem(value: Any, obj: Any, key: Any) -> None:
        kind = type(obj)
        if kind is dict:
            key = dict_key(key)
            if len(obj) >= MAX_ITEMS and key not in obj:
                raise too_many("a dict")
            obj[key] = value
        elif kind is list:
            obj[key] = value
        elif kind is map_type:
            obj.set(key, value)
        else:
            raise TypeError(f"a {type_name(obj)} does not support item assignment")

    def delitem(obj: Any, key: Any) -> None:
        kind = type(obj)
        if kind is dict:
            del obj[dict_key(key)]
        elif kind is list:
            del obj[key]
        elif kind is map_type:
            obj.delete(key)
        else:
            raise TypeError(f"a {type_name(obj)} does not support item deletion")

    def getslice(obj: Any, lower: Any, upper: Any, step: Any) -> Any:
        kind = type(obj)
        if kind is range:
            return obj[lower:upper:step]
        if kind is list or kind is tuple or kind is str or kind is bytes:
            return sized(obj[lower:upper:step])
        raise TypeError(f"a {type_name(obj)} cannot be sliced")

    def setslice(value: Any, obj: Any, lower: Any, upper: Any, step: Any) -> None:
        if type(obj) is not list:
            raise TypeError(f"a {type_name(obj)} does not support slice assignment")
        if type(value) is not list and type(value) is not tuple:
            raise TypeError(f"a slice is assigned a list or tuple, not {type_name(value)}")
        removed = len(range(len(obj))[lower:upper:step])
        if len(obj) - removed + len(value) > MAX_ITEMS:
            raise too_many("a list")
        charge((len(obj) + len(value)) * ITEM)
        obj[lower:upper:step] = value

    def delslice(obj: Any, lower: Any, upper: Any, step: Any) -> None:
        if type(obj) is not list:
            raise TypeError(f"a {type_name(obj)} does not support slice deletion")
        charge(len(obj) * ITEM)
        del obj[lower:upper:step]

    # ------------------------------------------------------------------ text
    def to_text(value: Any) -> str:
        kind = type(value)
        if kind is str:
            return value  # type: ignore[no-any-return]
        if kind is int or kind is bool or kind is Decimal or value is None:
            return str(value)
        if kind is bytes:
            raise TypeError("bytes are formatted with .hex() or .decode()")
        raise TypeError(
            f"only numbers, text, booleans and None can be formatted, not {type_name(value)}"
        )

    def text(value: str) -> str:
        return sized(value)  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ instrumentation
    def out_of_gas() -> None:
        raise OutOfGas()

    def too_deep() -> None:
        raise LimitExceeded(f"calls nest deeper than {limits.MAX_DEPTH} (recursion)")

    iteration = limits.ITERATION

    def tick() -> bool:
        left = namespace[GAS] - iteration
        namespace[GAS] = left
        if left < 0:
            raise OutOfGas()
        return True

    def comprehension(value: Any) -> Any:
        if len(value) > MAX_ITEMS:
            raise too_many(f"a {type(value).__name__}")
        return value

    # ------------------------------------------------------------------ built-ins
    def int_(value: Any = 0, base: Any = _MISSING) -> int:
        kind = type(value)
        if base is not _MISSING:
            if kind is not str and kind is not bytes:
                raise TypeError("int() with a base converts text")
            if len(value) > limits.MAX_INT_DIGITS:
                raise LimitExceeded(f"int() parses at most {limits.MAX_INT_DIGITS} characters")
            return check_int(int(value, base))
        if kind is int:
            return value  # type: ignore[no-any-return]
        if kind is bool:
            return int(value)
        if kind is str or kind is bytes:
            if len(value) > limits.MAX_INT_DIGITS:
                raise LimitExceeded(f"int() parses at most {limits.MAX_INT_DIGITS} characters")
            return check_int(int(value))
        if kind is Decimal:
            if not value.is_finite():
                raise ValueError("the Decimal is not a finite number")
            if value.adjusted() >= limits.MAX_INT_DIGITS:
                raise too_big()
            return check_int(int(value))
        raise TypeError(f"int() cannot convert {type_name(value)}")

    def str_(value: Any = "") -> str:
        return to_text(value)

    def bytes_(value: Any = b"") -> bytes:
        kind = type(value)
        if kind is bytes:
            return value  # type: ignore[no-any-return]
        if kind is int:
            if value > MAX_TEXT:
                raise too_long("bytes(n)")
            charge(max(value, 0) >> 4)
            return bytes(value)
        if kind is list or kind is tuple:
            if len(value) > MAX_TEXT:
                raise too_long("bytes")
            charge(len(value) * ITEM)
            return bytes(value)
        if kind is str:
            raise TypeError("text becomes bytes with .encode()")
        raise TypeError(f"bytes() cannot convert {type_name(value)}")

    def list_(iterable: Any = ()) -> list[Any]:
        return list(items_of(iterable, "a list"))

    def tuple_(iterable: Any = ()) -> tuple[Any, ...]:
        return tuple(items_of(iterable, "a tuple"))

    def merge_into(target: dict[Any, Any], source: Any, keywords: dict[str, Any]) -> None:
        if source is not None:
            if type(source) is dict:
                if len(target) + len(source) > MAX_ITEMS:
                    raise too_many("a dict")
                charge(len(source) * ITEM)
                target.update(source)
            else:
                pairs: Any = items_of(source, "a dict")
                for pair in pairs:
                    if type(pair) not in (list, tuple) or len(pair) != 2:
                        raise ValueError("a dict is built from (key, value) pairs")
                    key = dict_key(pair[0])
                    if len(target) >= MAX_ITEMS and key not in target:
                        raise too_many("a dict")
                    target[key] = pair[1]
        if keywords:
            if len(target) + len(keywords) > MAX_ITEMS:
                raise too_many("a dict")
            target.update(keywords)

    def dict_(source: Any = None, /, **keywords: Any) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        merge_into(out, source, keywords)
        return out

    def extreme(pick: Callable[..., Any], args: tuple[Any, ...], key: Any, default: Any) -> Any:
        if len(args) == 1:
            items = list(items_of(args[0], "the values"))
        elif args:
            items = list(args)
        else:
            raise TypeError("min() and max() need at least one value")
        if not items:
            if default is _MISSING:
                raise ValueError("min() or max() of nothing")
            return default
        order_cost(items, sorting=False)
        return pick(items, key=key)

    def min_(*args: Any, key: Any = None, default: Any = _MISSING) -> Any:
        return extreme(min, args, key, default)

    def max_(*args: Any, key: Any = None, default: Any = _MISSING) -> Any:
        return extreme(max, args, key, default)

    def sum_(iterable: Any, start: Any = 0) -> Any:
        items = items_of(iterable, "the values")
        kinds = set(map(type, items))
        if type(start) is int and kinds <= {int, bool}:
            return check_int(sum(items, start))
        total = start
        for item in items:
            total = add(total, item)
        return total

    def sorted_(iterable: Any, /, *, key: Any = None, reverse: bool = False) -> list[Any]:
        items = list(items_of(iterable, "a sorted list"))
        order_cost(items, sorting=True)
        items.sort(key=key, reverse=bool(reverse))
        return items

    def any_(iterable: Any) -> bool:
        return any(items_of(iterable, "the values"))

    def all_(iterable: Any) -> bool:
        return all(items_of(iterable, "the values"))

    builtins: Helpers = {
        "abs": abs,
        "all": all_,
        "any": any_,
        "bool": bool,
        "bytes": bytes_,
        "chr": chr,
        "dict": dict_,
        "divmod": divmod,
        "enumerate": enumerate,
        "int": int_,
        "len": len,
        "list": list_,
        "max": max_,
        "min": min_,
        "ord": ord,
        "range": range,
        "reversed": reversed,
        "sorted": sorted_,
        "str": str_,
        "sum": sum_,
        "tuple": tuple_,
        "zip": zip,
        "KeyError": KeyError,
        "IndexError": IndexError,
        "ValueError": ValueError,
        "ZeroDivisionError": ZeroDivisionError,
    }

    # ------------------------------------------------------------------ methods
    def scan(method: Callable[..., Any]) -> Callable[..., Any]:
        """A text method that reads its text and its arguments once: TEXT_CHUNK per 16."""

        def run(text: Any, *args: Any) -> Any:
            size = len(text) + sum(text_size(a) for a in args)
            if size >= 64:
                charge(size >> 4)
            result = method(text, *args)
            if type(result) is str or type(result) is bytes:
                sized(result)
            return result

        return run

    def search(method: Callable[..., Any]) -> Callable[..., Any]:
        """A text method that looks for its first argument in the text."""

        def run(text: Any, needle: Any, *args: Any) -> Any:
            search_cost(len(text), text_size(needle))
            result = method(text, needle, *args)
            if type(result) is str or type(result) is bytes:
                sized(result)
            return result

        return run

    def utf8_only(encoding: str) -> None:
        if encoding.lower().replace("-", "").replace("_", "") != "utf8":
            raise ValueError("text is encoded and decoded as utf-8 only")

    def encode(text: str, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        utf8_only(encoding)
        if errors != "strict":
            raise ValueError("encoding errors are 'strict'")
        return sized(scan(str.encode)(text, "utf-8"))  # type: ignore[no-any-return]

    def decode(data: bytes, encoding: str = "utf-8", errors: str = "strict") -> str:
        utf8_only(encoding)
        if errors != "strict":
            raise ValueError("decoding errors are 'strict'")
        return scan(bytes.decode)(data, "utf-8")  # type: ignore[no-any-return]

    def join(separator: Any, iterable: Any) -> Any:
        items = items_of(iterable, "the joined values")
        kind = type(separator)
        if not set(map(type, items)) <= {kind}:
            raise TypeError(f"join() joins {kind.__name__} values only")
        size = sum(map(len, items)) + len(separator) * max(len(items) - 1, 0)
        if size > MAX_TEXT:
            raise too_long("a joined text")
        charge(size >> 4)
        return separator.join(items)

    def replace(text: Any, old: Any, new: Any, count: int = -1) -> Any:
        if type(old) is not type(text) or type(new) is not type(text):
            raise TypeError("replace() takes values of the text's own type")
        search_cost(len(text), len(old))
        found = text.count(old) if old else len(text) + 1
        if count >= 0:
            found = min(found, count)
        size = len(text) + found * (len(new) - len(old))
        if size > MAX_TEXT:
            raise too_long("a replaced text")
        charge(size >> 4)
        return text.replace(old, new, count)

    def splitter(method: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
        def run(text: Any, sep: Any = None, maxsplit: int = -1) -> list[Any]:
            search_cost(len(text), text_size(sep))
            parts = method(text, sep, maxsplit)
            if len(parts) > MAX_ITEMS:
                raise too_many("a split")
            charge(len(parts) * ITEM)
            return parts

        return run

    def hex_(data: bytes, *args: Any) -> str:
        if len(data) * 3 > MAX_TEXT:
            raise too_long("a hex text")
        charge(len(data) >> 3)
        return data.hex(*args)

    def to_bytes(
        number: int, length: int = 1, byteorder: str = "big", *, signed: bool = False
    ) -> bytes:
        if type(length) is not int or length > MAX_TEXT:
            raise too_long("int.to_bytes()")
        charge(max(length, 0) >> 4)
        return number.to_bytes(length, byteorder, signed=bool(signed))  # type: ignore[arg-type]

    def quantize(number: Decimal, exp: Any, rounding: Any = None) -> Decimal:
        if type(exp) is not Decimal:
            raise TypeError("quantize() takes a Decimal exponent, e.g. Decimal('0.01')")
        if rounding is not None and rounding not in ROUNDINGS:
            raise ValueError(f"rounding is one of {', '.join(sorted(ROUNDINGS))}")
        return number.quantize(exp, rounding=rounding)

    def append(items: list[Any], value: Any) -> None:
        if len(items) >= MAX_ITEMS:
            raise too_many("a list")
        items.append(value)

    def insert(items: list[Any], index: int, value: Any) -> None:
        if len(items) >= MAX_ITEMS:
            raise too_many("a list")
        charge(len(items) >> 3)
        items.insert(index, value)

    def extend(items: list[Any], iterable: Any) -> None:
        more = items_of(iterable, "a list")
        if len(items) + len(more) > MAX_ITEMS:
            raise too_many("a list")
        items.extend(more)

    def searcher(method: Callable[..., Any]) -> Callable[..., Any]:
        """count / index / remove: compare the value with each item."""

        def run(items: Any, value: Any, *args: Any) -> Any:
            contains_cost(value, items)
            return method(items, value, *args)

        return run

    def linear(method: Callable[..., Any]) -> Callable[..., Any]:
        """copy / clear / reverse / pop: move or release each item once."""

        def run(items: Any, *args: Any) -> Any:
            charge(len(items) * ITEM)
            return method(items, *args)

        return run

    def sort(items: list[Any], *, key: Any = None, reverse: bool = False) -> None:
        order_cost(items, sorting=True)
        items.sort(key=key, reverse=bool(reverse))

    def dict_get(mapping: dict[Any, Any], key: Any, default: Any = None) -> Any:
        return mapping.get(dict_key(key), default)

    def dict_pop(mapping: dict[Any, Any], key: Any, *default: Any) -> Any:
        return mapping.pop(dict_key(key), *default)

    def setdefault(mapping: dict[Any, Any], key: Any, default: Any = None) -> Any:
        key = dict_key(key)
        if key not in mapping and len(mapping) >= MAX_ITEMS:
            raise too_many("a dict")
        return mapping.setdefault(key, default)

    def update(mapping: dict[Any, Any], source: Any = None, /, **keywords: Any) -> None:
        merge_into(mapping, source, keywords)

    def listing(view: Callable[[dict[Any, Any]], Iterable[Any]]) -> Callable[..., list[Any]]:
        """keys / values / items as lists: views have set operations that return sets."""

        def run(mapping: dict[Any, Any]) -> list[Any]:
            charge(len(mapping) * ITEM)
            return list(view(mapping))

        return run

    text_scans = {
        name: search(getattr(str, name))
        for name in ("count", "find", "index", "partition", "rfind", "rpartition")
    }
    text_scans |= {
        name: scan(getattr(str, name))
        for name in (
            "endswith",
            "isalnum",
            "isalpha",
            "isdigit",
            "islower",
            "isspace",
            "isupper",
            "lower",
            "lstrip",
            "removeprefix",
            "removesuffix",
            "rstrip",
            "startswith",
            "strip",
            "upper",
        )
    }
    byte_scans = {name: search(getattr(bytes, name)) for name in ("count", "find", "index")}
    byte_scans |= {name: scan(getattr(bytes, name)) for name in ("endswith", "startswith", "strip")}
    methods: dict[tuple[type, str], Callable[..., Any]] = {
        **{(str, name): method for name, method in text_scans.items()},
        (str, "encode"): encode,
        (str, "join"): join,
        (str, "replace"): replace,
        (str, "split"): splitter(str.split),
        (str, "rsplit"): splitter(str.rsplit),
        **{(bytes, name): method for name, method in byte_scans.items()},
        (bytes, "decode"): decode,
        (bytes, "hex"): hex_,
        (bytes, "join"): join,
        (bytes, "replace"): replace,
        (bytes, "split"): splitter(bytes.split),
        (list, "append"): append,
        (list, "clear"): linear(list.clear),
        (list, "copy"): linear(list.copy),
        (list, "count"): searcher(list.count),
        (list, "extend"): extend,
        (list, "index"): searcher(list.index),
        (list, "insert"): insert,
        (list, "pop"): linear(list.pop),
        (list, "remove"): searcher(list.remove),
        (list, "reverse"): linear(list.reverse),
        (list, "sort"): sort,
        (tuple, "count"): searcher(tuple.count),
        (tuple, "index"): searcher(tuple.index),
        (dict, "clear"): linear(dict.clear),
        (dict, "copy"): linear(dict.copy),
        (dict, "get"): dict_get,
        (dict, "items"): listing(dict.items),
        (dict, "keys"): listing(dict.keys),
        (dict, "pop"): dict_pop,
        (dict, "popitem"): dict.popitem,
        (dict, "setdefault"): setdefault,
        (dict, "update"): update,
        (dict, "values"): listing(dict.values),
        (int, "bit_length"): int.bit_length,
        (int, "to_bytes"): to_bytes,
        (Decimal, "quantize"): quantize,
        **{
            (map_type, name): getattr(map_type, name)
            for name in ("delete", "get", "has", "range", "set")
        },
    }

    def call(obj: Any, name: str, /, *args: Any) -> Any:
        method = methods.get((type(obj), name))
        if method is None:
            raise AttributeError(f"a {type_name(obj)} has no method {name}()")
        return method(obj, *args)

    def call_with_keywords(obj: Any, name: str, /, *args: Any, **kwargs: Any) -> Any:
        method = methods.get((type(obj), name))
        if method is None:
            raise AttributeError(f"a {type_name(obj)} has no method {name}()")
        return method(obj, *args, **kwargs)

    helpers: Helpers = {
        "_add": add,
        "_sub": sub,
        "_mul": mul,
        "_pow": power,
        "_lshift": lshift,
        "_mod": mod,
        "_or": bit_or,
        "_iadd": iadd,
        "_imul": imul,
        "_ior": ior,
        "_eq": eq,
        "_ne": ne,
        "_lt": lt,
        "_le": le,
        "_gt": gt,
        "_ge": ge,
        "_in": contains,
        "_not_in": not_contains,
        "_getitem": getitem,
        "_setitem": setitem,
        "_delitem": delitem,
        "_getslice": getslice,
        "_setslice": setslice,
        "_delslice": delslice,
        "_key": dict_key,
        "_fmt": to_text,
        "_text": text,
        "_sized": comprehension,
        "_oog": out_of_gas,
        "_deep": too_deep,
        "_tick": tick,
        "_call": call,
        "_callk": call_with_keywords,
        # for the API objects: the same walks and checks, on the same meter
        "weigh": weigh,
        "sized": sized,
        "methods": methods,
    }
    return helpers, builtins


__all__ = [
    "CONTAINERS",
    "SCALARS",
    "check_int",
    "dict_key",
    "make_decimal",
    "make_operations",
    "type_name",
]
