"""The gateway as the data plane's store: uploads need the blob token and must hash to their
name, are idempotent and limited in size; downloads are open; the data plane's HTTP client works
against the gateway's blob URL."""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from cornerstone.datashare.errors import BlobNotFoundError, StoreError
from cornerstone.datashare.store import HttpBlobStore, store_of_location
from cornerstone.errors import ConfigError
from cornerstone.gateway import create_app
from cornerstone.gateway.blobs import BLOB_TOKEN, BLOBS_DIR, load_token
from cornerstone.gateway.errors import (
    BadParameterError,
    BlobHashMismatchError,
    BlobUnauthorizedError,
    BodyTooLargeError,
    NotFoundError,
)
from tests.unit.gateway.conftest import settings
from tests.unit.gateway.fake_node import FakeNode

PROBLEM = "application/problem+json"
BLOB = b"sealed ciphertext " * 1000
NAME = hashlib.sha256(BLOB).hexdigest()
LIMIT = 64 * 1024


class Blobs:
    def __init__(self, http: TestClient, folder: Path) -> None:
        self.http = http
        self.folder = folder
        self.token = (folder / BLOB_TOKEN).read_text().strip()

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"authorization": f"Bearer {token or self.token}"}


@pytest.fixture
def blobs(node: FakeNode, tmp_path: Path) -> Iterator[Blobs]:
    folder = tmp_path / "gateway"
    app = create_app(settings(node, folder, max_blob_bytes=LIMIT))
    with TestClient(app) as http:
        yield Blobs(http, folder)


def test_a_blob_is_stored_under_its_hash_and_served_to_anyone(blobs: Blobs) -> None:
    stored = blobs.http.put(f"/v1/blobs/{NAME}", content=BLOB, headers=blobs.auth())
    assert stored.status_code == 201 and stored.headers["location"] == f"/v1/blobs/{NAME}"
    assert (blobs.folder / BLOBS_DIR / NAME).read_bytes() == BLOB
    got = blobs.http.get(f"/v1/blobs/{NAME}")  # no token
    assert got.status_code == 200 and got.content == BLOB
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["etag"] == f'"{NAME}"' and "immutable" in got.headers["cache-control"]
    head = blobs.http.head(f"/v1/blobs/{NAME}")
    assert head.status_code == 200 and head.headers["content-length"] == str(len(BLOB))
    assert head.content == b""
    part = blobs.http.get(f"/v1/blobs/{NAME}", headers={"range": "bytes=0-5"})
    assert part.status_code == 206 and part.content == BLOB[:6]


def test_an_upload_again_is_answered_200_and_changes_nothing(blobs: Blobs) -> None:
    assert (
        blobs.http.put(f"/v1/blobs/{NAME}", content=BLOB, headers=blobs.auth()).status_code == 201
    )
    again = blobs.http.put(f"/v1/blobs/{NAME}", content=BLOB, headers=blobs.auth())
    assert again.status_code == 200
    assert sorted(p.name for p in (blobs.folder / BLOBS_DIR).iterdir()) == [NAME]


def test_a_body_that_does_not_hash_to_its_name_is_refused(blobs: Blobs) -> None:
    wrong = "00" * 32
    answer = blobs.http.put(f"/v1/blobs/{wrong}", content=BLOB, headers=blobs.auth())
    assert answer.status_code == 400 and answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert (problem["code"], problem["codespace"]) == (BlobHashMismatchError.code, "gateway")
    assert NAME in problem["detail"] and wrong in problem["detail"]
    assert list((blobs.folder / BLOBS_DIR).iterdir()) == [], "not even a temporary file is left"
    assert blobs.http.get(f"/v1/blobs/{wrong}").status_code == 404


def test_uploads_need_the_blob_token(blobs: Blobs) -> None:
    for headers in ({}, blobs.auth("not-the-token"), {"authorization": f"Basic {blobs.token}"}):
        answer = blobs.http.put(f"/v1/blobs/{NAME}", content=BLOB, headers=headers)
        assert answer.status_code == 401 and answer.headers["content-type"] == PROBLEM
        assert answer.json()["code"] == BlobUnauthorizedError.code
        assert blobs.token not in answer.text
    assert not (blobs.folder / BLOBS_DIR / NAME).exists()


