"""The domain's words, defined once: phases and their groups, partner roles, survey dimensions and the columns
that hold their means, severities, organization kinds, and the other closed lists the database stores as enums.

The GraphQL enums (`schema/enums.py`) carry the descriptions clients read and are kept equal to these, and
both to PostgreSQL's enum types, by tests/domain/test_vocabulary.py. SQL that needs a group (the final phases, the
answering roles) takes it as a parameter from here instead of repeating the literals.
"""

from enum import IntEnum, StrEnum


class Phase(StrEnum):
    ASSESSMENT = "ASSESSMENT"
    GOAL_SETTING = "GOAL_SETTING"
    PARTNER_SEARCH = "PARTNER_SEARCH"
    INITIATION = "INITIATION"
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    TERMINATED = "TERMINATED"


# the order a project moves through, one step at a time; TERMINATED from any open phase
OPEN_PHASES: tuple[Phase, ...] = (
    Phase.ASSESSMENT,
    Phase.GOAL_SETTING,
    Phase.PARTNER_SEARCH,
    Phase.INITIATION,
    Phase.ACTIVE,
)
PHASES_BEFORE_ACTIVE: tuple[Phase, ...] = OPEN_PHASES[:-1]
FINAL_PHASES: tuple[Phase, ...] = (Phase.COMPLETED, Phase.TERMINATED)
# what a project may be published in (a success story)
PUBLISHABLE_PHASES: tuple[Phase, ...] = (Phase.ACTIVE, Phase.COMPLETED)
NEXT_PHASE: dict[Phase, Phase] = dict(zip(OPEN_PHASES, [*OPEN_PHASES[1:], Phase.COMPLETED], strict=True))


class PartnerRole(StrEnum):
    LEAD = "LEAD"
    PARTNER = "PARTNER"
    MODERATOR = "MODERATOR"


# who runs a project: may open rounds, add partners, change the phase, acknowledge flags
MANAGING_ROLES: tuple[PartnerRole, ...] = (PartnerRole.LEAD, PartnerRole.MODERATOR)
# who answers a project's surveys (moderators coordinate and do not answer)
ANSWERING_ROLES: tuple[PartnerRole, ...] = (PartnerRole.LEAD, PartnerRole.PARTNER)


class Dimension(StrEnum):
    OVERALL = "OVERALL"
    EXPECTATIONS_MET = "EXPECTATIONS_MET"
    MUTUAL_BENEFIT = "MUTUAL_BENEFIT"
    DECISION_SPEED = "DECISION_SPEED"
    COMMUNICATION_TRUST = "COMMUNICATION_TRUST"


DIMENSIONS: tuple[Dimension, ...] = tuple(Dimension)
# the survey_responses column that holds each dimension's score, and the round_statistics column of its mean
SCORE_COLUMN: dict[Dimension, str] = {dimension: dimension.lower() for dimension in Dimension}
MEAN_COLUMN: dict[Dimension, str] = {dimension: f"mean_{dimension.lower()}" for dimension in Dimension}


class Severity(IntEnum):
    """Ordered: a flag's severity grows with the distance past its threshold."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3


class RiskLevel(StrEnum):
    """A project's risk: its most severe open flag's severity, NONE without one."""

    NONE = "NONE"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class OrganizationKind(StrEnum):
    STARTUP = "STARTUP"
    SME = "SME"
    CORPORATE = "CORPORATE"
    RESEARCH_INSTITUTE = "RESEARCH_INSTITUTE"


class FundingStage(StrEnum):
    PRE_SEED = "PRE_SEED"
    SEED = "SEED"
    SERIES_A = "SERIES_A"
    SERIES_B = "SERIES_B"
    GROWTH = "GROWTH"


class RevenueBand(StrEnum):
    MICRO = "MICRO"
    SMALL = "SMALL"
    MEDIUM = "MEDIUM"
    UPPER_MEDIUM = "UPPER_MEDIUM"


class CooperationKind(StrEnum):
    PRODUCT_DEVELOPMENT = "PRODUCT_DEVELOPMENT"
    TECHNOLOGY_PILOT = "TECHNOLOGY_PILOT"
    CLOUD_INTEGRATION = "CLOUD_INTEGRATION"
    MARKETING = "MARKETING"
    OUTSOURCING = "OUTSOURCING"
    STRATEGIC_PARTNERSHIP = "STRATEGIC_PARTNERSHIP"
    RESEARCH = "RESEARCH"


class InvitationStatus(StrEnum):
    INVITED = "INVITED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"


class GoalStatus(StrEnum):
    OPEN = "OPEN"
    ACHIEVED = "ACHIEVED"
    MISSED = "MISSED"
    DROPPED = "DROPPED"


class RoundStatus(StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class RiskReason(StrEnum):
    LOW_SATISFACTION = "LOW_SATISFACTION"
    DECLINING_SATISFACTION = "DECLINING_SATISFACTION"
    SATISFACTION_GAP = "SATISFACTION_GAP"
    SILENT_PARTNER = "SILENT_PARTNER"
    RESPONSE_RATE_DROP = "RESPONSE_RATE_DROP"
    UNMET_EXPECTATIONS = "UNMET_EXPECTATIONS"
    NO_EXIT_PLAN = "NO_EXIT_PLAN"
    STALLED = "STALLED"
    EARLY_SIGNAL = "EARLY_SIGNAL"


class FlagAudience(StrEnum):
    """Who a stored flag is for: FULL (moderators, admins) or PARTNERS (computed from released values)."""

    FULL = "FULL"
    PARTNERS = "PARTNERS"


class TrendGrouping(StrEnum):
    ORGANIZATION_KIND = "ORGANIZATION_KIND"
    INDUSTRY = "INDUSTRY"


# PostgreSQL enum type -> the domain enum it stores (the names of the Severity members for `severity`)
PG_ENUMS: dict[str, type[StrEnum] | type[IntEnum]] = {
    "project_phase": Phase,
    "partner_role": PartnerRole,
    "satisfaction_dimension": Dimension,
    "severity": Severity,
    "risk_level": RiskLevel,
    "organization_kind": OrganizationKind,
    "funding_stage": FundingStage,
    "revenue_band": RevenueBand,
    "cooperation_kind": CooperationKind,
    "invitation_status": InvitationStatus,
    "goal_status": GoalStatus,
    "round_status": RoundStatus,
    "risk_reason": RiskReason,
    "flag_audience": FlagAudience,
    "trend_grouping": TrendGrouping,
}
