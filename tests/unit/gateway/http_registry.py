"""A credential verifier's Registry that learns everything from one gateway over HTTP: DID
documents as of a time, trust lists, and status lists at their DID URLs (dereferenced under
/v1/dids/). The unit tests give it the in-process gateway's client, the network tests a real
gateway's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from fastapi.testclient import TestClient

from cornerstone.vc.didurl import parse_did_url
from cornerstone.vc.times import to_text

RESOLUTION = "application/did-resolution"


class HttpRegistry:
    """`cornerstone.vc.Registry` answered by a gateway's identity routes."""

    def __init__(self, http: httpx.Client | TestClient, base_url: str = "") -> None:
        self.http = http
        self.base_url = base_url

    def resolve(self, did: str, *, time_ns: int = 0) -> Mapping[str, Any] | None:
        params = {"versionTime": to_text(time_ns)} if time_ns else {}
        answer = self.http.get(
            f"{self.base_url}/v1/dids/{did}", params=params, headers={"accept": RESOLUTION}
        )
        if answer.status_code not in (200, 410):  # 410: deactivated, with its metadata
            return None
        found: dict[str, Any] = answer.json()
        return found

    def is_trusted(self, credential_type: str, issuer: str) -> bool:
        answer = self.http.get(f"{self.base_url}/v1/trust/{credential_type}")
        return any(item["issuer"] == issuer for item in answer.json()["items"])

    def status_list(self, url: str) -> Mapping[str, Any] | None:
        parse_did_url(url)  # only DID URLs: a verifier does not fetch any URL it is handed
        answer = self.http.get(f"{self.base_url}/v1/dids/{url}")
        if answer.status_code != 200:
            return None
        found: dict[str, Any] = answer.json()
        return found
