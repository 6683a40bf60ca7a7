"""Named invariants of the membership module, checked by the tests after every block."""

from __future__ import annotations

from cornerstone.module import Reader
from cornerstone.modules.membership.state import get_org, iter_members


def members_belong_to_organizations(state: Reader) -> None:
    for member in iter_members(state):
        assert get_org(state, member.org) is not None, (
            f"member {member.public_key.hex()} belongs to missing organization {member.org}"
        )
