"""`cornerstone contract`: write, check and test a contract locally; install, upgrade, freeze,
unfreeze and revoke it through governance proposals; call it, query it, and read what is
installed.

The local commands (new, check, test) need no network: `check` runs the same checker a node runs
at install, and the tests use the `Harness`, which loads a contract exactly as a node does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from decimal import Decimal
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
    signer,
    table,
)
from cornerstone.cli.proposal import cast_vote, echo_outcome, echo_vote, events_of, submit_proposal
from cornerstone.contracts import ContractError, Harness, find_violations
from cornerstone.contracts.runtime import CONTRACT_NAME
from cornerstone.policy import parse_policy
from cornerstone.sdk import Client, Signer

CALL_GAS: Final = 2_000_000
"""Gas of a call unless --gas-limit says otherwise; what the call does not use is not charged."""
STATUSES: Final = ("active", "frozen", "revoked")
MODULE: Final = "contracts"
VOTE_COMMAND: Final = "cornerstone contract vote"


@click.group()
def contract() -> None:
    """Python smart contracts: write, check and test them here; install and manage them through
    governance proposals; call and query them on the chain.

    \b
    Local:       new NAME, check FILE, test FILE|DIR
    Governance:  install, upgrade, freeze, unfreeze, revoke (proposals), vote
    Chain:       call, query, show, list
    """


# ---------------------------------------------------------------------------- local
STARTER: Final = '''"""{name}: a starter contract. Each organization keeps a counter it adds to, and
anyone reads it."""

from cornerstone_contract import Map, context, emit, export, query, require

counts = Map("counts", key=str, value=int)


@export
def add(amount: int) -> int:
    """Add `amount` to the counter of the sender's organization; the new total."""
    require(0 < amount <= 1000, "add 1 to 1000 at a time")
    total = counts.get(context.org, 0) + amount
    counts[context.org] = total
    emit("added", org=context.org, amount=amount, total=total)
    return total


@query
def total(org: str) -> int:
    """The counter of `org`."""
    return counts.get(org, 0)
'''

STARTER_TEST: Final = '''"""Tests of the {name} contract: `cornerstone contract test {name}.py` (or
pytest) runs them against in-memory state, with the checks, gas and limits of a node."""

from pathlib import Path

import pytest

from cornerstone.contracts import ContractAbortedError, Harness

SOURCE = Path(__file__).with_name("{name}.py")


def test_each_organization_adds_to_its_own_counter() -> None:
    h = Harness.from_file(SOURCE)
    assert h.call("add", {{"amount": 5}}, org="org1") == 5
    assert h.call("add", {{"amount": 2}}, org="org1") == 7
    assert h.call("add", {{"amount": 1}}, org="org2") == 1
    assert h.query("total", {{"org": "org1"}}) == 7
    assert h.events[-1].type == "contract.{name}.added"


def test_too_much_at_once_is_refused_and_changes_nothing() -> None:
    h = Harness.from_file(SOURCE)
    with pytest.raises(ContractAbortedError, match="1 to 1000"):
        h.call("add", {{"amount": 5000}})
    assert h.state("counts") == {{}}
