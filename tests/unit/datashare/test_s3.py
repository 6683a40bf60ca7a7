"""The S3 store against a real S3-compatible server (moto's, `s3server.py`): content
addressing, idempotent uploads, the data plane's `fetch` from an s3:// location with its hash
check, and each way the store can fail getting its own error, with no credential in it."""

from __future__ import annotations

import hashlib
import io
import logging
from pathlib import Path

import pytest

from cornerstone.datashare import DataShare, EncryptionKey, StoreServer
from cornerstone.datashare.errors import (
    BlobNotFoundError,
    CipherHashMismatchError,
    S3AccessDeniedError,
    S3AuthenticationError,
    S3BucketNotFoundError,
    S3CredentialsError,
    S3EndpointError,
    S3LocationError,
    S3RequestError,
    S3UnreachableError,
)
from cornerstone.datashare.store import open_store, store_of_location
from cornerstone.datashare.store.s3 import S3BlobStore, S3Settings
from cornerstone.errors import CornerstoneError
from cornerstone.sdk import Signer
from tests.conftest import genesis, org_key
from tests.servers import free_port
from tests.unit.cli.fake_rpc import FakeRpc
from tests.unit.datashare.s3server import (  # noqa: F401 - pytest finds the fixture here
    AWS_VARIABLES,
    S3Server,
    s3_server_fixture,
)

BLOB = b"ciphertext bytes" * 1000
NAME = hashlib.sha256(BLOB).digest()
DATA = b"container,seal\nMSCU-1,A77\n" * 40


@pytest.fixture(autouse=True)
def no_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test sets the variables it means; none leak in from the machine's."""
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.aws/credentials of the machine's


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    return s3_server.new_bucket()


