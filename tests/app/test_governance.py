"""Membership, identities and governance through the whole application (ABCI requests)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from tendermint.abci import types_pb2 as pb

from cornerstone import encoding
from cornerstone.crypto import PrivateKey
from cornerstone.errors import (
    NeedsProposalError,
    NotPermittedError,
    OversizedTransactionError,
    UnknownSenderError,
)
from cornerstone.identity.certs import issue_member_certificate, make_root_certificate
from cornerstone.identity.errors import (
    CertificateExpiredError,
    CertificateRevokedError,
    NotIssuedByOrgError,
    RoleNotAllowedError,
    UnknownOrganizationError,
)
from cornerstone.identity.roles import Role
from cornerstone.modules.governance.errors import (
    NotEligibleError,
    ProposalClosedError,
    UnknownParamError,
)
from cornerstone.modules.membership.errors import (
    InvalidRootCertificateError,
    OrganizationRemovedError,
)
from cornerstone.state import Store
from cornerstone.testing import GENESIS_TIME_NS, TestChain
from cornerstone.tx import sign_transaction
from tests.app.test_application import check_invariants
from tests.conftest import (
    CERTS_FROM_S,
    CHAIN_ID,
    admin_key,
    digest,
    genesis,
    member_certificate,
    org_key,
    validator_key,
)


class Members:
    """Sends transactions as any key, keeping each sender's nonces."""

    def __init__(self, chain: TestChain) -> None:
        self.chain = chain
        self.nonces: dict[bytes, int] = {}

    def tx(
        self,
        key: PrivateKey,
        module: str,
        operation: str,
        args: Mapping[str, encoding.Value],
        *,
        certificate: bytes | None = None,
        nonce: int | None = None,
    ) -> bytes:
        sender = key.public_key.fingerprint
        used = self.nonces.get(sender, 0) if nonce is None else nonce
        raw = sign_transaction(
            key,
            chain_id=CHAIN_ID,
            nonce=used,
            module=module,
            operation=operation,
            args=args,
            gas_limit=5_000_000,
            certificate=certificate,
        ).encode()
        return raw

    def send(
        self,
        key: PrivateKey,
        module: str,
        operation: str,
        args: Mapping[str, encoding.Value],
        *,
        certificate: bytes | None = None,
    ) -> pb.ExecTxResult:
        """Check and commit one transaction in its own block; return its result."""
        raw = self.tx(key, module, operation, args, certificate=certificate)
        checked = self.chain.check_tx(raw)
        if checked.code:
            return pb.ExecTxResult(code=checked.code, codespace=checked.codespace, log=checked.log)
        self.nonces[key.public_key.fingerprint] = self.nonces.get(key.public_key.fingerprint, 0) + 1
        self.last = self.chain.produce_block([raw])
        check_invariants(self.chain)
        return self.last.tx_results[0]

    def anchor(self, key: PrivateKey, label: str, **kw: Any) -> pb.ExecTxResult:
        return self.send(key, "notary", "anchor", {"digest": digest(label)}, **kw)

    def propose(
        self, org: str, module: str, action: str, args: Mapping[str, Any], **kw: Any
    ) -> int:
        result = self.send(
            admin_key(org),
            "governance",
            "propose",
            {"module": module, "action": action, "args": args, **kw},
        )
        assert result.code == 0, result.log
        ids = [
            a.value
            for e in result.events
            if e.type == "governance.proposed"
            for a in e.attributes
            if a.key == "proposal"
        ]
        return int(ids[0])

    def vote(self, org: str, proposal: int, *, approve: bool = True) -> pb.ExecTxResult:
        return self.send(
            admin_key(org), "governance", "vote", {"proposal": proposal, "approve": approve}
        )

    def proposal(self, proposal: int) -> dict[str, Any]:
        found = self.chain.query("/governance/proposal", encoding.encode({"id": proposal}))
        value = encoding.decode(found.value)
        assert isinstance(value, dict)
        return value


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[TestChain]:
    store = Store(tmp_path / "state")
    made = TestChain.in_process(store)
    made.init_chain(genesis())
    yield made
    store.close()


@pytest.fixture
def members(chain: TestChain) -> Members:
    return Members(chain)


