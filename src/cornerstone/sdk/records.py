"""Module records from a gateway's index: datasets, DIDs, notarized documents (anchors) and
contracts, listed with filters, page by page or all at once.

    with Records("http://127.0.0.1:26603") as records:
        page = records.datasets(org="org1", limit=20)           # newest first
        more = records.datasets(org="org1", cursor=page.next_cursor)
        for contract in records.all("contracts", status="active"):
            print(contract["id"], contract["version"])
        found = records.dataset("000102...0f")                 # None when not indexed

    async with AsyncRecords(url, signing_key=key) as records:
        async for did in records.all("dids", org="org2"):
            ...

Items are the gateway's JSON (`id`, the record's own columns, `created_height`,
`updated_height`, `as_of_height` and `record`: the module's whole answer). Pages follow the
gateway's cursors, which name the last item given, so `all` neither repeats nor skips a record
while new ones are created. A refusal (a bad filter, a cursor of another list) is a ClientError
with the gateway's sentence. With `signing_key` every request is signed as that member.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import quote

import httpx

from cornerstone.crypto import PrivateKey
from cornerstone.errors import ClientError
from cornerstone.sdk.client import http_options

Kind = Literal["datasets", "dids", "anchors", "contracts"]
KINDS: Final = ("datasets", "dids", "anchors", "contracts")
Filter = str | int | None


@dataclass(frozen=True, slots=True)
class RecordPage:
    """One page of a list of records."""

    items: tuple[dict[str, Any], ...]
    """The records, as the gateway's JSON."""
    next_cursor: str | None
    """Give it as `cursor` for the next page; None on the last page."""


