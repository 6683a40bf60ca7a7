"""The tables the checker, the instrumenter and the runtime share stay consistent, and the
contract error codes keep their published meaning."""

from __future__ import annotations

from decimal import Decimal

from cornerstone import errors
from cornerstone.contracts import Harness, checker, compile_contract, instrument, language, load
from cornerstone.contracts.api import ContextView, ContractMap
from cornerstone.contracts.errors import ContractError
from cornerstone.contracts.meter import Meter
from cornerstone.contracts.operations import make_operations

PUBLISHED = {
    ("contract", 4000): "ContractRefusedError",
    ("contract", 4001): "ContractFailedError",
    ("contract", 4002): "ContractAbortedError",
    ("contract", 4003): "ContractOutOfGasError",
    ("contract", 4004): "ContractLimitError",
    ("contract", 4005): "UnknownFunctionError",
    ("contract", 4006): "ContractArgumentsError",
    ("contract", 4007): "ReadOnlyError",
    ("contract", 4008): "UnknownContractError",
    ("contract", 4009): "ReentrantCallError",
}
TYPES = {
    "list": list,
    "dict": dict,
    "str": str,
    "bytes": bytes,
    "tuple": tuple,
    "int": int,
    "Decimal": Decimal,
    "Map": ContractMap,
}


def test_contract_codes_keep_their_meaning() -> None:
    registered = {key: cls.__name__ for key, cls in errors.all_codes().items()}
    for key, name in PUBLISHED.items():
        assert registered.get(key) == name, key
    ours = {key for key, cls in errors.all_codes().items() if issubclass(cls, ContractError)}
    assert ours == set(PUBLISHED), "publish every new contract error code here"


def test_every_method_of_the_language_has_an_implementation() -> None:
    helpers, _ = make_operations(Meter({language.GAS: 0}), ContractMap)
    methods = helpers["methods"]
    table = {(TYPES[kind], name) for kind, names in language.METHODS.items() for name in names}
    assert set(methods) == table


def test_every_built_in_of_the_language_is_bound() -> None:
    _, builtins = make_operations(Meter({language.GAS: 0}), ContractMap)
    assert set(builtins) == language.BUILTINS | language.CATCHABLE
    assert not language.BUILTINS & language.FORBIDDEN_NAMES


def test_every_helper_the_instrumenter_calls_is_bound() -> None:
    source = "from cornerstone_contract import export\n@export\ndef f() -> None:\n    pass\n"
    contract = load(compile_contract(source, "c.py"), "c")
    assert set(contract.namespace) >= instrument.HELPERS
    assert set(contract.namespace["__builtins__"]) == language.BUILTINS | language.CATCHABLE


def test_context_fields_exist_on_no_other_reachable_object() -> None:
    source = "from cornerstone_contract import export\n@export\ndef f() -> None:\n    pass\n"
    harness = Harness(source)
    contract = harness.contracts["contract"]
    reachable: list[object] = [
        1,
        True,
        "s",
        b"b",
        None,
        [],
        {},
        (),
        Decimal(1),
        range(3),
        zip(),
        enumerate([]),
        reversed([]),
        KeyError,
        KeyError("k"),
        contract.functions["f"],
        *contract.namespace["__builtins__"].values(),
    ]
    for value in reachable:
        for field in language.CONTEXT_FIELDS:
            assert not hasattr(value, field), (value, field)
    for field in language.CONTEXT_FIELDS:
        assert hasattr(ContextView, field)
    assert not language.CONTEXT_FIELDS & language.METHOD_NAMES


def test_the_rule_table_in_the_docstring_lists_every_rule() -> None:
    doc = checker.__doc__ or ""
    for rule in checker.RULES:
        assert f"\n    {rule} " in doc, rule


def test_api_names_are_what_the_runtime_binds() -> None:
    source = (
        "from cornerstone_contract import "
        + ", ".join(sorted(language.API_NAMES - {"Map"}))
        + "\n@export\ndef f() -> None:\n    pass\n"
    )
    contract = load(compile_contract(source, "c.py"), "c")
    for name in language.API_NAMES - {"Map"}:
        assert name in contract.namespace
