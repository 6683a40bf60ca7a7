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
        ├── HolderNotRequesterError     7015 a presentation by a DID not tied to the sender
        │   delivery by the nodes' proxies (threshold proxy re-encryption):
        ├── UnknownProxyError           7016 a delegation names an organization without a proxy
        ├── NotProxyError               7017 a capsule fragment not signed by the registered
        │                                     proxy identity of the sender's organization
        ├── UmbralKeyMissingError       7018 an owner or recipient without Umbral keys
        ├── DelegationExistsError       7019 a second delegation for one grant and recipient
        ├── NoDelegationError           7020 a fragment under a grant with no delegation to
        │                                     the recipient
        ├── ProxyNotDelegatedError      7021 a fragment from a proxy the delegation does not name
        ├── NoCapsuleError              7022 a fragment for a version published without capsule
        ├── DelegatingKeyMismatchError  7023 the version's capsule and the delegation are under
        │                                     different delegating keys (the owner rotated)
        ├── InvalidCfragError           7024 a fragment that does not verify against the
        │                                     capsule and the delegation's keys
        ├── ForeignKfragError           7025 a fragment made with another proxy's key fragment
        ├── DuplicateCfragError         7026 a second fragment from one proxy for one release
        ├── NoPendingRequestError       7027 a fragment nobody's pending request asked for
        └── DelegationGranteeError      7028 a delegation to an identity its grant cannot cover

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


class UnknownProxyError(DatashareError):
    code = 7016
    template = (
        "{org} has no registered re-encryption proxy: its node registers one with "
        "`cornerstone data proxy register`"
    )


class NotProxyError(DatashareError):
    code = 7017
    template = "{sender} is not the registered re-encryption proxy of {org}: {why}"


class UmbralKeyMissingError(DatashareError):
    code = 7018
    template = (
        "{identity} has no Umbral keys on chain, which delivery by the nodes needs: register "
        "them (`cornerstone data keys register`)"
    )


class DelegationExistsError(DatashareError):
    code = 7019
    template = (
        "grant {grant} of dataset {dataset} is delegated to {recipient} already (height "
        "{height}): to change its proxies, revoke the grant and grant again"
    )


class NoDelegationError(DatashareError):
    code = 7020
    template = "grant {grant} of dataset {dataset} has no delegation to {recipient}"


class ProxyNotDelegatedError(DatashareError):
    code = 7021
    template = (
        "the delegation of grant {grant} of dataset {dataset} to {recipient} gives no key "
        "fragment to the proxy of {org}"
    )


class NoCapsuleError(DatashareError):
    code = 7022
    template = (
        "dataset {dataset} version {version} was published without a capsule: only its owner "
        "can deliver its key"
    )


class DelegatingKeyMismatchError(DatashareError):
    code = 7023
    template = (
        "dataset {dataset} version {version} was encrypted under another delegating key than "
        "the delegation of grant {grant}: the owner must delegate again (new grant) or release"
    )


class InvalidCfragError(DatashareError):
    code = 7024
    template = (
        "the capsule fragment of {org} for dataset {dataset} version {version} does not verify "
        "against the version's capsule and the delegation's keys"
    )


class ForeignKfragError(DatashareError):
    code = 7025
    template = (
        "the capsule fragment of {org} for dataset {dataset} version {version} was made with "
        "another key fragment than the one delegated to {org}"
    )


class DuplicateCfragError(DatashareError):
    code = 7026
    template = (
        "the proxy of {org} gave its capsule fragment of dataset {dataset} version {version} "
        "for {recipient} already at height {height}"
    )


class NoPendingRequestError(DatashareError):
    code = 7027
    template = (
        "{recipient} has no pending request for dataset {dataset} version {version}: proxies "
        "re-encrypt only what was requested"
    )


class DelegationGranteeError(DatashareError):
    code = 7028
    template = "grant {grant} of dataset {dataset} cannot cover {recipient}: {why}"


__all__ = [
    "AlreadyReleasedError",
    "CredentialGrantsNotYetError",
    "CredentialRefusedError",
    "DatasetExistsError",
    "DatasetNotFoundError",
    "DatashareError",
    "DelegatingKeyMismatchError",
    "DelegationExistsError",
    "DelegationGranteeError",
    "DuplicateCfragError",
    "EncryptionKeyMissingError",
    "ForeignKfragError",
    "GrantNotFoundError",
    "GrantRevokedError",
    "HolderNotRequesterError",
    "InvalidCfragError",
    "InvalidExpiryError",
    "NoCapsuleError",
    "NoCredentialGrantError",
    "NoDelegationError",
    "NoPendingRequestError",
    "NoValidGrantError",
    "NotDatasetOwnerError",
    "NotProxyError",
    "ProxyNotDelegatedError",
    "UmbralKeyMissingError",
    "UnknownGranteeError",
    "UnknownProxyError",
    "VersionMismatchError",
    "VersionNotFoundError",
]
