"""The Python SDK: build, sign and submit transactions; read state with verified proofs; follow
a gateway's event stream. `Client`/`Signer` block, `AsyncClient`/`AsyncSigner` are their
asyncio twins; `subscribe`/`asubscribe` iterate committed events and resume after a drop;
`RequestSigner` signs requests to a gateway as a member (RFC 9421)."""

from cornerstone.sdk.aio import AsyncClient, AsyncSigner
from cornerstone.sdk.auth import RequestSigner
from cornerstone.sdk.client import Client, Committed, Signer, VerifiedValue
from cornerstone.sdk.events import StreamEvent, asubscribe, subscribe

__all__ = [
    "AsyncClient",
    "AsyncSigner",
    "Client",
    "Committed",
    "RequestSigner",
    "Signer",
    "StreamEvent",
    "VerifiedValue",
    "asubscribe",
    "subscribe",
]
