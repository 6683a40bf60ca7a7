"""Errors of the datashare module: codespace "datashare", codes 7000-7099.

    TransactionError
    └── DatashareError
        ├── DatasetExistsError          7000 publish of version 1 under an id in use
        ├── DatasetNotFoundError        7001 any operation on an unknown dataset
        ├── NotDatasetOwnerError        7002 only the owner publishes, grants, revokes, releases
        ├── VersionMismatchError        7003 publish of a version that is not the next one
        ├── VersionNotFoundError        7004 request or release of a version never published
        ├── EncryptionKeyMissingError   7005 recipient (or owner) without a registered key
        ├── GrantNotFoundError          7006 revoke of an unknown grant
        ├── GrantRevokedError           7007 revoke of a revoked grant
        ├── NoValidGrantError           7008 a release no grant valid at this height covers
        ├── AlreadyReleasedError        7009 a second release of one version to one recipient
        ├── InvalidExpiryError          7010 a grant that has expired when it is made
        ├── UnknownGranteeError         7011 a grant to an organization that is not a member
        ├── CredentialGrantsNotYetError 7012 retired: grants to credential holders were
        │                                     refused before they were supported; kept
        │                                     registered so the code never means anything else
        ├── CredentialRefusedError      7013 a request's presentation or credential does not
        │                                     verify at this block (the vc code says why:
        │                                     5101 tampered, 5105 expired, 5106 revoked, ...)
        ├── NoCredentialGrantError      7014 a verified credential that no credential grant
        │                                     of the dataset accepts (type, issuer, purpose)
        └── HolderNotRequesterError     7015 a presentation by a DID not tied to the sender

Messages name datasets, versions, identities and grants only: never a key, wrapped or not.
"""

from cornerstone.errors import TransactionError


class DatashareError(TransactionError):
    codespace = "datashare"


class DatasetExistsError(DatashareError):
    code = 7000
    template = "the dataset {dataset} exists already (owner {owner}): publish version {next}"


class DatasetNotFoundError(DatashareError):
    code = 7001
    template = "there is no dataset {dataset}"


class NotDatasetOwnerError(DatashareError):
    code = 7002
    template = "only the owner {owner} of dataset {dataset} may {action}"


class VersionMismatchError(DatashareError):
    code = 7003
    template = "dataset {dataset} is at version {current}: the next version is {next}, not {got}"


class VersionNotFoundError(DatashareError):
    code = 7004
    template = "dataset {dataset} has no version {version} (it has {versions})"


class EncryptionKeyMissingError(DatashareError):
    code = 7005
    template = (
        "{identity} has no encryption key on chain: register one first "
        "(`cornerstone data keys register`)"
    )


class GrantNotFoundError(DatashareError):
    code = 7006
    template = "dataset {dataset} has no grant {grant}"


class GrantRevokedError(DatashareError):
    code = 7007
    template = "grant {grant} of dataset {dataset} was revoked at height {height}"


class NoValidGrantError(DatashareError):
    code = 7008
    template = (
        "no grant of dataset {dataset} valid at height {height} covers {recipient} ({org}) "
        "for the purpose {purpose!r}: {why}"
    )


class AlreadyReleasedError(DatashareError):
    code = 7009
    template = (
        "the key of dataset {dataset} version {version} was released to {recipient} already "
        "at height {height}: it is on chain for the recipient to read"
    )


class InvalidExpiryError(DatashareError):
    code = 7010
    template = "the grant would have expired already: {reason}"


class UnknownGranteeError(DatashareError):
    code = 7011
    template = "{grantee} is not an active member organization"


class CredentialGrantsNotYetError(DatashareError):
    """Retired: no handler raises it since grants to credential holders are supported."""

    code = 7012
    template = (
        "grants to holders of a credential type ({grantee}) are not supported yet: they need "
        "credential verification from the did module; grant to an organization or a member"
    )


class CredentialRefusedError(DatashareError):
    code = 7013
    template = (
        "the presentation for dataset {dataset} version {version} is refused "
        "(vc {vc_code}): {reason}"
    )


class NoCredentialGrantError(DatashareError):
    code = 7014
    template = (
        "no grant of dataset {dataset} accepts the credential {credential} of {issuer} "
        "({types}) for the purpose {purpose!r}: {why}"
    )


class HolderNotRequesterError(DatashareError):
    code = 7015
    template = (
        "the presentation's holder {holder} is not {requester}'s: bind the DID to the member "
        "(`cornerstone did bind`) or present with a DID that lists the member's key"
    )


__all__ = [
    "AlreadyReleasedError",
    "CredentialGrantsNotYetError",
    "CredentialRefusedError",
    "DatasetExistsError",
    "DatasetNotFoundError",
    "DatashareError",
    "EncryptionKeyMissingError",
    "GrantNotFoundError",
    "GrantRevokedError",
    "HolderNotRequesterError",
    "InvalidExpiryError",
    "NoCredentialGrantError",
    "NoValidGrantError",
    "NotDatasetOwnerError",
    "UnknownGranteeError",
    "VersionMismatchError",
    "VersionNotFoundError",
]
