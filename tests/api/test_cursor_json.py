"""Cursors are the JSON of their sort key as json.dumps writes it: `cursor_json` must write the same text."""

import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from schema.pagination import cursor_json, decode_cursor, encode_cursor

keys = st.lists(
    st.one_of(st.integers(), st.text(), st.booleans(), st.none(), st.floats(), st.integers(min_value=2**63)),
    max_size=4,
)


@given(keys)
def test_cursor_json_is_json_dumps(values: list) -> None:
    assert cursor_json(values) == json.dumps(values, separators=(",", ":"))


def test_cursors_round_trip() -> None:
    moment = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)
    for key, types in [((7,), (int,)), (('Zürich \u2028 "GmbH"', 7), (str, int)), ((moment, 3), (datetime, int))]:
        assert decode_cursor(encode_cursor(*key), *types) == key
