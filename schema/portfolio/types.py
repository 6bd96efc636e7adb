"""GraphQL types of the portfolio: monthly satisfaction per organization kind or industry."""

from datetime import date

import strawberry


@strawberry.type(description="One month of a portfolio series.")
class PortfolioPoint:
    period: date = strawberry.field(description="The first day of the month.")
    mean: float | None = strawberry.field(description="Mean score of the month's answers; null when suppressed.")
    response_count: int = strawberry.field(description="Answers in the month.")
    organization_count: int = strawberry.field(description="Organizations whose answers stand behind the mean.")
    suppressed: bool = strawberry.field(
        description="True for members when the mean is withheld: fewer organizations than the minimum group size "
        "stand behind it, or its value would follow from the other cells of either grouping."
    )


@strawberry.type(description="Satisfaction over time of one organization kind or one industry.")
class TrendSeries:
    key: str = strawberry.field(description="The kind's enum value (e.g. STARTUP) or the industry.")
    label: str = strawberry.field(description="A name for people, e.g. 'Startups' or 'Logistics'.")
    points: list[PortfolioPoint] = strawberry.field(description="One point per month with answers, oldest first.")
