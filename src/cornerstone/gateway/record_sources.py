"""Which module records a block changed, and their copies as the modules answer for them now.

    index.write_block(block, named(block))          # the block, and its records queued
    sources = RecordSources(node)
    copy = sources.copy(queued)                     # one queued record, read again

A record is named by the events of the operations that change it, and read again through its
module's own query for one record, never worked out from the events:

    event                                   names              read with
    datashare.published, .granted, .revoked dataset (hex)      datashare/dataset
    did.created, .updated, .deactivated,    did                did/resolve, and the DID's record
        .bound                                                 at that height (org, created)
    notary.anchored (digest), .revised      the document's     notary/lookup
        (document)                          first digest
    contracts.installed, .upgraded,         contract           contracts/contract
        .migrated, .frozen, .unfrozen, .revoked

Events that leave the record as it was (a dataset's requests and releases, a DID's status
entries, a contract's calls) name nothing, so a busy contract costs no reads. Every module here
has a query for one record, so no list is ever paged. Module queries answer at the latest state
only: a copy is as of the height the node reports, at or after the blocks that named it.

Records a chain starts with (genesis) are named by no event: they are copied once an event names
them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from cornerstone import encoding
from cornerstone.gateway.index import BlockRecord, Named, RecordCopy, RecordKind
from cornerstone.gateway.node import ChainRefusal, Node
from cornerstone.modules.did.state import get_current
from cornerstone.vc.didurl import parse_did

log = logging.getLogger("cornerstone.gateway.indexer")

CHANGES: Final[Mapping[str, tuple[RecordKind, str]]] = {
    "datashare.published": ("datasets", "dataset"),
    "datashare.granted": ("datasets", "dataset"),
    "datashare.revoked": ("datasets", "dataset"),
    "did.created": ("dids", "did"),
    "did.updated": ("dids", "did"),
    "did.deactivated": ("dids", "did"),
    "did.bound": ("dids", "did"),
    "notary.anchored": ("anchors", "digest"),
    "notary.revised": ("anchors", "document"),
    "contracts.installed": ("contracts", "contract"),
    "contracts.upgraded": ("contracts", "contract"),
    "contracts.migrated": ("contracts", "contract"),
    "contracts.frozen": ("contracts", "contract"),
    "contracts.unfrozen": ("contracts", "contract"),
    "contracts.revoked": ("contracts", "contract"),
}
"""Event type -> the table of the record it changes, and the attribute naming that record."""


def named(block: BlockRecord) -> list[tuple[RecordKind, str]]:
    """The records the block's events name, once each, in the order they are first named."""
    found: dict[tuple[RecordKind, str], None] = {}
    events = (*(event for tx in block.txs for event in tx.events), *block.block_events)
    for kind, attributes in events:
        change = CHANGES.get(kind)
        if change is not None and attributes.get(change[1]):
            found[(change[0], attributes[change[1]])] = None
    return list(found)


class RecordSources:
    """Reads records again from their modules, through the node."""

    def __init__(self, node: Node) -> None:
        self.node = node

    def copy(self, queued: Named) -> RecordCopy | None:
        """The record as its module answers now; None when the module refused to answer (the
        record is left as it was, until an event names it again)."""
        return self.copy_all([queued])[0]

    def copy_all(self, queued: Sequence[Named]) -> list[RecordCopy | None]:
        """`copy` of each, in order: all but DIDs through one batch query (a block of anchors
        names thousands of records), DIDs one by one (their record is read key by key)."""
        copies: list[RecordCopy | None] = [None] * len(queued)
        batched = [k for k, named in enumerate(queued) if named.kind != "dids"]
        if batched:
            answers: Sequence[encoding.Value | Exception]
            try:
                answers, at = self.node.query_batch([_question(queued[k]) for k in batched])
            except (ChainRefusal, ValueError) as refusal:
                log.warning("%d records are not indexed: %s", len(batched), refusal)
                answers, at = [refusal] * len(batched), 0
            for k, answer in zip(batched, answers, strict=True):
                copies[k] = self._built(queued[k], answer, at)
        for k, named in enumerate(queued):
            if named.kind == "dids":
                copies[k] = self._built(named, None, 0)
        return copies

    def _built(
        self, queued: Named, answer: encoding.Value | Exception, at: int
    ) -> RecordCopy | None:
        try:
            if isinstance(answer, Exception):
                raise answer
            if queued.kind == "dids":
                return self._did(queued.id, queued.height)
            build = {"datasets": _dataset, "anchors": _anchor, "contracts": _contract}
            return build[queued.kind](queued.id, queued.height, _json(answer), at)
        except (ChainRefusal, ValueError, KeyError, TypeError) as refusal:
            log.warning("the %s record %r is not indexed: %s", queued.kind, queued.id, refusal)
            return None

    def _did(self, did: str, height: int) -> RecordCopy:
        found, at = self.node.query("did", "resolve", {"did": did})
        answer = _json(found)
        _, did_id = parse_did(did)
        record = get_current(_StateAt(self.node, at), did_id)
        if answer is None or answer.get("didDocument") is None or record is None:
            return _gone("dids", did, height, at)
        return RecordCopy(
            kind="dids",
            id=did,
            updated_height=height,
            record=answer,
            as_of_height=at,
            created_height=record.created_height,
            columns=(
                ("org", record.org),
                ("status", "deactivated" if record.deactivated else "active"),
                ("version", record.version),
            ),
        )


