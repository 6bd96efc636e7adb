"""The domain's enums, shared by the slices."""

from enum import Enum

import strawberry


@strawberry.enum(description="What kind of organization a member is.")
class OrganizationKind(Enum):
    STARTUP = strawberry.enum_value("STARTUP", description="A young, fast-growing company (has a funding stage).")
    SME = strawberry.enum_value(
        "SME",
        description="A small or medium-sized enterprise, the Mittelstand (has a revenue band).",
    )
    CORPORATE = strawberry.enum_value("CORPORATE", description="A large company.")
    RESEARCH_INSTITUTE = strawberry.enum_value(
        "RESEARCH_INSTITUTE",
        description="A university or research institute; often moderates projects.",
    )


@strawberry.enum(description="Funding stage of a startup.")
class FundingStage(Enum):
    PRE_SEED = strawberry.enum_value(
        "PRE_SEED",
        description="Before the first outside round: founders, friends, grants.",
    )
    SEED = strawberry.enum_value("SEED", description="First outside round.")
    SERIES_A = strawberry.enum_value("SERIES_A", description="First venture round after the seed.")
    SERIES_B = strawberry.enum_value("SERIES_B", description="Second venture round.")
    GROWTH = strawberry.enum_value("GROWTH", description="Later rounds: scaling an established business.")


@strawberry.enum(
    description="Annual revenue band of an SME: MICRO < 2 M EUR, SMALL < 10 M, MEDIUM < 50 M, "
    "UPPER_MEDIUM < 250 M (the 'gehobener Mittelstand')."
)
class RevenueBand(Enum):
    MICRO = strawberry.enum_value("MICRO", description="Less than 2 M EUR a year.")
    SMALL = strawberry.enum_value("SMALL", description="2 to 10 M EUR a year.")
    MEDIUM = strawberry.enum_value("MEDIUM", description="10 to 50 M EUR a year.")
    UPPER_MEDIUM = strawberry.enum_value(
        "UPPER_MEDIUM",
        description="50 to 250 M EUR a year (the 'gehobener Mittelstand').",
    )


@strawberry.enum(
    description="Phases of a cooperation: ASSESSMENT → GOAL_SETTING → PARTNER_SEARCH → INITIATION → ACTIVE → "
    "COMPLETED, one step at a time; TERMINATED from any open phase. COMPLETED and TERMINATED are final."
)
class ProjectPhase(Enum):
    ASSESSMENT = strawberry.enum_value(
        "ASSESSMENT",
        description="Assessing the own situation and whether to cooperate.",
    )
    GOAL_SETTING = strawberry.enum_value("GOAL_SETTING", description="Setting the goals of the cooperation.")
    PARTNER_SEARCH = strawberry.enum_value("PARTNER_SEARCH", description="Looking for the right partner.")
    INITIATION = strawberry.enum_value("INITIATION", description="First contact and agreement with the partner.")
    ACTIVE = strawberry.enum_value("ACTIVE", description="The cooperation is running; partners answer pulse surveys.")
    COMPLETED = strawberry.enum_value(
        "COMPLETED",
        description="Ended as planned (final); may be published on the marketplace.",
    )
    TERMINATED = strawberry.enum_value("TERMINATED", description="Ended early (final).")


@strawberry.enum(description="What the partners do together.")
class CooperationKind(Enum):
    PRODUCT_DEVELOPMENT = strawberry.enum_value("PRODUCT_DEVELOPMENT", description="Developing a product together.")
    TECHNOLOGY_PILOT = strawberry.enum_value(
        "TECHNOLOGY_PILOT",
        description="Trying a partner's technology in a pilot.",
    )
    CLOUD_INTEGRATION = strawberry.enum_value(
        "CLOUD_INTEGRATION",
        description="Integrating systems or moving them to the cloud.",
    )
    MARKETING = strawberry.enum_value("MARKETING", description="Joint marketing or sales.")
    OUTSOURCING = strawberry.enum_value("OUTSOURCING", description="One partner does work for the other.")
    STRATEGIC_PARTNERSHIP = strawberry.enum_value(
        "STRATEGIC_PARTNERSHIP",
        description="A long-term partnership on several fronts.",
    )
    RESEARCH = strawberry.enum_value("RESEARCH", description="Joint research, usually with a research institute.")


@strawberry.enum(
    description="A partner's role: LEAD runs the project, PARTNER takes part, MODERATOR (usually a research "
    "institute) coordinates neutrally, sees individual answers and does not answer surveys."
)
class PartnerRole(Enum):
    LEAD = strawberry.enum_value(
        "LEAD",
        description="Runs the project; may open survey rounds and manage goals and the exit plan.",
    )
    PARTNER = strawberry.enum_value("PARTNER", description="Takes part and answers the surveys.")
    MODERATOR = strawberry.enum_value(
        "MODERATOR",
        description="Coordinates neutrally, sees individual answers, does not answer surveys. Appointed by "
        "admins only.",
    )


@strawberry.enum(description="Where an invitation to join a project stands.")
class InvitationStatus(Enum):
    INVITED = strawberry.enum_value("INVITED", description="Waiting for the invited organization's answer.")
    ACCEPTED = strawberry.enum_value("ACCEPTED", description="Accepted: the organization is a partner.")
    DECLINED = strawberry.enum_value("DECLINED", description="Declined; it may be invited again.")


@strawberry.enum(description="Status of a goal a partner expects from the cooperation.")
class GoalStatus(Enum):
    OPEN = strawberry.enum_value("OPEN", description="Not yet reached; past its due date it raises UNMET_EXPECTATIONS.")
    ACHIEVED = strawberry.enum_value("ACHIEVED", description="Reached.")
    MISSED = strawberry.enum_value("MISSED", description="Not reached by its due date.")
    DROPPED = strawberry.enum_value("DROPPED", description="No longer pursued.")


