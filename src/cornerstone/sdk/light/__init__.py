"""Light-client verification of block headers, as CometBFT's light client does it: a header is
believed only when more than 2/3 of the voting power of a validator set the client trusts (or
one that follows from it) signed it. `Client.read_verified` checks state proofs against the app
hash of such a header.

    types     headers, commits, validator sets; CometBFT's JSON form
    hashing   header hash, validator-set hash, vote sign bytes (CometBFT's bytes)
    verify    the checks, pure functions
    client    LightClient: trust roots, the trust store, the order of fetches (no I/O)
    errors    codespace "light", codes 1-19
"""

from cornerstone.sdk.light.client import (
    Fetch,
    GenesisRoot,
    LightClient,
    RpcCall,
    Trust,
    TrustedHash,
    arun,
    light_block_from_json,
    over_rpc,
    rpc_light_block,
    run,
)
from cornerstone.sdk.light.errors import LightClientError
from cornerstone.sdk.light.hashing import header_hash, validator_set_hash
from cornerstone.sdk.light.types import Header, LightBlock, SignedHeader, ValidatorSet

__all__ = [
    "Fetch",
    "GenesisRoot",
    "Header",
    "LightBlock",
    "LightClient",
    "LightClientError",
    "RpcCall",
    "SignedHeader",
    "Trust",
    "TrustedHash",
    "ValidatorSet",
    "arun",
    "header_hash",
    "light_block_from_json",
    "over_rpc",
    "rpc_light_block",
    "run",
    "validator_set_hash",
]