def test_a_blob_over_the_limit_is_413_whether_announced_or_streamed(blobs: Blobs) -> None:
    big = b"\x01" * (LIMIT + 1)
    name = hashlib.sha256(big).hexdigest()
    announced = blobs.http.put(f"/v1/blobs/{name}", content=big, headers=blobs.auth())
    assert announced.status_code == 413 and announced.json()["code"] == BodyTooLargeError.code
    assert str(LIMIT) in announced.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for start in range(0, len(big), 4096):
            yield big[start : start + 4096]

    streamed = blobs.http.put(f"/v1/blobs/{name}", content=chunks(), headers=blobs.auth())
    assert streamed.status_code == 413
    assert list((blobs.folder / BLOBS_DIR).iterdir()) == []
    at_limit = big[:LIMIT]
    fits = blobs.http.put(
        f"/v1/blobs/{hashlib.sha256(at_limit).hexdigest()}", content=at_limit, headers=blobs.auth()
    )
    assert fits.status_code == 201, "the blob limit, not the transaction limit, applies"


def test_absent_blobs_and_bad_names_are_problems(blobs: Blobs) -> None:
    absent = blobs.http.get(f"/v1/blobs/{NAME}")
    assert absent.status_code == 404 and absent.headers["content-type"] == PROBLEM
    assert absent.json()["code"] == NotFoundError.code
    assert blobs.http.head(f"/v1/blobs/{NAME}").status_code == 404
    for bad in (NAME.upper(), NAME[:-1], "..%2Fblob.token"):
        answer = blobs.http.get(f"/v1/blobs/{bad}")
        assert answer.status_code in (400, 404), bad
        if answer.status_code == 400:
            assert answer.json()["code"] == BadParameterError.code
    assert blobs.http.get(f"/v1/blobs/{NAME.upper()}").json()["code"] == BadParameterError.code


def test_the_data_planes_http_store_uses_the_gateway(blobs: Blobs) -> None:
    def through_the_test_client(request: httpx.Request) -> httpx.Response:
        answer = blobs.http.request(
            request.method, str(request.url), content=request.content, headers=request.headers
        )
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    transport = httpx.MockTransport(through_the_test_client)
    base = f"{blobs.http.base_url}/v1/blobs"
    store = HttpBlobStore(base, token=blobs.token, transport=transport)
    location = store.put(BLOB)
    assert location == f"{base}/{NAME}"
    assert store.put(BLOB) == location, "storing twice is the same"
    found, named = store_of_location(location, transport=transport)
    assert found.get(named) == BLOB
    with pytest.raises(BlobNotFoundError):
        found.get(b"\x02" * 32)
    anonymous = HttpBlobStore(base, transport=transport)
    with pytest.raises(StoreError, match="401"):
        anonymous.put(b"something else")


def test_the_token_file_is_made_private_and_then_kept(tmp_path: Path) -> None:
    path = tmp_path / "gw" / BLOB_TOKEN
    token = load_token(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(token) >= 32
    assert load_token(path) == token, "a restart keeps the token its publishers were given"
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_token(path)
    path.chmod(0o600)
    path.write_text("\n")
    with pytest.raises(ConfigError, match="holds no token"):
        load_token(path)


def test_the_openapi_document_describes_the_blob_routes(blobs: Blobs) -> None:
    paths = blobs.http.get("/openapi.json").json()["paths"]
    assert set(paths["/v1/blobs/{sha256}"]) == {"put", "get", "head"}
    upload = paths["/v1/blobs/{sha256}"]["put"]
    assert set(upload["requestBody"]["content"]) == {"application/octet-stream"}
    assert "application/problem+json" in upload["responses"]["401"]["content"]


def test_a_store_url_may_name_the_blobs_folder_or_its_parent() -> None:
    zero = b"\x00" * 32
    for base in ("http://gw/v1/blobs", "http://gw/v1/blobs/", "http://gw/v1"):
        assert HttpBlobStore(base).url_of(zero) == f"http://gw/v1/blobs/{zero.hex()}"
    assert (
        HttpBlobStore("http://store:8700").url_of(zero) == f"http://store:8700/blobs/{zero.hex()}"
    )
