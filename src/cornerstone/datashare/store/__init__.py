"""Off-chain object stores for ciphertexts: content-addressed by the sha256 of the bytes, so a
location names exactly one ciphertext and anyone can check what a store hands back.

    BlobStore            the protocol: put(bytes) -> location URI, get(cipher hash) -> bytes
    ├── LocalBlobStore   a folder: <dir>/<sha256 hex>, written atomically   (file:///dir/<hex>)
    ├── HttpBlobStore    PUT/GET <base>/blobs/<hex>                     (http://host/blobs/<hex>)
    └── S3BlobStore      an S3-compatible bucket (store/s3.py)       (s3://bucket/<prefix><hex>)

The embedded default is every node's gateway: it serves its own LocalBlobStore at
`http://<gateway>/v1/blobs/<hex>` (gateway/blobs.py; uploads need its blob token), so
`HttpBlobStore("http://<gateway>/v1/blobs", token=...)` is an organization's store.
`python -m cornerstone.datashare.store --dir D --listen 127.0.0.1:PORT` serves a folder the
same way without a gateway (`StoreServer`, no token: for tests and single-machine setups). An
S3 location names no endpoint: the reader's own `S3Settings` (or the AWS variables) supply it.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import re
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Final, Protocol
from urllib.parse import unquote, urlparse

import httpx

from cornerstone.datashare.errors import BlobNotFoundError, StoreError
from cornerstone.datashare.store.s3config import S3Settings

# store/s3.py (and the S3 client it loads, slow to import) is imported when an s3:// store is
# used, not here.

HASH_HEX: Final = re.compile(r"[0-9a-f]{64}")
MAX_BLOB: Final = 256 * 1024 * 1024
"""Largest ciphertext a store server accepts (the client keeps a version in memory)."""
BLOBS_PATH: Final = "/blobs/"
UPLOAD_PREFIX: Final = ".upload-"
"""Temporary files of uploads in progress; never a blob's name."""
CHUNK: Final = 1024 * 1024
"""Bytes the store server reads of a body at a time."""


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
    one machine, or the node's disk behind its gateway or the store server)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()

    def path_of(self, cipher_hash: bytes) -> Path:
        return self.folder / cipher_hash.hex()

    def upload(self) -> Upload:
        """A blob to write piece by piece, for bodies too large to hold in memory."""
        return Upload(self)

    def put(self, data: bytes) -> str:
        with self.upload() as upload:
            upload.write(data)
            target, _created = upload.keep()
        return target.as_uri()

    def get(self, cipher_hash: bytes) -> bytes:
        path = self.path_of(cipher_hash)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise BlobNotFoundError(cipher_hash=cipher_hash.hex(), location=path.as_uri()) from None
        except OSError as exc:
            raise StoreError(store=str(self.folder), reason=exc.strerror or str(exc)) from None


class Upload:
    """A blob being written to a LocalBlobStore: a temporary file in its folder, hashed as it
    is written. `keep` moves it under its sha256 (atomically; a blob already there is kept as
    it is, since it holds the same bytes); leaving the `with` block without `keep` deletes it.

        with store.upload() as upload:
            for chunk in body:
                upload.write(chunk)
            if upload.digest != expected:
                raise ...                    # nothing was stored
            path, created = upload.keep()
    """

    def __init__(self, store: LocalBlobStore) -> None:
        self.store = store
        self.size = 0
        """Bytes written so far."""
        self._hash = hashlib.sha256()
        try:
            store.folder.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=store.folder, prefix=UPLOAD_PREFIX)
        except OSError as exc:
            raise self._failed(exc) from None
        self._file = os.fdopen(fd, "wb")
        self._temporary: Path | None = Path(name)

    @property
    def digest(self) -> bytes:
        """The sha256 of what was written so far."""
        return self._hash.digest()

    def write(self, chunk: bytes) -> None:
        try:
            self._file.write(chunk)
        except OSError as exc:
            raise self._failed(exc) from None
        self._hash.update(chunk)
        self.size += len(chunk)

    def keep(self) -> tuple[Path, bool]:
        """Store what was written under its sha256: its path, and whether it is new."""
        assert self._temporary is not None, "an upload is kept once"
        target = self.store.path_of(self.digest)
        try:
            if target.exists():
                self._file.close()
                return target, False
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            os.replace(self._temporary, target)
            self._temporary = None
        except OSError as exc:
            raise self._failed(exc) from None
        return target, True

    def discard(self) -> None:
        """Delete the temporary file (if it was not kept)."""
        self._file.close()
        if self._temporary is not None:
            self._temporary.unlink(missing_ok=True)
            self._temporary = None

    def _failed(self, exc: OSError) -> StoreError:
        return StoreError(store=str(self.store.folder), reason=exc.strerror or str(exc))

    def __enter__(self) -> Upload:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.discard()


