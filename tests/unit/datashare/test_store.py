"""The object stores: content-addressed folders, the HTTP store server, and locations."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from cornerstone.datashare.errors import BlobNotFoundError, StoreError
from cornerstone.datashare.store import (
    HttpBlobStore,
    LocalBlobStore,
    StoreServer,
    open_store,
    store_of_location,
)

BLOB = b"ciphertext bytes" * 100
NAME = hashlib.sha256(BLOB).digest()


def test_a_folder_store_is_content_addressed(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    location = store.put(BLOB)
    assert location == (tmp_path / "blobs" / NAME.hex()).as_uri()
    assert store.put(BLOB) == location, "storing twice is the same"
    assert store.get(NAME) == BLOB
    found, named = store_of_location(location)
    assert named == NAME and found.get(NAME) == BLOB
    with pytest.raises(BlobNotFoundError, match="step 1"):
        store.get(b"\x00" * 32)
    assert [p.name for p in (tmp_path / "blobs").iterdir()] == [NAME.hex()]


def test_an_upload_is_stored_only_when_kept(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    with store.upload() as upload:
        for start in range(0, len(BLOB), 100):
            upload.write(BLOB[start : start + 100])
        assert upload.digest == NAME and upload.size == len(BLOB)
    assert list((tmp_path / "blobs").iterdir()) == [], "not kept: the temporary file is gone"
    with store.upload() as upload:
        upload.write(BLOB)
        assert upload.keep() == (store.path_of(NAME), True)
    with store.upload() as upload:
        upload.write(BLOB)
        assert upload.keep() == (store.path_of(NAME), False)
    assert [p.name for p in (tmp_path / "blobs").iterdir()] == [NAME.hex()]


def test_the_store_server_serves_and_checks_uploads(tmp_path: Path) -> None:
    server = StoreServer(tmp_path / "served").start()
    try:
        store = open_store(server.url)
        assert isinstance(store, HttpBlobStore)
        location = store.put(BLOB)
        assert location == f"{server.url}/blobs/{NAME.hex()}"
        assert (tmp_path / "served" / NAME.hex()).read_bytes() == BLOB
        again = httpx.put(location, content=BLOB)
        assert again.status_code == 200, "the same blob again changes nothing"
        found, named = store_of_location(location)
        assert found.get(named) == BLOB
        with pytest.raises(BlobNotFoundError):
            store.get(b"\x01" * 32)
        wrong = httpx.put(f"{server.url}/blobs/{'00' * 32}", content=BLOB)
        assert wrong.status_code == 400, "a body that does not hash to its name is refused"
        assert httpx.get(f"{server.url}/other").status_code == 404
    finally:
        server.stop()
    with pytest.raises(StoreError, match="cannot reach"):
        store.get(NAME)


def test_locations_of_unknown_kinds_are_refused() -> None:
    with pytest.raises(StoreError, match="scheme"):
        store_of_location("ftp://host/" + NAME.hex())
    with pytest.raises(StoreError, match="sha256"):
        store_of_location("file:///tmp/not-a-hash")


def test_the_store_runs_as_a_program(tmp_path: Path) -> None:
    """`python -m cornerstone.datashare.store` serves a folder and says where."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cornerstone.datashare.store",
            "--dir",
            str(tmp_path),
            "--listen",
            "127.0.0.1:0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.split(" at ")[1].strip().removesuffix("/blobs/")
        location = HttpBlobStore(url).put(BLOB)
        assert HttpBlobStore(url).get(NAME) == BLOB and location.endswith(NAME.hex())
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
