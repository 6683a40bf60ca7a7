"""Genesis of the notary module: the documents a chain starts with (usually none), so that an
exported state can seed a new chain.

    {"documents": [{"digest": hex, "owner": hex, "org": str, "height": int, "time": int,
                    "metadata": {str: str},
                    "revisions": [{"digest": hex, "height": int, "time": int,
                                   "metadata": {str: str}}, ...]}, ...]}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cornerstone.errors import ConfigError
from cornerstone.module import Reader, Writer
from cornerstone.modules.notary.messages import Anchor
from cornerstone.modules.notary.state import (
    DigestEntry,
    Document,
    Revision,
    get_revision,
    iter_documents,
    put_digest_entry,
    put_document,
    put_revision,
)


def _hex32(value: Any, what: str) -> bytes:
    try:
        raw = bytes.fromhex(value)
    except (TypeError, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ConfigError(reason=f"genesis: notary {what} {value!r} is not 64 hex characters")
    return raw


def _parse(document: Mapping[str, Any]) -> list[tuple[Document, list[Revision]]]:
    unknown = sorted(set(document) - {"documents"})
    if unknown:
        raise ConfigError(reason=f"genesis: the notary has no setting {unknown[0]!r}")
    parsed: list[tuple[Document, list[Revision]]] = []
    seen: set[bytes] = set()
    for entry in document.get("documents", []):
        try:
            digest = _hex32(entry["digest"], "digest")
            Anchor(digest=digest, metadata=dict(entry.get("metadata", {})))
            revisions = [
                Revision(
                    number=number,
                    digest=_hex32(rev["digest"], "revision digest"),
                    height=int(rev["height"]),
                    time=int(rev["time"]),
                    metadata={str(k): str(v) for k, v in rev.get("metadata", {}).items()},
                )
                for number, rev in enumerate(entry.get("revisions", []), start=1)
            ]
            doc = Document(
                digest=digest,
                owner=_hex32(entry["owner"], "owner"),
                org=str(entry["org"]),
                height=int(entry["height"]),
                time=int(entry["time"]),
                metadata={str(k): str(v) for k, v in entry.get("metadata", {}).items()},
                revisions=len(revisions),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(reason=f"genesis: a notary document is malformed ({exc})") from None
        for known in (digest, *(rev.digest for rev in revisions)):
            if known in seen:
                raise ConfigError(reason=f"genesis: notary digest {known.hex()} appears twice")
            seen.add(known)
        parsed.append((doc, revisions))
    return parsed


def validate(document: Mapping[str, Any]) -> None:
    _parse(document)


def init(state: Writer, document: Mapping[str, Any]) -> None:
    for doc, revisions in _parse(document):
        put_document(state, doc)
        for rev in revisions:
            put_revision(state, doc.digest, rev)
            put_digest_entry(
                state, rev.digest, DigestEntry(document=doc.digest, revision=rev.number)
            )


def export(state: Reader) -> Mapping[str, Any]:
    documents = []
    for doc in iter_documents(state):
        revisions = []
        for number in range(1, doc.revisions + 1):
            rev = get_revision(state, doc.digest, number)
            assert rev is not None, "revisions are numbered without gaps"
            revisions.append(
                {
                    "digest": rev.digest.hex(),
                    "height": rev.height,
                    "time": rev.time,
                    "metadata": dict(rev.metadata),
                }
            )
        documents.append(
            {
                "digest": doc.digest.hex(),
                "owner": doc.owner.hex(),
                "org": doc.org,
                "height": doc.height,
                "time": doc.time,
                "metadata": dict(doc.metadata),
                "revisions": revisions,
            }
        )
    return {"documents": documents}
