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
