"""`cornerstone proposal`: governance proposals, the votes of the organizations' admins, and
the policies and parameters they change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import click

from cornerstone import encoding
from cornerstone.cli import common
from cornerstone.cli.common import (
    as_dict,
    as_list,
    committed_line,
    echo_json,
    home_option,
    json_option,
    key_option,
    listing,
    node_option,
    proof_json,
    proof_line,
    prove_option,
    proven,
    shown,
    signer,
    table,
)
from cornerstone.cli.proposal_args import (
    proposal_args,
)
from cornerstone.identity.roles import Role
from cornerstone.modules.governance.handlers import PARAM_RANGES
from cornerstone.modules.governance.keys import proposal_key
from cornerstone.policy import parse_policy
from cornerstone.sdk import Client, Committed, Signer

STATUSES: Final = ("open", "executed", "failed", "rejected", "expired")
"""A proposal's statuses (governance/state.py)."""
PAGE: Final = 100
"""Proposals asked for per query (the most the query answers)."""
VOTE_COMMAND: Final = "cornerstone proposal vote"
PROPOSAL_GAS_BASE: Final = 200_000
PROPOSAL_GAS_PER_BYTE: Final = 50
"""A proposal that carries text (a contract's source) pays for its bytes several times: in the
transaction, in the proposal record, and in what the dry run and the execution write (10 gas
each). Gas a transaction does not use is not charged, so a generous limit costs nothing."""


def proposal_gas(args: Mapping[str, Any]) -> int:
    """Gas enough to propose an action with `args`, or to cast the vote that executes it."""
    size = sum(len(v.encode()) for v in args.values() if isinstance(v, str))
    size += sum(len(v) for v in args.values() if isinstance(v, bytes))
    return PROPOSAL_GAS_BASE + PROPOSAL_GAS_PER_BYTE * size


# ---------------------------------------------------------------------------- proposal
@click.group()
def proposal() -> None:
    """Propose changes to the consortium, vote on them, and read the rules in force.

    An action (admitting an organization, a parameter, a policy...) runs once, in the block
    where enough organizations' admins approved it: the policy of its resource says how many
    (`cornerstone proposal policies`).
    """


def events_of(committed: Committed) -> dict[str, dict[str, str]]:
    """A committed transaction's events by kind (the last of a kind wins)."""
    return dict(committed.events)


def submit_proposal(
    client: Client,
    sender: Signer,
    module: str,
    action: str,
    args: Mapping[str, encoding.Value],
    *,
    title: str = "",
    voting_period: int = 0,
) -> tuple[Committed, dict[str, Any]]:
    """Propose `module.action` with `args`, with gas sized to them; the commit and the
    proposal's record as committed."""
    committed = sender.submit(
        "governance",
        "propose",
        {
            "module": module,
            "action": action,
            "args": dict(args),
            "title": title,
            "voting_period": voting_period,
        },
        gas_limit=proposal_gas(args),
    )
    proposed = events_of(committed).get("governance.proposed")
    assert proposed is not None, "a committed proposal has its event"
    return committed, get_proposal(client, int(proposed["proposal"]))


def cast_vote(
    client: Client, sender: Signer, proposal_id: int, *, approve: bool
) -> tuple[Committed, dict[str, Any]]:
    """Vote on `proposal_id` with gas for what it carries (the vote that passes it runs its
    action); the commit and the proposal's record after it."""
    found = get_proposal(client, proposal_id)
    committed = sender.submit(
        "governance",
        "vote",
        {"proposal": proposal_id, "approve": approve},
        gas_limit=proposal_gas(found["args"]),
    )
    return committed, get_proposal(client, proposal_id)


def echo_vote(
    client: Client, committed: Committed, p: Mapping[str, Any], *, approve: bool, vote_command: str
) -> None:
    verb = "approve" if approve else "reject"
    click.echo(f"voted to {verb} proposal {p['id']}: {p['module']} {p['action']}")
    click.echo(f"  {committed_line(committed)}")
    echo_outcome(client, p, vote_command=vote_command)


def echo_outcome(client: Client, p: Mapping[str, Any], *, vote_command: str) -> None:
    """A proposal's status, and while it is open its tally and how to vote on it."""
    click.echo(f"  status  {status_line(p)}")
    if p["status"] == "open":
        click.echo(f"  votes   {tally(p, active_orgs(client))}")
        click.echo(f"  next    the other admins run `{vote_command} {p['id']} --key NAME`")


def status_line(p: Mapping[str, Any]) -> str:
    status = p["status"]
    if status == "open":
        return f"open until height {p['deadline']}"
    line = f"{status} at height {p['closed_at']}"
    return f"{line}: {p['outcome']}" if p["outcome"] else line


