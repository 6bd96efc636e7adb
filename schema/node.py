"""`node(id:)`: any object by its global id, or null when it does not exist or the viewer may not see it."""

import inspect
import re
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from schema.context import Context
from schema.organizations.types import TYPE_OF_KIND
from schema.projects.types import CooperationProject, ProjectGoal, ProjectInvitation, ProjectPartner
from schema.risk.types import RiskFlag
from schema.surveys.types import SurveyResponse, SurveyRound

NODE_TYPES: dict[str, type[relay.Node]] = {
    **{t.__name__: t for t in TYPE_OF_KIND.values()},
    "CooperationProject": CooperationProject,
    "ProjectPartner": ProjectPartner,
    "ProjectInvitation": ProjectInvitation,
    "ProjectGoal": ProjectGoal,
    "SurveyRound": SurveyRound,
    "SurveyResponse": SurveyResponse,
    "RiskFlag": RiskFlag,
}
_NODE_ID = re.compile(r"^\d{1,18}(:\d{1,18})?$")


async def resolve_node(
    info: Info[Context, Any], id: Annotated[strawberry.ID, strawberry.argument(description="A global id.")]
) -> relay.Node | None:
    if not info.context.principal.is_authenticated:
        return None
    try:
        type_name, node_id = relay.from_base64(id)
    except Exception:  # malformed: it names nothing
        return None
    node_type = NODE_TYPES.get(type_name)
    if node_type is None or not _NODE_ID.match(node_id):
        return None
    nodes = node_type.resolve_nodes(info=info, node_ids=[node_id], required=False)
    [node] = await nodes if inspect.isawaitable(nodes) else nodes
    return node