def _org5_root() -> tuple[PrivateKey, bytes]:
    key = PrivateKey.from_seed(b"5" * 32)
    root = make_root_certificate(
        "org5", key, not_before_s=CERTS_FROM_S, not_after_s=CERTS_FROM_S + 10**9
    )
    return key, root


def _org5_member(role: Role, key: PrivateKey) -> bytes:
    ca, root = _org5_root()
    return issue_member_certificate(
        ca,
        root,
        subject_key=key.public_key,
        common_name=f"org5 {role}",
        role=role,
        serial=500 + list(Role).index(role),
        not_before_s=CERTS_FROM_S,
        not_after_s=CERTS_FROM_S + 10**8,
    )


# ---------------------------------------------------------------------------- identities
def test_a_member_certificate_is_a_sender_and_its_role_counts(members: Members) -> None:
    key = PrivateKey.generate()
    client = member_certificate("org2", key, Role.CLIENT)
    assert members.anchor(key, "by certificate", certificate=client).code == 0
    auditor_key = PrivateKey.generate()
    auditor = member_certificate("org2", auditor_key, Role.AUDITOR, serial=2)
    refused = members.anchor(auditor_key, "auditor", certificate=auditor)
    assert (refused.codespace, refused.code) == ("identity", RoleNotAllowedError.code)
    assert "auditor" in refused.log and "notary.anchor" in refused.log


def test_each_bad_certificate_is_refused_with_its_own_code(members: Members) -> None:
    key = PrivateKey.generate()
    rogue_key = PrivateKey.generate()
    rogue_root = make_root_certificate(
        "org1", rogue_key, not_before_s=CERTS_FROM_S, not_after_s=CERTS_FROM_S + 10**8
    )
    forged = issue_member_certificate(
        rogue_key,
        rogue_root,
        subject_key=key.public_key,
        common_name="forged",
        role=Role.ADMIN,
        serial=9,
        not_before_s=CERTS_FROM_S,
        not_after_s=CERTS_FROM_S + 10**8,
    )
    genesis_s = GENESIS_TIME_NS // 1_000_000_000
    expired = member_certificate("org1", key, not_after_s=genesis_s - 1)
    cases = [
        (forged, NotIssuedByOrgError),
        (expired, CertificateExpiredError),
        (_org5_member(Role.CLIENT, key), UnknownOrganizationError),
    ]
    for certificate, error in cases:
        result = members.anchor(key, "bad", certificate=certificate)
        assert (result.codespace, result.code) == ("identity", error.code), result.log


def test_an_admin_registers_keys_for_its_own_organization_only(members: Members) -> None:
    newcomer = PrivateKey.generate()
    args: dict[str, encoding.Value] = {
        "org": "org1",
        "public_key": newcomer.public_key.raw,
        "role": "client",
        "name": "svc",
    }
    refused = members.send(admin_key("org2"), "membership", "register_member", args)
    assert refused.code == NotPermittedError.code
    refused = members.send(org_key("org1"), "membership", "register_member", args)
    assert refused.code == RoleNotAllowedError.code, "a client is not an admin"
    assert members.anchor(newcomer, "before").code == UnknownSenderError.code
    assert members.send(admin_key("org1"), "membership", "register_member", args).code == 0
    assert members.anchor(newcomer, "after").code == 0


# ---------------------------------------------------------------------------- governance
def test_an_organization_is_admitted_by_majority_and_its_validator_joins(
    members: Members,
) -> None:
    _, root = _org5_root()
    validator = PrivateKey.from_seed(b"v" * 32).public_key.raw
    args = {
        "id": "org5",
        "name": "Organization 5",
        "root_certificate": root,
        "nodes": ["ab" * 20],
        "validators": [validator],
        "power": 10,
    }
    proposal = members.propose("org1", "membership", "add_organization", args, title="org5")
    assert members.proposal(proposal)["status"] == "open"
    members.vote("org2", proposal)
    assert members.proposal(proposal)["status"] == "open", "2 of 4 is not a majority"
    members.vote("org3", proposal)
    found = members.proposal(proposal)
    assert found["status"] == "executed"
    assert sorted(found["votes"]) == ["org1", "org2", "org3"]
    updates = [(u.pub_key.ed25519, u.power) for u in members.last.validator_updates]
    assert updates == [(validator, 10)]

    admin = PrivateKey.generate()
    certificate = _org5_member(Role.ADMIN, admin)
    assert members.anchor(admin, "org5's first", certificate=certificate).code == 0
    peer = members.chain.query("/p2p/filter/id/" + "ab" * 20)
    assert peer.code == 0
    assert members.chain.query("/p2p/filter/id/" + "cd" * 20).code != 0


