"""The domain's enums, shared by the slices."""

from enum import Enum
from typing import Any, TypeVar

import strawberry

from schema.enum_values import described

E = TypeVar("E", bound=Enum)


def member(enum: type[E], value: Any) -> E:
    """`enum(value)` for a value read from a row, without the enum machinery's call: the lookup
    `Enum.__new__` makes first (its value-to-member table), the call itself for anything that table lacks.
    The pages build a few hundred members each."""
    try:
        return enum._value2member_map_[value]  # type: ignore[return-value]  # the table holds enum's members
    except (KeyError, TypeError):
        return enum(value)


@strawberry.enum(description="What kind of organization a member is.")
class OrganizationKind(Enum):
    STARTUP = described("STARTUP", description="A young, fast-growing company (has a funding stage).")
    SME = described(
        "SME",
        description="A small or medium-sized enterprise, the Mittelstand (has a revenue band).",
    )
    CORPORATE = described("CORPORATE", description="A large company.")
    RESEARCH_INSTITUTE = described(
        "RESEARCH_INSTITUTE",
        description="A university or research institute; often moderates projects.",
    )


@strawberry.enum(description="Funding stage of a startup.")
class FundingStage(Enum):
    PRE_SEED = described(
        "PRE_SEED",
        description="Before the first outside round: founders, friends, grants.",
    )
    SEED = described("SEED", description="First outside round.")
    SERIES_A = described("SERIES_A", description="First venture round after the seed.")
    SERIES_B = described("SERIES_B", description="Second venture round.")
    GROWTH = described("GROWTH", description="Later rounds: scaling an established business.")


@strawberry.enum(
    description="Annual revenue band of an SME: MICRO < 2 M EUR, SMALL < 10 M, MEDIUM < 50 M, "
    "UPPER_MEDIUM < 250 M (the 'gehobener Mittelstand')."
)
class RevenueBand(Enum):
    MICRO = described("MICRO", description="Less than 2 M EUR a year.")
    SMALL = described("SMALL", description="2 to 10 M EUR a year.")
    MEDIUM = described("MEDIUM", description="10 to 50 M EUR a year.")
    UPPER_MEDIUM = described(
        "UPPER_MEDIUM",
        description="50 to 250 M EUR a year (the 'gehobener Mittelstand').",
    )


@strawberry.enum(
    description="Phases of a cooperation: ASSESSMENT → GOAL_SETTING → PARTNER_SEARCH → INITIATION → ACTIVE → "
    "COMPLETED, one step at a time; TERMINATED from any open phase. COMPLETED and TERMINATED are final."
)
class ProjectPhase(Enum):
    ASSESSMENT = described(
        "ASSESSMENT",
        description="Assessing the own situation and whether to cooperate.",
    )
    GOAL_SETTING = described("GOAL_SETTING", description="Setting the goals of the cooperation.")
    PARTNER_SEARCH = described("PARTNER_SEARCH", description="Looking for the right partner.")
    INITIATION = described("INITIATION", description="First contact and agreement with the partner.")
    ACTIVE = described("ACTIVE", description="The cooperation is running; partners answer pulse surveys.")
    COMPLETED = described(
        "COMPLETED",
        description="Ended as planned (final); may be published on the marketplace.",
    )
    TERMINATED = described("TERMINATED", description="Ended early (final).")


@strawberry.enum(description="What the partners do together.")
class CooperationKind(Enum):
    PRODUCT_DEVELOPMENT = described("PRODUCT_DEVELOPMENT", description="Developing a product together.")
    TECHNOLOGY_PILOT = described(
        "TECHNOLOGY_PILOT",
        description="Trying a partner's technology in a pilot.",
    )
    CLOUD_INTEGRATION = described(
        "CLOUD_INTEGRATION",
        description="Integrating systems or moving them to the cloud.",
    )
    MARKETING = described("MARKETING", description="Joint marketing or sales.")
    OUTSOURCING = described("OUTSOURCING", description="One partner does work for the other.")
    STRATEGIC_PARTNERSHIP = described(
        "STRATEGIC_PARTNERSHIP",
        description="A long-term partnership on several fronts.",
    )
    RESEARCH = described("RESEARCH", description="Joint research, usually with a research institute.")


@strawberry.enum(
    description="A partner's role: LEAD runs the project, PARTNER takes part, MODERATOR (usually a research "
    "institute) coordinates neutrally, sees individual answers and does not answer surveys."
)
class PartnerRole(Enum):
    LEAD = described(
        "LEAD",
        description="Runs the project; may open survey rounds and manage goals and the exit plan.",
    )
    PARTNER = described("PARTNER", description="Takes part and answers the surveys.")
    MODERATOR = described(
        "MODERATOR",
        description="Coordinates neutrally, sees individual answers, does not answer surveys. Appointed by "
        "admins only.",
    )


@strawberry.enum(description="Where an invitation to join a project stands.")
class InvitationStatus(Enum):
    INVITED = described("INVITED", description="Waiting for the invited organization's answer.")
    ACCEPTED = described("ACCEPTED", description="Accepted: the organization is a partner.")
    DECLINED = described("DECLINED", description="Declined; it may be invited again.")


