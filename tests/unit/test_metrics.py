"""The Prometheus text exposition the gateway and the application share, read back by a small
parser of the format (HELP and TYPE first, escaped label values, cumulative buckets)."""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass

import pytest

from cornerstone.metrics import Registry, escape_label, format_value

SAMPLE = re.compile(
    r'(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?P<labels>(?:[a-zA-Z_]\w*="(?:[^"\\]|\\.)*",?)*)\})?'
    r" (?P<value>\S+)"
)
LABEL = re.compile(r'([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Family:
    kind: str
    help: str
    samples: list[tuple[str, dict[str, str], float]]


def parse(text: str) -> dict[str, Family]:
    """Families by name, checking what scrapers rely on: every sample belongs to the family
    whose HELP and TYPE came just before it, and the text ends with a newline."""
    assert text.endswith("\n")
    families: dict[str, Family] = {}
    current: str | None = None
    help_text = ""
    for line in text.splitlines():
        if line.startswith("# HELP "):
            current, _, help_text = line[len("# HELP ") :].partition(" ")
            assert current not in families, f"{current} is described twice"
        elif line.startswith("# TYPE "):
            name, _, kind = line[len("# TYPE ") :].partition(" ")
            assert name == current and kind in ("counter", "gauge", "histogram"), line
            families[name] = Family(kind=kind, help=unescape(help_text), samples=[])
        else:
            match = SAMPLE.fullmatch(line)
            assert match is not None, f"not a sample line: {line!r}"
            name = match["name"]
            assert current is not None and name in (
                current,
                f"{current}_bucket",
                f"{current}_sum",
                f"{current}_count",
            ), f"{name} outside its family"
            labels = {key: unescape(value) for key, value in LABEL.findall(match["labels"] or "")}
            value = {"+Inf": math.inf, "-Inf": -math.inf}.get(match["value"])
            families[current].samples.append(
                (name, labels, float(match["value"]) if value is None else value)
            )
    return families


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], text)


def value_of(family: Family, name: str, **labels: str) -> float:
    found = [v for n, lab, v in family.samples if n == name and lab == labels]
    assert len(found) == 1, (name, labels, family.samples)
    return found[0]


def test_counters_and_gauges_read_back_with_their_labels_help_and_type() -> None:
    registry = Registry()
    requests = registry.counter(
        "x_requests_total", "Requests, by route.\nAnd status.", labels=("route", "status")
    )
    plain = registry.counter("x_blocks_total", "Blocks.")
    height = registry.gauge("x_height", "Height.")
    mempool = registry.gauge("x_mempool", "Mempool.", read=lambda: None)
    registry.gauge("x_read", "Read at render.", read=lambda: 41 + 1)
    requests.inc("/v1/blocks/{height}", "200")
    requests.inc("/v1/blocks/{height}", "200", amount=2)
    requests.inc('odd "route"\\with\nnewline', "404")
    height.set(12.5)
    families = parse(registry.render())
    assert list(families) == [
        "x_requests_total",
        "x_blocks_total",
        "x_height",
        "x_mempool",
        "x_read",
    ]
    counter = families["x_requests_total"]
    assert counter.kind == "counter" and counter.help == "Requests, by route.\nAnd status."
    assert value_of(counter, "x_requests_total", route="/v1/blocks/{height}", status="200") == 3
    assert value_of(counter, "x_requests_total", route='odd "route"\\with\nnewline', status="404")
    # An unlabelled counter shows 0 before anything happened; a gauge read as None shows nothing.
    assert value_of(families["x_blocks_total"], "x_blocks_total") == 0
    assert families["x_mempool"].samples == []
    assert value_of(families["x_height"], "x_height") == 12.5
    assert value_of(families["x_read"], "x_read") == 42
    plain.inc()
    mempool = registry.gauge("x_other", "Other.", labels=("kind",))
    mempool.set(3, "a")
    mempool.clear("a")
    again = parse(registry.render())
    assert value_of(again["x_blocks_total"], "x_blocks_total") == 1
    assert again["x_other"].samples == []