@pytest.fixture
def writer(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer's key in the AWS variables."""
    for name, value in s3_server.env("writer").items():
        monkeypatch.setenv(name, value)


def assert_no_secret(error: CornerstoneError, s3_server: S3Server) -> None:
    shown = f"{error} {error!r} {error.fields!r} {error.__cause__!r} {error.__context__!r}"
    for key in s3_server.keys.values():
        assert key.secret_access_key not in shown
        assert key.access_key_id not in shown


@pytest.mark.usefixtures("writer")
def test_a_bucket_is_content_addressed_and_a_put_is_idempotent(
    s3_server: S3Server, bucket: str
) -> None:
    store = open_store(f"s3://{bucket}/org1", s3=s3_server.settings())
    assert isinstance(store, S3BlobStore) and store.prefix == "org1/"
    location = store.put(BLOB)
    assert location == f"s3://{bucket}/org1/{NAME.hex()}"
    assert store.put(BLOB) == location, "storing twice is the same"
    assert store.get(NAME) == BLOB
    assert store.size(NAME) == len(BLOB) and store.exists(NAME)
    assert not store.exists(b"\x01" * 32)
    assert b"".join(store.chunks(NAME)) == BLOB
    found, named = store_of_location(location, s3=s3_server.settings())
    assert named == NAME and found.get(NAME) == BLOB
    listed = [o.object_name for o in store.client.list_objects(bucket, recursive=True)]
    assert listed == [f"org1/{NAME.hex()}"]


def test_a_put_of_a_stored_blob_uploads_nothing(
    s3_server: S3Server, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader may not upload: putting what is there succeeds (nothing is sent), putting
    anything new is denied by the store."""
    settings = s3_server.settings(credentials_file=s3_server.credentials_file("writer"))
    S3BlobStore(bucket, settings=settings).put(BLOB)
    reader = S3BlobStore(
        bucket, settings=s3_server.settings(credentials_file=s3_server.credentials_file("reader"))
    )
    assert reader.put(BLOB) == f"s3://{bucket}/{NAME.hex()}"
    with pytest.raises(S3AccessDeniedError, match="denied upload to") as denied:
        reader.put(BLOB + b"more")
    assert denied.value.code == 16 and denied.value.codespace == "data"
    assert f"s3://{bucket}/" in denied.value.message
    assert_no_secret(denied.value, s3_server)


def test_fetch_reads_an_s3_location_and_refuses_a_tampered_object(
    s3_server: S3Server, bucket: str, writer: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Publish to S3, fetch from the location on chain with the endpoint from the reader's
    environment; an object altered in the bucket is refused by the chain's ciphertext hash."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server.endpoint)
    rpc = FakeRpc.started(genesis())
    owner = DataShare(
        Signer(rpc.client(), org_key("org1")),
        encryption_key=EncryptionKey.generate(),
        store=open_store(f"s3://{bucket}/datasets/", s3=s3_server.settings()),
    )
    try:
        owner.register_key()
        published = owner.publish(DATA, title="seals")
        assert published.location == f"s3://{bucket}/datasets/{published.cipher_hash.hex()}"
        assert owner.fetch(published.dataset, 1) == DATA
        store = S3BlobStore(bucket, prefix="datasets/", settings=s3_server.settings())
        ciphertext = store.get(published.cipher_hash)
        altered = bytes([ciphertext[0] ^ 1]) + ciphertext[1:]
        store.client.put_object(
            bucket, store.key_of(published.cipher_hash), io.BytesIO(altered), len(altered)
        )
        with pytest.raises(CipherHashMismatchError, match="step 2") as refused:
            owner.fetch(published.dataset, 1)
        assert refused.value.fields["expected"] == published.cipher_hash.hex()
    finally:
        owner.client.close()


@pytest.mark.usefixtures("writer")
def test_a_missing_object_is_step_1_of_fetch(s3_server: S3Server, bucket: str) -> None:
    store = S3BlobStore(bucket, prefix="p-", settings=s3_server.settings())
    with pytest.raises(BlobNotFoundError, match="step 1") as missing:
        store.get(NAME)
    assert missing.value.code == 2
    assert f"s3://{bucket}/p-{NAME.hex()}" in missing.value.message
    found, named = store_of_location(f"s3://{bucket}/p-{NAME.hex()}", s3=s3_server.settings())
    assert isinstance(found, S3BlobStore) and found.prefix == "p-" and named == NAME
    assert s3_server.endpoint in missing.value.message


def test_credentials_the_store_does_not_accept_are_named_without_the_secret(
    s3_server: S3Server,
    bucket: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    good = s3_server.keys["writer"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", good.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", good.secret_access_key[::-1])
    with pytest.raises(S3AuthenticationError, match="SignatureDoesNotMatch") as wrong:
        S3BlobStore(bucket, settings=s3_server.settings()).get(NAME)
    assert wrong.value.code == 15
    assert_no_secret(wrong.value, s3_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA" + "Q" * 16)
    with pytest.raises(S3AuthenticationError, match="InvalidAccessKeyId") as unknown:
        S3BlobStore(bucket, settings=s3_server.settings()).put(BLOB)
    assert "AKIA" + "Q" * 16 not in str(unknown.value)
    assert good.secret_access_key not in caplog.text
    assert good.secret_access_key[::-1] not in caplog.text


@pytest.mark.usefixtures("writer")
def test_an_endpoint_where_nothing_listens_is_unreachable(bucket: str) -> None:
    port = free_port()
    store = S3BlobStore(bucket, settings=S3Settings(endpoint=f"http://127.0.0.1:{port}"))
    with pytest.raises(S3UnreachableError, match="cannot be reached") as unreachable:
        store.get(NAME)
    assert unreachable.value.code == 13 and f"127.0.0.1:{port}" in unreachable.value.message


@pytest.mark.usefixtures("writer")
def test_a_bucket_that_does_not_exist_is_named(s3_server: S3Server) -> None:
    store = S3BlobStore("no-such-bucket", settings=s3_server.settings())
    for attempt in (lambda: store.get(NAME), lambda: store.put(BLOB)):
        with pytest.raises(S3BucketNotFoundError, match="no bucket no-such-bucket") as missing:
            attempt()
        assert missing.value.code == 17
    unprobed = S3BlobStore("no-such-bucket", settings=s3_server.settings(region=None))
    with pytest.raises(S3BucketNotFoundError):
        unprobed.get(NAME)  # the region lookup is the request that finds it missing


@pytest.mark.usefixtures("writer")
def test_an_endpoint_that_is_no_s3_store_is_named(tmp_path: Path) -> None:
    server = StoreServer(tmp_path / "plain").start()
    try:
        store = S3BlobStore("somebucket", settings=S3Settings(endpoint=server.url))
        with pytest.raises(S3RequestError, match="not an S3 answer") as refused:
            store.get(NAME)
        assert refused.value.code == 18
    finally:
        server.stop()


def test_credentials_files_and_settings_that_cannot_be_used(
    s3_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "absent.ini"
    with pytest.raises(S3CredentialsError, match="cannot be read") as unreadable:
        S3BlobStore("b-1", settings=S3Settings(credentials_file=missing))
    assert unreadable.value.code == 14
    secret = s3_server.keys["writer"].secret_access_key
    broken = tmp_path / "broken.ini"
    broken.write_text(f"aws_secret_access_key = {secret}\n", encoding="utf-8")
    with pytest.raises(S3CredentialsError, match="not an AWS credentials file") as garbled:
        S3BlobStore("b-1", settings=S3Settings(credentials_file=broken))
    assert secret not in str(garbled.value)
    monkeypatch.setenv("AWS_PROFILE", "ops")
    with pytest.raises(S3CredentialsError, match=r"no profile \[ops\]"):
        S3BlobStore("b-1", settings=S3Settings(credentials_file=s3_server.credentials_file()))
    monkeypatch.delenv("AWS_PROFILE")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA" + "Z" * 16)
    with pytest.raises(S3CredentialsError, match="both"):
        S3BlobStore("b-1")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(s3_server.credentials_file()))
    bucket = s3_server.new_bucket()
    assert S3BlobStore(bucket, settings=s3_server.settings()).put(BLOB).endswith(NAME.hex())
    for endpoint in ("ftp://host", "http://host/path", "no-scheme"):
        with pytest.raises(S3EndpointError) as bad:
            S3BlobStore("b-1", settings=S3Settings(endpoint=endpoint))
        assert bad.value.code == 12
    with pytest.raises(S3EndpointError, match="carries credentials") as inline:
        S3BlobStore("b-1", settings=S3Settings(endpoint="http://AKIAX:hush@host:9000"))
    assert "hush" not in str(inline.value) and "AKIAX" not in str(inline.value)
    for location in ("s3://UPPER/x", "s3://b", f"s3://bucket/{NAME.hex()[:-1]}"):
        with pytest.raises(S3LocationError) as not_s3:
            store_of_location(location)
        assert not_s3.value.code == 11


def test_the_endpoint_comes_from_the_settings_then_the_aws_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert S3Settings().resolved_endpoint() == "https://s3.amazonaws.com"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://general:9000")
    assert S3Settings().resolved_endpoint() == "http://general:9000"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://s3-only:9000/")
    assert S3Settings().resolved_endpoint() == "http://s3-only:9000"
    assert S3Settings(endpoint="http://mine:1").resolved_endpoint() == "http://mine:1"
    store = S3BlobStore("b-1", settings=S3Settings(endpoint="http://mine:1"))
    assert repr(store) == "S3BlobStore('s3://b-1/', endpoint='http://mine:1')"
