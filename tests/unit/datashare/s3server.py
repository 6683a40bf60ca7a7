"""A real S3-compatible server for the S3 store's tests: moto's standalone server (an S3 API
emulator that checks SigV4 signatures and IAM policies once told to), started once per test
session on a free port of 127.0.0.1, and always stopped at the end.

    from tests.unit.datashare.s3server import s3_server_fixture  # noqa: F401 - the fixture

    def test_something(s3_server: S3Server) -> None:
        bucket = s3_server.new_bucket()           # a fresh, empty bucket
        settings = s3_server.settings()           # endpoint; credentials: s3_server.env(...)

At start, before any request is authenticated, it makes two IAM users with access keys:
`writer` (s3:* on everything) and `reader` (may read objects and find buckets, nothing else);
then it turns authentication on (moto's /moto-api/reset-auth), so from then on an unknown key
or a wrong secret is refused as AWS refuses it, and the reader's upload is denied.

If the pytest process dies, the server gets SIGTERM from the kernel (the parent-death
signal); teardown sends SIGTERM, then kills it past a deadline, and removes its folder.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import httpx
import pytest

from cornerstone.datashare.store.s3 import S3Settings
from tests.servers import (
    answers_before,
    die_with_parent,
    free_port,
    log_tail,
    one_per_session,
    stop_process,
)

START_DEADLINE_S: Final = 60.0
STOP_DEADLINE_S: Final = 15.0
IAM_SCOPE: Final = (
    # Which service a request is for: moto reads it from the credential scope. Before
    # authentication is turned on, the signature itself is not checked.
    "AWS4-HMAC-SHA256 Credential=setup/20260101/us-east-1/iam/aws4_request, "
    "SignedHeaders=host, Signature=0"
)
AWS_VARIABLES: Final = (
    # What a test clears so that none of the machine's own AWS settings leak into it.
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
)
POLICIES: Final = {
    "writer": ["s3:*"],
    "reader": ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"],
}


@dataclass(frozen=True)
class AccessKey:
    access_key_id: str
    secret_access_key: str

    def __repr__(self) -> str:
        return f"AccessKey({self.access_key_id!r}, <secret>)"


class S3Server:
    """One moto server on 127.0.0.1:`port`, with the users of the module's docstring."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="cornerstone-s3-"))
        self.log = self.folder / "server.log"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.keys: dict[str, AccessKey] = {}
        self._buckets = itertools.count(1)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(
        self, *, credentials_file: Path | None = None, region: str | None = "us-east-1"
    ) -> S3Settings:
        """Settings naming this server (a region given: no lookup is needed)."""
        return S3Settings(endpoint=self.endpoint, credentials_file=credentials_file, region=region)

    def env(self, user: str = "writer") -> dict[str, str]:
        """The AWS variables of `user`'s access key."""
        key = self.keys[user]
        return {
            "AWS_ACCESS_KEY_ID": key.access_key_id,
            "AWS_SECRET_ACCESS_KEY": key.secret_access_key,
        }

    def start(self) -> None:
        for _ in range(3):  # the port was free a moment ago; another process may take it
            self.port = free_port()
            with self.log.open("ab") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.folder,
                    preexec_fn=die_with_parent,  # noqa: PLW1509 - one system call, see there
                )
            if self._wait_until_ready():
                self._make_users()
                return
        raise RuntimeError(f"the S3 test server did not start:\n{self._log_tail()}")

    def _wait_until_ready(self) -> bool:
        """True once it answers; False if it exited (its port was taken)."""
        assert self.process is not None

        def answers() -> bool:
            try:
                httpx.get(f"{self.endpoint}/moto-api/data.json", timeout=2).raise_for_status()
            except httpx.HTTPError:
                return False
            return True

        ready = answers_before(self.process, answers, deadline_s=START_DEADLINE_S, interval_s=0.1)
        if ready is False:
            self.process = None
            return False
        if ready is None:
            self.stop()
            raise RuntimeError(
                f"the S3 test server did not answer within {START_DEADLINE_S} s:\n"
                + self._log_tail()
            )
        return True

    def _iam(self, http: httpx.Client, action: str, **form: str) -> str:
        answer = http.post(
            f"{self.endpoint}/",
            data={"Action": action, "Version": "2010-05-08", **form},
            headers={"Authorization": IAM_SCOPE},
        )
        answer.raise_for_status()
        return answer.text

    def _make_users(self) -> None:
        with httpx.Client(timeout=10) as http:
            for user, actions in POLICIES.items():
                self._iam(http, "CreateUser", UserName=user)
                made = self._iam(http, "CreateAccessKey", UserName=user)
                found = {
                    tag: re.search(f"<{tag}>([^<]+)</{tag}>", made)
                    for tag in ("AccessKeyId", "SecretAccessKey")
                }
                assert all(found.values()), "CreateAccessKey answered no key"
                self.keys[user] = AccessKey(*(m.group(1) for m in found.values() if m))
                policy = {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
                }
                self._iam(
                    http,
                    "PutUserPolicy",
                    UserName=user,
                    PolicyName=f"{user}-policy",
                    PolicyDocument=json.dumps(policy),
                )
            # From now on every request is authenticated and authorized.
            http.post(f"{self.endpoint}/moto-api/reset-auth", content=b"0").raise_for_status()

    def new_bucket(self) -> str:
        """A fresh, empty bucket, made by the writer."""
        from cornerstone.datashare.store.s3 import S3BlobStore

        name = f"bucket-{next(self._buckets)}"
        store = S3BlobStore(name, settings=self.settings(credentials_file=self.credentials_file()))
        store.client.make_bucket(name)
        return name

    def credentials_file(self, user: str = "writer") -> Path:
        """An AWS credentials file holding `user`'s key as profile [default] (mode 0600)."""
        path = self.folder / f"{user}.credentials"
        if not path.exists():
            key = self.keys[user]
            path.touch(mode=0o600)
            path.write_text(
                "[default]\n"
                f"aws_access_key_id = {key.access_key_id}\n"
                f"aws_secret_access_key = {key.secret_access_key}\n",
                encoding="utf-8",
            )
        return path

    def _log_tail(self) -> str:
        return log_tail(self.log)

    def stop(self) -> None:
        """SIGTERM (moto exits on it), then a kill past the deadline."""
        process, self.process = self.process, None
        stop_process(process, signal_number=signal.SIGTERM, deadline_s=STOP_DEADLINE_S)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


_RUNNING: dict[str, S3Server] = {}
"""The one server of the session (see tests.servers.one_per_session)."""


@pytest.fixture(scope="session", name="s3_server")
def s3_server_fixture() -> Iterator[S3Server]:
    yield from one_per_session(_RUNNING, S3Server)