def test_a_histogram_has_cumulative_buckets_ending_in_inf_with_sum_and_count() -> None:
    registry = Registry()
    latency = registry.histogram(
        "x_seconds", "Latency.", buckets=(0.001, 0.01, 0.1, 1.0), labels=("request",)
    )
    for seconds in (0.0005, 0.001, 0.002, 0.05, 0.5, 7.0):
        latency.observe(seconds, "check_tx")
    latency.observe(0.02, "commit")
    family = parse(registry.render())["x_seconds"]
    assert family.kind == "histogram"
    buckets = [
        (labels["le"], value)
        for name, labels, value in family.samples
        if name == "x_seconds_bucket" and labels["request"] == "check_tx"
    ]
    # A bound counts what is at most it: 0.001 holds 0.0005 and 0.001 itself.
    assert buckets == [("0.001", 2), ("0.01", 3), ("0.1", 4), ("1", 5), ("+Inf", 6)]
    assert value_of(family, "x_seconds_count", request="check_tx") == 6
    assert value_of(family, "x_seconds_sum", request="check_tx") == pytest.approx(7.5535)
    assert value_of(family, "x_seconds_count", request="commit") == 1
    assert latency.count("check_tx") == 6


def test_families_refuse_what_the_format_cannot_hold() -> None:
    registry = Registry()
    counter = registry.counter("x_total", "X.", labels=("a",))
    with pytest.raises(ValueError, match="declared twice"):
        registry.gauge("x_total", "Again.")
    with pytest.raises(ValueError, match="not a metric name"):
        registry.gauge("x-y", "Dash.")
    with pytest.raises(ValueError, match="cannot be a label"):
        registry.histogram("x_h", "H.", buckets=(1,), labels=("le",))
    with pytest.raises(ValueError, match="increasing"):
        registry.histogram("x_h2", "H.", buckets=(2, 1))
    with pytest.raises(ValueError, match="takes labels"):
        counter.inc("a", "b")
    with pytest.raises(ValueError, match="cannot go down"):
        counter.inc("a", amount=-1)


def test_values_are_written_as_the_format_spells_them() -> None:
    assert [format_value(v) for v in (3, 3.0, 0.25, math.inf, -math.inf)] == [
        "3",
        "3",
        "0.25",
        "+Inf",
        "-Inf",
    ]
    assert format_value(math.nan) == "NaN"
    assert escape_label('a"b\\c\nd') == 'a\\"b\\\\c\\nd'


def test_updates_from_many_threads_are_all_counted() -> None:
    registry = Registry()
    counter = registry.counter("x_total", "X.", labels=("thread",))
    histogram = registry.histogram("x_seconds", "S.", buckets=(1.0,))

    def work(name: str) -> None:
        for _ in range(2000):
            counter.inc(name)
            histogram.observe(0.5)

    threads = [threading.Thread(target=work, args=(f"t{i % 2}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    families = parse(registry.render())
    assert value_of(families["x_total"], "x_total", thread="t0") == 4000
    assert value_of(families["x_seconds"], "x_seconds_count") == 8000


def test_a_single_threaded_registry_counts_the_same_without_locks() -> None:
    registry = Registry(threadsafe=False)
    counter = registry.counter("x_total", "X.", labels=("code",))
    histogram = registry.histogram("x_seconds", "S.", buckets=(0.1, 1.0), labels=("request",))
    counter.inc("0")
    counter.inc("0", amount=2)
    histogram.observe(0.5, "commit")
    histogram.observe(5.0, "commit")
    with pytest.raises(ValueError, match="takes labels"):
        counter.inc()
    with pytest.raises(ValueError, match="cannot go down"):
        counter.inc("0", amount=-1)
    families = parse(registry.render())
    assert value_of(families["x_total"], "x_total", code="0") == 3
    seconds = families["x_seconds"]
    assert value_of(seconds, "x_seconds_bucket", request="commit", le="1") == 1
    assert value_of(seconds, "x_seconds_bucket", request="commit", le="+Inf") == 2
    assert value_of(seconds, "x_seconds_sum", request="commit") == 5.5
