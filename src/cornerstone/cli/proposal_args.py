"""The arguments of `cornerstone proposal new`, typed from the action's message: text from
--arg NAME=VALUE and values from --args-json become ints, bytes, lists and policies, checked with
the chain's own parser before anything is sent.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import click

from cornerstone import encoding
from cornerstone.cli.chain import read_certificate
from cornerstone.module import Action, parse_message
from cornerstone.modules import BY_NAME

HEX_INT_FIELDS: Final = frozenset({"serial"})
"""Integer arguments people read as hex (certificate serials, as `cornerstone ca list` shows
them), so their text is hex."""


# ---------------------------------------------------------------------------- proposal arguments
def _known_action(module: str, action: str) -> Action:
    """The governance action `module.action` as this CLI knows it, or a usage error listing
    them all."""
    found = BY_NAME[module].actions.get(action) if module in BY_NAME else None
    if found is None:
        known = ", ".join(f"{m.name} {a}" for m in BY_NAME.values() for a in m.actions)
        raise click.UsageError(
            f"there is no governance action {module} {action}; there are: {known}"
        )
    return found


def proposal_args(
    module: str, action: str, pairs: Sequence[str], args_json: str | None
) -> dict[str, encoding.Value]:
    """The action's arguments from --args-json and --arg (which wins), each converted to the type
    its field declares and checked as the chain will check them."""
    message = _known_action(module, action).message
    hints = typing.get_type_hints(message)
    given: dict[str, tuple[Any, bool]] = {}
    """Name -> (value, whether it is text from --arg rather than JSON)."""
    if args_json is not None:
        try:
            document = json.loads(args_json)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"it is not JSON ({exc})", param_hint="--args-json") from None
        if not isinstance(document, dict):
            raise click.BadParameter(
                'it is a JSON object of argument names to values, e.g. {"id": "org5"}',
                param_hint="--args-json",
            )
        given.update((name, (value, False)) for name, value in document.items())
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--arg")
        given[name] = (text, True)
    args: dict[str, encoding.Value] = {}
    for name, (value, is_text) in given.items():
        if name not in hints:
            raise click.UsageError(
                f"{module} {action} has no argument {name!r}; its arguments are {_fields(message)}"
            )
        try:
            args[name] = _typed(name, hints[name], value, text=is_text)
        except ValueError as exc:
            raise click.UsageError(f"the argument {name!r}: {exc}") from None
    try:
        parse_message(message, args)
    except ValueError as exc:
        raise click.UsageError(
            f"the arguments of {module} {action} are refused: {exc} (its arguments are "
            f"{_fields(message)})"
        ) from None
    return args


def _fields(message: type[Any]) -> str:
    hints = typing.get_type_hints(message)
    return ", ".join(f"{f.name} ({_type_name(hints[f.name])})" for f in dataclasses.fields(message))


def _type_name(hint: Any) -> str:
    if typing.get_origin(hint) is tuple:
        return f"list of {_type_name(typing.get_args(hint)[0])}"
    names = {bytes: "hex", str: "text", int: "integer", bool: "true or false"}
    return names.get(hint, "JSON")


def _typed(name: str, hint: Any, value: Any, *, text: bool) -> encoding.Value:
    """`value` (text of --arg, or JSON) as the type `hint` of the field `name`; ValueError."""
    origin = typing.get_origin(hint)
    if hint is str and isinstance(value, str):
        return value
    if hint is bool:
        if isinstance(value, bool):
            return value
        if text and value in ("true", "false"):
            return bool(value == "true")
        raise ValueError("give true or false")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            return _int(name, value)
        raise ValueError("give an integer")
    if hint is bytes and isinstance(value, str):
        return _bytes(value)
    if origin is tuple:
        (item, _ellipsis) = typing.get_args(hint)
        if isinstance(value, str) and text:
            value = [] if not value else value.split(",")
        if isinstance(value, list):
            return [_typed(name, item, v, text=text) for v in value]
        raise ValueError("give a list (comma-separated with --arg, a JSON list in --args-json)")
    if hint is object or origin in (Mapping, dict):
        if text:
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"give JSON ({exc})") from None
        return _generic(value)
    raise ValueError(f"give {_type_name(hint)}")


def _int(name: str, text: str) -> int:
    try:
        if name in HEX_INT_FIELDS:
            return int(text.removeprefix("0x"), 16)
        return int(text, 0)
    except ValueError:
        wanted = "an integer"
        if name in HEX_INT_FIELDS:
            wanted = "hex digits, as `cornerstone ca list` shows them"
        raise ValueError(f"{text!r} is not {wanted}") from None


def _bytes(text: str) -> bytes:
    """'@FILE' is a certificate file (PEM or DER); anything else is hex, with an optional
    'hex:' or '0x' prefix."""
    if text.startswith("@"):
        path = Path(text[1:])
        if not path.is_file():
            raise ValueError(f"there is no file {path}")
        try:
            return read_certificate(path, param_hint="@FILE")
        except click.BadParameter as exc:
            raise ValueError(exc.message) from None
    try:
        return bytes.fromhex(text.removeprefix("hex:").removeprefix("0x"))
    except ValueError:
        raise ValueError(f"{text!r} is not hex (or @FILE for a certificate file)") from None


def _generic(value: Any) -> encoding.Value:
    """A JSON value whose type the action does not fix: "hex:..." strings become bytes and
    "@FILE" a certificate's DER; numbers must be integers."""
    if isinstance(value, str):
        return _bytes(value) if value.startswith(("hex:", "@")) else value
    if isinstance(value, dict):
        return {str(k): _generic(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_generic(v) for v in value]
    if isinstance(value, float):
        raise ValueError(f"{value} is not an integer (the chain has no fractions)")
    if value is None or isinstance(value, bool | int):
        return value
    raise ValueError(f"{value!r} is not a value the chain can hold")
