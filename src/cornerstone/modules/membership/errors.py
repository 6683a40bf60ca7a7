"""Errors of the membership module (codes 2000-2099, codespace "membership")."""

from cornerstone.errors import TransactionError


class MembershipError(TransactionError):
    codespace = "membership"


class OrganizationRemovedError(MembershipError):
    code = 2000
    template = "the organization {org} was removed from the consortium at height {height}"


class NoSuchOrganizationError(MembershipError):
    code = 2001
    template = "there is no member organization {org}"


class OrganizationExistsError(MembershipError):
    code = 2002
    template = "the organization {org} exists already"


class InvalidRootCertificateError(MembershipError):
    code = 2003
    template = "the root certificate for {org} is refused: {reason}"


class MemberExistsError(MembershipError):
    code = 2004
    template = "the key {key} is registered already, for {org}"


class UnknownMemberError(MembershipError):
    code = 2005
    template = "the key {key} is not a registered member of {org}"


class AlreadyRevokedError(MembershipError):
    code = 2006
    template = "the certificate {serial} of {org} is revoked already"


class UnknownValidatorError(MembershipError):
    code = 2007
    template = "{key} is not a validator"


class ValidatorOwnedError(MembershipError):
    code = 2008
    template = "the validator key {key} belongs to {owner}, not {org}"


class LastValidatorError(MembershipError):
    code = 2009
    template = "the change would leave the chain with no validator"


class NodeOwnedError(MembershipError):
    code = 2011
    template = "the node {node} belongs to {owner} already"
