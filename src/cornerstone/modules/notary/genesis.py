"""Genesis of the notary module: it starts empty, and a genesis may carry no documents yet."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cornerstone.errors import ConfigError
from cornerstone.module import Reader, Writer


def validate(document: Mapping[str, Any]) -> None:
    if dict(document) not in ({}, {"documents": []}):
        raise ConfigError(reason='genesis: the notary starts empty ({} or {"documents": []})')


def init(state: Writer, document: Mapping[str, Any]) -> None:
    """Nothing to write: the notary starts empty."""


def export(state: Reader) -> Mapping[str, Any]:
    return {}
