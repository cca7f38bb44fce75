"""Link intervals and audit events from the registry, as typed frames."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from linkkit.analytics.sources._common import EVENT_COLUMNS, LINK_COLUMNS
from linkkit.analytics.sources.shop_api import _typed

log = logging.getLogger(__name__)

_LINK_DTYPES = {
    "link_id": "str",
    "shop_id": "str",
    "shop_name": "str",
    "region": "str",
    "account_open_id": "str",
    "username": "str",
    "display_name": "str",
    "role": "str",
    "linked_at": "datetime64[us, UTC]",
    "unlinked_at": "datetime64[us, UTC]",
}
_EVENT_DTYPES = {
    "at": "datetime64[us, UTC]",
    "kind": "str",
    "shop_id": "str",
    "username": "str",
    "role": "str",
    "detail": "str",
}


def links_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Link-interval records (dicts with :data:`LINK_COLUMNS`) as a typed DataFrame."""
    rows = [{k: r.get(k) for k in LINK_COLUMNS} for r in records]
    for row in rows:
        row["link_id"] = None if row["link_id"] is None else str(row["link_id"])
    return _typed(rows, _LINK_DTYPES)


def events_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Event records (dicts with :data:`EVENT_COLUMNS`) as a typed DataFrame."""
    rows = [{k: (None if r.get(k) is None else r.get(k)) for k in EVENT_COLUMNS} for r in records]
    for row in rows:
        if row["detail"] is not None and not isinstance(row["detail"], str):
            row["detail"] = str(row["detail"])
    return _typed(rows, _EVENT_DTYPES)


def links_from_registry(store: Any, shop_id: str | None = None) -> pd.DataFrame:
    """The registry's link intervals (``Store.link_intervals``) as a DataFrame with :data:`LINK_COLUMNS`."""
    return links_frame(store.link_intervals(shop_id))


def events_from_registry(store: Any, shop_id: str | None = None) -> pd.DataFrame:
    """The registry's audit events (``Store.events``) as a DataFrame with :data:`EVENT_COLUMNS`."""
    return events_frame(
        dataclasses.asdict(event) if dataclasses.is_dataclass(event) and not isinstance(event, type) else event
        for event in store.events(shop_id)
    )
