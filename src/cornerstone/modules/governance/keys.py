"""State keys of the governance module.

governance/policy/<resource, ASCII>              -> policy map (see `cornerstone.policy`)
governance/params                                -> {"voting_period": int}
governance/next                                  -> int, the next proposal's id
governance/proposal/<id, 8 bytes big-endian>     -> the proposal, its votes and its outcome
governance/open/<deadline, 8 bytes><id, 8 bytes> -> b"", the open proposals by deadline

A resource is "<module>.<operation>" or "<module>.<action>", e.g. "notary.anchor" or
"membership.add_organization".
"""

POLICY_PREFIX = b"governance/policy/"
PARAMS_KEY = b"governance/params"
NEXT_KEY = b"governance/next"
PROPOSAL_PREFIX = b"governance/proposal/"
OPEN_PREFIX = b"governance/open/"


def policy_key(resource: str) -> bytes:
    return POLICY_PREFIX + resource.encode("ascii")


def proposal_key(proposal_id: int) -> bytes:
    return PROPOSAL_PREFIX + proposal_id.to_bytes(8, "big")


def open_key(deadline: int, proposal_id: int) -> bytes:
    return OPEN_PREFIX + deadline.to_bytes(8, "big") + proposal_id.to_bytes(8, "big")
