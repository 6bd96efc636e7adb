"""Compiled execution: a query document is planned once, then executed from its plan.

graphql-core decides everything per field and per request: it looks the field up in the schema, collects
sub-selections, builds a resolve info, dispatches on the return type (non-null, list, leaf, abstract, object)
and, through strawberry, wraps even plain attribute reads. For a dashboard page that is ~480 fields and most
of the request's CPU. A plan does those decisions once per (document, operation): each field knows its
definition, its response name, how its value is read and how it completes.

What runs is still the same: fields without a resolver (strawberry's "basic" fields) are read with the schema's
default resolver (`getattr`), fields with one call the very function strawberry installed for it, with the same
resolve info strawberry's executor builds (so authorization, disclosure and prefetching are the resolvers' own).
Errors are located, collected and propagated to the nearest nullable field exactly as graphql-core does, by
graphql-core's own `handle_field_error` and `collected_errors`. Limits, validation and the schema extensions run
before and around execution as for any document. Whatever a plan does not cover (mutations, subscriptions,
directives but @skip and @include, introspection fields, an abort signal, field middleware) runs on graphql-core
for the whole operation; a value of an unexpected shape (an awaitable list item, an async iterable, a runtime type
resolved asynchronously) is completed by graphql-core's own methods from that point on.

Which documents: every query document, planned at its first execution and kept in a bounded table per schema
(planning costs about as much as validating the document, which is done anyway). `tests/api/test_compiled.py` proves
on generated data that every trusted document answers byte for byte as graphql-core does, and asserts which of
them run compiled.
"""

import asyncio
import enum
import inspect
import math
import weakref
from collections.abc import Awaitable, Iterable, Sequence
from typing import Any, cast

