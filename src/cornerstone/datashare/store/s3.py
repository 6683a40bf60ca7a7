"""An S3-compatible object store for ciphertexts (AWS S3, SeaweedFS, Ceph RGW, Garage, ...):
the option for deployments whose ciphertexts outgrow a node's disk.

    S3BlobStore(bucket="ciphertexts", prefix="org1/", settings=S3Settings(endpoint=...))
        put(data)   -> "s3://ciphertexts/org1/<sha256 hex>"   (the location recorded on chain)
        get(hash)   -> bytes, read in chunks from the object's stream
        chunks(hash), size(hash), exists(hash)

Objects are named `<prefix><sha256 of the ciphertext>`, so a put is idempotent: an object
already there with the same size is kept (a HEAD, no upload). Whatever comes back, `fetch`
checks the chain's ciphertext hash, so a store that serves altered bytes is caught there.

Where the endpoint comes from. The location on chain names bucket, prefix and hash only:
endpoints and credentials are local to each organization (one reads AWS through a VPC
endpoint, another a replica), so the fetching side supplies its own from configuration:
`S3Settings.endpoint` (the CLI's --s3-endpoint), else $AWS_ENDPOINT_URL_S3, else
$AWS_ENDPOINT_URL (the AWS SDKs' own variables), else AWS S3 itself.

Credentials, in this order: a credentials file given by option (`S3Settings.credentials_file`,
AWS's INI format, profile $AWS_PROFILE or "default"); $AWS_ACCESS_KEY_ID and
$AWS_SECRET_ACCESS_KEY (with $AWS_SESSION_TOKEN); $AWS_SHARED_CREDENTIALS_FILE or
~/.aws/credentials when it exists; else none (anonymous requests, for public-read buckets).
They are held by the client only: never logged, never in a repr or an error (the errors name
endpoint, bucket, object and the store's error code, and are raised `from None` so no request
carrying a signature hangs off them).

The requests are signed by MinIO's Python SDK (`minio`); no signing is written here.
"""

from __future__ import annotations

import configparser
import hashlib
import io
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final, TypeVar
from urllib.parse import urlsplit

import certifi
import urllib3
from minio import Minio
from minio.credentials.providers import Provider, StaticProvider
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError

from cornerstone.datashare.errors import (
    BlobNotFoundError,
    S3AccessDeniedError,
    S3AuthenticationError,
    S3BucketNotFoundError,
    S3CredentialsError,
    S3EndpointError,
    S3LocationError,
    S3RequestError,
    S3UnreachableError,
    StoreError,
)
from cornerstone.datashare.store.s3config import SCHEME, S3Settings

CHUNK: Final = 1024 * 1024
"""Bytes read from an object's stream at a time."""
CONNECT_TIMEOUT_S: Final = 10.0
READ_TIMEOUT_S: Final = 60.0
RETRIES: Final = 2
"""Retries of a connection failure or a 5xx answer (MinIO's default of 5 makes an unreachable
endpoint take seconds to report)."""
_BUCKET: Final = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")
"""S3's bucket naming rules (3-63 lowercase letters, digits, dots and hyphens)."""
_HASH_HEX: Final = re.compile(r"[0-9a-f]{64}")
_AUTHENTICATION: Final = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidToken",
        "ExpiredToken",
        "TokenRefreshRequired",
        "InvalidSecurity",
        "AuthorizationHeaderMalformed",
    }
)
_DENIED: Final = frozenset({"AccessDenied", "AllAccessDisabled", "AccountProblem"})

T = TypeVar("T")


def parse_location(location: str) -> tuple[str, str]:
    """The bucket and the key (or key prefix) of s3://BUCKET[/KEY]."""
    if not location.startswith(SCHEME):
        raise S3LocationError(location=location, reason="it does not start with s3://")
    bucket, _, key = location[len(SCHEME) :].partition("/")
    if not _BUCKET.fullmatch(bucket):
        raise S3LocationError(
            location=location,
            reason=f"{bucket!r} is not a bucket name (3-63 lowercase letters, digits, . and -)",
        )
    return bucket, key


def store_prefix(prefix: str) -> str:
    """A prefix as a folder: "" stays "", "a/b" becomes "a/b/"."""
    prefix = prefix.lstrip("/")
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def open_s3(spec: str, settings: S3Settings | None = None) -> S3BlobStore:
    """The store an s3://BUCKET[/PREFIX] option names (PREFIX taken as a folder)."""
    bucket, prefix = parse_location(spec)
    return S3BlobStore(bucket, prefix=store_prefix(prefix), settings=settings)


