"""What the gateway answers, as typed models: FastAPI turns them into the OpenAPI document's
schemas, so a client generator sees every field with its meaning.

They are pydantic models rather than dataclasses because pydantic reads their attribute
docstrings into the schema (`use_attribute_docstrings`); they are frozen like our records.
Bytes are lower-case hex everywhere; heights and counts are integers.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from cornerstone.gateway.node import TxOutcome


class Model(BaseModel):
    """Base of every answer: frozen, documented from the attribute docstrings."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)


class Problem(Model):
    """An RFC 9457 problem details document (`application/problem+json`)."""

    type: str = "about:blank"
    """A URI naming the kind of problem; here a `urn:cornerstone:<codespace>:<code>`."""
    title: str
    """A short summary of the kind of problem."""
    status: int
    """The HTTP status code."""
    detail: str
    """The sentence for people: what happened, and what to do."""
    code: int
    """The stable error code, within `codespace` (the chain's own code for its refusals)."""
    codespace: str
    """Who defined the code: `tx`, a module's name, `query`, `gateway`, ..."""
    instance: str | None = None
    """The request path that met the problem."""


class TransactionBody(Model):
    """A signed transaction to submit: its canonical bytes, in hex or base64 (exactly one)."""

    hex: str | None = None
    """The transaction's bytes as hex (an `0x` prefix is allowed)."""
    base64: str | None = None
    """The transaction's bytes as standard base64."""


class Accepted(Model):
    """A transaction the node's mempool accepted (CheckTx passed); not yet in a block."""

    hash: str
    """The transaction hash (sha256 of its bytes), hex."""


class EventOut(Model):
    """One event of a committed block, at its place in the chain's order."""

    id: str
    """`height:tx_index:event_index`: the stream's event id, and its order."""
    height: int
    """The block it is in."""
    tx_index: int
    """The transaction's index in the block; block events (end of block) take the index after
    the block's last transaction."""
    event_index: int
    """The event's index within its transaction (or within the block's own events)."""
    tx_hash: str | None
    """The transaction that emitted it; None for the block's own events."""
    type: str
    """`<module>.<what>`, e.g. `notary.anchored`."""
    attributes: dict[str, str]
    """The event's attributes."""


class Committed(Model):
    """A transaction that is in a block, with the chain's verdict on it."""

    hash: str
    """The transaction hash, hex."""
    height: int
    """The block it is in."""
    code: int
    """0 when it succeeded; else the error code of its refusal within `codespace`."""
    codespace: str
    """Who defined `code` (empty when it succeeded)."""
    log: str
    """The refusal's sentence (empty when it succeeded)."""
    gas_used: int
    """The gas it used."""
    events: list[EventOut]
    """The events it emitted (none when it failed: its writes were undone)."""


class Block(Model):
    """A committed block, as the index holds it."""

    height: int
    """Its height; the first block is 1."""
    hash: str
    """The block hash, hex."""
    time: str
    """The block time CometBFT gives (RFC 3339, UTC)."""
    proposer: str
    """The proposer's validator address, hex."""
    app_hash: str
    """The app hash in its header: the state after the previous block."""
    tx_count: int
    """How many transactions it holds."""
    event_count: int
    """How many events its transactions and its end of block emitted."""


class Transaction(Model):
    """A committed transaction, as the index holds it."""

    hash: str
    """The transaction hash, hex."""
    height: int
    """The block it is in."""
    index: int
    """Its position in the block."""
    sender: str | None
    """The sender's identity id (its key's fingerprint), hex; None if the bytes do not decode."""
    public_key: str | None
    """The sender's public key, hex."""
    module: str | None
    """The module it addressed."""
    operation: str | None
    """The module's operation."""
    nonce: int | None
    """The sender's nonce."""
    code: int
    """0 when it succeeded, else its error code within `codespace`."""
    codespace: str
    """Who defined `code`."""
    log: str
    """The refusal's sentence, when it failed."""
    gas_wanted: int
    """Its gas limit."""
    gas_used: int
    """The gas it used."""
    raw: str
    """Its canonical bytes, hex: anyone can check the signature."""