@strawberry.enum(description="Status of a goal a partner expects from the cooperation.")
class GoalStatus(Enum):
    OPEN = described("OPEN", description="Not yet reached; past its due date it raises UNMET_EXPECTATIONS.")
    ACHIEVED = described("ACHIEVED", description="Reached.")
    MISSED = described("MISSED", description="Not reached by its due date.")
    DROPPED = described("DROPPED", description="No longer pursued.")


@strawberry.enum(description="Whether a survey round takes answers.")
class RoundStatus(Enum):
    OPEN = described("OPEN", description="Takes answers; at most one per project.")
    CLOSED = described("CLOSED", description="Takes no more answers.")


@strawberry.enum(description="What a pulse survey asks: Likert scores 1 (very poor) to 5 (very good).")
class SatisfactionDimension(Enum):
    OVERALL = described("OVERALL", description="Overall satisfaction with the cooperation.")
    EXPECTATIONS_MET = described(
        "EXPECTATIONS_MET",
        description="How far the partner's expectations are met.",
    )
    MUTUAL_BENEFIT = described("MUTUAL_BENEFIT", description="Whether both sides gain (win-win).")
    DECISION_SPEED = described(
        "DECISION_SPEED",
        description="Whether decisions come at the partner's speed.",
    )
    COMMUNICATION_TRUST = described("COMMUNICATION_TRUST", description="Open communication and trust.")


@strawberry.enum(description='Why a partnership is at risk (docs/design.md, "Risk rules", explains each rule).')
class RiskReason(Enum):
    LOW_SATISFACTION = described(
        "LOW_SATISFACTION",
        description="Overall satisfaction is likely low: the latest known round's mean, shrunk toward the rounds "
        "before, is at or below 2.5 with a probability of at least 95 % (by default).",
    )
    DECLINING_SATISFACTION = described(
        "DECLINING_SATISFACTION",
        description="Overall satisfaction likely fell: the rounds since a change point among the last three known "
        "rounds sit more than 0.3 below the rounds before with a probability of at least 95 % (by default).",
    )
    SATISFACTION_GAP = described(
        "SATISFACTION_GAP",
        description="Over the last two known rounds one partner likely rates overall satisfaction more than 1.0 "
        "below the other partners (probability of at least 95 %, by default); the flag names that partner.",
    )
    SILENT_PARTNER = described(
        "SILENT_PARTNER",
        description="A partner answered none of the last two or more closed rounds, and at its own answer rate "
        "that is unlikely to be chance (at most 0.3 %, by default); the flag names the partner.",
    )
    RESPONSE_RATE_DROP = described(
        "RESPONSE_RATE_DROP",
        description="The last two closed rounds got fewer answers than the project usually gets, unlikely by chance "
        "(at most 0.2 %, by default): an early sign of disengagement.",
    )
    UNMET_EXPECTATIONS = described(
        "UNMET_EXPECTATIONS",
        description="Expectations met is likely low (estimated level at or below 2.0 by default, as for "
        "LOW_SATISFACTION), or a goal is past due and still OPEN.",
    )
    NO_EXIT_PLAN = described(
        "NO_EXIT_PLAN",
        description="ACTIVE for more than 90 days (by default) without an agreed exit plan.",
    )
    STALLED = described(
        "STALLED",
        description="In a phase before ACTIVE for more than 60 days (by default).",
    )
    EARLY_SIGNAL = described(
        "EARLY_SIGNAL",
        description="Moderators and admins only: the first answers of a still open round, too few to count, are low "
        "(at most 2.5 by default) and 1.0 or more below the rounds before. Always LOW; it puts no project at risk "
        "and costs no health.",
    )


@strawberry.enum(description="How serious a risk flag is; grows with the distance past the threshold.")
class Severity(Enum):
    LOW = described("LOW", description="Worth watching.")
    MEDIUM = described("MEDIUM", description="Worth a conversation with the partners.")
    HIGH = described("HIGH", description="Needs action now.")


@strawberry.enum(description="A project's risk: the severity of its most severe open flag, NONE without one.")
class RiskLevel(Enum):
    NONE = described("NONE", description="No open risk flag.")
    LOW = described("LOW", description="Worth watching.")
    MEDIUM = described("MEDIUM", description="Worth a conversation with the partners.")
    HIGH = described("HIGH", description="Needs action now.")


@strawberry.enum(description="A language texts written for people can be asked in.")
class Language(Enum):
    EN = described("EN", description="English.")
    DE = described("DE", description="German (Deutsch).")


@strawberry.enum(description="How portfolio trends are grouped.")
class TrendGrouping(Enum):
    ORGANIZATION_KIND = described(
        "ORGANIZATION_KIND",
        description="One series per organization kind: how startups, SMEs, corporates and research institutes rate "
        "their cooperations.",
    )
    INDUSTRY = described("INDUSTRY", description="One series per industry of the answering organization.")


MEAN_COLUMN = {
    SatisfactionDimension.OVERALL: "mean_overall",
    SatisfactionDimension.EXPECTATIONS_MET: "mean_expectations_met",
    SatisfactionDimension.MUTUAL_BENEFIT: "mean_mutual_benefit",
    SatisfactionDimension.DECISION_SPEED: "mean_decision_speed",
    SatisfactionDimension.COMMUNICATION_TRUST: "mean_communication_trust",
}
