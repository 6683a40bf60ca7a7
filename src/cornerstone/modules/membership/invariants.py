"""Named invariants of the membership module, checked by the tests after every block."""

from __future__ import annotations

from cornerstone.module import Reader
from cornerstone.modules.membership.keys import UPDATE_PREFIX
from cornerstone.modules.membership.state import get_org, iter_members, iter_validators


def members_belong_to_organizations(state: Reader) -> None:
    for member in iter_members(state):
        assert get_org(state, member.org) is not None, (
            f"member {member.public_key.hex()} belongs to missing organization {member.org}"
        )


def validators_belong_to_active_organizations(state: Reader) -> None:
    powered = 0
    for validator in iter_validators(state):
        org = get_org(state, validator.org)
        assert org is not None and org.active, (
            f"validator {validator.public_key.hex()} belongs to {validator.org}, not a member"
        )
        assert validator.power > 0, f"validator {validator.public_key.hex()} has no power"
        powered += 1
    assert powered > 0, "no validator is left"


def no_validator_update_outlives_its_block(state: Reader) -> None:
    pending = next(iter(state.iterate(UPDATE_PREFIX)), None)
    assert pending is None, "a validator update was not handed to CometBFT"
