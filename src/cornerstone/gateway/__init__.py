"""The gateway: one organization's HTTP way into the network, beside its node.

    python -m cornerstone.gateway --rpc http://127.0.0.1:26601 --listen 127.0.0.1:26603 \\
        --data .localnet/node1/gateway

Modules: `app` (builds the application and serves it), `core` (settings and the gateway's
parts), `routes/` (the REST routes, by resource), `records` (module records from the index),
`problems` (RFC 9457 problem details), `middleware` (size and rate limits), `node` (the calls to
the node's CometBFT RPC) with `node_http` (its lean HTTP/1.1 client for submissions), `index`
(the SQL index and its pages), `indexer` (follows the node into the index), `record_sources`
(which records a block changed, read from their modules), `stream` (server-sent events),
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
