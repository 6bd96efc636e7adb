"""`satisfactionTrends`: the portfolio, refreshed by a worker at least once a minute."""

from datetime import date
from itertools import groupby
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from db import portfolio
from schema.context import Context
from schema.enums import SatisfactionDimension, TrendGrouping
from schema.errors import bad_input
from schema.permissions import require_member
from schema.portfolio.types import PortfolioPoint, TrendSeries

KIND_LABELS = {
    "STARTUP": "Startups",
    "SME": "SMEs (Mittelstand)",
    "CORPORATE": "Corporates",
    "RESEARCH_INSTITUTE": "Research institutes",
}


async def resolve_satisfaction_trends(
    info: Info[Context, Any],
    group_by: Annotated[
        TrendGrouping, strawberry.argument(description="One series per organization kind or per industry.")
    ],
    dimension: Annotated[
        SatisfactionDimension, strawberry.argument(description="Which survey score the means are of.")
    ] = SatisfactionDimension.OVERALL,
    from_: Annotated[date | None, strawberry.argument(name="from", description="First month (inclusive).")] = None,
    to: Annotated[date | None, strawberry.argument(description="Last month (inclusive).")] = None,
) -> list[TrendSeries]:
    principal = require_member(info)
    if from_ and to and from_ > to:
        raise bad_input("`from` must not be after `to`.")
    # admins read the live portfolio; members the closed months as published under disclosure control
    series_of = portfolio.portfolio_series if principal.is_admin else portfolio.published_portfolio_series
    async with info.context.pool.acquire() as connection:
        rows = await series_of(connection, group_by.value, dimension.value, from_, to)
    series = []
    for key, points in groupby(rows, key=lambda row: row["key"]):
        series.append(
            TrendSeries(
                key=key,
                label=KIND_LABELS.get(key, key) if group_by is TrendGrouping.ORGANIZATION_KIND else key,
                points=[
                    PortfolioPoint(
                        period=row["period"],
                        mean=row["mean"] if row["released"] else None,
                        response_count=row["response_count"],
                        organization_count=row["organization_count"],
                        suppressed=not row["released"],
                    )
                    for row in points
                ],
            )
        )
    return series