@strawberry.enum(description="Whether a survey round takes answers.")
class RoundStatus(Enum):
    OPEN = strawberry.enum_value("OPEN", description="Takes answers; at most one per project.")
    CLOSED = strawberry.enum_value("CLOSED", description="Takes no more answers.")


@strawberry.enum(description="What a pulse survey asks: Likert scores 1 (very poor) to 5 (very good).")
class SatisfactionDimension(Enum):
    OVERALL = strawberry.enum_value("OVERALL", description="Overall satisfaction with the cooperation.")
    EXPECTATIONS_MET = strawberry.enum_value(
        "EXPECTATIONS_MET",
        description="How far the partner's expectations are met.",
    )
    MUTUAL_BENEFIT = strawberry.enum_value("MUTUAL_BENEFIT", description="Whether both sides gain (win-win).")
    DECISION_SPEED = strawberry.enum_value(
        "DECISION_SPEED",
        description="Whether decisions come at the partner's speed.",
    )
    COMMUNICATION_TRUST = strawberry.enum_value("COMMUNICATION_TRUST", description="Open communication and trust.")


@strawberry.enum(description='Why a partnership is at risk (docs/design.md, "Risk rules", explains each rule).')
class RiskReason(Enum):
    LOW_SATISFACTION = strawberry.enum_value(
        "LOW_SATISFACTION",
        description="Overall satisfaction is likely low: the latest known round's mean, shrunk toward the rounds "
        "before, is at or below 2.5 with a probability of at least 95 % (by default).",
    )
    DECLINING_SATISFACTION = strawberry.enum_value(
        "DECLINING_SATISFACTION",
        description="Overall satisfaction likely fell: the rounds since a change point among the last three known "
        "rounds sit more than 0.3 below the rounds before with a probability of at least 95 % (by default).",
    )
    SATISFACTION_GAP = strawberry.enum_value(
        "SATISFACTION_GAP",
        description="Over the last two known rounds one partner likely rates overall satisfaction more than 1.0 "
        "below the other partners (probability of at least 95 %, by default); the flag names that partner.",
    )
    SILENT_PARTNER = strawberry.enum_value(
        "SILENT_PARTNER",
        description="A partner answered none of the last two or more closed rounds, and at its own answer rate "
        "that is unlikely to be chance (at most 0.3 %, by default); the flag names the partner.",
    )
    RESPONSE_RATE_DROP = strawberry.enum_value(
        "RESPONSE_RATE_DROP",
        description="The last two closed rounds got fewer answers than the project usually gets, unlikely by chance "
        "(at most 0.2 %, by default): an early sign of disengagement.",
    )
    UNMET_EXPECTATIONS = strawberry.enum_value(
        "UNMET_EXPECTATIONS",
        description="Expectations met is likely low (estimated level at or below 2.0 by default, as for "
        "LOW_SATISFACTION), or a goal is past due and still OPEN.",
    )
    NO_EXIT_PLAN = strawberry.enum_value(
        "NO_EXIT_PLAN",
        description="ACTIVE for more than 90 days (by default) without an agreed exit plan.",
    )
    STALLED = strawberry.enum_value(
        "STALLED",
        description="In a phase before ACTIVE for more than 60 days (by default).",
    )
    EARLY_SIGNAL = strawberry.enum_value(
        "EARLY_SIGNAL",
        description="Moderators and admins only: the first answers of a still open round, too few to count, are low "
        "(at most 2.5 by default) and 1.0 or more below the rounds before. Always LOW; it puts no project at risk "
        "and costs no health.",
    )


@strawberry.enum(description="How serious a risk flag is; grows with the distance past the threshold.")
class Severity(Enum):
    LOW = strawberry.enum_value("LOW", description="Worth watching.")
    MEDIUM = strawberry.enum_value("MEDIUM", description="Worth a conversation with the partners.")
    HIGH = strawberry.enum_value("HIGH", description="Needs action now.")


@strawberry.enum(description="A project's risk: the severity of its most severe open flag, NONE without one.")
class RiskLevel(Enum):
    NONE = strawberry.enum_value("NONE", description="No open risk flag.")
    LOW = strawberry.enum_value("LOW", description="Worth watching.")
    MEDIUM = strawberry.enum_value("MEDIUM", description="Worth a conversation with the partners.")
    HIGH = strawberry.enum_value("HIGH", description="Needs action now.")


@strawberry.enum(description="A language texts written for people can be asked in.")
class Language(Enum):
    EN = strawberry.enum_value("EN", description="English.")
    DE = strawberry.enum_value("DE", description="German (Deutsch).")


@strawberry.enum(description="How portfolio trends are grouped.")
class TrendGrouping(Enum):
    ORGANIZATION_KIND = strawberry.enum_value(
        "ORGANIZATION_KIND",
        description="One series per organization kind: how startups, SMEs, corporates and research institutes rate "
        "their cooperations.",
    )
    INDUSTRY = strawberry.enum_value("INDUSTRY", description="One series per industry of the answering organization.")


MEAN_COLUMN = {
    SatisfactionDimension.OVERALL: "mean_overall",
    SatisfactionDimension.EXPECTATIONS_MET: "mean_expectations_met",
    SatisfactionDimension.MUTUAL_BENEFIT: "mean_mutual_benefit",
    SatisfactionDimension.DECISION_SPEED: "mean_decision_speed",
    SatisfactionDimension.COMMUNICATION_TRUST: "mean_communication_trust",
}
