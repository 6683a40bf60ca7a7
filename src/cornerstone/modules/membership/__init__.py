"""Membership: the consortium's organizations and the keys that act for them.

This first version is set at genesis; admission, certificates and roles by governance come
with the membership and governance issue.
"""

from cornerstone.module import Genesis, Module, Query
from cornerstone.modules.membership import genesis, invariants, queries
from cornerstone.modules.membership.state import Member, Organization, get_member, get_org

MODULE = Module(
    name="membership",
    operations={},
    queries={
        "organizations": Query(queries.Organizations, queries.organizations),
        "member": Query(queries.MemberOf, queries.member),
    },
    genesis=Genesis(validate=genesis.validate, init=genesis.init, export=genesis.export),
    invariants={
        "members_belong_to_organizations": invariants.members_belong_to_organizations,
    },
)

__all__ = ["MODULE", "Member", "Organization", "get_member", "get_org"]