def test_a_removed_organization_is_refused_and_its_validator_leaves(members: Members) -> None:
    proposal = members.propose("org1", "membership", "remove_organization", {"id": "org4"})
    members.vote("org2", proposal)
    members.vote("org3", proposal)
    assert members.proposal(proposal)["status"] == "executed"
    updates = [(u.pub_key.ed25519, u.power) for u in members.last.validator_updates]
    assert updates == [(validator_key("org4").public_key.raw, 0)]
    refused = members.anchor(org_key("org4"), "after removal")
    assert (refused.codespace, refused.code) == ("membership", OrganizationRemovedError.code)
    node = genesis()["membership"]["organizations"][3]["nodes"][0]
    assert members.chain.query(f"/p2p/filter/id/{node}").code != 0


def test_a_revoked_certificate_is_refused_from_the_next_transaction(members: Members) -> None:
    key = PrivateKey.generate()
    certificate = member_certificate("org2", key, serial=4242)
    assert members.anchor(key, "before", certificate=certificate).code == 0
    # Revoking its own member's certificate needs only the organization's own admin.
    proposal = members.propose(
        "org2", "membership", "revoke_certificate", {"org": "org2", "serial": 4242}
    )
    assert members.proposal(proposal)["status"] == "executed"
    refused = members.anchor(key, "after", certificate=certificate)
    assert (refused.codespace, refused.code) == ("identity", CertificateRevokedError.code)


def test_votes_reject_change_and_expire(members: Members) -> None:
    args = {"org": "org3", "public_key": validator_key("org3").public_key.raw, "power": 20}
    rejected = members.propose("org1", "membership", "set_validator", args)
    members.vote("org2", rejected, approve=False)
    assert members.proposal(rejected)["status"] == "open", "org3 and org4 could still pass it"
    members.vote("org3", rejected, approve=False)
    assert members.proposal(rejected)["status"] == "rejected", "3 of 4 can no longer approve"
    assert members.vote("org2", rejected).code == ProposalClosedError.code

    changed = members.propose("org1", "membership", "set_validator", args)
    members.vote("org2", changed, approve=False)
    members.vote("org2", changed, approve=True)
    members.vote("org3", changed)
    assert members.proposal(changed)["status"] == "executed"
    assert members.proposal(changed)["votes"]["org2"]["approve"] is True

    expiring = members.propose("org1", "membership", "set_validator", args, voting_period=2)
    members.chain.produce_block([])
    members.chain.produce_block([])
    assert members.proposal(expiring)["status"] == "expired"


def test_only_admins_of_eligible_organizations_propose_and_vote(members: Members) -> None:
    result = members.send(
        org_key("org1"),
        "governance",
        "propose",
        {
            "module": "governance",
            "action": "set_param",
            "args": {"name": "voting_period", "value": 5},
        },
    )
    assert result.code == RoleNotAllowedError.code
    proposal = members.propose(
        "org1",
        "governance",
        "set_policy",
        {
            "resource": "governance.set_param",
            "policy": {"rule": "ALL", "orgs": ["org1", "org2"], "roles": ["admin"]},
        },
    )
    members.vote("org2", proposal)
    members.vote("org3", proposal)
    assert members.proposal(proposal)["status"] == "executed"
    narrowed = members.propose(
        "org1", "governance", "set_param", {"name": "voting_period", "value": 5}
    )
    assert members.vote("org3", narrowed).code == NotEligibleError.code
    members.vote("org2", narrowed)
    assert members.proposal(narrowed)["status"] == "executed"