class TransactionWithEvents(Transaction):
    """A committed transaction with the events it emitted."""

    events: list[EventOut]
    """Its events, in order."""


class Organization(Model):
    """An organization, as the membership module last answered for it."""

    id: str
    """Its id, e.g. `org1`."""
    name: str
    """Its name."""
    status: str
    """Its membership status (`active`, or `removed` once governance removed it)."""
    as_of_height: int
    """The height of the state this copy was read from."""
    record: dict[str, Any]
    """The whole record the membership module returns (bytes as hex)."""


class Proposal(Model):
    """A governance proposal, as the governance module last answered for it."""

    id: int
    """Its number."""
    status: str
    """open, executed, failed, rejected or expired."""
    module: str
    """The module of its action."""
    action: str
    """The action it proposes."""
    org: str
    """The proposer's organization."""
    height: int
    """The height it was made at."""
    as_of_height: int
    """The height of the state this copy was read from."""
    record: dict[str, Any]
    """The whole record the governance module returns (bytes as hex)."""


class BlockPage(Model):
    """One page of blocks."""

    items: list[Block]
    """The blocks of this page."""
    next_cursor: str | None
    """Pass as `cursor` for the next page; None on the last page."""


class TransactionPage(Model):
    """One page of transactions."""

    items: list[Transaction]
    """The transactions of this page."""
    next_cursor: str | None
    """Pass as `cursor` for the next page; None on the last page."""


class EventPage(Model):
    """One page of events."""

    items: list[EventOut]
    """The events of this page."""
    next_cursor: str | None
    """Pass as `cursor` for the next page; None on the last page."""


class OrganizationPage(Model):
    """One page of organizations."""

    items: list[Organization]
    """The organizations of this page."""
    next_cursor: str | None
    """Pass as `cursor` for the next page; None on the last page."""


class ProposalPage(Model):
    """One page of proposals."""

    items: list[Proposal]
    """The proposals of this page."""
    next_cursor: str | None
    """Pass as `cursor` for the next page; None on the last page."""


class ProvenValue(Model):
    """A state key's value, or its absence, with the proof the gateway checked."""

    key: str
    """The state key, hex."""
    value: str | None
    """Its value, hex; None when the proof shows the key absent."""
    decoded: Any = None
    """The value decoded as a canonical value (bytes as hex), when it is one."""
    height: int
    """The height of the state read (after that block)."""
    app_hash: str | None
    """The app hash the proof was checked against (from the header at `height + 1`); None when
    no proof was asked for."""
    proof_type: str | None
    """The proof's kind (`cornerstone/smt/v1`)."""
    proof: str | None
    """The proof's bytes, hex: check it yourself against a header you trust."""


class QueryAnswer(Model):
    """A module query's answer."""

    module: str
    """The module asked."""
    query: str
    """The query asked."""
    height: int
    """The height of the state that answered."""
    value: Any
    """The answer, a canonical value as JSON (bytes as hex)."""


class Health(Model):
    """Whether this gateway can serve: its node answers and its index follows."""

    ok: bool
    """True when the node answers and the index is at most `max_lag` blocks behind."""
    node_reachable: bool
    """The node's RPC answered just now."""
    chain_id: str | None
    """The node's chain id."""
    chain_height: int | None
    """The node's latest committed height; None when it does not answer."""
    index_height: int
    """The highest block in the index."""
    lag: int | None
    """chain_height - index_height."""
    indexer_error: str | None
    """Why the indexer's last attempt failed; None when it succeeded."""


