"""JSON Canonicalization Scheme (RFC 8785): one byte form for a JSON value, so a signature over
it survives re-serialization by any conforming implementation.

Written here rather than taken from a library because it is small and exact: object members
sorted by the UTF-16 code units of their names, strings escaped as ECMAScript's JSON.stringify
escapes them, numbers in ECMAScript's shortest round-trip form (RFC 8785 section 3.2.2.3).
An independent implementation (the `rfc8785` package) checks it in the tests.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

MAX_SAFE_INTEGER: Final = 2**53 - 1
"""Larger integers are not exactly representable as the IEEE doubles JSON numbers are."""
MAX_DEPTH: Final = 64

_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def canonicalize(value: Any) -> bytes:
    """The RFC 8785 UTF-8 bytes of `value` (dict, list, str, int, float, Decimal, bool, None);
    ValueError for what JSON cannot carry exactly (NaN, infinities, unsafe integers)."""
    out: list[str] = []
    _write(value, out, 0)
    return "".join(out).encode("utf-8")


def _write(value: Any, out: list[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueError(f"the JSON nests deeper than {MAX_DEPTH} levels")
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError(f"the integer {value} is beyond what a JSON number holds exactly")
        out.append(str(value))
    elif isinstance(value, float | Decimal):
        out.append(_number(value))
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, Mapping):
        names = list(value)
        for name in names:
            if not isinstance(name, str):
                raise ValueError("JSON object member names are strings")
        out.append("{")
        for index, name in enumerate(sorted(names, key=_utf16)):
            if index:
                out.append(",")
            out.append(_string(name))
            out.append(":")
            _write(value[name], out, depth + 1)
        out.append("}")
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out, depth + 1)
        out.append("]")
    else:
        raise ValueError(f"a {type(value).__name__} is not a JSON value")


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-be", "surrogatepass")


def _string(text: str) -> str:
    parts = ['"']
    for char in text:
        escaped = _ESCAPES.get(char)
        if escaped is not None:
            parts.append(escaped)
        elif char < " ":
            parts.append(f"\\u{ord(char):04x}")
        else:
            parts.append(char)
    parts.append('"')
    return "".join(parts)


def _number(value: float | Decimal) -> str:
    """ECMAScript Number::toString of the double nearest `value`."""
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise ValueError("NaN and infinities are not JSON numbers")
    if number == 0:
        return "0"  # also for -0
    sign = "-" if number < 0 else ""
    # repr gives the shortest digits that round-trip, as ECMAScript requires.
    digits_tuple, exponent = _shortest(abs(number))
    digits = "".join(str(d) for d in digits_tuple).rstrip("0") or "0"
    k = len(digits)
    n = exponent + len(digits_tuple)  # value = 0.digits * 10**n
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        body = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + body


def _shortest(number: float) -> tuple[tuple[int, ...], int]:
    parsed = Decimal(repr(number)).as_tuple()
    assert isinstance(parsed.exponent, int), "finite numbers only"
    return parsed.digits, parsed.exponent