def tally(p: Mapping[str, Any], members: Sequence[str]) -> str:
    """How far an open proposal is from its policy's threshold."""
    policy = parse_policy(p["policy"])
    verdict = policy.evaluate(
        {org: (Role(v["role"]),) for org, v in p["votes"].items() if v["approve"]},
        members=members,
        subject=p["subject"],
        refusals=[org for org, v in p["votes"].items() if not v["approve"]],
    )
    refused = sorted(org for org, v in p["votes"].items() if not v["approve"])
    against = f"; against: {', '.join(refused)}" if refused else ""
    return (
        f"{len(verdict.approved)} of the {verdict.threshold} approvals it needs "
        f"({', '.join(verdict.approved) or 'none yet'}){against}; "
        f"eligible: {', '.join(verdict.eligible) or 'no organization'}"
    )


def active_orgs(client: Client) -> list[str]:
    orgs = as_list(client.query("membership", "organizations"))
    return [o["id"] for o in orgs if o["status"] == "active"]


def get_proposal(client: Client, proposal_id: int) -> dict[str, Any]:
    found = client.query("governance", "proposal", id=proposal_id)
    if found is None:
        raise click.ClickException(
            f"there is no proposal {proposal_id}: `cornerstone proposal list` lists them"
        )
    return as_dict(found)


@proposal.command("new")
@click.argument("module")
@click.argument("action")
@key_option
@click.option(
    "--arg",
    "arg_pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="One argument (repeatable), typed by the action's field: see below.",
)
@click.option(
    "--args-json", metavar="JSON", help='All arguments as a JSON object, e.g. \'{"id": "org5"}\'.'
)
@click.option("--title", default="", help="What it is for, for people.")
@click.option(
    "--voting-period",
    type=click.IntRange(min=0),
    default=0,
    help="Blocks it stays open [default: the chain's voting_period].",
)
@home_option
@node_option
def proposal_new(
    module: str,
    action: str,
    key_name: str,
    arg_pairs: tuple[str, ...],
    args_json: str | None,
    title: str,
    voting_period: int,
    home: Path,
    node_url: str | None,
) -> None:
    """Propose the governance action MODULE ACTION; your organization approves it at once.

    \b
    Actions and their arguments:
      membership add_organization  id, name, root_certificate, nodes, validators, power
      membership remove_organization  id
      membership rotate_root  org, root_certificate
      membership revoke_certificate  org, serial, reason
      membership set_validator  org, public_key, power (0 removes it)
      membership set_nodes  org, nodes
      governance set_policy  resource, policy
      governance set_param  name (max_tx_bytes or voting_period), value
      contracts install  name, version, source, policies, org
      contracts upgrade  name, version, source, migration, policies
      contracts freeze  name, reason
      contracts unfreeze  name
      contracts revoke  name, reason
      did trust_issuer  credential_type, issuer
      did distrust_issuer  credential_type, issuer
      (`cornerstone contract install|upgrade|...` reads the source from a file for you)

    \b
    Values are typed by the action's fields. With --arg NAME=VALUE: text as is; integers in
    decimal (0x for hex), but a certificate serial in hex as `cornerstone ca list` shows it;
    bytes in hex, or @FILE for a certificate file (PEM or DER); lists comma-separated;
    a policy as JSON. In --args-json the same, with JSON numbers and lists, and any string
    "hex:..." is bytes and "@FILE" a certificate file. --arg wins over --args-json.

    \b
    Examples:
      cornerstone proposal new --key org1-admin governance set_param \\
          --arg name=max_tx_bytes --arg value=65536
      cornerstone proposal new --key org1-admin membership add_organization \\
          --args-json '{"id": "org5", "name": "Org 5", "validators": ["hex:9a3f..."]}' \\
          --arg root_certificate=@.localnet/ca/org5/ca.crt --arg nodes=NODE_ID
      cornerstone proposal new --key org2-admin membership revoke_certificate \\
          --arg org=org2 --arg serial=00000000000004d2 --arg reason="key lost"
    """
    args = proposal_args(module, action, arg_pairs, args_json)
    with common.connect(home, node_url) as client:
        sender = signer(client, home, key_name)
        committed, found = submit_proposal(
            client, sender, module, action, args, title=title, voting_period=voting_period
        )
        click.echo(f"proposal {found['id']}: {module} {action}")
        click.echo(f"  {committed_line(committed)}")
        echo_outcome(client, found, vote_command=VOTE_COMMAND)


