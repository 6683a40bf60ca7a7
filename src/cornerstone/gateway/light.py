"""What a light client needs from the gateway: a block's signed header (header and commit) and
the validator set of its height, in one answer.

    GET /v1/light/{height}

The answer is CometBFT v0.38's own JSON for these (the `signed_header` of its `/commit`, the
`validators` of its `/validators`, all pages joined), not the gateway's lower-case-hex style:
header hashes and signatures are checked over exactly these fields, and a client can compare
the answer with any node's RPC. The gateway does not vouch for it: the SDK's light client
verifies the signatures against a validator set it already trusts
(`cornerstone.sdk.light.light_block_from_json` reads this answer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Final

from fastapi import FastAPI
from fastapi import Path as PathParameter

from cornerstone.gateway.errors import NotFoundError
from cornerstone.gateway.models import Model, Problem

if TYPE_CHECKING:
    from cornerstone.gateway.app import Gateway

MAX_HEIGHT: Final = 2**63 - 1
PER_PAGE: Final = 100
"""The most validators CometBFT's `/validators` answers in one page."""
PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {"application/problem+json": {}}, "description": text}
    for status, text in (
        (400, "Not a height"),
        (404, "No such block yet"),
        (429, "Too many requests from this client"),
        (502, "The node answered wrongly"),
        (503, "The node does not answer"),
    )
}


class LightPartSetHeader(Model):
    total: int
    """Number of parts of the block."""
    hash: str
    """Merkle root of the parts (upper-case hex)."""


class LightBlockId(Model):
    hash: str
    """The header's hash (upper-case hex; empty for none)."""
    parts: LightPartSetHeader
    """The block's parts."""


class LightVersion(Model):
    block: str
    """Block protocol version (11 for CometBFT v0.38)."""
    app: str
    """The application's protocol version."""


class LightHeader(Model):
    """A block header, as CometBFT writes it; its hash covers every field."""

    version: LightVersion
    chain_id: str
    height: str
    """int64, as a string."""
    time: str
    """Block time, RFC 3339 with nanoseconds."""
    last_block_id: LightBlockId
    last_commit_hash: str
    data_hash: str
    validators_hash: str
    """Hash of the validator set that signs this block."""
    next_validators_hash: str
    """Hash of the validator set that signs the next one."""
    consensus_hash: str
    app_hash: str
    """The state root after the previous block: what state proofs are checked against."""
    last_results_hash: str
    evidence_hash: str
    proposer_address: str


class LightCommitSig(Model):
    block_id_flag: int
    """1 absent, 2 signed this block, 3 voted nil."""
    validator_address: str
    timestamp: str
    signature: str | None
    """Ed25519 signature of the canonical vote (base64)."""


class LightCommit(Model):
    height: str
    round: int
    block_id: LightBlockId
    """The block the signatures are for."""
    signatures: list[LightCommitSig]
    """One entry per validator of the signing set, in the set's order."""


class LightSignedHeader(Model):
    header: LightHeader
    commit: LightCommit


class LightPubKey(Model):
    type: str
    """`tendermint/PubKeyEd25519` (the only type the SDK's light client accepts)."""
    value: str
    """The key (base64)."""


class LightValidator(Model):
    address: str
    pub_key: LightPubKey
    voting_power: str
    proposer_priority: str


class LightBlock(Model):
    """A signed header and the validator set of its height."""

    height: int
    """The block's height."""
    signed_header: LightSignedHeader
    """The header and the commit that signs it."""
    validators: list[LightValidator]
    """The validators of this height, in the set's order (its hash is `validators_hash`)."""


def add_routes(app: FastAPI, gateway: Gateway) -> None:
    """GET /v1/light/{height}."""
    node = gateway.node

    @app.get(
        "/v1/light/{height}",
        response_model=LightBlock,
        responses=PROBLEMS,
        tags=["state"],
        summary="A signed header and its validator set, for light clients",
    )
    def light_block(height: Annotated[int, PathParameter(ge=1, le=MAX_HEIGHT)]) -> LightBlock:
        """The header of block `height`, the commit that signs it, and the validators of that
        height (all pages of the node's `/validators`), in CometBFT's JSON. Verify them: the
        gateway passes on what its node says."""
        latest = node.height()
        if height > latest:
            raise NotFoundError(what=f"block {height} (the chain is at {latest})")
        signed = node.call("commit", height=str(height))["signed_header"]
        listed: list[Any] = []
        page = 1
        while True:
            answer = node.call(
                "validators", height=str(height), page=str(page), per_page=str(PER_PAGE)
            )
            batch = answer.get("validators") or []
            listed.extend(batch)
            if not batch or len(listed) >= int(answer.get("total") or 0):
                break
            page += 1
        return LightBlock.model_validate(
            {"height": height, "signed_header": signed, "validators": listed}
        )
