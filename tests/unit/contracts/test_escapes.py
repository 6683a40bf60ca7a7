"""The sandbox-escape corpus: every file in escapes/ is a contract that must be refused at
install (with the rule its header names) or stopped at run time (with the error its header
names), leaving the state unchanged, reporting no traceback or address, and giving the same
error and the same gas on a second, fresh run. Add a file to grow the corpus.

Header lines of a corpus file:

    # expect: refused <rule>            refused by the checker with this rule
    # expect: <ContractError subclass>  installed, then stopped when called
    # call: <function> | # query: <function>
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cornerstone.contracts import ContractError, Harness, errors, find_violations

ESCAPES = sorted((Path(__file__).parent / "escapes").glob("*.contract"))
HEADER = re.compile(r"^# (expect|call|query): (.+)$", re.MULTILINE)
GAS_LIMIT = 5_000_000


def header(path: Path) -> dict[str, str]:
    return dict(HEADER.findall(path.read_text()))


def test_the_corpus_is_there() -> None:
    assert len(ESCAPES) >= 40
    for path in ESCAPES:
        assert "expect" in header(path), path.name


@pytest.mark.parametrize("path", ESCAPES, ids=[p.stem for p in ESCAPES])
def test_escape_is_refused_or_stopped(path: Path) -> None:
    source = path.read_text()
    fields = header(path)
    expect = fields["expect"]
    if expect.startswith("refused "):
        rule = expect.split()[1]
        found = find_violations(source, path.name)
        assert rule in {v.rule for v in found}, [str(v) for v in found]
        return
    assert find_violations(source, path.name) == (), "a run-time escape must pass the checker"
    expected = getattr(errors, expect)
    outcomes = [_run_once(source, fields, expected) for _ in range(2)]
    assert outcomes[0] == outcomes[1], "the same error and gas on every run"


def _run_once(
    source: str, fields: dict[str, str], expected: type[ContractError]
) -> tuple[str, int]:
    harness = Harness(source, name="attacker", gas_limit=GAS_LIMIT)
    before = harness.storages["attacker"].snapshot()
    with pytest.raises(ContractError) as stopped:
        if "query" in fields:
            harness.query(fields["query"])
        else:
            harness.call(fields["call"])
    error = stopped.value
    assert type(error) is expected, str(error)
    message = str(error)
    assert "Traceback" not in message
    assert not re.search(r"0x[0-9a-f]{6,}", message), message
    assert "attacker.attack" in message or "attacker.key" in message, message
    assert 0 < harness.last_gas <= GAS_LIMIT
    assert harness.storages["attacker"].snapshot() == before
    assert harness.events == []
    # the runtime is still sound: another contract runs normally afterwards
    harness.add(
        "from cornerstone_contract import export\n@export\ndef ok() -> int:\n    return 1\n",
        name="after",
    )
    assert harness.call("ok", contract="after") == 1
    return message, int(error.fields["gas_used"])
