"""Query limits: a cost budget in the spirit of GitHub's node limit, reported in `extensions.cost`."""

import functools
from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    Visitor,
    get_named_type,
    visit,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension

from schema.errors import ClientError
from schema.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE


def requested_nodes(
    schema: GraphQLSchema, document: Any, operation_name: str | None, variables: dict[str, Any] | None
) -> int:
    """How many objects the operation may return at most: for every connection, its `first` times the
    `first` of every connection above it, summed (GitHub's node limit)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    selected = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if not selected:
        return 0
    operation = selected[0]
    root = {
        "query": schema.query_type,
        "mutation": schema.mutation_type,
        "subscription": schema.subscription_type,
    }[operation.operation.value]
    return _selection_cost(schema, root, operation.selection_set, 1, fragments, variables or {}, set())


def _fields(
    selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode], seen: set[str]
) -> Iterator[tuple[FieldNode, str | None]]:
    """Every field of a selection set with the type condition it sits under (fragments flattened)."""
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            yield selection, None
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else None
            for field, inner in _fields(selection.selection_set, fragments, seen):
                yield field, inner or condition
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                for field, inner in _fields(fragment.selection_set, fragments, seen | {selection.name.value}):
                    yield field, inner or fragment.type_condition.name.value


def _selection_cost(
    schema: GraphQLSchema,
    parent: GraphQLNamedType | None,
    selection_set: SelectionSetNode | None,
    multiplier: int,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    seen: set[str],
) -> int:
    total = 0
    for field, condition in _fields(selection_set, fragments, seen):
        owner = schema.get_type(condition) if condition else parent
        if not isinstance(owner, GraphQLObjectType | GraphQLInterfaceType):
            continue
        definition = owner.fields.get(field.name.value)
        if definition is None:
            continue
        field_type = get_named_type(definition.type)
        inner = multiplier
        if field_type.name.endswith("Connection"):
            inner = multiplier * _first(field, variables)
            total += inner
        total += _selection_cost(schema, field_type, field.selection_set, inner, fragments, variables, seen)
    return total


def _first(field: FieldNode, variables: dict[str, Any]) -> int:
    for argument in field.arguments or ():
        if argument.name.value != "first":
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return max(0, min(int(value.value), MAX_PAGE_SIZE))
        if isinstance(value, VariableNode) and isinstance(variables.get(value.name.value), int):
            return max(0, min(variables[value.name.value], MAX_PAGE_SIZE))
    return DEFAULT_PAGE_SIZE


class QueryCost(SchemaExtension):
    """Refuses, before any resolver runs, an operation that could return more than `budget` objects."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.cost: int | None = None

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and context.result is None:
            self.cost = requested_nodes(
                context.schema._schema, context.graphql_document, context.operation_name, context.variables
            )
            if self.cost > self.budget:
                context.result = GraphQLExecutionResult(
                    data=None,
                    errors=[
                        ClientError(
                            f"The query could return {self.cost} objects; the limit is {self.budget}. "
                            "Ask for smaller pages (`first`) or fewer nested connections.",
                            "QUERY_TOO_COSTLY",
                        )
                    ],
                )
        yield

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        return {"cost": {"requestedNodes": self.cost, "budget": self.budget}}


class MutationRateLimit(SchemaExtension):
    """Mutations, and survey submissions on top, have budgets of their own (api/rate_limit.py), counted per
    root field: aliases make one operation do many mutations. Over HTTP and over the WebSocket alike. Over
    budget: no resolver runs, the error is RATE_LIMITED and the HTTP answer 429 with Retry-After."""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        limit_mutations = context.context.limit_mutations
        document = context.graphql_document
        operation = _selected_operation(document, context.operation_name)
        if (
            limit_mutations is not None
            and document is not None
            and operation is not None
            and operation.operation.value == "mutation"
        ):
            fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
            roots = [f.name.value for f, _ in _fields(operation.selection_set, fragments, set())]
            roots = [name for name in roots if name != "__typename"]
            refused = await limit_mutations(context.context.principal, len(roots), roots.count("submitSurveyResponse"))
            if refused is not None:
                context.context.state.retry_after(refused.retry_after)
                context.result = GraphQLExecutionResult(
                    data=None,
                    errors=[rate_limited(refused.message, refused.retry_after)],
                )
        yield


def rate_limited(message: str, retry_after: int) -> GraphQLError:
    """RATE_LIMITED with the seconds to wait in `extensions.retryAfter` (a WebSocket has no Retry-After)."""
    return GraphQLError(message, extensions={"code": "RATE_LIMITED", "retryAfter": retry_after})


def _selected_operation(document: Any, operation_name: str | None) -> OperationDefinitionNode | None:
    if document is None:
        return None
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            operation_name is None or (definition.name and definition.name.value == operation_name)
        ):
            return definition
    return None


class RejectNulCharacters(SchemaExtension):
    """PostgreSQL cannot store U+0000 in text: a request carrying it in any string (argument, variable)
    gets a clear BAD_USER_INPUT error instead of failing inside the database."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if context.result is None and (
            _has_nul(context.variables) or (document is not None and _document_has_nul(document))
        ):
            context.result = GraphQLExecutionResult(
                data=None,
                errors=[ClientError("Text must not contain the NUL character (U+0000).", "BAD_USER_INPUT")],
            )
        yield


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class _StringLiterals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        self.found.append(node.value)


def _document_has_nul(document: DocumentNode) -> bool:
    """A string literal holds U+0000 only from the character itself or a \\u escape: a text with neither
    has none (hashing a parsed document, as the cache below does, walks all of its nodes)."""
    source = document.loc.source.body if document.loc is not None else None
    if source is not None and "\x00" not in source and "\\u" not in source:
        return False
    return _literals_have_nul(document)


@functools.lru_cache(maxsize=256)
def _literals_have_nul(document: DocumentNode) -> bool:
    """Per distinct document (parsed documents compare by content); a visit costs more than the hash."""
    literals = _StringLiterals()
    visit(document, literals)
    return any("\x00" in value for value in literals.found)