def test_an_operation_that_needs_many_organizations_must_be_proposed(members: Members) -> None:
    proposal = members.propose(
        "org1",
        "governance",
        "set_policy",
        {
            "resource": "notary.anchor",
            "policy": {"rule": "MAJORITY", "orgs": "*", "roles": ["client"]},
        },
    )
    members.vote("org2", proposal)
    members.vote("org3", proposal)
    refused = members.anchor(org_key("org1"), "alone")
    assert refused.code == NeedsProposalError.code and "proposal" in refused.log


def test_a_parameter_change_applies_from_the_next_transaction(members: Members) -> None:
    proposal = members.propose(
        "org1", "governance", "set_param", {"name": "max_tx_bytes", "value": 1024}
    )
    members.vote("org2", proposal)
    members.vote("org3", proposal)
    big = members.send(
        org_key("org1"),
        "notary",
        "anchor",
        {"digest": digest("big"), "metadata": {"note": "x" * 900}},
    )
    assert big.code == OversizedTransactionError.code


def test_a_proposal_its_action_would_refuse_now_is_refused_at_once(members: Members) -> None:
    def proposals() -> list[Any]:
        found = encoding.decode(members.chain.query("/governance/proposals").value)
        assert isinstance(found, list)
        return found

    before = proposals()
    refused = members.send(
        admin_key("org1"),
        "governance",
        "propose",
        {"module": "governance", "action": "set_param", "args": {"name": "gas", "value": 5}},
    )
    assert (refused.codespace, refused.code) == ("governance", UnknownParamError.code)
    assert "gas" in refused.log
    _, org5_root = _org5_root()
    wrong_org = members.send(
        admin_key("org1"),
        "governance",
        "propose",
        {
            "module": "membership",
            "action": "add_organization",
            "args": {"id": "org6", "name": "Org 6", "root_certificate": org5_root},
        },
    )
    assert wrong_org.code == InvalidRootCertificateError.code
    assert "org5" in wrong_org.log
    assert proposals() == before, "nothing is left to vote on"


def test_an_action_that_fails_when_it_runs_changes_nothing(members: Members) -> None:
    _, root = _org5_root()
    proposal = members.propose(
        "org1",
        "membership",
        "add_organization",
        {"id": "org5", "name": "Org 5", "root_certificate": root, "nodes": ["12" * 20]},
    )
    members.vote("org2", proposal)
    # Before the third vote, org2 claims the node id for itself, so adding org5 must fail.
    own = members.propose("org2", "membership", "set_nodes", {"org": "org2", "nodes": ["12" * 20]})
    assert members.proposal(own)["status"] == "executed"
    members.vote("org3", proposal)
    found = members.proposal(proposal)
    assert found["status"] == "failed" and "belongs to org2" in found["outcome"]
    orgs = encoding.decode(members.chain.query("/membership/organizations").value)
    assert isinstance(orgs, list) and [o["id"] for o in orgs] == ["org1", "org2", "org3", "org4"]


def test_a_proposal_leaves_out_what_an_earlier_transaction_of_the_block_made_invalid(
    members: Members,
) -> None:
    # The vote that removes org4 and an anchor by org4's member arrive in the same mempool;
    # both pass CheckTx there. The block may hold the vote, but then not the anchor: every node
    # would refuse a proposal with it, and the next proposer would propose it again.
    proposal = members.propose("org1", "membership", "remove_organization", {"id": "org4"})
    members.vote("org2", proposal)
    vote = members.tx(
        admin_key("org3"), "governance", "vote", {"proposal": proposal, "approve": True}
    )
    anchor = members.tx(org_key("org4"), "notary", "anchor", {"digest": digest("too late")})
    chain = members.chain
    assert chain.check_tx(vote).code == 0 and chain.check_tx(anchor).code == 0
    assert chain.prepare([vote, anchor]) == [vote]
    assert chain.process([vote])
    assert not chain.process([vote, anchor]), "a block with the anchor after the vote is invalid"
    chain.finalize([vote])
    chain.commit()
    assert members.proposal(proposal)["status"] == "executed"
    refused = chain.check_tx(anchor, recheck=True)
    assert (refused.codespace, refused.code) == ("membership", OrganizationRemovedError.code)