@proposal.command("vote")
@click.argument("proposal_id", metavar="ID", type=click.IntRange(min=1))
@key_option
@click.option("--reject", is_flag=True, help="Vote against it [default: approve].")
@home_option
@node_option
def proposal_vote(
    proposal_id: int, key_name: str, reject: bool, home: Path, node_url: str | None
) -> None:
    """Vote for proposal ID for your organization (a later vote replaces it while it is open)."""
    with common.connect(home, node_url) as client:
        sender = signer(client, home, key_name)
        committed, found = cast_vote(client, sender, proposal_id, approve=not reject)
        echo_vote(client, committed, found, approve=not reject, vote_command=VOTE_COMMAND)


@proposal.command("show")
@click.argument("proposal_id", metavar="ID", type=click.IntRange(min=1))
@prove_option
@json_option
@home_option
@node_option
def proposal_show(
    proposal_id: int, prove: bool, as_json: bool, home: Path, node_url: str | None
) -> None:
    """Show proposal ID: its action and arguments, its votes and its outcome."""
    with common.connect(home, node_url) as client:
        verified = proven(client, proposal_key(proposal_id)) if prove else None
        found = get_proposal(client, proposal_id)
        members = active_orgs(client) if found["status"] == "open" and not as_json else []
    if as_json:
        echo_json({**found, "proof": proof_json(verified)} if verified else found)
        return
    title = f"  {found['title']!r}" if found["title"] else ""
    click.echo(f"proposal {found['id']}: {found['module']} {found['action']}{title}")
    click.echo(f"  status    {status_line(found)}")
    click.echo(
        f"  proposed  by {found['org']} at height {found['height']} "
        f"(signer identity {found['proposer'].hex()})"
    )
    concerns = f"; it concerns {found['subject']}" if found["subject"] else ""
    click.echo(f"  policy    {found['policy_text']}{concerns}")
    if found["status"] == "open":
        click.echo(f"  tally     {tally(found, members)}")
    listing(
        "args",
        sorted(found["args"].items()),
        lambda item: f"{item[0]} = {shown(item[1])}",
        width=9,
    )
    listing(
        "votes",
        sorted(found["votes"].items()),
        lambda item: (
            f"{item[0]:<8} {'approve' if item[1]['approve'] else 'reject':<8} at height "
            f"{item[1]['height']} by {item[1]['role']} {item[1]['voter'].hex()[:16]}..."
        ),
        width=9,
    )
    if verified is not None:
        click.echo(proof_line(verified))


@proposal.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only proposals with this status.")
@json_option
@home_option
@node_option
def proposal_list(status: str | None, as_json: bool, home: Path, node_url: str | None) -> None:
    """List the proposals, oldest first."""
    found: list[dict[str, Any]] = []
    with common.connect(home, node_url) as client:
        start = 1
        while True:
            page = as_list(
                client.query(
                    "governance", "proposals", start=start, limit=PAGE, status=status or ""
                )
            )
            found += page
            if len(page) < PAGE:
                break
            start = int(page[-1]["id"]) + 1
    if as_json:
        echo_json(found)
        return
    if not found:
        which = f"{status} " if status else ""
        click.echo(f"no {which}proposals; `cornerstone proposal new --help` shows how to make one")
        return
    rows = [
        (
            p["id"],
            f"{p['module']} {p['action']}",
            status_line(p)
            if p["status"] == "open"
            else f"{p['status']} at height {p['closed_at']}",
            p["org"],
            "".join("+" if v["approve"] else "-" for v in p["votes"].values()),
            p["title"],
        )
        for p in found
    ]
    table(("ID", "ACTION", "STATUS", "BY", "VOTES", "TITLE"), rows)


@proposal.command("policies")
@json_option
@home_option
@node_option
def proposal_policies(as_json: bool, home: Path, node_url: str | None) -> None:
    """The policy in force for every resource: who must approve it."""
    with common.connect(home, node_url) as client:
        policies = as_dict(client.query("governance", "policies"))
    if as_json:
        echo_json(policies)
        return
    table(
        ("RESOURCE", "WHO MUST APPROVE"),
        [(resource, parse_policy(value).describe()) for resource, value in policies.items()],
    )
    click.echo(
        "change one with `cornerstone proposal new --key NAME governance set_policy "
        "--arg resource=RESOURCE --arg policy=JSON`"
    )


@proposal.command("params")
@json_option
@home_option
@node_option
def proposal_params(as_json: bool, home: Path, node_url: str | None) -> None:
    """The chain parameters that `governance set_param` changes, and their values."""
    with common.connect(home, node_url) as client:
        values = as_dict(client.query("governance", "params"))
    if as_json:
        echo_json(values)
        return
    rows = [
        (name, values.get(name, "?"), f"{low} to {high}")
        for name, (low, high) in PARAM_RANGES.items()
    ]
    table(("NAME", "VALUE", "RANGE"), rows)
    click.echo(
        "change one with `cornerstone proposal new --key NAME governance set_param "
        "--arg name=NAME --arg value=N`"
    )
