"""Errors of identities: sender certificates (codespace "identity", codes 1-19) and the local
certificate authority tool (codespace "client", codes 20-29).

    TransactionError
    └── CertificateError                 a sender's certificate is refused (CheckTx, FinalizeBlock)
        ├── MalformedCertificateError        1
        ├── NotIssuedByOrgError              2
        ├── UnknownOrganizationError         3
        ├── CertificateExpiredError          4
        ├── CertificateNotYetValidError      5
        ├── CertificateRevokedError          6
        ├── RoleNotAllowedError              7
        ├── UnknownRoleError                 8
        ├── NotMemberCertificateError        9
        └── NotRootCertificateError         10
    UserError
    └── CertificateAuthorityError        an organization's CA folder refuses a command
        ├── CaExistsError                   20
        ├── NoCaError                       21
        ├── UnknownSerialError              22
        ├── AlreadyRevokedError             23
        ├── InvalidOrgIdError               24
        ├── InvalidCommonNameError          25
        ├── DamagedCaError                  26
        ├── InvalidValidityError            27
        ├── RevokedRenewalError             28
        └── InvalidRoleError                29

Times in messages are ISO 8601 UTC ("2030-01-01T00:00:00Z"), serials 16 hex digits.
"""

from cornerstone.errors import TransactionError, UserError


# ---------------------------------------------------------------------------- certificates
class CertificateError(TransactionError):
    codespace = "identity"


class MalformedCertificateError(CertificateError):
    code = 1
    template = "the certificate is malformed: {reason}"


class NotIssuedByOrgError(CertificateError):
    code = 2
    template = "the certificate was not issued by the root CA of organization '{org}': {reason}"


class UnknownOrganizationError(CertificateError):
    code = 3
    template = "the certificate names organization '{org}', which is not on this chain"


class CertificateExpiredError(CertificateError):
    code = 4
    template = "certificate {serial} of '{org}' expired at {not_after}"


class CertificateNotYetValidError(CertificateError):
    code = 5
    template = "certificate {serial} of '{org}' is not valid before {not_before}"


class CertificateRevokedError(CertificateError):
    code = 6
    template = "certificate {serial} of '{org}' has been revoked"


class RoleNotAllowedError(CertificateError):
    code = 7
    template = "the role '{role}' may not {operation}; allowed roles: {allowed}"


class UnknownRoleError(CertificateError):
    code = 8
    template = "the certificate names no known role ({reason}); the roles are {roles}"


class NotMemberCertificateError(CertificateError):
    code = 9
    template = "the certificate is not a member certificate: {reason}"


class NotRootCertificateError(CertificateError):
    code = 10
    template = "the certificate is not an organization's root CA certificate: {reason}"


# ---------------------------------------------------------------------------- the CA tool
class CertificateAuthorityError(UserError):
    pass


class CaExistsError(CertificateAuthorityError):
    code = 20
    template = "cannot create a certificate authority in {path}: {reason}"


class NoCaError(CertificateAuthorityError):
    code = 21
    template = "there is no certificate authority in {path}; create one with `cornerstone ca init`"


class UnknownSerialError(CertificateAuthorityError):
    code = 22
    template = "the certificate authority of '{org}' issued no certificate with serial {serial}"


class AlreadyRevokedError(CertificateAuthorityError):
    code = 23
    template = "certificate {serial} of '{org}' was revoked already, at {revoked_at}"


class InvalidOrgIdError(CertificateAuthorityError):
    code = 24
    template = (
        "{org!r} is not an organization id: use 1-32 characters of a-z, 0-9 and '-', "
        "starting with a letter"
    )


class InvalidCommonNameError(CertificateAuthorityError):
    code = 25
    template = (
        "{name!r} is not a certificate name: use 1-64 characters of letters, digits, "
        "'.', '_', '@' and '-', starting with a letter or digit"
    )


class DamagedCaError(CertificateAuthorityError):
    code = 26
    template = "the certificate authority in {path} is damaged: {reason}"


class InvalidValidityError(CertificateAuthorityError):
    code = 27
    template = "a certificate must be valid for at least one day, not {days}"


class RevokedRenewalError(CertificateAuthorityError):
    code = 28
    template = "certificate {serial} of '{org}' is revoked and cannot be renewed; issue a new one"


class InvalidRoleError(CertificateAuthorityError):
    code = 29
    template = "{role!r} is not a role: use one of {roles}"
