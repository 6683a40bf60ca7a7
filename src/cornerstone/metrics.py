"""Prometheus metrics in the text exposition format (version 0.0.4), for the gateway and the
application alike.

Written here rather than with prometheus-client: counters, gauges and histograms with labels
are a hundred lines, and a dependency less is one pin less to keep in step. A process makes one
`Registry`, declares its families once, updates them where things happen and renders them
when `/metrics` is read:

    registry = Registry()
    requests = registry.counter("x_requests_total", "Requests.", labels=("route", "status"))
    requests.inc("/v1/blocks", "200")
    registry.render()   # HELP and TYPE lines, then x_requests_total{...} 1

Updates take a lock per family, so request threads may update while another thread renders; an
update costs a dictionary lookup and an addition under that lock, a histogram one bisection
more.
"""

from __future__ import annotations

import math
import re
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from typing import ClassVar, TypeVar

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The media type of the exposition."""

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_RESERVED_LABELS = ("le",)
"""Labels the format itself uses (a histogram's bucket bound)."""

LabelValues = tuple[str, ...]
F = TypeVar("F", bound="_Family")


class _Family:
    """One metric name, its help text, and a sample per combination of label values."""

    kind: ClassVar[str]

    def __init__(self, name: str, help_text: str, labels: Sequence[str]) -> None:
        if not _NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a metric name")
        for label in labels:
            if not _LABEL.fullmatch(label) or label.startswith("__") or label in _RESERVED_LABELS:
                raise ValueError(f"{label!r} cannot be a label of {name}")
        self.name = name
        self.help = help_text
        self.labels = tuple(labels)
        self._lock = threading.Lock()

    def _check(self, values: LabelValues) -> None:
        if len(values) != len(self.labels):
            raise ValueError(f"{self.name} takes labels {self.labels}, given {values}")

    def render(self) -> Iterator[str]:
        help_text = self.help.replace("\\", "\\\\").replace("\n", "\\n")
        yield f"# HELP {self.name} {help_text}"
        yield f"# TYPE {self.name} {self.kind}"
        yield from self._samples()

    def _samples(self) -> Iterator[str]:
        raise NotImplementedError

    def _line(self, name: str, values: LabelValues, value: float, *extra: tuple[str, str]) -> str:
        pairs = [*zip(self.labels, values, strict=True), *extra]
        if not pairs:
            return f"{name} {format_value(value)}"
        labels = ",".join(f'{key}="{escape_label(text)}"' for key, text in pairs)
        return f"{name}{{{labels}}} {format_value(value)}"


class Counter(_Family):
    """A count that only goes up (its name should end in `_total`)."""

    kind = "counter"

    def __init__(self, name: str, help_text: str, labels: Sequence[str] = ()) -> None:
        super().__init__(name, help_text, labels)
        self._values: dict[LabelValues, float] = {} if labels else {(): 0}

    def inc(self, *values: str, amount: float = 1) -> None:
        """Add `amount` (1) to the sample of these label values."""
        if amount < 0:
            raise ValueError(f"{self.name} is a counter: it cannot go down")
        with self._lock:
            current = self._values.get(values)
            if current is None:
                self._check(values)
                current = 0
            self._values[values] = current + amount

    def _inc_alone(self, *values: str, amount: float = 1) -> None:
        """`inc` without the lock, for a registry only one thread uses."""
        if amount < 0:
            raise ValueError(f"{self.name} is a counter: it cannot go down")
        current = self._values.get(values)
        if current is None:
            self._check(values)
            current = 0
        self._values[values] = current + amount

    def value(self, *values: str) -> float:
        """The sample of these label values (0 before the first `inc`)."""
        with self._lock:
            return self._values.get(values, 0)

    def _samples(self) -> Iterator[str]:
        with self._lock:
            items = sorted(self._values.items())
        for values, value in items:
            yield self._line(self.name, values, value)


class Gauge(_Family):
    """A value that goes up and down: set by its owner, or read by `read` at each render (a
    `read` that returns None leaves the gauge without a sample, as for a node that does not
    answer)."""

    kind = "gauge"

    def __init__(
        self,
        name: str,
        help_text: str,
        labels: Sequence[str] = (),
        *,
        read: Callable[[], float | None] | None = None,
    ) -> None:
        super().__init__(name, help_text, labels)
        if read is not None and labels:
            raise ValueError(f"{name}: a gauge read at render time has no labels")
        self._read = read
        self._values: dict[LabelValues, float] = {}

    def set(self, value: float, *values: str) -> None:
        self._check(values)
        with self._lock:
            self._values[values] = value

    def clear(self, *values: str) -> None:
        """Remove the sample of these label values (until the next `set`)."""
        with self._lock:
            self._values.pop(values, None)

    def _samples(self) -> Iterator[str]:
        if self._read is not None:
            value = self._read()
            if value is not None:
                yield self._line(self.name, (), value)
            return
        with self._lock:
            items = sorted(self._values.items())
        for values, value in items:
            yield self._line(self.name, values, value)


class Histogram(_Family):
    """Observations counted into buckets of upper bounds (`le`), with their sum and count."""

    kind = "histogram"

    def __init__(
        self, name: str, help_text: str, buckets: Sequence[float], labels: Sequence[str] = ()
    ) -> None:
        super().__init__(name, help_text, labels)
        bounds = tuple(float(bound) for bound in buckets)
        if not bounds or list(bounds) != sorted(set(bounds)) or math.isinf(bounds[-1]):
            raise ValueError(f"{name}: buckets must be finite, increasing and not empty")
        self.buckets = bounds
        self._sum_at = len(bounds) + 1
        self._series: dict[LabelValues, list[float]] = {}
        """Per label values: observations per bucket, not cumulative, then those above every
        bound (+Inf only), then the sum of the observations (one list: one lookup each)."""

    def observe(self, value: float, *values: str) -> None:
        position = bisect_left(self.buckets, value)  # the first bound >= value
        with self._lock:
            series = self._series.get(values) or self._new_series(values)
            series[position] += 1
            series[self._sum_at] += value

    def _observe_alone(self, value: float, *values: str) -> None:
        """`observe` without the lock, for a registry only one thread uses."""
        series = self._series.get(values) or self._new_series(values)
        series[bisect_left(self.buckets, value)] += 1
        series[self._sum_at] += value

    def _new_series(self, values: LabelValues) -> list[float]:
        self._check(values)
        series = self._series[values] = [0] * (self._sum_at + 1)
        return series

    def count(self, *values: str) -> int:
        """Observations of these label values so far."""
        with self._lock:
            series = self._series.get(values)
            return 0 if series is None else int(sum(series[: self._sum_at]))

    def _samples(self) -> Iterator[str]:
        with self._lock:
            items = sorted((values, list(series)) for values, series in self._series.items())
        bucket = f"{self.name}_bucket"
        for values, series in items:
            running = 0.0
            for bound, count in zip(self.buckets, series, strict=False):
                running += count
                yield self._line(bucket, values, running, ("le", format_value(bound)))
            running += series[self._sum_at - 1]
            yield self._line(bucket, values, running, ("le", "+Inf"))
            yield self._line(f"{self.name}_sum", values, series[self._sum_at])
            yield self._line(f"{self.name}_count", values, running)


class Registry:
    """A process's metric families, rendered in the order they were declared.

    `threadsafe=False` is for a process whose updates and renders all run on one thread (the
    application's event loop): counters and histograms then update without their lock, which
    is most of what an update costs.
    """

    def __init__(self, *, threadsafe: bool = True) -> None:
        self._families: dict[str, _Family] = {}
        self.threadsafe = threadsafe

    def counter(self, name: str, help_text: str, *, labels: Sequence[str] = ()) -> Counter:
        counter = self._add(Counter(name, help_text, labels))
        if not self.threadsafe:
            counter.inc = counter._inc_alone  # type: ignore[method-assign]
        return counter

    def gauge(
        self,
        name: str,
        help_text: str,
        *,
        labels: Sequence[str] = (),
        read: Callable[[], float | None] | None = None,
    ) -> Gauge:
        return self._add(Gauge(name, help_text, labels, read=read))

    def histogram(
        self, name: str, help_text: str, *, buckets: Sequence[float], labels: Sequence[str] = ()
    ) -> Histogram:
        histogram = self._add(Histogram(name, help_text, buckets, labels))
        if not self.threadsafe:
            histogram.observe = histogram._observe_alone  # type: ignore[method-assign]
        return histogram

    def _add(self, family: F) -> F:
        if family.name in self._families:
            raise ValueError(f"{family.name} is declared twice")
        self._families[family.name] = family
        return family

    def render(self) -> str:
        """The exposition text: every family with its HELP and TYPE lines, then its samples."""
        lines = [line for family in self._families.values() for line in family.render()]
        return "\n".join(lines) + "\n"


def format_value(value: float) -> str:
    """A sample value as the format writes it: integers without a point, +Inf, -Inf, NaN."""
    if isinstance(value, int) or (value.is_integer() and abs(value) < 2**53):
        return str(int(value))
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value)


def escape_label(value: str) -> str:
    """A label value with backslash, double quote and newline escaped."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
