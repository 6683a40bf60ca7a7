"""Errors of the did module: codespace "did", codes 5000-5049.

TransactionError
└── DidError
    ├── DidNotFoundError          5000 no DID with this identifier on this chain
    ├── DidExistsError            5001 create of an identifier in use
    ├── NotControllerError        5002 the sender's key controls neither the DID nor a
    │                                  controller of it
    ├── DidDeactivatedError       5003 any change of a deactivated DID
    ├── InvalidDocumentError      5004 an update that leaves a broken document (unknown
    │                                  fragment, duplicate id, no controlling key left)
    ├── WrongChainDidError        5005 a DID of another chain or method
    ├── BindingRefusedError       5006 bind of an identity the DID does not hold the key of
    ├── AlreadyBoundError         5007 an organization or member bound to another DID
    ├── StatusNotFoundError       5008 a status index never allocated
    ├── StatusRevokedError        5009 any change of a revoked status: revocation is final
    ├── StatusChangeError         5010 suspend of a suspended entry, reinstate of an active
    ├── StatusListFullError       5011 the issuer has used every index
    └── TrustChangeError          5012 trust of a trusted issuer, distrust of an untrusted
"""

from cornerstone.errors import TransactionError


class DidError(TransactionError):
    codespace = "did"


class DidNotFoundError(DidError):
    code = 5000
    template = "there is no DID {did} on this chain"


class DidExistsError(DidError):
    code = 5001
    template = "the DID {did} exists already"


class NotControllerError(DidError):
    code = 5002
    template = (
        "the key {key} may not change {did}: it is not an authentication or "
        "capabilityInvocation key of the DID or of its controllers"
    )


class DidDeactivatedError(DidError):
    code = 5003
    template = "the DID {did} was deactivated at height {height}: it changes no more"


class InvalidDocumentError(DidError):
    code = 5004
    template = "the change of {did} is refused: {reason}"


class WrongChainDidError(DidError):
    code = 5005
    template = "{did} is not a DID of this chain (they start with {prefix})"


class BindingRefusedError(DidError):
    code = 5006
    template = "{did} cannot be bound to {identity}: {reason}"


class AlreadyBoundError(DidError):
    code = 5007
    template = "{identity} is bound to {did} already"


class StatusNotFoundError(DidError):
    code = 5008
    template = "{issuer} never allocated the status index {index}"


class StatusRevokedError(DidError):
    code = 5009
    template = "the status {index} of {issuer} is revoked: revocation is final"


class StatusChangeError(DidError):
    code = 5010
    template = "the status {index} of {issuer} is {state}: it cannot be {change}"


class StatusListFullError(DidError):
    code = 5011
    template = "{issuer} has used all {capacity} status indexes"


class TrustChangeError(DidError):
    code = 5012
    template = "{issuer} is {state} for {credential_type} already"


__all__ = [
    "AlreadyBoundError",
    "BindingRefusedError",
    "DidDeactivatedError",
    "DidError",
    "DidExistsError",
    "DidNotFoundError",
    "InvalidDocumentError",
    "NotControllerError",
    "StatusChangeError",
    "StatusListFullError",
    "StatusNotFoundError",
    "StatusRevokedError",
    "TrustChangeError",
    "WrongChainDidError",
]
