"""Named invariants of the did module, checked by the tests after every block."""

from __future__ import annotations

import itertools

from cornerstone.module import Reader
from cornerstone.modules.did.messages import CONTROLLING
from cornerstone.modules.did.state import (
    STATES,
    get_current,
    get_head,
    iter_bindings,
    iter_ids,
    iter_next_indexes,
    iter_statuses,
    iter_versions,
)


def versions_are_numbered_and_ordered(state: Reader) -> None:
    """Versions 1..head exist and nothing beyond; heights never go back; a deactivated
    version is the last one."""
    for did_id in iter_ids(state):
        head = get_head(state, did_id)
        versions = list(iter_versions(state, did_id))
        assert [v.version for v in versions] == list(range(1, head + 1)), f"{did_id} has gaps"
        for earlier, later in itertools.pairwise(versions):
            assert earlier.height <= later.height, f"{did_id} goes back in height"
            assert not earlier.deactivated, f"{did_id} changed after its deactivation"
        first = versions[0]
        assert all(v.created_height == first.height for v in versions), f"{did_id} re-created"


def active_dids_have_a_controller(state: Reader) -> None:
    for did_id in iter_ids(state):
        record = get_current(state, did_id)
        assert record is not None
        if record.deactivated:
            continue
        assert record.controllers or any(
            any(r in CONTROLLING for r in m.relationships) for m in record.methods
        ), f"{did_id} has no key that can change it"


def status_indexes_are_below_the_counter(state: Reader) -> None:
    """Every allocated index is below the issuer's counter, so the counter never hands it out
    again."""
    for issuer_id, next_index in iter_next_indexes(state):
        for index, entry in iter_statuses(state, issuer_id):
            assert index < next_index, f"{issuer_id} status {index} is past its counter"
            assert entry.state in STATES, f"{issuer_id} status {index} is {entry.state!r}"


def bindings_point_to_their_dids(state: Reader) -> None:
    for _kind, identity, did_id in iter_bindings(state):
        record = get_current(state, did_id)
        assert record is not None, f"{identity} is bound to a missing DID"
        assert any(a.endswith(f":{identity}") for a in record.also_known_as), (
            f"{did_id} does not name {identity}"
        )
