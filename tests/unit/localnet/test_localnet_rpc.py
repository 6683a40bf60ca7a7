"""The RPC seam: answers are parsed, and every kind of failure means "down"."""

from __future__ import annotations

import httpx
import pytest

from cornerstone.localnet.rpc import Rpc, Unreachable

URL = "http://127.0.0.1:26601"

STATUS = {
    "jsonrpc": "2.0",
    "id": -1,
    "result": {
        "node_info": {"id": "ef9f417e5fa0f169d18db67334e72ec626a0cdf5"},
        "sync_info": {
            "latest_block_height": "12",
            "latest_app_hash": "ABCDEF",
            "catching_up": False,
        },
    },
}


def rpc_answering(handler: httpx.MockTransport) -> Rpc:
    return Rpc(transport=handler)


def test_status_is_parsed() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=STATUS))
    with rpc_answering(transport) as rpc:
        info = rpc.sync_info(URL)
    assert (info.height, info.app_hash, info.catching_up) == (12, "abcdef", False)
    assert info.node_id == "ef9f417e5fa0f169d18db67334e72ec626a0cdf5"


def test_peer_count_and_header_app_hash() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/net_info":
            return httpx.Response(200, json={"result": {"n_peers": "3", "peers": []}})
        assert request.url.params["height"] == "5"
        header = {"app_hash": "00FF"}
        return httpx.Response(200, json={"result": {"signed_header": {"header": header}}})

    with rpc_answering(httpx.MockTransport(answer)) as rpc:
        assert rpc.peer_count(URL) == 3
        assert rpc.header_app_hash(URL, 5) == "00ff"


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(500, json={"jsonrpc": "2.0", "error": {"code": -32603}}),
        httpx.Response(200, text="<html>not json</html>"),
        httpx.Response(200, json={"result": {"sync_info": {"latest_block_height": "x"}}}),
        httpx.Response(200, json=[1, 2]),
    ],
)
def test_a_bad_answer_is_unreachable(response: httpx.Response) -> None:
    with (
        rpc_answering(httpx.MockTransport(lambda request: response)) as rpc,
        pytest.raises(Unreachable),
    ):
        rpc.sync_info(URL)


def test_a_refused_connection_is_unreachable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with rpc_answering(httpx.MockTransport(refuse)) as rpc, pytest.raises(Unreachable):
        rpc.peer_count(URL)
