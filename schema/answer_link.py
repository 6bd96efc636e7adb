"""What an e-mailed answer link may do: read the answer page's data (`answerLink`) and answer its round
(`submitSurveyResponse`), nothing else."""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import FieldNode, OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.relay import to_base64
from strawberry.types import Info

from db import invitations
from domain.principal import Role
from schema.context import Context
from schema.enums import RoundStatus, member
from schema.errors import ClientError
from schema.surveys.types import SurveyResponse

ALLOWED_ROOT_FIELDS = frozenset({"answerLink", "submitSurveyResponse", "__typename"})


@strawberry.type(description="The survey round an answer link is for, as the answer page shows it.")
class AnswerLink:
    round_id: strawberry.ID = strawberry.field(description="Global id of the round (for submitSurveyResponse).")
    sequence: int = strawberry.field(description="The round's number in its project.")
    status: RoundStatus = strawberry.field(description="OPEN while answers are taken.")
    opened_at: datetime = strawberry.field(description="When the round opened.")
    project_title: str = strawberry.field(description="Title of the cooperation project.")
    organization_name: str = strawberry.field(description="The organization the link answers for.")
    partner_names: list[str] = strawberry.field(description="Names of the project's partners, by name.")
    response_id: strawberry.Private[int | None]

    @strawberry.field(description="The organization's answer to this round, once it gave one.")
    async def my_response(self, info: Info[Context, Any]) -> SurveyResponse | None:
        if self.response_id is None:
            return None
        row = await info.context.loaders.response.load(self.response_id)
        return SurveyResponse.from_row(row) if row else None


async def resolve_answer_link(info: Info[Context, Any]) -> AnswerLink | None:
    principal = info.context.principal
    if principal.role is not Role.ANSWER_LINK or principal.answer_round_id is None:
        return None
    async with info.context.pool.acquire() as connection:
        row = await invitations.answer_page(
            connection, principal.answer_round_id, principal.answer_organization_id or 0
        )
    if row is None:
        return None
    return AnswerLink(
        round_id=strawberry.ID(to_base64("SurveyRound", row["round_id"])),
        sequence=row["sequence"],
        status=member(RoundStatus, row["status"]),
        opened_at=row["opened_at"],
        project_title=row["project_title"],
        organization_name=row["organization_name"],
        partner_names=list(row["partner_names"]),
        response_id=row["response_id"],
    )


class AnswerLinkScope(SchemaExtension):
    """An answer link runs only operations made of the allowed root fields."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        principal = getattr(context.context, "principal", None)
        document = context.graphql_document
        if context.result is None and principal is not None and principal.role is Role.ANSWER_LINK:
            fields = {
                selection.name.value
                for definition in (document.definitions if document else [])
                if isinstance(definition, OperationDefinitionNode)
                for selection in definition.selection_set.selections
                if isinstance(selection, FieldNode)
            }
            other = (document is None) or any(
                not isinstance(selection, FieldNode)
                for definition in document.definitions
                if isinstance(definition, OperationDefinitionNode)
                for selection in definition.selection_set.selections
            )
            if other or not fields <= ALLOWED_ROOT_FIELDS:
                context.result = GraphQLExecutionResult(
                    data=None,
                    errors=[
                        ClientError(
                            "An answer link reads `answerLink` and calls `submitSurveyResponse` for its round only.",
                            "FORBIDDEN",
                        )
                    ],
                )
        yield
