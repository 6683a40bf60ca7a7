"""The gateway: one organization's HTTP way into the network, beside its node.

    python -m cornerstone.gateway --rpc http://127.0.0.1:26601 --listen 127.0.0.1:26603 \\
        --data .localnet/node1/gateway

Modules: `app` (the FastAPI routes, problem details, limits middleware), `node` (the calls to the
node's CometBFT RPC, through the SDK client), `index` (the SQLite index and its pages),
`indexer` (follows the node into the index), `stream` (server-sent events from the index),
`limits` (token buckets), `metrics` (Prometheus text), `models` (the answers' schemas),
`console` (the web console, managed signing), `blobs` (the data plane's ciphertext store on the
node's disk), `errors` (codespace "gateway").
"""

from cornerstone.gateway.app import Settings, create_app
from cornerstone.gateway.index import Index
from cornerstone.gateway.indexer import Indexer
from cornerstone.gateway.limits import RateLimit
from cornerstone.gateway.node import Node

__all__ = ["Index", "Indexer", "Node", "RateLimit", "Settings", "create_app"]
