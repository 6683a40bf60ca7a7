"""Why a credential or presentation does not verify: codespace "vc", codes 5100-5149.

CornerstoneError
└── CredentialError
    ├── MalformedCredentialError    5100 not a VC 2.0 document this verifier understands
    ├── BadProofError               5101 the signature does not verify (tampered, wrong key)
    ├── IssuerNotFoundError         5102 the DID did not exist when the proof was made
    ├── KeyNotAuthorizedError       5103 the key was not in the needed relationship then
    ├── NotYetValidError            5104 before validFrom
    ├── ExpiredError                5105 after validUntil
    ├── RevokedError                5106 the revocation bit is set
    ├── SuspendedError              5107 the suspension bit is set
    ├── UntrustedIssuerError        5108 not on the trust list of a credential type
    ├── StatusUnavailableError      5109 the status list cannot be had or checked
    ├── PresentationError           5110 challenge, domain or holder do not match
    └── IssuerDeactivatedError      5111 the DID is deactivated (then or now)
"""

from cornerstone.errors import CornerstoneError


class CredentialError(CornerstoneError):
    codespace = "vc"


class MalformedCredentialError(CredentialError):
    code = 5100
    template = "the credential is malformed: {reason}"


class BadProofError(CredentialError):
    code = 5101
    template = (
        "the proof by {method} does not verify: the document was changed or another key signed"
    )


class IssuerNotFoundError(CredentialError):
    code = 5102
    template = "{did} did not exist at {at}, when the proof says it was made"


class KeyNotAuthorizedError(CredentialError):
    code = 5103
    template = "{method} was not an {relationship} key of its DID at {at}"


class NotYetValidError(CredentialError):
    code = 5104
    template = "the credential is valid from {valid_from} only"


class ExpiredError(CredentialError):
    code = 5105
    template = "the credential expired at {valid_until}"


class RevokedError(CredentialError):
    code = 5106
    template = "the credential was revoked by its issuer (status {index} of {list})"


class SuspendedError(CredentialError):
    code = 5107
    template = "the credential is suspended by its issuer (status {index} of {list})"


class UntrustedIssuerError(CredentialError):
    code = 5108
    template = "{issuer} is not on the trust list for {credential_type}"


class StatusUnavailableError(CredentialError):
    code = 5109
    template = "the status list {list} cannot be checked: {reason}"


class PresentationError(CredentialError):
    code = 5110
    template = "the presentation is refused: {reason}"


class IssuerDeactivatedError(CredentialError):
    code = 5111
    template = "{did} is deactivated (as of {at}): its proofs verify no more"


__all__ = [
    "BadProofError",
    "CredentialError",
    "ExpiredError",
    "IssuerDeactivatedError",
    "IssuerNotFoundError",
    "KeyNotAuthorizedError",
    "MalformedCredentialError",
    "NotYetValidError",
    "PresentationError",
    "RevokedError",
    "StatusUnavailableError",
    "SuspendedError",
    "UntrustedIssuerError",
]
