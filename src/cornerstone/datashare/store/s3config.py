"""The settings of an S3 store, apart from the store so that reading options does not load
the S3 client (it takes a noticeable part of a second to import)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

SCHEME: Final = "s3://"
AWS_ENDPOINT: Final = "https://s3.amazonaws.com"
"""The endpoint when no setting or variable names one: AWS S3 (the bucket's region is asked)."""
ENDPOINT_VARIABLES: Final = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
"""The AWS SDKs' own variables for another endpoint, the S3-specific one first."""
REGION_VARIABLES: Final = ("AWS_REGION", "AWS_DEFAULT_REGION")


@dataclass(frozen=True, slots=True)
class S3Settings:
    """The fetching or publishing side's own S3 configuration (never on chain)."""

    endpoint: str | None = None
    """http(s)://host[:port] of the S3 API; None: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, AWS."""
    credentials_file: Path | None = None
    """An AWS credentials file (INI) to read instead of the environment."""
    region: str | None = None
    """The bucket's region; None: $AWS_REGION, $AWS_DEFAULT_REGION, else asked of the store."""

    def resolved_endpoint(self) -> str:
        for value in (self.endpoint, *(os.environ.get(v) for v in ENDPOINT_VARIABLES)):
            if value:
                return value.rstrip("/")
        return AWS_ENDPOINT

    def resolved_region(self) -> str | None:
        for value in (self.region, *(os.environ.get(v) for v in REGION_VARIABLES)):
            if value:
                return value
        return None


__all__ = ["AWS_ENDPOINT", "SCHEME", "S3Settings"]