class HttpBlobStore:
    """A store over HTTP: PUT and GET <base>/blobs/<sha256 hex>, a gateway's (base
    http://<gateway>/v1) or a store server's. The base may be given with its `/blobs` (the
    gateway's blob URL, http://<gateway>/v1/blobs). A `token` is sent with uploads only, as
    `Authorization: Bearer <token>`; downloads carry none, so a store named by a location on
    chain (another organization's) never sees it."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/").removesuffix(BLOBS_PATH.rstrip("/"))
        self._token = token
        self._timeout = timeout
        self._transport = transport

    def url_of(self, cipher_hash: bytes) -> str:
        return f"{self.base_url}{BLOBS_PATH}{cipher_hash.hex()}"

    def _request(
        self,
        method: str,
        url: str,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        try:
            with httpx.Client(timeout=self._timeout, transport=self._transport) as http:
                return http.request(method, url, content=content, headers=headers)
        except httpx.HTTPError as exc:
            raise StoreError(
                store=self.base_url, reason=f"cannot reach it ({type(exc).__name__})"
            ) from None

    def put(self, data: bytes) -> str:
        url = self.url_of(hashlib.sha256(data).digest())
        headers = {"Content-Type": "application/octet-stream"}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token}"
        response = self._request("PUT", url, data, headers)
        if response.status_code not in (200, 201):
            reason = f"upload answered HTTP {response.status_code}"
            if response.status_code == 401:
                reason += (
                    " (it takes uploads with its blob token only: --store-token-file, or the"
                    " gateway's own --blob-token-file)"
                )
            elif response.status_code == 413:
                reason += " (the ciphertext is over its size limit)"
            raise StoreError(store=self.base_url, reason=reason)
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


def open_store(
    spec: str,
    *,
    token: str | None = None,
    transport: httpx.BaseTransport | None = None,
    s3: S3Settings | None = None,
) -> BlobStore:
    """The store a --store option names: an http(s) URL (a gateway's blob URL or a store
    server's), s3://BUCKET[/PREFIX], a file:// URI or a folder. `token` is for uploads over
    HTTP; `s3` the endpoint and credentials of an S3 store (default: the AWS variables)."""
    if spec.startswith("s3://"):
        from cornerstone.datashare.store.s3 import open_s3

        return open_s3(spec, s3)
    if spec.startswith(("http://", "https://")):
        return HttpBlobStore(spec, token=token, transport=transport)
    if spec.startswith("file://"):
        return LocalBlobStore(Path(unquote(urlparse(spec).path)))
    return LocalBlobStore(Path(spec))


def store_of_location(
    location: str,
    *,
    transport: httpx.BaseTransport | None = None,
    s3: S3Settings | None = None,
) -> tuple[BlobStore, bytes]:
    """The store a location URI points into and the hash it names there. An s3:// location is
    read at the endpoint of `s3` (default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, AWS)."""
    if location.startswith("s3://"):
        from cornerstone.datashare.store.s3 import s3_of_location

        return s3_of_location(location, s3)
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
        store=location,
        reason=f"the scheme {parsed.scheme!r} is not supported here (file, http, s3)",
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
        with self.store.upload() as upload:
            while upload.size < length:
                chunk = self.rfile.read(min(CHUNK, length - upload.size))
                if not chunk:
                    self._reply(400, b"the body is shorter than its Content-Length\n")
                    return
                upload.write(chunk)
            if upload.digest != name:
                self._reply(400, b"the body does not hash to the name\n")
                return
            _path, created = upload.keep()
        self._reply(201 if created else 200)

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
    "Upload",
    "open_store",
    "store_of_location",
]
