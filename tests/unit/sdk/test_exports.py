"""The SDK's export list is honest: everything in `__all__` exists, and nothing public is left
out of it."""

from __future__ import annotations

from cornerstone import sdk


def test_every_export_exists_and_the_list_is_sorted() -> None:
    assert sdk.__all__ == sorted(sdk.__all__)
    for name in sdk.__all__:
        assert getattr(sdk, name) is not None


def test_every_public_name_is_exported() -> None:
    modules = {"aio", "auth", "client", "did", "events", "httpsig", "light", "records"}
    public = {name for name in vars(sdk) if not name.startswith("_")} - modules
    assert public == set(sdk.__all__)
