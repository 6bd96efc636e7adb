"""The pool's JSON decoder (orjson where it agrees with json.loads) gives exactly what json.loads gives."""

import json

import asyncpg
from hypothesis import given
from hypothesis import strategies as st

from db.pool import decode_json

numbers = st.one_of(
    st.integers(),  # beyond 64 bits too: orjson would read those as floats
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=-(2**70), max_value=2**70),
)
documents = st.recursive(
    st.none() | st.booleans() | numbers | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=30,
)


@given(documents)
def test_decodes_as_json_loads(document: object) -> None:
    text = json.dumps(document)
    assert repr(decode_json(text)) == repr(json.loads(text))


def test_what_orjson_reads_differently_goes_to_json_loads() -> None:
    for text in ["NaN", "[Infinity, -Infinity]", '"\\ud800"', "18446744073709551616", "-9223372036854775809",
                 '{"n": 123456789012345678901234567890}', "1e400", '{"a": 1, "a": 2}', "-0.0"]:  # fmt: skip
        assert repr(decode_json(text)) == repr(json.loads(text)), text


async def test_jsonb_from_postgresql_decodes_as_json_loads(connection: asyncpg.Connection) -> None:
    """Through the pool's codec: what PostgreSQL sends for jsonb (its own number spelling) decodes as json.loads
    decodes the same text."""
    texts = ['{"severity": 2, "mean": 2.75, "drop": -0.1, "ids": [1, 2, 3]}', "123456789012345678901234567890",
             '[1.000000000000000000001, 1e-7, 0.30000000000000004, 12345678901234567890.5]', '"é\\u0000x"'.replace(
                 "\\u0000", "\\u00e9"), '{"nested": {"empty": [], "none": null, "text": "a\\"b"}}']  # fmt: skip
    for text in texts:
        decoded, sent = await connection.fetchrow("SELECT $1::text::jsonb AS v, $1::text::jsonb::text AS t", text)
        assert repr(decoded) == repr(json.loads(sent)), text