from graphql import (
    GraphQLAbstractType,
    GraphQLBoolean,
    GraphQLError,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLInterfaceType,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLResolveInfoHelpers,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
    OperationType,
    get_named_type,
    is_abstract_type,
    is_input_object_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetails, collect_fields, collect_subfields
from graphql.execution.executor import invalid_return_type_error
from graphql.execution.values import get_argument_values
from graphql.language import DirectiveNode, FragmentDefinitionNode, VariableNode, Visitor, visit
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.arguments import convert_arguments
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE
from strawberry.types.field import StrawberryField

# an abstract field is planned once per possible type, so nested interfaces multiply a plan's size: a document
# whose plan would exceed this many fields runs on graphql-core (validation limits its depth, not this)
MAX_PLANNED_FIELDS = 5000
PLAN_TABLE_SIZE = 256  # plans kept per schema, as many as parsed documents (schema/__init__.py)


class Unsupported(Exception):
    """The document uses something a plan does not cover: it runs on graphql-core."""


# -- the plan --------------------------------------------------------------------------------------------


class FieldPlan:
    __slots__ = (
        "details",
        "direct",
        "field_def",
        "field_name",
        "has_args",
        "leaf_attribute",
        "leaf_name",
        "node",
        "nodes",
        "null_message",
        "python_name",
        "resolve",
        "response_name",
        "return_type",
        "value",
    )

    def __init__(self, response_name: str, field_def: GraphQLField, details: list[FieldDetails]) -> None:
        self.response_name = response_name
        self.field_def = field_def
        self.details = details
        self.nodes = [detail.node for detail in details]
        self.node = self.nodes[0]
        self.field_name = self.node.name.value
        self.return_type: GraphQLOutputType = field_def.type
        self.has_args = bool(field_def.args or self.node.arguments)
        self.null_message = ""
        definition = (field_def.extensions or {}).get("strawberry-definition")
        basic = (
            getattr(field_def.resolve, "_is_default", False)
            and definition is not None
            and definition.is_basic_field
            and definition.default_resolver is getattr
        )
        # strawberry's `_get_basic_result` is `getattr(source, python_name)`: read the attribute directly
        self.python_name: str | None = definition.python_name if basic and definition is not None else None
        self.resolve = field_def.resolve
        self.direct: DirectCall | None = None
        self.value: Completion = NONE_COMPLETION
        # an attribute read completed as a leaf (the most common field): its value's completion, which needs
        # neither path nor info (execute_plan_fields makes the path only for an error or an awaitable)
        self.leaf_attribute: Completion | None = None
        self.leaf_name = ""

    def planned(self, value: "Completion") -> None:
        self.value = value
        inner = value.inner if isinstance(value, NonNullCompletion) else value
        if self.python_name is not None and isinstance(inner, LeafCompletion):
            self.leaf_attribute = value
            self.leaf_name = self.python_name


IMMUTABLE = (str, int, float, bool, type(None), enum.Enum)
# completed values that are never awaitable: no is_awaitable call for them
PLAIN = frozenset({str, int, float, bool, type(None), dict, list})


class DirectCall:
    """A resolver field called as strawberry's wrapper would call it, without the wrapper: its arguments
    converted by strawberry's `convert_arguments` (once, when they use no variables and no input types), the
    source, info, root or parent passed where the resolver asks for them, then the resolver itself."""

    __slots__ = ("config", "definition", "function", "info_class", "info_name", "parent_name", "registry",
                 "resolver", "root_name", "source_first", "static_kwargs")  # fmt: skip

    def __init__(self, definition: StrawberryField, strawberry_schema: Any) -> None:
        resolver = definition.base_resolver
        assert resolver is not None
        self.definition = definition
        self.resolver = resolver
        # what StrawberryResolver.__call__ calls (the resolver itself when that is not callable: it raises)
        self.function: Any = resolver.wrapped_func if callable(resolver.wrapped_func) else resolver
        self.config = strawberry_schema.config
        self.registry = strawberry_schema.schema_converter.scalar_registry
        self.info_class = self.config.info_class
        self.source_first = resolver.self_parameter is not None
        self.parent_name = resolver.parent_parameter.name if resolver.parent_parameter else None
        self.root_name = resolver.root_parameter.name if resolver.root_parameter else None
        self.info_name = resolver.info_parameter.name if resolver.info_parameter else None
        self.static_kwargs: dict[str, Any] | None = None

    @classmethod
    def of(cls, field: FieldPlan, run: "CompiledExecutor") -> "DirectCall | None":
        definition = (field.field_def.extensions or {}).get("strawberry-definition")
        strawberry_schema = getattr(run.schema, "_strawberry_schema", None)
        if (
            not isinstance(definition, StrawberryField)
            or definition.base_resolver is None
            or definition.extensions
            or strawberry_schema is None
            or strawberry_schema.schema_converter._get_field_exception_handlers(definition)
        ):
            return None
        direct = cls(definition, strawberry_schema)
        uses_variables = _HasVariables()
        for argument in field.node.arguments or ():
            visit(argument, uses_variables)
        inputs = any(is_input_object_type(get_named_type(a.type)) for a in field.field_def.args.values())
        if not uses_variables.found and not inputs:
            raw = get_argument_values(field.field_def, field.node, run.variable_values, None, run.hide_suggestions)
            kwargs = convert_arguments(raw, definition.arguments, scalar_registry=direct.registry,
                                       config=direct.config)  # fmt: skip
            if all(isinstance(value, IMMUTABLE) for value in kwargs.values()):
                direct.static_kwargs = kwargs
        return direct

    def call(self, run: "CompiledExecutor", field: FieldPlan, source: Any, info: GraphQLResolveInfo) -> Any:
        strawberry_info = self.info_class(_raw_info=info, _field=self.definition)
        if self.static_kwargs is not None:
            kwargs = dict(self.static_kwargs)
        else:
            raw = (
                get_argument_values(field.field_def, field.node, run.variable_values, None, run.hide_suggestions)
                if field.has_args
                else {}
            )
            kwargs = convert_arguments(raw, self.definition.arguments, scalar_registry=self.registry,
                                       config=self.config, info=strawberry_info)  # fmt: skip
        if self.parent_name:
            kwargs[self.parent_name] = source
        if self.root_name:
            kwargs[self.root_name] = source
        if self.info_name:
            kwargs[self.info_name] = strawberry_info
        if self.source_first:
            return self.function(source, **kwargs)
        return self.function(**kwargs)


class _HasVariables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_variable(self, *_args: Any) -> None:
        self.found = True


class Completion:
    """How a field's value completes: one subclass per kind of output type."""

    __slots__ = ()

    def complete(self, run: "CompiledExecutor", field: FieldPlan, parent: "ObjectPlan", path: Path,
                 info: GraphQLResolveInfo | None, result: Any) -> Any:  # fmt: skip
        raise NotImplementedError


class NonNullCompletion(Completion):
    __slots__ = ("inner",)

    def __init__(self, inner: Completion) -> None:
        self.inner = inner

    def complete(self, run: "CompiledExecutor", field: FieldPlan, parent: "ObjectPlan", path: Path,
                 info: GraphQLResolveInfo | None, result: Any) -> Any:  # fmt: skip
        if isinstance(result, Exception):
            raise result
        completed = self.inner.complete(run, field, parent, path, info, result)
        if completed is None:
            raise TypeError(field.null_message)
        return completed


class LeafCompletion(Completion):
    __slots__ = ("enum_class", "enum_names", "exact", "leaf_type")

    def __init__(self, leaf_type: GraphQLLeafType) -> None:
        self.leaf_type = leaf_type
        # the values graphql-core's built-in scalars return unchanged
        self.exact: type | None = {
            id(GraphQLString): str, id(GraphQLID): str, id(GraphQLBoolean): bool, id(GraphQLInt): int,
            id(GraphQLFloat): float,
        }.get(id(leaf_type))  # fmt: skip
        # strawberry's enums answer the name of the first value equal to the member's value
        self.enum_class: type | None = getattr(leaf_type, "wrapped_cls", None)
        self.enum_names: dict[Any, str] = {}
        for name, enum_value in getattr(leaf_type, "values", {}).items():
            if type(enum_value.value) not in (str, int):
                self.enum_class = None
                break
            self.enum_names.setdefault(enum_value.value, name)

    def complete(self, run: "CompiledExecutor", field: FieldPlan, parent: "ObjectPlan", path: Path,
                 info: GraphQLResolveInfo | None, result: Any) -> Any:  # fmt: skip
        if isinstance(result, Exception):
            raise result
        if result is None:
            return None
        kind = type(result)
        if kind is self.enum_class:
            name = self.enum_names.get(result.value)
            if name is not None and type(result.value) in (str, int):
                return name
        if kind is self.exact and (
            kind is str
            or kind is bool
            or (kind is int and -2147483648 <= result <= 2147483647)
            or (kind is float and math.isfinite(result))
        ):
            return result
        return run.complete_leaf_value(self.leaf_type, result)


class ListCompletion(Completion):
    __slots__ = ("item", "item_type", "list_type")

    def __init__(self, list_type: GraphQLList, item: Completion) -> None:
        self.list_type = list_type
        self.item_type = list_type.of_type
        self.item = item

    def complete(self, run: "CompiledExecutor", field: FieldPlan, parent: "ObjectPlan", path: Path,
                 info: GraphQLResolveInfo | None, result: Any) -> Any:  # fmt: skip
        if isinstance(result, Exception):
            raise result
        if result is None:
            return None
        if type(result) is not list and type(result) is not tuple:
            info = info or run.field_info(field, parent, path)
            return run.complete_value(self.list_type, field.details, info, path, result, None)
        return run.complete_items(self, field, parent, path, info, result)


def _strawberrys(function: Any, name: str) -> bool:
    """Whether `function` is the closure strawberry's schema converter installs under that name."""
    return getattr(function, "__module__", None) == _CONVERTER and getattr(function, "__qualname__", "").endswith(
        f".{name}.<locals>.{name.removeprefix('_get_')}"
    )


_CONVERTER = "strawberry.schema.schema_converter"


class ObjectPlan(Completion):
    __slots__ = ("fields", "is_type_of", "object_type", "own_class", "type_name")

    def __init__(self, object_type: GraphQLObjectType) -> None:
        self.object_type = object_type
        self.type_name = object_type.name
        self.is_type_of = object_type.is_type_of
        self.fields: list[FieldPlan] = []
        # strawberry's is_type_of of a type with interfaces (and none of its own, not a generic's
        # specialization) is true for an instance of the type's class that no `strawberry.cast` marks: such a
        # value needs neither the call nor the resolve info it takes
        definition = (object_type.extensions or {}).get("strawberry-definition")
        self.own_class: type | None = None
        if (
            _strawberrys(self.is_type_of, "_get_is_type_of")
            and isinstance(definition, StrawberryObjectDefinition)
            and definition.is_type_of is None
            and definition.concrete_of is None
        ):
            self.own_class = definition.origin

    def complete(self, run: "CompiledExecutor", field: FieldPlan, parent: "ObjectPlan", path: Path,
                 info: GraphQLResolveInfo | None, result: Any) -> Any:  # fmt: skip
        if isinstance(result, Exception):
            raise result
        if result is None:
            return None
        return self.complete_object(run, field, parent, path, info, result)

    def complete_object(self, run: "CompiledExecutor", field: FieldPlan, parent: "ObjectPlan", path: Path,
                        info: GraphQLResolveInfo | None, result: Any) -> Any:  # fmt: skip
        if self.is_type_of is not None and (
            type(result) is not self.own_class or getattr(result, TYPE_CAST_ATTRIBUTE, None) is not None
        ):
            info = info or run.field_info(field, parent, path)
            is_type_of = self.is_type_of(result, info)
            if run.is_awaitable(is_type_of):
                return self._complete_later(run, field, path, result, is_type_of)
            if not is_type_of:
                raise invalid_return_type_error(self.object_type, result, field.details)
        return run.execute_plan_fields(self, result, path)

    async def _complete_later(self, run: "CompiledExecutor", field: FieldPlan, path: Path, result: Any,
                              is_type_of: Awaitable[bool]) -> Any:  # fmt: skip
        if not await is_type_of:
            raise invalid_return_type_error(self.object_type, result, field.details)
        fields = run.execute_plan_fields(self, result, path)
        return await fields if run.is_awaitable(fields) else fields


class AbstractCompletion(Completion):
    __slots__ = ("abstract_type", "by_class", "by_type", "interface")

    def __init__(self, abstract_type: GraphQLAbstractType) -> None:
        self.abstract_type = abstract_type
        self.by_type: dict[str, ObjectPlan] = {}
        # strawberry's resolve_type of an interface (without one of its own) answers, for an instance of the
        # interface's class that no `strawberry.cast` marks, the name its class's definition gives when that is
        # no generic: a value of the class's type, the same for every instance. Those classes' plans, as met.
        definition = (abstract_type.extensions or {}).get("strawberry-definition")
        self.interface: type | None = None
        if (
            isinstance(abstract_type, GraphQLInterfaceType)
            and _strawberrys(abstract_type.resolve_type, "_get_resolve_type")
            and isinstance(definition, StrawberryObjectDefinition)
            and definition.resolve_type is None
        ):
            self.interface = definition.origin
        self.by_class: dict[type, ObjectPlan] = {}

    def complete(self, run: "CompiledExecutor", field: FieldPlan, parent: "ObjectPlan", path: Path,
                 info: GraphQLResolveInfo | None, result: Any) -> Any:  # fmt: skip
        if isinstance(result, Exception):
            raise result
        if result is None:
            return None
        plan = self.by_class.get(type(result))
        if plan is not None and getattr(result, TYPE_CAST_ATTRIBUTE, None) is None:
            return plan.complete_object(run, field, parent, path, info, result)
        info = info or run.field_info(field, parent, path)
        resolve_type = self.abstract_type.resolve_type or run.type_resolver
        runtime_name = resolve_type(result, info, self.abstract_type)
        if run.is_awaitable(runtime_name):
            # only graphql-core's own method may await it (and it must not be resolved twice)
            return run.complete_abstract_value(self.abstract_type, field.details, info, path, result, None)
        runtime_type = run.ensure_valid_runtime_type(runtime_name, self.abstract_type, field.details, info, result)
        plan = self.by_type.get(runtime_type.name)
        if plan is None:
            return run.complete_object_value(runtime_type, field.details, info, path, result, None)
        if self._class_decides(result, runtime_name):
            self.by_class[type(result)] = plan
        return plan.complete_object(run, field, parent, path, info, result)

    def _class_decides(self, result: Any, runtime_name: object) -> bool:
        """Whether strawberry's resolve_type gave `runtime_name` for `result` from its class alone."""
        if self.interface is None or not isinstance(result, self.interface):
            return False
        if getattr(result, TYPE_CAST_ATTRIBUTE, None) is not None:
            return False
        definition = getattr(type(result), "__strawberry_definition__", None)
        return (
            isinstance(definition, StrawberryObjectDefinition)
            and not definition.is_graphql_generic
            and definition.name == runtime_name
            and getattr(result, "__strawberry_definition__", None) is definition
        )


class _NoCompletion(Completion):
    __slots__ = ()


NONE_COMPLETION = _NoCompletion()


class Plan:
    __slots__ = ("root",)

    def __init__(self, root: ObjectPlan) -> None:
        self.root = root


class _FindDirectives(Visitor):
    """The variables that @skip and @include read; `other` when the document has any other directive."""

    def __init__(self) -> None:
        super().__init__()
        self.variables: list[str] = []
        self.other = False

    def enter_directive(self, node: DirectiveNode, *_args: Any) -> None:
        if node.name.value not in ("skip", "include"):
            self.other = True
        for argument in node.arguments or ():
            if isinstance(argument.value, VariableNode):
                self.variables.append(argument.value.name.value)


def selection_variables(operation: OperationDefinitionNode, fragments: Iterable[FragmentDefinitionNode]) -> (
    tuple[str, ...] | None
):  # fmt: skip
    """The variables the selection depends on (those of @skip and @include: a plan is made per their values),
    None when a directive or fragment variables make it something plans do not cover."""
    finder = _FindDirectives()
    visit(operation, finder)
    for fragment in fragments:
        if fragment.variable_definitions:
            return None
        visit(fragment, finder)
    if finder.other:
        return None
    return tuple(dict.fromkeys(finder.variables))


def build_plan(run: "CompiledExecutor") -> Plan:
    """The plan of the executor's operation; Unsupported when it needs graphql-core."""
    operation: OperationDefinitionNode = run.operation
    if operation.operation is not OperationType.QUERY:
        raise Unsupported("only queries are planned")
    schema: GraphQLSchema = run.schema
    root_type = schema.query_type
    if root_type is None:
        raise Unsupported("no query type")
    grouped, _defer, _forbidden = collect_fields(
        schema, run.fragments, run.variable_values, root_type, operation, run.hide_suggestions
    )
    root = ObjectPlan(root_type)
    run.planned_fields = 0
    _plan_fields(run, root, grouped, depth=0)
    return Plan(root)


def _plan_fields(
    run: "CompiledExecutor", parent: ObjectPlan, grouped: dict[str, list[FieldDetails]], depth: int
) -> None:
    if depth > 64:
        raise Unsupported("too deep")
    for response_name, details in grouped.items():
        if any(detail.defer_usage is not None or detail.fragment_variable_values is not None for detail in details):
            raise Unsupported("incremental delivery")
        name = details[0].node.name.value
        if name.startswith("__"):
            raise Unsupported("introspection")  # __typename included: its resolver reads the info
        field_def = parent.object_type.fields.get(name)
        if field_def is None:
            continue  # graphql-core skips fields it does not know (validation rules them out)
        run.planned_fields += 1
        if run.planned_fields > MAX_PLANNED_FIELDS:
            raise Unsupported("too large")
        field = FieldPlan(response_name, field_def, details)
        if field.python_name is None:
            field.direct = DirectCall.of(field, run)
        field.null_message = f"Cannot return null for non-nullable field {parent.type_name}.{field.field_name}."
        field.planned(_plan_value(run, field.return_type, details, depth))
        parent.fields.append(field)


def _plan_value(run: "CompiledExecutor", output_type: GraphQLOutputType, details: list[FieldDetails],
                depth: int) -> Completion:  # fmt: skip
    if is_non_null_type(output_type):
        assert isinstance(output_type, GraphQLNonNull)
        return NonNullCompletion(_plan_value(run, output_type.of_type, details, depth))
    if is_list_type(output_type):
        assert isinstance(output_type, GraphQLList)
        return ListCompletion(output_type, _plan_value(run, output_type.of_type, details, depth))
    if is_leaf_type(output_type):
        return LeafCompletion(output_type)
    if is_abstract_type(output_type):
        abstract = AbstractCompletion(output_type)
        for possible in run.schema.get_possible_types(output_type):
            abstract.by_type[possible.name] = _plan_object(run, possible, details, depth)
        return abstract
    if is_object_type(output_type):
        return _plan_object(run, output_type, details, depth)
    raise Unsupported(f"output type {output_type}")


def _plan_object(run: "CompiledExecutor", object_type: GraphQLObjectType, details: list[FieldDetails],
                 depth: int) -> ObjectPlan:  # fmt: skip
    plan = ObjectPlan(object_type)
    grouped, _defer, _forbidden = collect_subfields(
        run.schema, run.fragments, run.variable_values, run.operation, object_type, details, run.hide_suggestions
    )
    _plan_fields(run, plan, grouped, depth + 1)
    return plan


class _Plans:
    """Per schema: plans by (document text, operation name), None for documents that run on graphql-core."""

    def __init__(self) -> None:
        self.plans: dict[tuple[str, str | None, tuple], Plan | None] = {}
        self.selection_variables: dict[tuple[str, str | None], tuple[str, ...] | None] = {}


_tables: "weakref.WeakKeyDictionary[GraphQLSchema, _Plans]" = weakref.WeakKeyDictionary()


def status(schema: GraphQLSchema, document: str, operation_name: str | None = None) -> str:
    """How the document's operation runs: "compiled", "graphql-core" (planning found something it does not
    cover) or "not planned" (not executed yet under this schema, or not a query: those never are)."""
    table = _tables.get(schema)
    plans = [plan for key, plan in (table.plans if table else {}).items() if key[:2] == (document, operation_name)]
    if not plans:
        return "not planned"
    return "graphql-core" if any(plan is None for plan in plans) else "compiled"


def _bounded_set(table: dict, key: Any, value: Any) -> None:
    if len(table) >= PLAN_TABLE_SIZE:
        del table[next(iter(table))]
    table[key] = value


# -- execution -------------------------------------------------------------------------------------------


def _gather_async_work(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
    """graphql-core's `gather_async_work` (which does not use its executor)."""
    return gather_with_cancel(*values)


_background: set[asyncio.Future] = set()


class _Track:
    """graphql-core's `track_async_work` through a weak reference to the executor. A resolver can call it only
    while its executor lives, unless it kept its info beyond the execution: then the awaitables are still
    settled in the background, as the executor's `settle_in_background` would."""

    __slots__ = ("executor",)

    def __init__(self, executor: "weakref.ref[CompiledExecutor]") -> None:
        self.executor = executor

    def __call__(self, values: Sequence[Any]) -> None:
        executor = self.executor()
        if executor is not None:
            executor.track_async_work(values)
            return
        awaitables = [value for value in values if inspect.isawaitable(value)]
        if awaitables:
            future = asyncio.gather(*awaitables, return_exceptions=True)
            _background.add(future)
            future.add_done_callback(_background.discard)


class CompiledExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor (same resolve info) that runs planned operations from their plan."""

    planned_fields = 0  # while planning: fields planned so far

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # graphql-core's helpers are bound methods of the executor, which holds them: a reference cycle that
        # kept each request's whole object graph (context, loaders, rows, results) for the cyclic garbage
        # collector, more than a tenth of a page's CPU. The same helpers, reaching the executor weakly.
        self.async_helpers = GraphQLResolveInfoHelpers(gather=_gather_async_work, track=_Track(weakref.ref(self)))

    def plan(self) -> Plan | None:
        operation = self.operation
        if operation.loc is None or operation.operation is not OperationType.QUERY:
            return None
        if self.abort_signal is not None or self.hooks is not None or not self.error_propagation:
            return None
        if self.middleware_manager is not None and self.middleware_manager.middlewares:
            return None
        table = _tables.get(self.schema)
        if table is None:
            table = _tables[self.schema] = _Plans()
        document = (operation.loc.source.body, operation.name.value if operation.name else None)
        try:
            variables = table.selection_variables[document]
        except KeyError:
            variables = selection_variables(operation, self.fragment_definitions.values())
            _bounded_set(table.selection_variables, document, variables)
        if variables is None:
            _bounded_set(table.plans, (*document, ()), None)
            return None
        # @skip/@include were applied when the plan was made: one plan per combination of their variables
        coerced = self.variable_values.coerced
        key = (*document, tuple(coerced.get(name) for name in variables))
        try:
            return table.plans[key]
        except KeyError:
            pass
        try:
            plan: Plan | None = build_plan(self)
        except Unsupported:
            plan = None
        _bounded_set(table.plans, key, plan)
        return plan

    def execute_operation(self, serially: bool | None = None) -> Any:
        plan = self.plan() if serially is None else None
        # the metrics (api/metrics.py) count each engine's executions through the context, when it has them
        count = getattr(self.context_value, "count_execution", None)
        if plan is None:
            if count is not None:
                count("graphql-core")
            return super().execute_operation(serially)
        if count is not None:
            count("compiled")
        try:
            result = self.execute_plan_fields(plan.root, self.root_value, None)
            if self.is_awaitable(result):
                return self._await_response(result)
        except GraphQLError as error:
            self.collected_errors.add(error, None)
            return self.finish(self.build_response(None))
        return self.finish(self.build_response(result))

    async def _await_response(self, result: Awaitable[dict[str, Any]]) -> Any:
        try:
            data = await result
        except GraphQLError as error:
            self.collected_errors.add(error, None)
            return self.build_response(None)
        except Exception:
            await self.cancel_incremental_work()
            self.run_async_work_finished_hook()
            raise
        return self.build_response(data)

    def field_info(self, field: FieldPlan, parent: ObjectPlan, path: Path) -> GraphQLResolveInfo:
        return self.build_resolve_info(field.field_def, field.nodes, parent.object_type, path)

    def execute_plan_fields(self, parent: ObjectPlan, source: Any, path: Path | None) -> Any:
        """graphql-core's execute_fields, from the plan."""
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        type_name = parent.type_name
        try:
            for field in parent.fields:
                if field.leaf_attribute is not None:
                    # execute_plan_field for an attribute read as a leaf: its path is made only for an error
                    try:
                        value = getattr(source, field.leaf_name)
                        # a leaf's completion reads neither path nor info
                        result = field.leaf_attribute.complete(self, field, parent, cast(Path, path), None, value)
                        if type(result) not in PLAIN and is_awaitable(result):
                            field_path = Path(path, field.response_name, type_name)
                            result = self._await_completed(field, field_path, result)
                    except Exception as raw_error:
                        field_path = Path(path, field.response_name, type_name)
                        self.handle_field_error(raw_error, field.return_type, field.details, field_path)
                        result = None
                else:
                    field_path = Path(path, field.response_name, type_name)
                    result = self.execute_plan_field(parent, field, source, field_path)
                results[field.response_name] = result
                if type(result) not in PLAIN and is_awaitable(result):
                    awaitable_fields.append(field.response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[name] for name in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return self._gather_fields(results, awaitable_fields)

    @staticmethod
    async def _gather_fields(results: dict[str, Any], awaitable_fields: list[str]) -> dict[str, Any]:
        if len(awaitable_fields) == 1:
            name = awaitable_fields[0]
            results[name] = await results[name]
        else:
            awaited = await gather_with_cancel(*(results[name] for name in awaitable_fields))
            results.update(zip(awaitable_fields, awaited, strict=True))
        return results

    def execute_plan_field(self, parent: ObjectPlan, field: FieldPlan, source: Any, path: Path) -> Any:
        """graphql-core's execute_field, from the plan."""
        info = None
        try:
            if field.python_name is not None:
                result = getattr(source, field.python_name)
            elif field.direct is not None:
                info = self.field_info(field, parent, path)
                result = field.direct.call(self, field, source, info)
                if self.is_awaitable(result):
                    return self._complete_awaitable(parent, field, path, info, result)
            else:
                info = self.field_info(field, parent, path)
                args = (
                    get_argument_values(field.field_def, field.node, self.variable_values, None, self.hide_suggestions)
                    if field.has_args
                    else {}
                )
                result = (field.resolve or self.field_resolver)(source, info, **args)
                if self.is_awaitable(result):
                    return self._complete_awaitable(parent, field, path, info, result)
            completed = field.value.complete(self, field, parent, path, info, result)
            if self.is_awaitable(completed):
                return self._await_completed(field, path, completed)
        except Exception as raw_error:
            self.handle_field_error(raw_error, field.return_type, field.details, path)
            return None
        return completed

    async def _complete_awaitable(
        self, parent: ObjectPlan, field: FieldPlan, path: Path, info: GraphQLResolveInfo, result: Awaitable[Any]
    ) -> Any:
        try:
            resolved = await result
            completed = field.value.complete(self, field, parent, path, info, resolved)
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, field.return_type, field.details, path)
            completed = None
        return completed

    async def _await_completed(self, field: FieldPlan, path: Path, completed: Awaitable[Any]) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, field.return_type, field.details, path)
            return None

    def complete_items(
        self,
        completion: ListCompletion,
        field: FieldPlan,
        parent: ObjectPlan,
        path: Path,
        info: GraphQLResolveInfo | None,
        items: list[Any] | tuple[Any, ...],
    ) -> Any:
        """graphql-core's complete_iterable_value (without @stream), from the plan."""
        is_awaitable = self.is_awaitable
        item = completion.item
        item_type = completion.item_type
        completed_results: list[Any] = []
        awaitable_indices: list[int] = []
        index = 0
        try:
            for index, value in enumerate(items):
                item_path = Path(path, index, None)
                if is_awaitable(value):
                    info = info or self.field_info(field, parent, path)
                    completed_results.append(
                        self.complete_awaitable_list_item_value(value, item_type, field.details, info, item_path, None)
                    )
                    awaitable_indices.append(index)
                    continue
                try:
                    completed = item.complete(self, field, parent, item_path, info, value)
                    if is_awaitable(completed):
                        completed_results.append(self._await_item(item_type, field, item_path, completed))
                        awaitable_indices.append(index)
                    else:
                        completed_results.append(completed)
                except Exception as raw_error:
                    self.handle_field_error(raw_error, item_type, field.details, item_path)
                    completed_results.append(None)
        except Exception:
            # as graphql-core: the awaitables made so far and those still in the list are settled, not orphaned
            pending = [completed_results[i] for i in awaitable_indices]
            pending += [value for value in items[index + 1 :] if is_awaitable(value)]
            if pending:
                self.settle_in_background(pending)
            raise
        if not awaitable_indices:
            return completed_results
        return self._gather_items(completed_results, awaitable_indices)

    async def _await_item(self, item_type: GraphQLOutputType, field: FieldPlan, path: Path,
                          completed: Awaitable[Any]) -> Any:  # fmt: skip
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, item_type, field.details, path)
            return None

    @staticmethod
    async def _gather_items(completed_results: list[Any], awaitable_indices: list[int]) -> list[Any]:
        if len(awaitable_indices) == 1:
            index = awaitable_indices[0]
            completed_results[index] = await completed_results[index]
        else:
            awaited = await gather_with_cancel(*(completed_results[index] for index in awaitable_indices))
            for index, value in zip(awaitable_indices, awaited, strict=True):
                completed_results[index] = value
        return completed_results
