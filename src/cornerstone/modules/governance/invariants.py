"""Named invariants of the governance module, checked by the tests after every block."""

from __future__ import annotations

from cornerstone.module import Reader
from cornerstone.modules.governance.state import OPEN, get_proposal, iter_open, iter_proposals


def open_index_matches_open_proposals(state: Reader) -> None:
    indexed = sorted(proposal_id for _, proposal_id in iter_open(state))
    open_ids = sorted(p.id for p in iter_proposals(state) if p.status == OPEN)
    assert indexed == open_ids, f"open index {indexed} but open proposals {open_ids}"
    for deadline, proposal_id in iter_open(state):
        found = get_proposal(state, proposal_id)
        assert found is not None and found.deadline == deadline, (
            f"proposal {proposal_id} is indexed under the wrong deadline"
        )


def closed_proposals_say_when(state: Reader) -> None:
    for p in iter_proposals(state):
        assert (p.status == OPEN) == (p.closed_at is None), (
            f"proposal {p.id} is {p.status} with closed_at {p.closed_at}"
        )