def s3_of_location(location: str, settings: S3Settings | None = None) -> tuple[S3BlobStore, bytes]:
    """The store a location s3://BUCKET/<prefix><sha256 hex> points into, and the hash (the
    prefix taken as it is: whatever a publisher chose, the name ends in the hash)."""
    bucket, key = parse_location(location)
    prefix, name = key[:-64], key[-64:]
    if not _HASH_HEX.fullmatch(name):
        raise S3LocationError(location=location, reason="it does not end in a sha256 in hex")
    return S3BlobStore(bucket, prefix=prefix, settings=settings), bytes.fromhex(name)


def _credentials(settings: S3Settings) -> Provider | None:
    """The credentials, by the order in the module's docstring; None for anonymous requests."""
    if settings.credentials_file is not None:
        return _from_file(settings.credentials_file)
    access, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if access and secret:
        return StaticProvider(access, secret, os.environ.get("AWS_SESSION_TOKEN") or None)
    if access or secret:
        raise S3CredentialsError(
            source="the environment",
            reason="set both $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY, or neither",
        )
    shared = os.environ.get("AWS_SHARED_CREDENTIALS_FILE")
    if shared:
        return _from_file(Path(shared))
    default = Path.home() / ".aws" / "credentials"
    return _from_file(default) if default.is_file() else None


def _from_file(path: Path) -> Provider:
    profile = os.environ.get("AWS_PROFILE") or "default"
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as file:
            parser.read_file(file)
    except OSError as exc:
        raise S3CredentialsError(
            source=str(path), reason=f"it cannot be read ({exc.strerror})"
        ) from None
    except configparser.Error:
        # The parser's message quotes lines of the file, which hold secrets: not passed on.
        raise S3CredentialsError(
            source=str(path), reason="it is not an AWS credentials file (INI sections)"
        ) from None
    if not parser.has_section(profile):
        raise S3CredentialsError(
            source=str(path), reason=f"it has no profile [{profile}] (set $AWS_PROFILE)"
        )
    section = parser[profile]
    access = section.get("aws_access_key_id", "").strip()
    secret = section.get("aws_secret_access_key", "").strip()
    if not access or not secret:
        raise S3CredentialsError(
            source=str(path),
            reason=f"its profile [{profile}] lacks aws_access_key_id or aws_secret_access_key",
        )
    token = section.get("aws_session_token", "").strip() or None
    return StaticProvider(access, secret, token)


