"""Off-chain object stores for ciphertexts: content-addressed by the sha256 of the bytes, so a
location names exactly one ciphertext and anyone can check what a store hands back.

    BlobStore            the protocol: put(bytes) -> location URI, get(cipher hash) -> bytes
    ├── LocalBlobStore   a folder: <dir>/<sha256 hex>, written atomically   (file:///dir/<hex>)
    └── HttpBlobStore    a store server: PUT/GET <base>/blobs/<hex>     (http://host/blobs/<hex>)

`python -m cornerstone.datashare.store --dir D --listen 127.0.0.1:PORT` serves a folder over
HTTP (`serve`); the gateway can mount the same routes later, and an S3 store is one more class
behind the protocol (location s3://bucket/<hex>).
"""

from __future__ import annotations

import hashlib
import http.server
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Final, Protocol
from urllib.parse import unquote, urlparse

import httpx

from cornerstone.datashare.errors import BlobNotFoundError, StoreError

HASH_HEX: Final = re.compile(r"[0-9a-f]{64}")
MAX_BLOB: Final = 256 * 1024 * 1024
"""Largest ciphertext a store server accepts (the client keeps a version in memory)."""
BLOBS_PATH: Final = "/blobs/"


class BlobStore(Protocol):
    """Where ciphertexts live off chain."""

    def put(self, data: bytes) -> str:
        """Store `data` under its sha256; the location URI recorded on chain."""

    def get(self, cipher_hash: bytes) -> bytes:
        """The bytes stored under `cipher_hash` (unchecked: the caller checks the hash);
        BlobNotFoundError or StoreError."""


def _check_hex(name: str) -> str:
    if not HASH_HEX.fullmatch(name):
        raise ValueError(f"{name!r} is not a sha256 in hex")
    return name


class LocalBlobStore:
    """A folder of ciphertexts named by their sha256 (a folder several organizations share on
    one machine, or the node's disk behind the store server)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()

    def path_of(self, cipher_hash: bytes) -> Path:
        return self.folder / cipher_hash.hex()

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).digest()
        target = self.path_of(digest)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=".upload-")
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(temporary, target)
        except OSError as exc:
            raise StoreError(store=str(self.folder), reason=exc.strerror or str(exc)) from None
        return target.as_uri()

    def get(self, cipher_hash: bytes) -> bytes:
        path = self.path_of(cipher_hash)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise BlobNotFoundError(cipher_hash=cipher_hash.hex(), location=path.as_uri()) from None
        except OSError as exc:
            raise StoreError(store=str(self.folder), reason=exc.strerror or str(exc)) from None


class HttpBlobStore:
    """A store server's HTTP interface: PUT and GET <base>/blobs/<sha256 hex>."""

    def __init__(
        self, base_url: str, *, timeout: float = 30.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._transport = transport

    def url_of(self, cipher_hash: bytes) -> str:
        return f"{self.base_url}{BLOBS_PATH}{cipher_hash.hex()}"

    def _request(self, method: str, url: str, content: bytes | None = None) -> httpx.Response:
        try:
            with httpx.Client(timeout=self._timeout, transport=self._transport) as http:
                return http.request(method, url, content=content)
        except httpx.HTTPError as exc:
            raise StoreError(
                store=self.base_url, reason=f"cannot reach it ({type(exc).__name__})"
            ) from None

    def put(self, data: bytes) -> str:
        url = self.url_of(hashlib.sha256(data).digest())
        response = self._request("PUT", url, data)
        if response.status_code not in (200, 201):
            raise StoreError(
                store=self.base_url, reason=f"upload answered HTTP {response.status_code}"
            )
        return url

    def get(self, cipher_hash: bytes) -> bytes:
        url = self.url_of(cipher_hash)
        response = self._request("GET", url)
        if response.status_code == 404:
            raise BlobNotFoundError(cipher_hash=cipher_hash.hex(), location=url)
        if response.status_code != 200:
            raise StoreError(
                store=self.base_url, reason=f"download answered {response.status_code}"
            )
        return response.content


def open_store(spec: str, *, transport: httpx.BaseTransport | None = None) -> BlobStore:
    """The store a --store option names: an http(s) base URL, a file:// URI or a folder."""
    if spec.startswith(("http://", "https://")):
        return HttpBlobStore(spec, transport=transport)
    if spec.startswith("file://"):
        return LocalBlobStore(Path(unquote(urlparse(spec).path)))
    return LocalBlobStore(Path(spec))


def store_of_location(
    location: str, *, transport: httpx.BaseTransport | None = None
) -> tuple[BlobStore, bytes]:
    """The store a location URI points into and the hash it names there."""
    parsed = urlparse(location)
    name = unquote(parsed.path).rsplit("/", 1)[-1]
    try:
        cipher_hash = bytes.fromhex(_check_hex(name))
    except ValueError:
        raise StoreError(store=location, reason="the location does not end in a sha256") from None
    if parsed.scheme == "file":
        return LocalBlobStore(Path(unquote(parsed.path)).parent), cipher_hash
    if parsed.scheme in ("http", "https"):
        base = location[: location.rindex(BLOBS_PATH)] if BLOBS_PATH in location else location
        return HttpBlobStore(base, transport=transport), cipher_hash
    raise StoreError(
        store=location, reason=f"the scheme {parsed.scheme!r} is not supported here (file, http)"
    )


# ---------------------------------------------------------------------------- the server
class _Handler(http.server.BaseHTTPRequestHandler):
    """GET and PUT of content-addressed blobs in one folder; a PUT whose body does not hash to
    its name is refused, so the server never stores a blob under a wrong address."""

    store: LocalBlobStore
    server_version = "cornerstone-store/1"

    def _name(self) -> bytes | None:
        if not self.path.startswith(BLOBS_PATH):
            return None
        name = self.path[len(BLOBS_PATH) :]
        return bytes.fromhex(name) if HASH_HEX.fullmatch(name) else None

    def _reply(self, status: int, body: bytes = b"", kind: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        name = self._name()
        if name is None:
            self._reply(404, b"GET /blobs/<sha256 hex>\n")
            return
        try:
            data = self.store.get(name)
        except BlobNotFoundError:
            self._reply(404, b"no such blob\n")
            return
        self._reply(200, data, "application/octet-stream")

    def do_PUT(self) -> None:
        name = self._name()
        try:
            length = int(self.headers.get("Content-Length") or -1)
        except ValueError:
            length = -1
        if name is None or not 0 <= length <= MAX_BLOB:
            self._reply(400, b"PUT /blobs/<sha256 hex> with a Content-Length up to the limit\n")
            return
        data = self.rfile.read(length)
        if hashlib.sha256(data).digest() != name:
            self._reply(400, b"the body does not hash to the name\n")
            return
        self.store.put(data)
        self._reply(201)

    def log_message(self, format: str, *args: object) -> None:
        """Request lines name blob hashes only; no body is ever logged."""
        super().log_message(format, *args)


class StoreServer:
    """A store server on a thread, for tests and the `python -m` entry point."""

    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        handler = type("Handler", (_Handler,), {"store": LocalBlobStore(folder)})
        self._server = http.server.ThreadingHTTPServer((host, port), handler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> StoreServer:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop a server `start` put on a thread."""
        self._server.shutdown()
        self.close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def close(self) -> None:
        self._server.server_close()


__all__ = [
    "BlobStore",
    "HttpBlobStore",
    "LocalBlobStore",
    "StoreServer",
    "open_store",
    "store_of_location",
]
