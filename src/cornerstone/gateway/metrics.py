"""Prometheus metrics of one gateway (the exposition itself is `cornerstone.metrics`).

cornerstone_gateway_chain_height             gauge    the node's height, last seen
cornerstone_gateway_index_height             gauge    the highest block in the index
cornerstone_gateway_indexed_transactions     gauge    transactions in the index
cornerstone_gateway_indexed_events           gauge    events in the index
cornerstone_gateway_mempool_txs              gauge    transactions in the node's mempool
cornerstone_gateway_mempool_bytes            gauge    their size (both absent when the
                                                      node does not answer)
cornerstone_gateway_requests_total           counter  by route (the path template),
                                                      method and status
cornerstone_gateway_submit_seconds           histogram  POST /v1/transactions, by wait
"""

from __future__ import annotations

from collections.abc import Mapping

from cornerstone.metrics import CONTENT_TYPE, Registry

__all__ = ["CONTENT_TYPE", "SUBMIT_BUCKETS", "Metrics"]

SUBMIT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Seconds: a broadcast takes milliseconds, a wait for commit about a block (~0.65 s)."""


class Metrics:
    """Counts kept by request handlers (from many threads) and read by `/metrics`."""

    def __init__(self) -> None:
        self.registry = Registry()
        self._chain_height = self.registry.gauge(
            "cornerstone_gateway_chain_height", "The node's latest height, last seen."
        )
        self._index_height = self.registry.gauge(
            "cornerstone_gateway_index_height", "The highest block in the index."
        )
        self._indexed_transactions = self.registry.gauge(
            "cornerstone_gateway_indexed_transactions", "Transactions in the index."
        )
        self._indexed_events = self.registry.gauge(
            "cornerstone_gateway_indexed_events", "Events in the index."
        )
        self._mempool_txs = self.registry.gauge(
            "cornerstone_gateway_mempool_txs",
            "Transactions waiting in the node's mempool (absent when the node does not answer).",
        )
        self._mempool_bytes = self.registry.gauge(
            "cornerstone_gateway_mempool_bytes", "Bytes of the transactions in the node's mempool."
        )
        self.requests = self.registry.counter(
            "cornerstone_gateway_requests_total",
            "Requests answered, by route, method and status.",
            labels=("route", "method", "status"),
        )
        self.submits = self.registry.histogram(
            "cornerstone_gateway_submit_seconds",
            "Time to answer a transaction submission.",
            buckets=SUBMIT_BUCKETS,
            labels=("wait",),
        )

    def count_request(self, *, route: str, method: str, status: int) -> None:
        self.requests.inc(route, method, str(status))

    def observe_submit(self, seconds: float, *, wait: str) -> None:
        self.submits.observe(seconds, wait)

    def render(
        self,
        *,
        chain_height: int,
        index_height: int,
        counts: Mapping[str, int],
        mempool: tuple[int, int] | None = None,
    ) -> str:
        """The exposition text; `mempool` is the node's (transactions, bytes), when known."""
        self._chain_height.set(chain_height)
        self._index_height.set(index_height)
        self._indexed_transactions.set(counts.get("transactions", 0))
        self._indexed_events.set(counts.get("events", 0))
        if mempool is None:
            self._mempool_txs.clear()
            self._mempool_bytes.clear()
        else:
            self._mempool_txs.set(mempool[0])
            self._mempool_bytes.set(mempool[1])
        return self.registry.render()
