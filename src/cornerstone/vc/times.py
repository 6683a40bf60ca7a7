"""XML Schema dateTime text (what `validFrom`, `created` and DID metadata carry) to and from
nanoseconds since the epoch, the unit of block time. Integers only: no float ever rounds a
time."""

from __future__ import annotations

import datetime
import re
from typing import Final

_NS: Final = 1_000_000_000
_DATETIME: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})"
)


def to_text(ns: int) -> str:
    """ "2026-01-01T00:00:00Z" for a time in nanoseconds (sub-second digits dropped, as the
    specifications' examples show them)."""
    moment = datetime.datetime.fromtimestamp(ns // _NS, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def from_text(text: str) -> int:
    """Nanoseconds since the epoch of an XML Schema dateTime with a time zone; ValueError
    otherwise (a time without a zone means different instants to different verifiers)."""
    match = _DATETIME.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a dateTime with a time zone, like 2026-01-01T00:00:00Z")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime.datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=datetime.UTC,
        )
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid time ({exc})") from None
    offset = 0
    if zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        offset = sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    seconds = (moment - datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)) // datetime.timedelta(
        seconds=1
    )
    nanos = int((fraction or "0").ljust(9, "0"))
    return (seconds - offset) * _NS + nanos