def _question(queued: Named) -> tuple[str, str, dict[str, encoding.Value]]:
    """The module query that answers for a (non-DID) record."""
    if queued.kind == "datasets":
        return "datashare", "dataset", {"dataset": bytes.fromhex(queued.id)}
    if queued.kind == "anchors":
        return "notary", "lookup", {"digest": bytes.fromhex(queued.id)}
    return "contracts", "contract", {"contract": queued.id}


def _gone(kind: RecordKind, record_id: str, height: int, at: int) -> RecordCopy:
    """The copy of a record its module no longer knows (its row goes)."""
    return RecordCopy(kind=kind, id=record_id, updated_height=height, record=None, as_of_height=at)


def _dataset(dataset_id: str, height: int, answer: dict[str, Any] | None, at: int) -> RecordCopy:
    if answer is None:
        return _gone("datasets", dataset_id, height, at)
    return RecordCopy(
        kind="datasets",
        id=dataset_id,
        updated_height=height,
        record=answer,
        as_of_height=at,
        created_height=int(answer["height"]),
        columns=(
            ("owner", str(answer["owner"])),
            ("org", str(answer["org"])),
            ("title", str(answer["title"])),
            ("versions", int(answer["versions"])),
            ("grants", int(answer["grants"])),
        ),
    )


def _anchor(digest: str, height: int, answer: dict[str, Any] | None, at: int) -> RecordCopy:
    if answer is None or answer["document"] != digest:
        # Not a document's first digest (a revision's): its document is named by its own.
        return _gone("anchors", digest, height, at)
    return RecordCopy(
        kind="anchors",
        id=digest,
        updated_height=height,
        record=answer,
        as_of_height=at,
        created_height=int(answer["height"]),
        columns=(
            ("owner", str(answer["owner"])),
            ("org", str(answer["org"])),
            ("revisions", len(answer["revisions"])),
        ),
    )


def _contract(name: str, height: int, answer: dict[str, Any] | None, at: int) -> RecordCopy:
    if answer is None:
        return _gone("contracts", name, height, at)
    return RecordCopy(
        kind="contracts",
        id=name,
        updated_height=height,
        record=answer,
        as_of_height=at,
        created_height=int(answer["installed_at"]),
        columns=(
            ("org", str(answer["org"])),
            ("status", str(answer["status"])),
            ("version", str(answer["version"])),
        ),
    )


class _StateAt:
    """The node's state at one height, read key by key: the `Reader` the did module's own
    functions take, so the DID's organization and creation height are the chain's."""

    def __init__(self, node: Node, height: int) -> None:
        self.node = node
        self.height = height

    def get(self, key: bytes) -> bytes | None:
        return self.node.read(key, height=self.height)[0]

    def iterate(self, prefix: bytes, start: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        raise NotImplementedError("a DID's record is read key by key")


def to_json(value: encoding.Value) -> Any:
    """A canonical value as JSON: bytes as lower-case hex, tuples as lists."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def _json(value: encoding.Value) -> dict[str, Any] | None:
    converted = to_json(value)
    return converted if isinstance(converted, dict) else None
