"""Cursor connections with keyset pagination: a cursor is the opaque sort key of its row."""

import base64
import json
import math
from collections.abc import Callable, Sequence
from datetime import datetime
from json.encoder import encode_basestring_ascii
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry import relay

from schema.errors import bad_input

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
T = TypeVar("T", bound=relay.Node)  # relay.Edge holds nodes
ConnectionT = TypeVar("ConnectionT", bound=relay.Connection)

# the paging arguments of every connection field, described once for GraphiQL's documentation explorer
First = Annotated[
    int | None,
    strawberry.argument(
        description=f"How many items to return: 0 to {MAX_PAGE_SIZE}, {DEFAULT_PAGE_SIZE} when left out."
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(description="Continue after this cursor: the `pageInfo.endCursor` of the previous page."),
]


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise bad_input(f"`first` must be between 0 and {MAX_PAGE_SIZE}.")
    return first


# what json.dumps(values, separators=(",", ":")) builds for every call, built once (its output is the same)
_CURSOR_JSON = json.JSONEncoder(separators=(",", ":"))


def cursor_json(values: list[Any]) -> str:
    """json.dumps(values, separators=(",", ":")): ints, finite floats (the at-risk list's rank) and strings
    written as the json module writes them (`int.__repr__`, `float.__repr__`, its ASCII string encoder),
    anything else by the json module itself."""
    parts = []
    for value in values:
        kind = type(value)
        if kind is int:
            parts.append(int.__repr__(value))
        elif kind is str:
            parts.append(encode_basestring_ascii(value))
        elif kind is float and math.isfinite(value):
            parts.append(float.__repr__(value))
        else:
            return _CURSOR_JSON.encode(values)
    return "[" + ",".join(parts) + "]"


def encode_cursor(*key: Any) -> str:
    values = [v.isoformat() if isinstance(v, datetime) else v for v in key]
    return base64.urlsafe_b64encode(cursor_json(values).encode()).decode()


def decode_cursor(cursor: str | None, *types: type) -> tuple | None:
    """The sort key inside a cursor, checked against the expected types; a bad cursor is a client error."""
    if cursor is None:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError
        key: list[Any] = []
        for value, kind in zip(values, types, strict=True):
            if kind is datetime:
                key.append(datetime.fromisoformat(value))
            elif not _is_a(value, kind):
                raise ValueError
            else:
                key.append(float(value) if kind is float else value)
        return tuple(key)
    except (ValueError, TypeError, UnicodeDecodeError, json.JSONDecodeError):
        raise bad_input("`after` is not a cursor of this list.") from None


def _is_a(value: Any, kind: type) -> bool:
    if isinstance(value, bool) or (isinstance(value, str) and "\x00" in value):
        return False
    if kind is float:
        return isinstance(value, int | float) and math.isfinite(value)
    return isinstance(value, kind)


def build_connection(
    connection_type: type[ConnectionT],
    rows: Sequence[Any],
    limit: int,
    node: Callable[[Any], T],
    cursor_key: Callable[[Any], tuple],
    **extra: Any,
) -> ConnectionT:
    """A connection from `limit + 1` fetched rows: the extra row only tells that there is a next page."""
    page = rows[:limit]
    edges = [relay.Edge(cursor=encode_cursor(*cursor_key(row)), node=node(row)) for row in page]
    page_info = relay.PageInfo(
        has_next_page=len(rows) > limit,
        has_previous_page=False,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return connection_type(edges=edges, page_info=page_info, **extra)