'''


@contract.command("new")
@click.argument("name")
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(),
    show_default="the current folder",
    help="Where to write NAME.py and test_NAME.py.",
)
def contract_new(name: str, folder: Path) -> None:
    """Write a starter contract NAME.py and its tests test_NAME.py (using the Harness)."""
    _check_name(name)
    source, test = folder / f"{name}.py", folder / f"test_{name}.py"
    for path in (source, test):
        if path.exists():
            raise click.ClickException(f"{path} exists already: choose another name or folder")
    folder.mkdir(parents=True, exist_ok=True)
    source.write_text(STARTER.format(name=name))
    test.write_text(STARTER_TEST.format(name=name))
    click.echo(f"wrote {source} and {test}")
    click.echo(
        f"next: `cornerstone contract check {source}` and `cornerstone contract test {test}`"
    )


@contract.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
def contract_check(files: tuple[Path, ...]) -> None:
    """Check FILES by the contract language's rules, as a node does at install.

    Each broken rule is printed as FILE:LINE:COL: [RULE] message; the exit status is 1 when any
    file is refused.
    """
    refused = 0
    for path in files:
        source = _read_source(path)
        violations = find_violations(source, str(path))
        if violations:
            refused += 1
            for violation in violations:
                click.echo(str(violation))
            click.echo(f"{path}: refused, {len(violations)} rule(s) broken", err=True)
            continue
        click.echo(f"{path}: ok ({_summary(source, path)})")
    if refused:
        sys.exit(1)


@contract.command("test")
@click.argument("target", type=click.Path(path_type=Path, exists=True))
@click.option("-k", "keyword", metavar="EXPR", help="Only the tests matching EXPR (pytest -k).")
def contract_test(target: Path, keyword: str | None) -> None:
    """Run the tests of a contract: pytest on TARGET when it is a folder or a test file; for a
    contract FILE, on its test_FILE next to it. A contract without tests is loaded into the
    Harness, which at least shows it checks, compiles and loads as it would on chain."""
    tests = _tests_of(target)
    if tests is None:
        source = _read_source(target)
        try:
            harness = Harness(source, name=target.stem, filename=str(target))
        except ContractError as error:
            raise click.ClickException(error.message) from None
        functions = harness.contracts[target.stem].compiled.checked.functions
        click.echo(
            f"{target}: no test_{target.name} next to it; the contract loads in the harness "
            f"({len(functions)} function(s)). `cornerstone contract new` shows a test file."
        )
        return
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)]
    if keyword:
        command += ["-k", keyword]
    returncode = run_pytest(command)
    if returncode == 5:
        raise click.ClickException(f"no tests were found in {tests}")
    if returncode != 0:
        sys.exit(returncode)


def run_pytest(command: list[str]) -> int:
    """Run pytest in a process of its own (the author's tests import what they like, and must not
    share this process's state); its exit status."""
    try:
        return subprocess.run(command, check=False).returncode
    except OSError as exc:
        raise click.ClickException(f"cannot run pytest: {exc}") from None


def _tests_of(target: Path) -> Path | None:
    if target.is_dir() or target.name.startswith("test_"):
        return target
    beside = target.with_name(f"test_{target.name}")
    return beside if beside.exists() else None


def _summary(source: str, path: Path) -> str:
    harness = Harness(source, name=_name_of(path), filename=str(path))
    functions = harness.contracts[harness.main].compiled.checked.functions.values()
    exports = [f.name for f in functions if f.kind == "export"]
    queries = [f.name for f in functions if f.kind == "query"]
    return f"exports {', '.join(exports) or 'nothing'}; queries {', '.join(queries) or 'none'}"


def _name_of(path: Path) -> str:
    return path.stem if CONTRACT_NAME.fullmatch(path.stem) else "contract"


def _read_source(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from None


def _check_name(name: str) -> None:
    if not CONTRACT_NAME.fullmatch(name):
        raise click.BadParameter(
            f"{name!r}: a contract name is lowercase letters, digits and _, starting with a "
            "letter (at most 64)",
            param_hint="NAME",
        )


def _checked_source(path: Path) -> str:
    """The source of `path`, refused here with every violation when a node would refuse it."""
    source = _read_source(path)
    violations = find_violations(source, str(path))
    if violations:
        for violation in violations:
            click.echo(str(violation), err=True)
        raise click.ClickException(
            f"{path} breaks {len(violations)} rule(s) of the contract language; nothing was "
            "proposed"
        )
    return source


# ---------------------------------------------------------------------------- proposals
policy_option = click.option(
    "--policy",
    "policy_pairs",
    multiple=True,
    metavar="FUNCTION=JSON",
    help='Who may call FUNCTION, e.g. add=\'{"rule": "ANY", "orgs": ["org1"], '
    '"roles": ["admin"]}\' (repeatable).',
)
title_option = click.option("--title", default="", help="What it is for, for people.")
period_option = click.option(
    "--voting-period",
    type=click.IntRange(min=0),
    default=0,
    help="Blocks the proposal stays open [default: the chain's voting_period].",
)


def _policies(pairs: Sequence[str]) -> dict[str, encoding.Value]:
    policies: dict[str, encoding.Value] = {}
    for pair in pairs:
        function, sep, text = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not FUNCTION=JSON", param_hint="--policy")
        try:
            value = json.loads(text)
            parse_policy(value)
        except (json.JSONDecodeError, ValueError) as exc:
            raise click.BadParameter(f"{function}: {exc}", param_hint="--policy") from None
        policies[function] = value
    return policies


def _propose(
    home: Path,
    node_url: str | None,
    key_name: str,
    action: str,
    args: dict[str, encoding.Value],
    *,
    title: str = "",
    voting_period: int = 0,
) -> None:
    """Submit a governance proposal of a contracts action; print its id and its tally."""
    with common.connect(home, node_url) as client:
        sender = signer(client, home, key_name)
        if action == "install" and "org" not in args:
            org = _org_of(client, sender)
            if org:
                args["org"] = org
        committed, found = submit_proposal(
            client, sender, MODULE, action, args, title=title, voting_period=voting_period
        )
        click.echo(f"proposal {found['id']}: {MODULE} {action} {found['args']['name']}")
        click.echo(f"  {committed_line(committed)}")
        echo_outcome(client, found, vote_command=VOTE_COMMAND)


def _org_of(client: Client, sender: Signer) -> str:
    """The organization of a key registered on chain ("" for a certificate's key)."""
    found = client.query("membership", "member", public_key=sender.key.public_key.raw)
    return str(found["org"]) if isinstance(found, dict) else ""


@contract.command("install")
@click.argument("name")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--version", "version", required=True, help="The version people know it by.")
@key_option
@policy_option
@click.option(
    "--org", default=None, help="The organization that maintains it [default: the signer's]."
)
@title_option
@period_option
@home_option
@node_option
def contract_install(
    name: str,
    file: Path,
    version: str,
    key_name: str,
    policy_pairs: tuple[str, ...],
    org: str | None,
    title: str,
    voting_period: int,
    home: Path,
    node_url: str | None,
) -> None:
    """Propose to install the contract in FILE as NAME; your organization approves at once.

    The source is checked here first, and again by every node when the proposal is made and
    when it executes.
    """
    _check_name(name)
    args: dict[str, encoding.Value] = {
        "name": name,
        "version": version,
        "source": _checked_source(file),
        "policies": _policies(policy_pairs),
    }
    if org:
        args["org"] = org
    _propose(home, node_url, key_name, "install", args, title=title, voting_period=voting_period)


@contract.command("upgrade")
@click.argument("name")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--version", "version", required=True, help="The new version.")
@key_option
@click.option(
    "--migration",
    default="",
    metavar="FUNCTION",
    help="An exported function of the new source run once, at the upgrade, to migrate state.",
)
@policy_option
@click.option("--clear-policies", is_flag=True, help="Drop every call policy [default: keep them].")
@title_option
@period_option
@home_option
@node_option
def contract_upgrade(
    name: str,
    file: Path,
    version: str,
    key_name: str,
    migration: str,
    policy_pairs: tuple[str, ...],
    clear_policies: bool,
    title: str,
    voting_period: int,
    home: Path,
    node_url: str | None,
) -> None:
    """Propose to replace NAME's code with FILE, keeping its state (and migrating it once with
    --migration). With --policy the call policies are replaced; without, they are kept."""
    _check_name(name)
    args: dict[str, encoding.Value] = {
        "name": name,
        "version": version,
        "source": _checked_source(file),
        "migration": migration,
    }
    if policy_pairs or clear_policies:
        args["policies"] = _policies(policy_pairs)
    _propose(home, node_url, key_name, "upgrade", args, title=title, voting_period=voting_period)


def _status_args(name: str, reason: str | None = None) -> dict[str, encoding.Value]:
    _check_name(name)
    args: dict[str, encoding.Value] = {"name": name}
    if reason:
        args["reason"] = reason
    return args


reason_option = click.option("--reason", default="", help="Why, for the record.")


@contract.command("freeze")
@click.argument("name")
@key_option
@reason_option
@title_option
@period_option
@home_option
@node_option
def contract_freeze(
    name: str,
    key_name: str,
    reason: str,
    title: str,
    voting_period: int,
    home: Path,
    node_url: str | None,
) -> None:
    """Propose to freeze NAME: it refuses calls, keeping its state, until unfrozen."""
    args = _status_args(name, reason)
    _propose(home, node_url, key_name, "freeze", args, title=title, voting_period=voting_period)


@contract.command("unfreeze")
@click.argument("name")
@key_option
@title_option
@period_option
@home_option
@node_option
def contract_unfreeze(
    name: str, key_name: str, title: str, voting_period: int, home: Path, node_url: str | None
) -> None:
    """Propose to let a frozen NAME be called again."""
    args = _status_args(name)
    _propose(home, node_url, key_name, "unfreeze", args, title=title, voting_period=voting_period)


@contract.command("revoke")
@click.argument("name")
@key_option
@reason_option
@title_option
@period_option
@home_option
@node_option
def contract_revoke(
    name: str,
    key_name: str,
    reason: str,
    title: str,
    voting_period: int,
    home: Path,
    node_url: str | None,
) -> None:
    """Propose to revoke NAME for good: it refuses calls and changes forever, and its name is
    never used again."""
    args = _status_args(name, reason)
    _propose(home, node_url, key_name, "revoke", args, title=title, voting_period=voting_period)


@contract.command("vote")
@click.argument("proposal_id", metavar="ID", type=click.IntRange(min=1))
@key_option
@click.option("--reject", is_flag=True, help="Vote against it [default: approve].")
@home_option
@node_option
def contract_vote(
    proposal_id: int, key_name: str, reject: bool, home: Path, node_url: str | None
) -> None:
    """Vote on proposal ID for your organization, with gas for the source it carries (the vote
    that passes it installs the contract). Any proposal can be voted on this way."""
    with common.connect(home, node_url) as client:
        sender = signer(client, home, key_name)
        committed, found = cast_vote(client, sender, proposal_id, approve=not reject)
        echo_vote(client, committed, found, approve=not reject, vote_command=VOTE_COMMAND)


# ---------------------------------------------------------------------------- calls and queries
arg_option = click.option(
    "--arg",
    "arg_pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="One argument (repeatable), typed by the function's annotation: int in decimal, bool "
    "true/false, bytes in hex, list and dict as JSON, str and Decimal as text.",
)
args_json_option = click.option(
    "--args-json", metavar="JSON", help="All arguments as a JSON object (--arg wins)."
)


def _function_spec(client: Client, name: str, function: str) -> dict[str, Any]:
    meta = client.query(MODULE, "contract", contract=name)
    if meta is None:
        raise click.ClickException(
            f"there is no contract named {name!r}: `cornerstone contract list` lists them"
        )
    for spec in as_dict(meta)["functions"]:
        if spec["name"] == function:
            return dict(spec)
    names = ", ".join(f"{f['name']} ({f['kind']})" for f in as_dict(meta)["functions"])
    raise click.ClickException(f"{name} has no function {function!r}; it has {names}")


def call_args(
    spec: Mapping[str, Any], pairs: Sequence[str], args_json: str | None
) -> dict[str, encoding.Value]:
    """The arguments of a contract function from --args-json and --arg, the text of each --arg
    converted by the parameter's annotation (the contract checks them again)."""
    args: dict[str, encoding.Value] = {}
    if args_json is not None:
        try:
            document = json.loads(args_json, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"it is not JSON ({exc})", param_hint="--args-json") from None
        if not isinstance(document, dict):
            raise click.BadParameter("give a JSON object", param_hint="--args-json")
        args.update({k: _plain(v) for k, v in document.items()})
    types = {p["name"]: p["type"] for p in spec["params"]}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--arg")
        if name not in types:
            known = ", ".join(types) or "none"
            raise click.BadParameter(
                f"{spec['name']} has no parameter {name!r} (its parameters: {known})",
                param_hint="--arg",
            )
        try:
            args[name] = _typed(types[name], text)
        except ValueError as exc:
            raise click.BadParameter(f"{name}: {exc}", param_hint="--arg") from None
    return args


def _typed(annotation: str, text: str) -> encoding.Value:
    """--arg text as the annotated type ("" is unannotated: JSON if it parses, else text)."""
    base = annotation.removesuffix(" | None")
    if base != annotation and text in ("none", "null"):
        return None
    if base == "int":
        return int(text, 0)
    if base == "bool":
        if text not in ("true", "false"):
            raise ValueError("give true or false")
        return text == "true"
    if base == "bytes":
        return bytes.fromhex(text.removeprefix("0x"))
    if base in ("str", "Decimal"):
        return text
    if base.startswith(("list", "dict", "tuple")):
        try:
            return _plain(json.loads(text, parse_float=Decimal))
        except json.JSONDecodeError as exc:
            raise ValueError(f"give JSON ({exc})") from None
    try:
        return _plain(json.loads(text, parse_float=Decimal))
    except json.JSONDecodeError:
        return text


def _plain(value: Any) -> encoding.Value:
    """JSON as canonical values: no floats (a JSON fraction becomes its decimal text)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    assert value is None or isinstance(value, bool | int | str)
    return value


@contract.command("call")
@click.argument("name")
@click.argument("function")
@key_option
@arg_option
@args_json_option
@click.option(
    "--gas-limit",
    type=click.IntRange(min=1),
    default=CALL_GAS,
    show_default=True,
    help="Most gas the call may use.",
)
@home_option
@node_option
def contract_call(
    name: str,
    function: str,
    key_name: str,
    arg_pairs: tuple[str, ...],
    args_json: str | None,
    gas_limit: int,
    home: Path,
    node_url: str | None,
) -> None:
    """Call FUNCTION of contract NAME as a transaction; print its result and events."""
    with common.connect(home, node_url) as client:
        args = call_args(_function_spec(client, name, function), arg_pairs, args_json)
        committed = signer(client, home, key_name).submit(
            MODULE,
            "call",
            {"contract": name, "function": function, "args": args},
            gas_limit=gas_limit,
        )
    called = events_of(committed).get("contracts.called", {})
    click.echo(f"{name}.{function}: {committed_line(committed)}")
    result = called.get("result", f"({called.get('result_size', '?')} characters: query it)")
    click.echo(f"  result  {result}")
    click.echo(f"  gas     {committed.gas_used} (the contract's own: {called.get('gas', '?')})")
    for kind, attributes in committed.events:
        if kind.startswith("contract."):
            click.echo(f"  event   {kind} {json.dumps(attributes)}")


@contract.command("query")
@click.argument("name")
@click.argument("function")
@arg_option
@args_json_option
@home_option
@node_option
def contract_query(
    name: str,
    function: str,
    arg_pairs: tuple[str, ...],
    args_json: str | None,
    home: Path,
    node_url: str | None,
) -> None:
    """Run the query FUNCTION of contract NAME at the latest state; print its result as JSON."""
    with common.connect(home, node_url) as client:
        args = call_args(_function_spec(client, name, function), arg_pairs, args_json)
        value = client.query(MODULE, "query", contract=name, function=function, args=args)
    echo_json(value)


@contract.command("show")
@click.argument("name")
@click.option("--source", "with_source", is_flag=True, help="Print the installed source.")
@json_option
@home_option
@node_option
def contract_show(
    name: str, with_source: bool, as_json: bool, home: Path, node_url: str | None
) -> None:
    """Show contract NAME: version, status, code hash, policies and functions."""
    with common.connect(home, node_url) as client:
        meta = client.query(MODULE, "contract", contract=name)
        source = client.query(MODULE, "source", contract=name) if with_source else None
    if meta is None:
        raise click.ClickException(f"there is no contract named {name!r}")
    found = as_dict(meta)
    if with_source and source is not None:
        if as_json:
            found = {**found, "source": as_dict(source)["source"]}
        else:
            click.echo(as_dict(source)["source"], nl=False)
            return
    if as_json:
        echo_json(found)
        return
    click.echo(f"contract {found['name']} {found['version']}")
    status = f"{found['status']} since height {found['status_height']}"
    click.echo(f"  status      {status}")
    click.echo(f"  code hash   {found['code_hash'].hex()}")
    click.echo(f"  maintainer  {found['org']}")
    upgraded = f", upgraded at {found['upgraded_at']}" if found["upgraded_at"] else ""
    click.echo(f"  installed   at height {found['installed_at']}{upgraded}")
    if found["migration"]:
        click.echo(f"  migration   {found['migration']} (ran once at the upgrade)")
    listing(
        "functions",
        found["functions"],
        lambda f: f"{f['kind']:<6} {f['name']}({_params(f['params'])})",
        width=10,
    )
    listing(
        "policies",
        sorted(found["policy_text"].items()),
        lambda item: f"{item[0]}: {item[1]}",
        width=10,
    )


def _params(params: Sequence[Mapping[str, Any]]) -> str:
    out = []
    for p in params:
        text = f"{p['name']}: {p['type']}" if p["type"] else p["name"]
        if "default" in p:
            text += f" = {p['default']!r}"
        out.append(text)
    return ", ".join(out)


@contract.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only contracts with this status.")
@json_option
@home_option
@node_option
def contract_list(status: str | None, as_json: bool, home: Path, node_url: str | None) -> None:
    """List the installed contracts, by name."""
    found: list[dict[str, Any]] = []
    with common.connect(home, node_url) as client:
        start = ""
        while True:
            page = as_list(
                client.query(MODULE, "contracts", start=start, limit=100, status=status or "")
            )
            found += page
            if len(page) < 100:
                break
            start = str(page[-1]["name"]) + "\x00"
    if as_json:
        echo_json(found)
        return
    if not found:
        click.echo("no contracts; `cornerstone contract install --help` shows how to install one")
        return
    rows = [
        (
            c["name"],
            c["version"],
            c["status"],
            c["org"],
            c["installed_at"],
            c["code_hash"].hex()[:16],
        )
        for c in found
    ]
    table(("NAME", "VERSION", "STATUS", "ORG", "INSTALLED", "CODE HASH"), rows)
