"""Prometheus metrics of one gateway, in the text exposition format (version 0.0.4).

Written here rather than with prometheus-client: a few counters, gauges and one histogram are
forty lines, and a dependency less is one pin less to keep in step.

    cornerstone_gateway_chain_height             gauge    the node's height, last seen
    cornerstone_gateway_index_height             gauge    the highest block in the index
    cornerstone_gateway_indexed_transactions     gauge    transactions in the index
    cornerstone_gateway_indexed_events           gauge    events in the index
    cornerstone_gateway_requests_total           counter  by route (the path template),
                                                          method and status
    cornerstone_gateway_submit_seconds           histogram  POST /v1/transactions, by wait
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping

SUBMIT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Seconds: a broadcast takes milliseconds, a wait for commit about a block (~0.65 s)."""
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """Counts kept by request handlers (from many threads) and read by `/metrics`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, str, int]] = Counter()
        self._submit_counts: dict[str, list[int]] = {}
        self._submit_sums: dict[str, float] = {}

    def count_request(self, *, route: str, method: str, status: int) -> None:
        with self._lock:
            self.requests[(route, method, status)] += 1

    def observe_submit(self, seconds: float, *, wait: str) -> None:
        with self._lock:
            counts = self._submit_counts.setdefault(wait, [0] * (len(SUBMIT_BUCKETS) + 1))
            for position, bound in enumerate(SUBMIT_BUCKETS):
                if seconds <= bound:
                    counts[position] += 1
            counts[-1] += 1  # +Inf, which is also the count
            self._submit_sums[wait] = self._submit_sums.get(wait, 0.0) + seconds

    def render(self, *, chain_height: int, index_height: int, counts: Mapping[str, int]) -> str:
        """The exposition text: every metric with its HELP and TYPE lines."""
        lines: list[str] = []

        def gauge(name: str, help_text: str, value: float) -> None:
            lines.extend((f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value}"))

        with self._lock:
            gauge(
                "cornerstone_gateway_chain_height",
                "The node's latest height, last seen.",
                chain_height,
            )
            gauge(
                "cornerstone_gateway_index_height", "The highest block in the index.", index_height
            )
            gauge(
                "cornerstone_gateway_indexed_transactions",
                "Transactions in the index.",
                counts.get("transactions", 0),
            )
            gauge(
                "cornerstone_gateway_indexed_events",
                "Events in the index.",
                counts.get("events", 0),
            )
            name = "cornerstone_gateway_requests_total"
            lines += [
                f"# HELP {name} Requests answered, by route, method and status.",
                f"# TYPE {name} counter",
            ]
            for (route, method, status), value in sorted(self.requests.items()):
                labels = _labels(route=route, method=method, status=str(status))
                lines.append(f"{name}{{{labels}}} {value}")
            name = "cornerstone_gateway_submit_seconds"
            lines += [
                f"# HELP {name} Time to answer a transaction submission.",
                f"# TYPE {name} histogram",
            ]
            for wait, bucket_counts in sorted(self._submit_counts.items()):
                for bound, value in zip(SUBMIT_BUCKETS, bucket_counts, strict=False):
                    lines.append(f"{name}_bucket{{{_labels(wait=wait, le=f'{bound:g}')}}} {value}")
                lines.append(
                    f"{name}_bucket{{{_labels(wait=wait, le='+Inf')}}} {bucket_counts[-1]}"
                )
                lines.append(f"{name}_sum{{{_labels(wait=wait)}}} {self._submit_sums[wait]}")
                lines.append(f"{name}_count{{{_labels(wait=wait)}}} {bucket_counts[-1]}")
        return "\n".join(lines) + "\n"


def _labels(**labels: str) -> str:
    return ",".join(f'{key}="{_escape(value)}"' for key, value in labels.items())


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
