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
        └── CredentialGrantsNotYetError 7012 grants to credential holders: the hook exists,
                                              the check (the did module's) does not yet

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
    code = 7012
    template = (
        "grants to holders of a credential type ({grantee}) are not supported yet: they need "
        "credential verification from the did module; grant to an organization or a member"
    )


__all__ = [
    "AlreadyReleasedError",
    "CredentialGrantsNotYetError",
    "DatasetExistsError",
    "DatasetNotFoundError",
    "DatashareError",
    "EncryptionKeyMissingError",
    "GrantNotFoundError",
    "GrantRevokedError",
    "InvalidExpiryError",
    "NoValidGrantError",
    "NotDatasetOwnerError",
    "UnknownGranteeError",
    "VersionMismatchError",
    "VersionNotFoundError",
]
