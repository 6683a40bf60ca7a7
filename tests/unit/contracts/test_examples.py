"""The example contracts in examples/contracts/, run through the harness as their authors would
test them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from cornerstone.contracts import ContractAbortedError, Harness

EXAMPLES = Path(__file__).parents[3] / "examples" / "contracts"
DAY = 86_400


def test_asset_registry() -> None:
    h = Harness.from_file(EXAMPLES / "asset_registry.py")
    h.call("register", {"asset": "crane-7", "description": "a harbour crane"}, org="org1")
    h.call("register", {"asset": "truck-2", "description": "a truck"}, org="org1")
    with pytest.raises(ContractAbortedError, match="registered already"):
        h.call("register", {"asset": "crane-7", "description": "again"}, org="org2")
    with pytest.raises(ContractAbortedError, match="only the owner"):
        h.call("transfer", {"asset": "crane-7", "to": "org3"}, org="org2")
    h.call("transfer", {"asset": "crane-7", "to": "org2"}, org="org1")
    assert h.query("held_by", {"org": "org1"}) == ["truck-2"]
    assert h.query("held_by", {"org": "org2"}) == ["crane-7"]
    record = h.query("lookup", {"asset": "crane-7"})
    assert record == {
        "owner": "org2",
        "description": "a harbour crane",
        "registered": 1,
        "transfers": 1,
    }
    assert [e.type for e in h.events][-1] == "contract.asset_registry.transferred"


def test_escrow_between_two_organizations() -> None:
    h = Harness.from_file(EXAMPLES / "escrow.py")
    with pytest.raises(ContractAbortedError, match="only an admin of the bank"):
        h.call("credit", {"org": "org1", "amount": "100.00"}, org="org1", role="admin")
    h.call("credit", {"org": "org1", "amount": Decimal("100.00")}, org="bank", role="admin")
    h.call("open_deal", {"deal": "d1", "seller": "org2", "amount": "40.50", "days": 10})
    h.call("open_deal", {"deal": "d2", "seller": "org2", "amount": "9.50", "days": 1})
    assert h.query("balance", {"org": "org1"}) == "50.00"
    with pytest.raises(ContractAbortedError, match="not enough funds"):
        h.call("open_deal", {"deal": "d3", "seller": "org2", "amount": "60", "days": 1})
    with pytest.raises(ContractAbortedError, match="only the buyer"):
        h.call("release", {"deal": "d1"}, org="org2")
    h.call("release", {"deal": "d1"})
    assert h.query("balance", {"org": "org2"}) == "40.50"
    with pytest.raises(ContractAbortedError, match="deadline has not passed"):
        h.call("refund", {"deal": "d2"})
    h.next_block(1, seconds=2 * DAY)
    h.call("refund", {"deal": "d2"})
    assert h.query("balance", {"org": "org1"}) == "59.50"
    assert h.query("status", {"deal": "d2"})["state"] == "refunded"  # type: ignore[index,call-overload]
    with pytest.raises(ContractAbortedError, match="settled already"):
        h.call("release", {"deal": "d2"})
    assert h.state("balances") == {"org1": Decimal("59.50"), "org2": Decimal("40.50")}


def test_multi_party_approval() -> None:
    h = Harness.from_file(EXAMPLES / "approvals.py")
    approvers = ["org1", "org2", "org3"]
    h.call(
        "propose",
        {"request": "r1", "summary": "new carrier", "approvers": approvers, "threshold": 2},
    )
    h.call(
        "propose", {"request": "r2", "summary": "new bank", "approvers": approvers, "threshold": 3}
    )
    with pytest.raises(ContractAbortedError, match="not an approver"):
        h.call("approve", {"request": "r1"}, org="org9")
    assert h.call("approve", {"request": "r1"}, org="org1") == "pending"
    with pytest.raises(ContractAbortedError, match="has voted"):
        h.call("approve", {"request": "r1"}, org="org1")
    assert h.call("reject", {"request": "r1"}, org="org2") == "pending"
    assert h.call("approve", {"request": "r1"}, org="org3") == "approved"
    with pytest.raises(ContractAbortedError, match="approved already"):
        h.call("approve", {"request": "r1"}, org="org2")
    # with a threshold of 3, one rejection makes approval impossible
    assert h.call("reject", {"request": "r2"}, org="org3") == "rejected"
    with pytest.raises(ContractAbortedError, match="named twice"):
        h.call(
            "propose", {"request": "r3", "summary": "x", "approvers": ["a", "a"], "threshold": 1}
        )
    status = h.query("status", {"request": "r1"})
    assert status["votes"] == {"org1": True, "org2": False, "org3": True}  # type: ignore[index,call-overload]