class Records:
    """A blocking reader of one gateway's module records."""

    def __init__(
        self,
        gateway_url: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        signing_key: PrivateKey | None = None,
    ) -> None:
        self.gateway_url = gateway_url.rstrip("/")
        self._http = httpx.Client(
            **http_options(self.gateway_url, timeout, signing_key), transport=transport
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Records:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def page(self, kind: Kind, **filters: Filter) -> RecordPage:
        """One page of `kind`: filters as the gateway's list takes them (`org`, `owner`,
        `status`, `created_from`, `created_to`, `updated_from`, `order`, `cursor`, `limit`)."""
        return page_of(self.gateway_url, self._get(list_path(kind), params=params_of(filters)))

    def all(self, kind: Kind, **filters: Filter) -> Iterator[dict[str, Any]]:
        """Every record of `kind` the filters keep, page after page."""
        while True:
            found = self.page(kind, **filters)
            yield from found.items
            if found.next_cursor is None:
                return
            filters = {**filters, "cursor": found.next_cursor}

    def datasets(self, **filters: Filter) -> RecordPage:
        return self.page("datasets", **filters)

    def dids(self, **filters: Filter) -> RecordPage:
        return self.page("dids", **filters)

    def anchors(self, **filters: Filter) -> RecordPage:
        return self.page("anchors", **filters)

    def contracts(self, **filters: Filter) -> RecordPage:
        return self.page("contracts", **filters)

    def dataset(self, dataset_id: str) -> dict[str, Any] | None:
        """One dataset by its id (hex); None when the index holds none."""
        return one_of(self.gateway_url, self._get(one_path("datasets", dataset_id)))

    def anchor(self, digest: str) -> dict[str, Any] | None:
        """One document by the digest it was first anchored with (hex)."""
        return one_of(self.gateway_url, self._get(one_path("anchors", digest)))

    def contract(self, name: str) -> dict[str, Any] | None:
        """One contract by its name."""
        return one_of(self.gateway_url, self._get(one_path("contracts", name)))

    def _get(self, path: str, params: dict[str, str] | None = None) -> httpx.Response:
        try:
            return self._http.get(path, params=params)
        except httpx.HTTPError as exc:
            raise unreachable(self.gateway_url, exc) from None


class AsyncRecords:
    """`Records` for asyncio."""

    def __init__(
        self,
        gateway_url: str,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        signing_key: PrivateKey | None = None,
    ) -> None:
        self.gateway_url = gateway_url.rstrip("/")
        self._http = httpx.AsyncClient(
            **http_options(self.gateway_url, timeout, signing_key), transport=transport
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncRecords:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def page(self, kind: Kind, **filters: Filter) -> RecordPage:
        response = await self._get(list_path(kind), params=params_of(filters))
        return page_of(self.gateway_url, response)

    async def all(self, kind: Kind, **filters: Filter) -> AsyncIterator[dict[str, Any]]:
        while True:
            found = await self.page(kind, **filters)
            for item in found.items:
                yield item
            if found.next_cursor is None:
                return
            filters = {**filters, "cursor": found.next_cursor}

    async def datasets(self, **filters: Filter) -> RecordPage:
        return await self.page("datasets", **filters)

    async def dids(self, **filters: Filter) -> RecordPage:
        return await self.page("dids", **filters)

    async def anchors(self, **filters: Filter) -> RecordPage:
        return await self.page("anchors", **filters)

    async def contracts(self, **filters: Filter) -> RecordPage:
        return await self.page("contracts", **filters)

    async def dataset(self, dataset_id: str) -> dict[str, Any] | None:
        return one_of(self.gateway_url, await self._get(one_path("datasets", dataset_id)))

    async def anchor(self, digest: str) -> dict[str, Any] | None:
        return one_of(self.gateway_url, await self._get(one_path("anchors", digest)))

    async def contract(self, name: str) -> dict[str, Any] | None:
        return one_of(self.gateway_url, await self._get(one_path("contracts", name)))

    async def _get(self, path: str, params: dict[str, str] | None = None) -> httpx.Response:
        try:
            return await self._http.get(path, params=params)
        except httpx.HTTPError as exc:
            raise unreachable(self.gateway_url, exc) from None


# ---------------------------------------------------------------------------- shared
# Requests and answers, with no I/O: `Records` and `AsyncRecords` both use these.


def list_path(kind: str) -> str:
    if kind not in KINDS:
        raise ClientError(reason=f"the gateway lists {', '.join(KINDS)}, not {kind!r}")
    return f"/v1/{kind}"


def one_path(kind: str, record_id: str) -> str:
    return f"/v1/{kind}/{quote(record_id, safe='')}"


def params_of(filters: dict[str, Filter]) -> dict[str, str]:
    """Query parameters: the filters that are set, as text."""
    return {name: str(value) for name, value in filters.items() if value is not None}


def page_of(gateway_url: str, response: httpx.Response) -> RecordPage:
    body = answer_of(gateway_url, response)
    return RecordPage(items=tuple(body["items"]), next_cursor=body.get("next_cursor"))


def one_of(gateway_url: str, response: httpx.Response) -> dict[str, Any] | None:
    """The record, or None for the gateway's 404."""
    if response.status_code == 404:
        return None
    return answer_of(gateway_url, response)


def answer_of(gateway_url: str, response: httpx.Response) -> dict[str, Any]:
    """The JSON of a successful answer; ClientError with the gateway's sentence otherwise."""
    try:
        body = response.json()
    except ValueError:
        raise ClientError(reason=f"the gateway at {gateway_url} did not answer JSON") from None
    if response.is_error:
        detail = body.get("detail") if isinstance(body, dict) else None
        raise ClientError(reason=f"the gateway refused: {detail or response.reason_phrase}")
    if not isinstance(body, dict):
        raise ClientError(reason=f"the gateway at {gateway_url} answered {type(body).__name__}")
    return body


def unreachable(gateway_url: str, exc: httpx.HTTPError) -> ClientError:
    return ClientError(
        reason=f"cannot reach the gateway at {gateway_url} ({exc.__class__.__name__}): "
        "is it running?"
    )
