"""Compiled execution's semantics on values the real network rarely produces: a non-null field that yields
null, errors in list items and in non-null positions (null propagation to the nearest nullable field), leaf
values out of range, awaitable fields and list items, abstract types (with subclasses and `strawberry.cast`),
attribute reads that fail. Hypothesis generates the values; the compiled result (data and errors: message,
path, locations, order) must be graphql-core's."""

import asyncio
from typing import Any

import strawberry
from hypothesis import given, settings
from hypothesis import strategies as st

from schema import compiled as compiled_module
from schema.compiled import CompiledExecutor, status


def value(spec: Any) -> Any:
    if spec == "error":
        raise ValueError("broken")
    return spec


async def later(spec: Any) -> Any:
    await asyncio.sleep(0)
    return value(spec)


@strawberry.interface
class Thing:
    label: str | None


@strawberry.type
class Other(Thing):
    label: str | None


@strawberry.type
class Item(Thing):
    spec: strawberry.Private[dict[str, Any]]
    label: str | None  # a basic field: read as an attribute

    @strawberry.field
    def must(self) -> str:
        return value(self.spec["must"])

    @strawberry.field
    def number(self) -> int | None:
        return value(self.spec["number"])

    @strawberry.field
    async def awaited(self) -> float | None:
        return await later(self.spec["awaited"])

    @strawberry.field
    def items(self) -> list["Item | None"] | None:
        return value(self.spec["items"]) and [None if s is None else Item.of(s) for s in self.spec["items"]]

    @strawberry.field
    def required_items(self) -> list["Item"]:
        return [later_item(s) if s.get("async") else Item.of(s) for s in self.spec["required"]]  # type: ignore[misc]

    @strawberry.field
    def thing(self) -> Thing | None:
        return thing(self.spec["thing"])

    @strawberry.field
    def as_item(self) -> "Item | None":
        # the same value where an Item must come: an Other, or an Item cast to Other, is an error
        return thing(self.spec["thing"])  # type: ignore[return-value]  # deliberately any Thing

    @classmethod
    def of(cls, spec: dict[str, Any]) -> "Item":
        item = cls(spec=spec, label=spec["label"])
        if spec["label"] == "missing":
            del item.label  # the attribute read fails
        return item


class PlainItem(Item):
    """A Python subclass (no strawberry type of its own): it resolves as an Item."""


def thing(kind: str | None) -> Thing | None:
    """The value of `Item.thing`: none, an Other, an Item, a PlainItem, or one cast to the other type (an
    instance of a class the plan has met may still be cast: its type must be resolved again)."""
    things: dict[str | None, Any] = {
        None: lambda: None,
        "other": lambda: Other(label="other"),
        "item": lambda: Item.of(LEAF),
        "plain item": lambda: PlainItem.of(LEAF),
        "item cast to Other": lambda: strawberry.cast(Other, Item.of(LEAF)),
        "other cast to Item": lambda: strawberry.cast(Item, Other(label="cast")),
    }
    return things[kind]()


async def later_item(spec: dict[str, Any]) -> Item:
    await asyncio.sleep(0)
    return Item.of(spec)


LEAF = {"label": "leaf", "must": "m", "number": 1, "awaited": 1.5, "items": None, "required": [], "thing": None}


@strawberry.type
class Query:
    spec: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def root(self) -> Item | None:
        return Item.of(self.spec)

    @strawberry.field
    def strict_root(self) -> Item:
        return Item.of(self.spec)


leaves = {
    "label": st.sampled_from(["a", "é", None, "missing"]),
    "must": st.sampled_from(["m", None, "error"]),
    "number": st.sampled_from([0, 7, -(2**31), 2**31, 2**40, True, None, "error", "12", 3.0, 3.5]),
    "awaited": st.sampled_from([0.5, 2, None, "error", float("inf"), "x"]),
    "thing": st.sampled_from([None, "other", "item", "plain item", "item cast to Other", "other cast to Item"]),
}
specs = st.recursive(
    st.fixed_dictionaries({**leaves, "items": st.none(), "required": st.just([])}),
    lambda children: st.fixed_dictionaries(
        {
            **leaves,
            "items": st.one_of(st.none(), st.just("error"), st.lists(st.one_of(st.none(), children), max_size=3)),
            "required": st.lists(
                children.map(lambda s: s | {"async": False}) | children.map(lambda s: s | {"async": True}),
                max_size=3,
            ),
        }
    ),
    max_leaves=6,
)

SELECTION = """label must number awaited thing { __typename label ... on Item { must } } asItem { label }
  items { label number must items { label must awaited } }
  requiredItems { must number requiredItems { must awaited } }"""
DOCUMENT = f"query Fields {{ root {{ {SELECTION} }} strictRoot {{ {SELECTION} }} }}"
DOCUMENT = DOCUMENT.replace("thing { __typename", "thing {")  # __typename would send the query to graphql-core

graphql_core = strawberry.Schema(query=Query, types=[Other])
compiled = strawberry.Schema(query=Query, types=[Other], execution_context_class=CompiledExecutor)


def outcome(schema: strawberry.Schema, spec: dict[str, Any]) -> tuple[Any, list[dict]]:
    result = asyncio.run(schema.execute(DOCUMENT, root_value=Query(spec=spec)))
    return result.data, [error.formatted for error in result.errors or []]


@settings(max_examples=150, deadline=None)
@given(specs)
def test_compiled_execution_is_graphql_cores(spec: dict[str, Any]) -> None:
    assert outcome(compiled, spec) == outcome(graphql_core, spec)
    assert status(compiled._schema, DOCUMENT, "Fields") == "compiled"


DIRECTIVES = """query Directives($a: Boolean!, $b: Boolean!) { root {
  label @include(if: $a) must @skip(if: $b) ...More @include(if: $b)
  items @skip(if: $a) { label number @include(if: $b) } } }
fragment More on Item { number awaited @skip(if: $a) label }"""


@settings(max_examples=60, deadline=None)
@given(specs, st.booleans(), st.booleans())
def test_skip_and_include_are_planned_per_value(spec: dict[str, Any], a: bool, b: bool) -> None:
    def outcome_of(schema: strawberry.Schema) -> tuple[Any, list[dict]]:
        result = asyncio.run(schema.execute(DIRECTIVES, variable_values={"a": a, "b": b}, root_value=Query(spec=spec)))
        return result.data, [error.formatted for error in result.errors or []]

    assert outcome_of(compiled) == outcome_of(graphql_core)
    assert status(compiled._schema, DIRECTIVES, "Directives") == "compiled"


def test_a_document_too_large_to_plan_runs_on_graphql_core(monkeypatch: Any) -> None:
    """Nested interfaces multiply a plan (one subtree per possible type); past MAX_PLANNED_FIELDS the
    document is not planned."""
    spec = {**LEAF, "thing": "item"}
    small = "query Small { root { label thing { label } } }"
    large = "query Large { root { label must number awaited thing { label } } }"
    monkeypatch.setattr(compiled_module, "MAX_PLANNED_FIELDS", 6)
    for document, expected in [(small, "compiled"), (large, "graphql-core")]:
        result = asyncio.run(compiled.execute(document, root_value=Query(spec=spec)))
        assert result.errors is None and result.data is not None
        assert status(compiled._schema, document, document.split()[1]) == expected
