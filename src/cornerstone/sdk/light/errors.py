"""Why the light client refused a header: codespace "light", codes 1-19 (17 used).

    ProofError                             (cornerstone.errors) a state proof does not verify
    └── LightClientError                   the header carrying the app hash is not proven
        ├── HeaderHashMismatchError     1   the commit signs another block than the header sent
        ├── WrongChainHeaderError       2   header or trust root of another chain
        ├── UnexpectedHeightError       3   the node answered another height than was asked
        ├── NotEnoughPowerError         4   +2/3 of the validator set did not sign
        ├── BadVoteSignatureError       5   a vote's signature does not verify
        ├── DuplicateVoteError          6   one validator counted twice
        ├── ValidatorSetMismatchError   7   the set sent is not the one the header names
        ├── NextValidatorsMismatchError 8   adjacent header signed by another set than announced
        ├── TrustLevelError             9   under 1/3 of the trusted set signed a skipped-to header
        ├── TrustExpiredError           10  the trusted header is older than the trusting period
        ├── TimeNotMonotonicError       11  a newer header is not later than the trusted one
        ├── FutureHeaderError           12  a header from the future (beyond the clock drift)
        ├── UnsupportedKeyError         13  a validator key that is not Ed25519
        ├── MalformedLightBlockError    14  a header, commit or set that is not well formed
        ├── TrustRootMismatchError      15  the node's header differs from the pinned one
        ├── BrokenHeaderChainError      16  an older header is not the parent of a trusted one
        └── TrustStoreError             17  the trust file cannot be read or written

Every one is a `ProofError`, so callers that refuse unproven state keep doing so.
"""

from __future__ import annotations

from cornerstone.errors import ProofError


class LightClientError(ProofError):
    codespace = "light"
    template = "the header could not be verified: {reason}"


class HeaderHashMismatchError(LightClientError):
    code = 1
    template = (
        "the commit of height {height} signs block {signed}, not the header the node sent "
        "(which hashes to {header})"
    )


class WrongChainHeaderError(LightClientError):
    code = 2
    template = "the header is for chain '{got}', but the trusted chain is '{expected}'"


class UnexpectedHeightError(LightClientError):
    code = 3
    template = "asked for {what} at height {wanted}, the node sent height {got}"


class NotEnoughPowerError(LightClientError):
    code = 4
    template = (
        "the commit of height {height} is signed by {got} of {total} voting power; "
        "more than {needed} is needed"
    )


class BadVoteSignatureError(LightClientError):
    code = 5
    template = (
        "the vote of validator {address} in the commit of height {height} is not signed by it"
    )


class DuplicateVoteError(LightClientError):
    code = 6
    template = "validator {address} appears twice in the commit of height {height}"


class ValidatorSetMismatchError(LightClientError):
    code = 7
    template = (
        "the validator set the node sent for height {height} hashes to {got}, "
        "but the header names {expected}"
    )


class NextValidatorsMismatchError(LightClientError):
    code = 8
    template = (
        "the header of height {height} is signed by validator set {got}, but the trusted "
        "header before it announced {expected}"
    )


class TrustLevelError(LightClientError):
    code = 9
    template = (
        "only {got} of the trusted validators' {total} voting power signed height {height}; "
        "more than {needed} (1/3) is needed to skip to it"
    )


class TrustExpiredError(LightClientError):
    code = 10
    template = (
        "the trusted header of height {height} ({time}) is older than the trusting period of "
        "{period}: pin a recent header (height and hash) from a source you trust{where}"
    )


class TimeNotMonotonicError(LightClientError):
    code = 11
    template = "the header of height {height} has time {got}, not after the trusted {trusted}"


class FutureHeaderError(LightClientError):
    code = 12
    template = "the header of height {height} has time {got}, ahead of this machine's clock ({now})"


class UnsupportedKeyError(LightClientError):
    code = 13
    template = "validator key type {key_type} is not supported: only Ed25519 validators are"


class MalformedLightBlockError(LightClientError):
    code = 14
    template = "the node sent a malformed {what}: {reason}"


class TrustRootMismatchError(LightClientError):
    code = 15
    template = (
        "the header of height {height} hashes to {got}, but the trusted root is {expected}: "
        "the node is on another chain or lying"
    )


class BrokenHeaderChainError(LightClientError):
    code = 16
    template = (
        "the header the node sent for height {height} hashes to {got}, but the trusted header "
        "after it names {expected} as its parent"
    )


class TrustStoreError(LightClientError):
    code = 17
    template = "cannot use the trust file {path}: {reason}"
