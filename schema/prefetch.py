"""Resolve fields without awaiting when their data is already loaded.

graphql-core completes a field whose resolver returns a plain value synchronously; a resolver that returns an
awaitable costs a coroutine, a task and a gather for every field of every item (most of a list page's time
here). So a list resolver that sees which fields its items need loads them for the whole page before it returns
(`prefetch_projects`, one batched statement per field as before, all at once), and the item fields find their
DataLoader futures done and answer at once (`now_or_later`). Unprefetched fields still work: they await.
"""

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from schema.context import Context
from schema.permissions import can_see_project_details, details_visible_now


def now_or_later(loaded: Any, then: Callable[[Any], Any]) -> Any:
    """`then(result)` at once when `loaded` (a DataLoader future) is done, else an awaitable of it."""
    if isinstance(loaded, asyncio.Future) and loaded.done() and not loaded.cancelled() and not loaded.exception():
        return then(loaded.result())
    return _later(loaded, then)


async def _later(loaded: Awaitable[Any], then: Callable[[Any], Any]) -> Any:
    result = then(await loaded)
    return await result if inspect.isawaitable(result) else result


def for_partners(
    info: Info[Context, Any], project_id: int, otherwise: Any, load: Callable[[], Any], then: Callable[[Any], Any]
) -> Any:
    """A confidential field of a project: `then(loaded)` for its partners, moderators and admins; `otherwise`
    (null or an empty list, which reveals nothing) for everybody else."""
    visible = details_visible_now(info, project_id)
    if visible is False:
        return otherwise
    if visible:
        return now_or_later(load(), then)
    return _for_partners_later(info, project_id, otherwise, load, then)


async def _for_partners_later(
    info: Info[Context, Any], project_id: int, otherwise: Any, load: Callable[[], Any], then: Callable[[Any], Any]
) -> Any:
    if not await can_see_project_details(info, project_id):
        return otherwise
    return await _later(load(), then)


# -- which fields the items of a page will need ----------------------------------------------------------


def _flatten(selections: Iterable[Selection]) -> Iterable[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, InlineFragment | FragmentSpread):
            yield from _flatten(selection.selections)


def page_item_fields(info: Info[Context, Any]) -> dict[str, list[SelectedField]]:
    """The fields selected on the items of the connection being resolved (`edges { node { … } }`), by name."""
    fields: dict[str, list[SelectedField]] = {}
    for connection in info.selected_fields:
        for edges in _flatten(connection.selections):
            if edges.name != "edges":
                continue
            for node in _flatten(edges.selections):
                if node.name == "node":
                    for field in _flatten(node.selections):
                        fields.setdefault(field.name, []).append(field)
    return fields


async def prefetch_projects(info: Info[Context, Any], project_ids: list[int]) -> None:
    """Load what the selected fields of a page of projects need, for the whole page at once."""
    if not project_ids:
        return
    fields = page_item_fields(info)
    loaders = info.context.loaders
    principal = info.context.principal
    loads = []
    if not principal.is_admin and principal.organization_id is not None:
        loads.append(loaders.viewer_role.load_many(project_ids))
    if "partners" in fields:
        loads.append(loaders.partners_by_project.load_many(project_ids))
    if "latestStatistics" in fields and principal.is_admin:
        loads.append(loaders.latest_statistics.load_many(project_ids))
    elif "latestStatistics" in fields:  # moderated projects load the full statistics when they resolve
        k = info.context.settings.min_group_size
        loads.append(loaders.latest_released_statistics.load_many([(i, k) for i in project_ids]))
    if "goals" in fields:
        loads.append(loaders.goals_by_project.load_many(project_ids))
    if "health" in fields:
        loads.append(loaders.health.load_many(project_ids))
    for flags in fields.get("riskFlags", []):
        resolved = bool(flags.arguments.get("includeResolved", False))
        loads.append(loaders.flags_of_project.load_many([(i, resolved) for i in project_ids]))
    await asyncio.gather(*loads)


async def prefetch_organizations(info: Info[Context, Any], organization_ids: list[int]) -> None:
    if organization_ids and "projectCount" in page_item_fields(info):
        await info.context.loaders.project_count.load_many(organization_ids)


async def prefetch_rounds(info: Info[Context, Any], round_ids: list[int]) -> None:
    fields = page_item_fields(info)
    if round_ids and ("responseCount" in fields or "expectedResponses" in fields):
        await info.context.loaders.round_counts.load_many(round_ids)
