"""The few CometBFT RPC calls the local-network manager makes, behind one seam.

Every call has a short timeout and any failure (refused, timeout, an error answer, a body that
is not what CometBFT sends) becomes `Unreachable`: to the manager a node that does not answer
properly is simply down. Tests swap the transport for `httpx.MockTransport`.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from cornerstone.types import Height

TIMEOUT = 2.0
"""Seconds for one RPC call; loopback answers in milliseconds when a node is healthy."""


class Unreachable(Exception):
    """The node did not answer, or not with a result. Internal to this package."""


@dataclass(frozen=True, slots=True)
class SyncInfo:
    """The part of /status the manager uses."""

    height: Height
    """Latest committed block height (0 before the first block)."""
    app_hash: str
    """Lower-case hex app hash in the header of that block."""
    catching_up: bool
    """True while the node is still syncing blocks from its peers."""
    node_id: str
    """The P2P id of the node that answered (to tell ours from a stranger on the port)."""


class Rpc:
    """A client for the CometBFT RPC of any node, by URL."""

    def __init__(self, *, transport: httpx.BaseTransport | None = None) -> None:
        # trust_env=False: loopback must never go through an HTTP proxy from the environment.
        self._http = httpx.Client(timeout=TIMEOUT, transport=transport, trust_env=False)

    def call(self, rpc_url: str, method: str, **params: str) -> dict[str, Any]:
        """The `result` of GET `rpc_url`/`method`?params."""
        try:
            response = self._http.get(f"{rpc_url}/{method}", params=params)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise Unreachable(f"{rpc_url}/{method}: {exc}") from exc
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, dict):
            raise Unreachable(f"{rpc_url}/{method}: no result in the answer")
        return result

    def sync_info(self, rpc_url: str) -> SyncInfo:
        try:
            result = self.call(rpc_url, "status")
            info = result["sync_info"]
            return SyncInfo(
                height=Height(int(info["latest_block_height"])),
                app_hash=str(info["latest_app_hash"]).lower(),
                catching_up=bool(info["catching_up"]),
                node_id=str(result["node_info"]["id"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise Unreachable(f"{rpc_url}/status: unexpected answer ({exc})") from exc

    def peer_count(self, rpc_url: str) -> int:
        try:
            return int(self.call(rpc_url, "net_info")["n_peers"])
        except (KeyError, TypeError, ValueError) as exc:
            raise Unreachable(f"{rpc_url}/net_info: unexpected answer ({exc})") from exc

    def header_app_hash(self, rpc_url: str, height: int) -> str:
        """Lower-case hex app hash in the header of block `height`."""
        try:
            header = self.call(rpc_url, "commit", height=str(height))["signed_header"]["header"]
            return str(header["app_hash"]).lower()
        except (KeyError, TypeError) as exc:
            raise Unreachable(f"{rpc_url}/commit: unexpected answer ({exc})") from exc

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Rpc:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