def committed_of(outcome: TxOutcome) -> Committed:
    """The answer for a committed transaction, its events with their stream ids."""
    return Committed(
        hash=outcome.hash.hex(),
        height=outcome.height,
        code=outcome.code,
        codespace=outcome.codespace,
        log=outcome.log,
        gas_used=outcome.gas_used,
        events=[
            EventOut(
                id=f"{outcome.height}:{outcome.index}:{position}",
                height=outcome.height,
                tx_index=outcome.index,
                event_index=position,
                tx_hash=outcome.hash.hex(),
                type=kind,
                attributes=attributes,
            )
            for position, (kind, attributes) in enumerate(outcome.events)
        ],
    )


# ---------------------------------------------------------------------------- module records
class Dataset(Model):
    """A dataset, as the datashare module's `dataset` query last answered for it."""

    id: str
    """Its 16-byte id, hex."""
    owner: str
    """The publisher's identity id, hex: only it publishes versions, grants and releases."""
    org: str
    """The owner's organization."""
    title: str
    """Its title."""
    versions: int
    """How many versions are published."""
    grants: int
    """How many grants were ever made (revoked ones included)."""
    created_height: int
    """The height its module says it was created at."""
    updated_height: int
    """The last indexed block whose events changed it."""
    as_of_height: int
    """The height of the state this copy was read from (at or after `updated_height`)."""
    record: dict[str, Any]
    """The whole answer of its module's query for it (bytes as hex)."""


class DidEntry(Model):
    """A DID, as the did module's `resolve` query last answered for it (`record`: the
    resolution result, document and metadata)."""

    id: str
    """The DID, did:cornerstone:<chain id>:<id>."""
    org: str
    """The organization of the member who created it."""
    status: str
    """`active` or `deactivated`."""
    version: int
    """Its current version (1, 2, ...)."""
    created_height: int
    """The height its module says it was created at."""
    updated_height: int
    """The last indexed block whose events changed it."""
    as_of_height: int
    """The height of the state this copy was read from (at or after `updated_height`)."""
    record: dict[str, Any]
    """The whole answer of its module's query for it (bytes as hex)."""


class Anchor(Model):
    """A notarized document, as the notary module's `lookup` query last answered for it."""

    id: str
    """The digest it was first anchored with, hex: its identifier."""
    owner: str
    """The anchoring member's identity id, hex: only it may revise."""
    org: str
    """The owner's organization at the time."""
    revisions: int
    """How many revisions were added."""
    created_height: int
    """The height its module says it was created at."""
    updated_height: int
    """The last indexed block whose events changed it."""
    as_of_height: int
    """The height of the state this copy was read from (at or after `updated_height`)."""
    record: dict[str, Any]
    """The whole answer of its module's query for it (bytes as hex)."""


class Contract(Model):
    """A contract, as the contracts module's `contract` query last answered for it."""

    id: str
    """Its name."""
    org: str
    """The organization that maintains it (named at its installation)."""
    status: str
    """`active`, `frozen` or `revoked`."""
    version: str
    """Its installed version."""
    created_height: int
    """The height its module says it was created at."""
    updated_height: int
    """The last indexed block whose events changed it."""
    as_of_height: int
    """The height of the state this copy was read from (at or after `updated_height`)."""
    record: dict[str, Any]
    """The whole answer of its module's query for it (bytes as hex)."""


class DatasetPage(Model):
    """One page of datasets."""

    items: list[Dataset]
    """The datasets of this page."""
    next_cursor: str | None
    """Pass as `cursor` for the next page; None on the last page."""


class DidPage(Model):
    """One page of DIDs."""

    items: list[DidEntry]
    """The DIDs of this page."""
    next_cursor: str | None
    """Pass as `cursor` for the next page; None on the last page."""


class AnchorPage(Model):
    """One page of notarized documents."""

    items: list[Anchor]
    """The documents of this page."""
    next_cursor: str | None
    """Pass as `cursor` for the next page; None on the last page."""


class ContractPage(Model):
    """One page of contracts."""

    items: list[Contract]
    """The contracts of this page."""
    next_cursor: str | None
    """Pass as `cursor` for the next page; None on the last page."""
