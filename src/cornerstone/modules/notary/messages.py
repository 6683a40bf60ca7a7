"""Messages of the notary module."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DIGEST_SIZE = 32
MAX_METADATA_ENTRIES = 16
MAX_METADATA_KEY = 64
MAX_METADATA_VALUE = 1024


def _check_digest(name: str, digest: bytes) -> None:
    if len(digest) != DIGEST_SIZE:
        raise ValueError(f"{name} must be a {DIGEST_SIZE}-byte SHA-256 digest")


def _check_metadata(metadata: Mapping[str, str]) -> None:
    if len(metadata) > MAX_METADATA_ENTRIES:
        raise ValueError(f"metadata has more than {MAX_METADATA_ENTRIES} entries")
    for key, value in metadata.items():
        if not 0 < len(key) <= MAX_METADATA_KEY:
            raise ValueError(f"metadata names are 1 to {MAX_METADATA_KEY} characters")
        if len(value) > MAX_METADATA_VALUE:
            raise ValueError(f"metadata {key!r} is longer than {MAX_METADATA_VALUE} characters")


@dataclass(frozen=True, slots=True)
class Anchor:
    """Record that a document with this digest existed, owned by the sender."""

    digest: bytes
    """SHA-256 of the document's bytes."""
    metadata: Mapping[str, str] = field(default_factory=dict)
    """Free-form descriptive fields (title, media type, reference...)."""

    def __post_init__(self) -> None:
        _check_digest("digest", self.digest)
        _check_metadata(self.metadata)


@dataclass(frozen=True, slots=True)
class Revise:
    """Add a revision to a document the sender owns."""

    document: bytes
    """Digest the document was first anchored with."""
    digest: bytes
    """SHA-256 of the revised document."""
    metadata: Mapping[str, str] = field(default_factory=dict)
    """Descriptive fields of this revision."""

    def __post_init__(self) -> None:
        _check_digest("document", self.document)
        _check_digest("digest", self.digest)
        _check_metadata(self.metadata)
