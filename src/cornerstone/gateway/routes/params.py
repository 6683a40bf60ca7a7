"""Query parameters that several routes share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from cornerstone.gateway.index import MAX_PAGE

MAX_HEIGHT = 2**63 - 1
"""The highest height a request may name: CometBFT's heights, and the index's, are int64."""

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]
HeightFrom = Annotated[int | None, Query(ge=1, le=MAX_HEIGHT, description="Lowest height.")]
HeightTo = Annotated[int | None, Query(ge=1, le=MAX_HEIGHT, description="Highest height.")]
