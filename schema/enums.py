"""The domain's enums (DESIGN section 2), shared by the slices."""

from enum import Enum

import strawberry


@strawberry.enum(description="What kind of organization a member is.")
class OrganizationKind(Enum):
    STARTUP = "STARTUP"
    SME = "SME"
    CORPORATE = "CORPORATE"
    RESEARCH_INSTITUTE = "RESEARCH_INSTITUTE"


@strawberry.enum(description="Funding stage of a startup.")
class FundingStage(Enum):
    PRE_SEED = "PRE_SEED"
    SEED = "SEED"
    SERIES_A = "SERIES_A"
    SERIES_B = "SERIES_B"
    GROWTH = "GROWTH"


@strawberry.enum(
    description="Annual revenue band of an SME: MICRO < 2 M EUR, SMALL < 10 M, MEDIUM < 50 M, "
    "UPPER_MEDIUM < 250 M (the 'gehobener Mittelstand')."
)
class RevenueBand(Enum):
    MICRO = "MICRO"
    SMALL = "SMALL"
    MEDIUM = "MEDIUM"
    UPPER_MEDIUM = "UPPER_MEDIUM"


@strawberry.enum(
    description="Phases of a cooperation: ASSESSMENT → GOAL_SETTING → PARTNER_SEARCH → INITIATION → ACTIVE → "
    "COMPLETED, one step at a time; TERMINATED from any open phase. COMPLETED and TERMINATED are final."
)
class ProjectPhase(Enum):
    ASSESSMENT = "ASSESSMENT"
    GOAL_SETTING = "GOAL_SETTING"
    PARTNER_SEARCH = "PARTNER_SEARCH"
    INITIATION = "INITIATION"
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    TERMINATED = "TERMINATED"


@strawberry.enum(description="What the partners do together.")
class CooperationKind(Enum):
    PRODUCT_DEVELOPMENT = "PRODUCT_DEVELOPMENT"
    TECHNOLOGY_PILOT = "TECHNOLOGY_PILOT"
    CLOUD_INTEGRATION = "CLOUD_INTEGRATION"
    MARKETING = "MARKETING"
    OUTSOURCING = "OUTSOURCING"
    STRATEGIC_PARTNERSHIP = "STRATEGIC_PARTNERSHIP"
    RESEARCH = "RESEARCH"


@strawberry.enum(
    description="A partner's role: LEAD runs the project, PARTNER takes part, MODERATOR (usually a research "
    "institute) coordinates neutrally, sees individual answers and does not answer surveys."
)
class PartnerRole(Enum):
    LEAD = "LEAD"
    PARTNER = "PARTNER"
    MODERATOR = "MODERATOR"


@strawberry.enum(description="Status of a goal a partner expects from the cooperation.")
class GoalStatus(Enum):
    OPEN = "OPEN"
    ACHIEVED = "ACHIEVED"
    MISSED = "MISSED"
    DROPPED = "DROPPED"


@strawberry.enum(description="Whether a survey round takes answers.")
class RoundStatus(Enum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


@strawberry.enum(description="What a pulse survey asks: Likert scores 1 (very poor) to 5 (very good).")
class SatisfactionDimension(Enum):
    OVERALL = "OVERALL"
    EXPECTATIONS_MET = "EXPECTATIONS_MET"
    MUTUAL_BENEFIT = "MUTUAL_BENEFIT"
    DECISION_SPEED = "DECISION_SPEED"
    COMMUNICATION_TRUST = "COMMUNICATION_TRUST"


@strawberry.enum(description="Why a partnership is at risk (DESIGN section 2, risk rules).")
class RiskReason(Enum):
    LOW_SATISFACTION = "LOW_SATISFACTION"
    DECLINING_SATISFACTION = "DECLINING_SATISFACTION"
    SATISFACTION_GAP = "SATISFACTION_GAP"
    SILENT_PARTNER = "SILENT_PARTNER"
    UNMET_EXPECTATIONS = "UNMET_EXPECTATIONS"
    NO_EXIT_PLAN = "NO_EXIT_PLAN"
    STALLED = "STALLED"


@strawberry.enum(description="How serious a risk flag is; grows with the distance past the threshold.")
class Severity(Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


@strawberry.enum(description="A project's risk: the severity of its most severe open flag, NONE without one.")
class RiskLevel(Enum):
    NONE = "NONE"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


@strawberry.enum(description="How portfolio trends are grouped.")
class TrendGrouping(Enum):
    ORGANIZATION_KIND = "ORGANIZATION_KIND"
    INDUSTRY = "INDUSTRY"


MEAN_COLUMN = {
    SatisfactionDimension.OVERALL: "mean_overall",
    SatisfactionDimension.EXPECTATIONS_MET: "mean_expectations_met",
    SatisfactionDimension.MUTUAL_BENEFIT: "mean_mutual_benefit",
    SatisfactionDimension.DECISION_SPEED: "mean_decision_speed",
    SatisfactionDimension.COMMUNICATION_TRUST: "mean_communication_trust",
}
