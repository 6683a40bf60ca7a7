"""Identities of members: roles, X.509 certificates under each organization's root CA, and the
local certificate authority tool (`identity.ca`, imported on its own: the chain never needs it).

Importing this package registers the identity error codes.
"""

from cornerstone.identity import errors
from cornerstone.identity.certs import (
    CertificateInfo,
    RootInfo,
    certificate_org,
    check_not_revoked,
    check_validity,
    issue_member_certificate,
    make_root_certificate,
    parse_member_certificate,
    parse_sender_certificate,
    root_info,
    valid_org_id,
)
from cornerstone.identity.roles import Role, require_role

__all__ = [
    "CertificateInfo",
    "Role",
    "RootInfo",
    "certificate_org",
    "check_not_revoked",
    "check_validity",
    "errors",
    "issue_member_certificate",
    "make_root_certificate",
    "parse_member_certificate",
    "parse_sender_certificate",
    "require_role",
    "root_info",
    "valid_org_id",
]
