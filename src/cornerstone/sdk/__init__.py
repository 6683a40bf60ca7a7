"""The Python SDK: build, sign and submit transactions (one at a time, or a batch of `Call`s
with `submit_many`); read state with verified proofs; follow a gateway's event stream.
`Client`/`Signer` block, `AsyncClient`/`AsyncSigner` are their asyncio twins;
`subscribe`/`asubscribe` iterate committed events and resume after a drop; `RequestSigner`
signs requests to a gateway as a member (RFC 9421); `Records`/`AsyncRecords` list the datasets,
DIDs, anchors and contracts a gateway's index holds."""

from cornerstone.sdk.aio import AsyncClient, AsyncSigner
from cornerstone.sdk.auth import RequestSigner
from cornerstone.sdk.client import Call, Client, Committed, Outcome, Signer, VerifiedValue
from cornerstone.sdk.events import StreamEvent, asubscribe, subscribe
from cornerstone.sdk.records import AsyncRecords, RecordPage, Records

__all__ = [
    "AsyncClient",
    "AsyncRecords",
    "AsyncSigner",
    "Call",
    "Client",
    "Committed",
    "Outcome",
    "RecordPage",
    "Records",
    "RequestSigner",
    "Signer",
    "StreamEvent",
    "VerifiedValue",
    "asubscribe",
    "subscribe",
]
