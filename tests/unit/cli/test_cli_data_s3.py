"""`cornerstone data` with an S3 bucket as the store: publish uploads to s3://BUCKET/PREFIX at
--s3-endpoint with a credentials file, fetch follows the s3:// location on chain at its own
endpoint setting, and a store that cannot be used is one sentence, never a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.cli.test_cli_data import (
    Net,
    net_fixture,  # noqa: F401 - pytest finds the `net` fixture here
    published,
)
from tests.unit.datashare.s3server import (  # noqa: F401 - pytest finds the fixture here
    AWS_VARIABLES,
    S3Server,
    s3_server_fixture,
)

DATA = b"bill,amount\nB-1,1200\n" * 25


@pytest.fixture(autouse=True)
def no_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))


def test_publish_to_a_bucket_and_fetch_from_its_location(
    net: Net,
    s3_server: S3Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bucket = s3_server.new_bucket()
    writer = s3_server.credentials_file("writer")
    reader = s3_server.credentials_file("reader")
    for org in ("org1", "org2"):
        net.ok(f"data keys register --key {org}")
    source = tmp_path / "bills.csv"
    source.write_bytes(DATA)
    out = net.ok(
        f"data publish {source} --title bills --key org1 --store s3://{bucket}/bills "
        f"--s3-endpoint {s3_server.endpoint} --s3-credentials-file {writer}"
    )
    dataset = published(out)
    assert f"location        s3://{bucket}/bills/" in out
    net.ok(f"data grant {dataset} --org org2 --purpose audit --key org1")
    net.ok(f"data request {dataset} --purpose audit --key org2")
    assert net.ok("data deliver --key org1").startswith(f"released {dataset} v1")

    got = tmp_path / "got.csv"
    net.ok(
        f"data fetch {dataset} --out {got} --key org2 --s3-endpoint {s3_server.endpoint} "
        f"--s3-credentials-file {reader}"
    )
    assert got.read_bytes() == DATA
    again = tmp_path / "again.csv"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server.endpoint)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(reader))
    net.ok(f"data fetch {dataset} --out {again} --key org2 --store s3://{bucket}/bills")
    assert again.read_bytes() == DATA

    err = net.fails(
        f"data publish {source} --title other --key org1 --store s3://no-such-bucket "
        f"--s3-endpoint {s3_server.endpoint} --s3-credentials-file {writer}",
        capsys,
    )
    assert "there is no bucket no-such-bucket" in err and "Traceback" not in err
    secret = s3_server.keys["reader"].secret_access_key
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.keys["reader"].access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret[::-1])
    lost = tmp_path / "lost.csv"
    err = net.fails(f"data fetch {dataset} --out {lost} --key org2", capsys)
    assert "does not accept the credentials (SignatureDoesNotMatch)" in err
    assert secret not in err and secret[::-1] not in err and not lost.exists()
