"""One vocabulary: the domain's enums, the GraphQL enums and PostgreSQL's enum types list the same members."""

from enum import Enum

import asyncpg
import pytest

from domain import vocabulary
from domain.refusals import RefusalCode
from schema import enums
from schema.mutations import UserErrorCode

# GraphQL enum -> the domain enum it shows
GRAPHQL_ENUMS: dict[type[Enum], type[Enum]] = {
    enums.ProjectPhase: vocabulary.Phase,
    enums.PartnerRole: vocabulary.PartnerRole,
    enums.SatisfactionDimension: vocabulary.Dimension,
    enums.Severity: vocabulary.Severity,
    enums.RiskLevel: vocabulary.RiskLevel,
    enums.OrganizationKind: vocabulary.OrganizationKind,
    enums.FundingStage: vocabulary.FundingStage,
    enums.RevenueBand: vocabulary.RevenueBand,
    enums.CooperationKind: vocabulary.CooperationKind,
    enums.InvitationStatus: vocabulary.InvitationStatus,
    enums.GoalStatus: vocabulary.GoalStatus,
    enums.RoundStatus: vocabulary.RoundStatus,
    enums.RiskReason: vocabulary.RiskReason,
    enums.TrendGrouping: vocabulary.TrendGrouping,
    UserErrorCode: RefusalCode,
}


@pytest.mark.parametrize("graphql_enum", GRAPHQL_ENUMS, ids=lambda enum: enum.__name__)
def test_graphql_enums_list_the_domain_members_in_order(graphql_enum: type[Enum]) -> None:
    domain_enum = GRAPHQL_ENUMS[graphql_enum]
    assert [member.name for member in graphql_enum] == [member.name for member in domain_enum]
    assert [member.value for member in graphql_enum] == [member.name for member in domain_enum]


# SQL sorts and compares these by their order; the others' values were added over time (ALTER TYPE ... ADD VALUE
# appends), so only their members must match
ORDERED_PG_ENUMS = {"project_phase", "severity", "risk_level", "round_status"}


async def test_postgresql_enums_list_the_domain_members(connection: asyncpg.Connection) -> None:
    rows = await connection.fetch(
        """
        SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels
        FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
        JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = current_schema()
        GROUP BY t.typname
        """
    )
    stored = {row["typname"]: list(row["labels"]) for row in rows}
    assert set(vocabulary.PG_ENUMS) <= set(stored), "a domain enum without its PostgreSQL type"
    for type_name, domain_enum in vocabulary.PG_ENUMS.items():
        names = [member.name for member in domain_enum]
        if type_name in ORDERED_PG_ENUMS:
            assert stored[type_name] == names, type_name
        else:
            assert sorted(stored[type_name]) == sorted(names), type_name


def test_phase_groups_cover_every_phase_once() -> None:
    assert set(vocabulary.OPEN_PHASES) | set(vocabulary.FINAL_PHASES) == set(vocabulary.Phase)
    assert not set(vocabulary.OPEN_PHASES) & set(vocabulary.FINAL_PHASES)
    assert vocabulary.NEXT_PHASE[vocabulary.Phase.ACTIVE] == vocabulary.Phase.COMPLETED
    assert set(vocabulary.MEAN_COLUMN) == set(vocabulary.Dimension) == set(vocabulary.SCORE_COLUMN)
