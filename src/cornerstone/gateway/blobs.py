"""The data plane's content-addressed store, served by the gateway from its node's disk: the
issue's "embedded default", so an organization needs no store server of its own.

    PUT  /v1/blobs/{sha256}    store a ciphertext under its sha256 (needs the blob token)
    GET  /v1/blobs/{sha256}    the ciphertext, streamed from disk (anyone)
    HEAD /v1/blobs/{sha256}    whether it is here, and its size (anyone)

The blobs are files `<data dir>/blobs/<sha256 hex>`, written by the data plane's own
LocalBlobStore (datashare/store): an upload streams into a temporary file in that folder,
hashed as it arrives, and is renamed under its name only when it hashes to it (400, code 12,
otherwise); the same blob sent again is answered 200 and changes nothing. The body limit is
`max_blob_bytes` (413 beyond, whether announced or streamed: the limits middleware counts it),
never held in memory. `HttpBlobStore("http://<gateway>/v1/blobs", token=...)` is the client.

Who may upload. A blob is a ciphertext, content-addressed: whoever fetches it checks the hash
the chain records, and cannot read it without a key sealed to them on chain. So reads are open
(an organization that was granted a dataset fetches it from the owner's gateway), and a forged
or altered upload cannot pass for a dataset. What is left is storage abuse: anyone who can
reach the gateway filling its disk. Uploads therefore need `Authorization: Bearer <token>`,
the blob token the gateway keeps in its `--blob-token-file` (default `<data dir>/blob.token`,
mode 0600): read from the file when it exists, otherwise made fresh and written there at start.
The token is as secret as the organization's machine: the organization hands it to its own
publishers (the CLI reads it with --store-token-file, or from the local network's node
folders), and it stays valid across restarts; to rotate it, delete the file and restart. A
token rather than "loopback only" because behind a reverse proxy every client is loopback, and
a token also works for a publisher on another machine. The rate limit applies to blob
requests as to any other.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from cornerstone.datashare.store import HASH_HEX, MAX_BLOB, LocalBlobStore
from cornerstone.errors import ConfigError
from cornerstone.gateway import models
from cornerstone.gateway.console import write_token
from cornerstone.gateway.errors import (
    BadParameterError,
    BlobHashMismatchError,
    BlobUnauthorizedError,
    NotFoundError,
)

if TYPE_CHECKING:
    from cornerstone.gateway.app import Gateway

log = logging.getLogger("cornerstone.gateway.blobs")

BLOBS_DIR: Final = "blobs"
"""The store's folder in the gateway's data dir."""
BLOB_TOKEN: Final = "blob.token"
"""The blob token's file in the gateway's data dir, unless --blob-token-file names another."""
BLOBS_ROUTE: Final = "/v1/blobs/"
"""Paths under which request bodies may be up to `max_blob_bytes` (limits middleware)."""
DEFAULT_MAX_BLOB_BYTES: Final = MAX_BLOB
"""256 MiB: the largest ciphertext the data plane's client makes of one version."""
TOKEN_BYTES: Final = 32
IMMUTABLE: Final = {
    # A blob's name is its content's hash: what is served under a name never changes.
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
}
PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": models.Problem, "content": {"application/problem+json": {}}}
    for status in (400, 401, 404, 413, 429)
}
_TOKEN_TEXT = re.compile(r"[A-Za-z0-9_\-.~+/=]{16,512}")


def load_token(path: Path) -> str:
    """The blob token in `path`, or a fresh one written there (mode 0600) when there is none.
    ConfigError for a file others may read, or one that holds no token."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        write_token(path, token)
        log.info("wrote a new blob token to %s", path)
        return token
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(reason=f"the blob token file {path} may be read by others: chmod 600 it")
    token = path.read_text(encoding="utf-8").strip()
    if not _TOKEN_TEXT.fullmatch(token):
        raise ConfigError(reason=f"the blob token file {path} holds no token (16+ characters)")
    return token


def _blob_name(sha256: str) -> bytes:
    if not HASH_HEX.fullmatch(sha256):
        raise BadParameterError(
            reason=f"{sha256[:80]!r} is not a sha256 in hex (64 lowercase hex characters)"
        )
    return bytes.fromhex(sha256)


def add_routes(app: FastAPI, gateway: Gateway) -> None:
    """PUT, GET and HEAD of /v1/blobs/{sha256}."""
    settings = gateway.settings
    store = LocalBlobStore(settings.data_dir / BLOBS_DIR)
    token = load_token(settings.blob_token_file or settings.data_dir / BLOB_TOKEN)

    def uploader(authorization: Annotated[str | None, Header()] = None) -> None:
        """The blob token, checked before any of the body is read."""
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise BlobUnauthorizedError(reason="this upload carries no blob token")
        if not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise BlobUnauthorizedError(reason="the blob token is wrong")

    @app.put(
        "/v1/blobs/{sha256}",
        status_code=201,
        response_class=Response,
        response_description="Stored (200: it was stored already)",
        responses={200: {"description": "It was stored already"}, **PROBLEMS},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        },
        tags=["blobs"],
        summary="Store a ciphertext under its sha256",
        dependencies=[Depends(uploader)],
    )
    async def put_blob(sha256: str, request: Request) -> Response:
        """Store the body under `sha256`, which it must hash to. Needs the blob token; the body
        is limited to the gateway's `max_blob_bytes` and written to disk as it arrives."""
        name = _blob_name(sha256)
        with await run_in_threadpool(store.upload) as upload:
            try:
                async for chunk in request.stream():
                    if chunk:
                        await run_in_threadpool(upload.write, chunk)
            except ClientDisconnect:  # nobody to answer; the partial file is deleted
                log.info("an upload of blob %s ended after %d bytes", sha256, upload.size)
                return Response(status_code=400)
            if upload.digest != name:
                raise BlobHashMismatchError(got=upload.digest.hex(), name=sha256)
            size = upload.size
            _path, created = await run_in_threadpool(upload.keep)
        if created:
            log.info("stored blob %s (%d bytes)", sha256, size)
        return Response(status_code=201 if created else 200, headers={"Location": request.url.path})

    def found(sha256: str) -> Path:
        path = store.path_of(_blob_name(sha256))
        if not path.is_file():
            raise NotFoundError(what=f"the blob {sha256}")
        return path

    @app.get(
        "/v1/blobs/{sha256}",
        response_class=FileResponse,
        responses={
            200: {
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
                "description": "The ciphertext",
            },
            **PROBLEMS,
        },
        tags=["blobs"],
        summary="Download a ciphertext",
    )
    def get_blob(sha256: str) -> FileResponse:
        """The bytes stored under `sha256`, streamed from disk (byte ranges allowed). Anyone may
        download: a blob is a ciphertext, and the reader checks its hash against the chain."""
        return _file(found(sha256), sha256)

    @app.head(
        "/v1/blobs/{sha256}",
        response_class=FileResponse,
        responses=PROBLEMS,
        tags=["blobs"],
        summary="Whether a ciphertext is stored",
    )
    def head_blob(sha256: str) -> FileResponse:
        """The headers of the download (its Content-Length), without the bytes."""
        return _file(found(sha256), sha256)


def _file(path: Path, sha256: str) -> FileResponse:
    return FileResponse(
        path,
        media_type="application/octet-stream",
        headers={**IMMUTABLE, "ETag": f'"{sha256}"'},
    )
