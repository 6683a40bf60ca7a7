"""The gateway's own refusals, codespace "gateway", each with the HTTP status it answers with.

    CornerstoneError
    └── GatewayError                  codespace "gateway"; `status` is the HTTP status
        ├── BadRequestBodyError       1  400  the body holds no transaction bytes
        ├── BadParameterError         2  400  a path or query parameter cannot be read
        ├── BadCursorError            3  400  a pagination cursor this gateway did not give
        ├── NotFoundError             4  404  no such block, transaction or query
        ├── BodyTooLargeError         5  413  the request body is over the limit
        ├── RateLimitedError          6  429  the client sent too many requests
        ├── NodeUnavailableError      7  503  the node's RPC does not answer
        ├── CommitTimeoutError        8  504  a transaction was not committed in time
        ├── NodeRefusedError          9  502  the node answered a call with an error
        ├── AlreadySubmittedError    10  409  the node has these exact bytes already
        ├── UnauthorizedError        11  401  managed signing without the console's token
        ├── BlobHashMismatchError    12  400  an uploaded blob does not hash to its name
        ├── BlobUnauthorizedError    13  401  a blob upload without the gateway's blob token
        ├── InvalidDidError          30  400  not a DID (DID Resolution's invalidDid)
        ├── DidMethodNotSupportedError 31 501 a DID of another method (methodNotSupported)
        ├── UnknownDidError          32  404  no such DID, or not at that version (notFound)
        ├── RepresentationNotSupportedError 33 406 Accept names no media type served for DIDs
        ├── UnknownStatusListError   34  404  no such status list on this chain
        ├── ContentDigestMismatchError 27 400  a signed body does not match its Content-Digest
        └── AuthenticationError           401  who the client is could not be established (auth.py)
            ├── AuthenticationRequiredError 20  no member credentials where they are required
            ├── MalformedSignatureError  21  Signature / Signature-Input cannot be used
            ├── SignatureMismatchError   22  the signature does not verify
            ├── StaleRequestError        23  `created` outside the window, or `expires` passed
            ├── ReplayedRequestError     24  the nonce was used already within the window
            ├── UnknownKeyIdError        25  no registered member has that identity
            └── MemberRefusedError       26  the chain refuses the member (removed, revoked...)

Refusals decided by the chain (CheckTx, a module query) are not re-coded here: the gateway
passes on their own code and codespace, so a client matches on the same numbers whichever way it
reached the chain. Codes, once published, keep their meaning.
"""

from __future__ import annotations

from typing import ClassVar

from cornerstone.errors import CornerstoneError


class GatewayError(CornerstoneError):
    """A request the gateway refuses, or cannot serve, before or around the chain."""

    codespace = "gateway"
    status: ClassVar[int] = 500
    """The HTTP status of the problem details answer."""


class BadRequestBodyError(GatewayError):
    code = 1
    status = 400
    template = "the request body is not a transaction: {reason}"


class BadParameterError(GatewayError):
    code = 2
    status = 400
    template = "{reason}"


class BadCursorError(GatewayError):
    code = 3
    status = 400
    template = "the cursor {cursor!r} was not given by this gateway for this list"


class NotFoundError(GatewayError):
    code = 4
    status = 404
    template = "{what} was not found"


class BodyTooLargeError(GatewayError):
    code = 5
    status = 413
    template = "the request body is over the limit of {limit} bytes"


class RateLimitedError(GatewayError):
    code = 6
    status = 429
    template = "too many requests from {client}: try again in {retry_after} s"


class NodeUnavailableError(GatewayError):
    code = 7
    status = 503
    template = "the node at {rpc_url} does not answer: {reason}"


class CommitTimeoutError(GatewayError):
    code = 8
    status = 504
    template = "transaction {tx_hash} was not committed within {timeout} s"


class NodeRefusedError(GatewayError):
    code = 9
    status = 502
    template = "the node refused the call {method}: {reason}"


class AlreadySubmittedError(GatewayError):
    code = 10
    status = 409
    template = (
        "the node has seen transaction {tx_hash} already (in its mempool or a block): "
        "look it up with GET /v1/transactions/{tx_hash}"
    )


class UnauthorizedError(GatewayError):
    code = 11
    status = 401
    template = (
        "{reason}: send the console token as `Authorization: Bearer <token>` "
        "(the gateway wrote it to its --console-token-file at start)"
    )


class BlobHashMismatchError(GatewayError):
    code = 12
    status = 400
    template = (
        "the body hashes to {got}, not to {name}: a blob is stored under its own sha256 only "
        "(nothing was stored)"
    )


class BlobUnauthorizedError(GatewayError):
    code = 13
    status = 401
    template = (
        "{reason}: send the blob token as `Authorization: Bearer <token>` "
        "(the gateway keeps it in its --blob-token-file)"
    )


class ContentDigestMismatchError(GatewayError):
    code = 27
    status = 400
    template = (
        "the request body does not match its Content-Digest ({reason}): the body was changed, "
        "or the digest computed wrongly (nothing was done)"
    )


class AuthenticationError(GatewayError):
    """Who sent a request could not be established: answered 401 with `WWW-Authenticate`."""

    status = 401


class AuthenticationRequiredError(AuthenticationError):
    code = 20
    template = (
        "{what} needs an authenticated member: sign the request (HTTP Message Signatures, "
        "keyid = your identity id) or present your member certificate over TLS"
    )


class MalformedSignatureError(AuthenticationError):
    code = 21
    template = "the request signature cannot be used: {reason}"


class SignatureMismatchError(AuthenticationError):
    code = 22
    template = (
        "the request signature does not verify with the key of {keyid}: the request was "
        "changed on the way, or signed with another key"
    )


class StaleRequestError(AuthenticationError):
    code = 23
    template = "the request signature is not fresh: {reason} (check the client's clock)"


class ReplayedRequestError(AuthenticationError):
    code = 24
    template = "the nonce {nonce!r} of {keyid} was used already: sign each request anew"


class UnknownKeyIdError(AuthenticationError):
    code = 25
    template = "no member with the identity {keyid} is registered on chain"


class MemberRefusedError(AuthenticationError):
    code = 26
    template = "the chain does not accept {who} as a member: {reason}"


# ---------------------------------------------------------------------------- identity (30-39)
class InvalidDidError(GatewayError):
    code = 30
    status = 400
    template = "{did!r} is not a DID: {reason}"


class DidMethodNotSupportedError(GatewayError):
    code = 31
    status = 501
    template = "this gateway resolves did:cornerstone DIDs only, not did:{method}"


class UnknownDidError(GatewayError):
    code = 32
    status = 404
    template = "{did} {reason}"


class RepresentationNotSupportedError(GatewayError):
    code = 33
    status = 406
    template = (
        "none of the media types the request accepts ({accept}) is served for a DID: ask for "
        "application/did+json (the document) or application/did-resolution (with metadata)"
    )


class UnknownStatusListError(GatewayError):
    code = 34
    status = 404
    template = "there is no status list {url} on this chain: {reason}"