class S3BlobStore:
    """Ciphertexts in one bucket of an S3-compatible store, named `<prefix><sha256 hex>`
    (`prefix` as given: "org1/" for a folder)."""

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        settings: S3Settings | None = None,
        http: urllib3.PoolManager | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        settings = settings or S3Settings()
        self.endpoint = settings.resolved_endpoint()
        endpoint = urlsplit(self.endpoint)
        if endpoint.scheme not in ("http", "https") or not endpoint.hostname:
            raise S3EndpointError(endpoint=self.endpoint, reason="it is not an http(s) URL")
        if endpoint.username is not None or endpoint.password is not None:
            bare = f"{endpoint.scheme}://{endpoint.netloc.rpartition('@')[2]}"
            raise S3EndpointError(
                endpoint=bare, reason="it carries credentials (give them by file or variables)"
            )
        if endpoint.path not in ("", "/") or endpoint.query:
            raise S3EndpointError(endpoint=self.endpoint, reason="it has more than scheme and host")
        self._http = http or urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S),
            maxsize=4,
            cert_reqs="CERT_REQUIRED",
            ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
            retries=urllib3.Retry(
                total=RETRIES, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]
            ),
        )
        try:
            self.client = Minio(  # public for what the protocol does not cover (make_bucket)
                endpoint.netloc,
                secure=endpoint.scheme == "https",
                region=settings.resolved_region(),
                http_client=self._http,
                credentials=_credentials(settings),
            )
        except ValueError as exc:  # MinIO's checks of the endpoint; no credential in them
            raise S3EndpointError(endpoint=self.endpoint, reason=str(exc)) from None

    def __repr__(self) -> str:
        return f"S3BlobStore({self.location_of_prefix()!r}, endpoint={self.endpoint!r})"

    def location_of_prefix(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.prefix}"

    def key_of(self, cipher_hash: bytes) -> str:
        return f"{self.prefix}{cipher_hash.hex()}"

    def location_of(self, cipher_hash: bytes) -> str:
        return f"{SCHEME}{self.bucket}/{self.key_of(cipher_hash)}"

    # ------------------------------------------------------------------ the protocol
    def put(self, data: bytes) -> str:
        """Upload `data` under its sha256 unless an object of its size is there already."""
        cipher_hash = hashlib.sha256(data).digest()
        key = self.key_of(cipher_hash)
        try:
            if self.size(cipher_hash) == len(data):
                return self.location_of(cipher_hash)
        except S3AccessDeniedError:
            pass  # an uploader may hold s3:PutObject only: the upload itself will tell
        try:
            self._call(
                "upload to",
                key,
                lambda: self.client.put_object(
                    self.bucket,
                    key,
                    io.BytesIO(data),
                    len(data),
                    content_type="application/octet-stream",
                ),
            )
        finally:
            self._http.clear()
        return self.location_of(cipher_hash)

    def get(self, cipher_hash: bytes) -> bytes:
        return b"".join(self.chunks(cipher_hash))

    def chunks(self, cipher_hash: bytes) -> Iterator[bytes]:
        """The object's bytes as they arrive (unchecked: the caller checks the hash)."""
        key = self.key_of(cipher_hash)
        response = self._call(
            "download of",
            key,
            lambda: self.client.get_object(self.bucket, key),
            missing=cipher_hash,
        )
        stream = response.stream(CHUNK)
        try:
            while chunk := self._call("download of", key, lambda: next(stream, b"")):
                yield chunk
        finally:
            response.close()
            response.release_conn()
            self._http.clear()

    def size(self, cipher_hash: bytes) -> int | None:
        """The object's size, or None when there is none (HEAD)."""
        key = self.key_of(cipher_hash)
        try:
            found = self._call(
                "HEAD of", key, lambda: self.client.stat_object(self.bucket, key), missing=b""
            )
        except BlobNotFoundError:
            # A HEAD answers 404 without saying whether the bucket or the object is missing;
            # credentials that may not look at the bucket itself are taken at their word.
            try:
                there = self._call("HEAD of", "", lambda: self.client.bucket_exists(self.bucket))
            except S3AccessDeniedError:
                there = True
            if not there:
                raise S3BucketNotFoundError(bucket=self.bucket, endpoint=self.endpoint) from None
            return None
        finally:
            self._http.clear()
        return found.size

    def exists(self, cipher_hash: bytes) -> bool:
        return self.size(cipher_hash) is not None

    # ------------------------------------------------------------------ errors
    def _call(
        self, operation: str, key: str, call: Callable[[], T], missing: bytes | None = None
    ) -> T:
        """`call()`, with the client's exceptions turned into the data plane's errors. With
        `missing`, an absent object is BlobNotFoundError for that hash."""
        target = f"{SCHEME}{self.bucket}/{key}"
        try:
            return call()
        except S3Error as exc:
            code = exc.code or ""
            if code == "NoSuchBucket":
                raise S3BucketNotFoundError(bucket=self.bucket, endpoint=self.endpoint) from None
            if code in ("NoSuchKey", "NoSuchObject") and missing is not None:
                raise BlobNotFoundError(
                    cipher_hash=missing.hex() or key.rsplit("/", 1)[-1],
                    location=f"{target} (endpoint {self.endpoint})",
                ) from None
            if code in _AUTHENTICATION:
                raise S3AuthenticationError(endpoint=self.endpoint, error=code) from None
            if code in _DENIED:
                raise S3AccessDeniedError(
                    endpoint=self.endpoint, operation=operation, target=target, error=code
                ) from None
            raise S3RequestError(
                endpoint=self.endpoint,
                operation=operation,
                target=target,
                reason=f"it answered {code or 'an error'} (HTTP {exc.response.status})",
            ) from None
        except ServerError as exc:
            raise S3RequestError(
                endpoint=self.endpoint,
                operation=operation,
                target=target,
                reason=f"it answered HTTP {exc.status_code}",
            ) from None
        except InvalidResponseError:
            raise S3RequestError(
                endpoint=self.endpoint,
                operation=operation,
                target=target,
                reason="its answer is not an S3 answer (is it an S3 endpoint?)",
            ) from None
        except urllib3.exceptions.HTTPError as exc:
            reason = getattr(exc, "reason", None) or exc
            raise S3UnreachableError(
                endpoint=self.endpoint, reason=_unreachable_reason(reason)
            ) from None
        except MinioException as exc:
            raise StoreError(store=self.endpoint, reason=type(exc).__name__) from None


def _unreachable_reason(error: object) -> str:
    """A few words on why a connection failed, without the request (URLs, headers)."""
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        return "the connection was refused or the host is unknown"
    if isinstance(error, urllib3.exceptions.TimeoutError):
        return "it timed out"
    if isinstance(error, urllib3.exceptions.SSLError):
        return "the TLS handshake failed"
    return type(error).__name__


__all__ = [
    "S3BlobStore",
    "S3Settings",
    "open_s3",
    "parse_location",
    "s3_of_location",
    "store_prefix",
]
