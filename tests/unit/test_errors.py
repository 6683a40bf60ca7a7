"""Error codes are stable: clients match on them, so a change here is a breaking change."""

from __future__ import annotations

import cornerstone.contracts  # registers contract errors
import cornerstone.datashare  # registers the data plane's errors
import cornerstone.gateway.errors  # registers the gateway's errors
import cornerstone.modules  # noqa: F401  (registers module errors)
from cornerstone import errors

PUBLISHED = {
    ("tx", 1): "MalformedTransactionError",
    ("tx", 2): "OversizedTransactionError",
    ("tx", 3): "UnsupportedVersionError",
    ("tx", 4): "NonCanonicalError",
    ("tx", 20): "WrongChainError",
    ("tx", 21): "BadSignatureError",
    ("tx", 22): "UnknownSenderError",
    ("tx", 23): "StaleNonceError",
    ("tx", 24): "FutureNonceError",
    ("tx", 25): "NotPermittedError",
    ("tx", 26): "NeedsProposalError",
    ("tx", 40): "UnknownModuleError",
    ("tx", 41): "UnknownOperationError",
    ("tx", 42): "InvalidArgumentsError",
    ("tx", 60): "GasLimitTooHighError",
    ("tx", 61): "OutOfGasError",
    ("tx", 62): "GasLimitTooLowError",
    ("identity", 1): "MalformedCertificateError",
    ("identity", 2): "NotIssuedByOrgError",
    ("identity", 3): "UnknownOrganizationError",
    ("identity", 4): "CertificateExpiredError",
    ("identity", 5): "CertificateNotYetValidError",
    ("identity", 6): "CertificateRevokedError",
    ("identity", 7): "RoleNotAllowedError",
    ("identity", 8): "UnknownRoleError",
    ("identity", 9): "NotMemberCertificateError",
    ("identity", 10): "NotRootCertificateError",
    ("query", 4): "PeerRefusedError",
    ("membership", 2000): "OrganizationRemovedError",
    ("membership", 2001): "NoSuchOrganizationError",
    ("membership", 2002): "OrganizationExistsError",
    ("membership", 2003): "InvalidRootCertificateError",
    ("membership", 2004): "MemberExistsError",
    ("membership", 2005): "UnknownMemberError",
    ("membership", 2006): "AlreadyRevokedError",
    ("membership", 2007): "UnknownValidatorError",
    ("membership", 2008): "ValidatorOwnedError",
    ("membership", 2009): "LastValidatorError",
    ("membership", 2011): "NodeOwnedError",
    ("governance", 3000): "UnknownActionError",
    ("governance", 3001): "InvalidActionError",
    ("governance", 3002): "NotEligibleError",
    ("governance", 3003): "NoSuchProposalError",
    ("governance", 3004): "ProposalClosedError",
    ("governance", 3005): "VotingPeriodError",
    ("governance", 3006): "UnknownResourceError",
    ("governance", 3007): "InvalidPolicyError",
    ("governance", 3008): "UnknownParamError",
    ("governance", 3009): "InvalidParamError",
    ("contract", 4000): "ContractRefusedError",
    ("contract", 4001): "ContractFailedError",
    ("contract", 4002): "ContractAbortedError",
    ("contract", 4003): "ContractOutOfGasError",
    ("contract", 4004): "ContractLimitError",
    ("contract", 4005): "UnknownFunctionError",
    ("contract", 4006): "ContractArgumentsError",
    ("contract", 4007): "ReadOnlyError",
    ("contract", 4008): "UnknownContractError",
    ("contract", 4009): "ReentrantCallError",
    ("contract", 4010): "ContractExistsError",
    ("contract", 4011): "ContractNotFoundError",
    ("contract", 4012): "ContractFrozenError",
    ("contract", 4013): "ContractRevokedError",
    ("contract", 4014): "CallNotPermittedError",
    ("contract", 4015): "InvalidCallPolicyError",
    ("contract", 4016): "StatusChangeError",
    ("contract", 4017): "SameVersionError",
    ("contract", 4018): "MigrationOnlyError",
    ("contract", 4019): "UnknownMaintainerError",
    ("gateway", 1): "BadRequestBodyError",
    ("gateway", 2): "BadParameterError",
    ("gateway", 3): "BadCursorError",
    ("gateway", 4): "NotFoundError",
    ("gateway", 5): "BodyTooLargeError",
    ("gateway", 6): "RateLimitedError",
    ("gateway", 7): "NodeUnavailableError",
    ("gateway", 8): "CommitTimeoutError",
    ("gateway", 9): "NodeRefusedError",
    ("gateway", 10): "AlreadySubmittedError",
    ("gateway", 11): "UnauthorizedError",
    ("gateway", 12): "BlobHashMismatchError",
    ("gateway", 13): "BlobUnauthorizedError",
    ("notary", 1000): "AlreadyAnchoredError",
    ("notary", 1001): "DocumentNotFoundError",
    ("notary", 1002): "NotOwnerError",
    ("did", 5000): "DidNotFoundError",
    ("did", 5001): "DidExistsError",
    ("did", 5002): "NotControllerError",
    ("did", 5003): "DidDeactivatedError",
    ("did", 5004): "InvalidDocumentError",
    ("did", 5005): "WrongChainDidError",
    ("did", 5006): "BindingRefusedError",
    ("did", 5007): "AlreadyBoundError",
    ("did", 5008): "StatusNotFoundError",
    ("did", 5009): "StatusRevokedError",
    ("did", 5010): "StatusChangeError",
    ("did", 5011): "StatusListFullError",
    ("did", 5012): "TrustChangeError",
    ("vc", 5100): "MalformedCredentialError",
    ("vc", 5101): "BadProofError",
    ("vc", 5102): "IssuerNotFoundError",
    ("vc", 5103): "KeyNotAuthorizedError",
    ("vc", 5104): "NotYetValidError",
    ("vc", 5105): "ExpiredError",
    ("vc", 5106): "RevokedError",
    ("vc", 5107): "SuspendedError",
    ("vc", 5108): "UntrustedIssuerError",
    ("vc", 5109): "StatusUnavailableError",
    ("vc", 5110): "PresentationError",
    ("vc", 5111): "IssuerDeactivatedError",
    ("datashare", 7000): "DatasetExistsError",
    ("datashare", 7001): "DatasetNotFoundError",
    ("datashare", 7002): "NotDatasetOwnerError",
    ("datashare", 7003): "VersionMismatchError",
    ("datashare", 7004): "VersionNotFoundError",
    ("datashare", 7005): "EncryptionKeyMissingError",
    ("datashare", 7006): "GrantNotFoundError",
    ("datashare", 7007): "GrantRevokedError",
    ("datashare", 7008): "NoValidGrantError",
    ("datashare", 7009): "AlreadyReleasedError",
    ("datashare", 7010): "InvalidExpiryError",
    ("datashare", 7011): "UnknownGranteeError",
    ("datashare", 7012): "CredentialGrantsNotYetError",  # retired, kept registered
    ("datashare", 7013): "CredentialRefusedError",
    ("datashare", 7014): "NoCredentialGrantError",
    ("datashare", 7015): "HolderNotRequesterError",
    ("data", 1): "StoreError",
    ("data", 2): "BlobNotFoundError",
    ("data", 3): "CipherHashMismatchError",
    ("data", 4): "NoKeyReleasedError",
    ("data", 5): "KeyMismatchError",
    ("data", 6): "UnwrapError",
    ("data", 7): "DecryptionError",
    ("data", 8): "ContentHashMismatchError",
    ("data", 9): "UnknownVersionError",
    ("data", 10): "EncryptionKeyFileError",
}


def test_published_codes_keep_their_meaning() -> None:
    registered = {key: cls.__name__ for key, cls in errors.all_codes().items()}
    for key, name in PUBLISHED.items():
        assert registered.get(key) == name, key


def test_every_error_has_a_sentence() -> None:
    for cls in errors.all_codes().values():
        assert cls.template.strip(), cls.__name__
        assert not cls.template.endswith("."), f"{cls.__name__}: sentences are joined, no period"


def test_a_code_cannot_be_taken_twice() -> None:
    try:

        class Clash(errors.TransactionError):
            code = 1
            template = "clash"

    except TypeError as exc:
        assert "already" in str(exc)
    else:
        raise AssertionError("a duplicate code was accepted")
