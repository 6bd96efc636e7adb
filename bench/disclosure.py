"""What disclosure control costs plain partners: answer-derived values they see, against an admin's view.

    python -m bench.disclosure [--seed 42]

Loads the demo network (`partnerpulse seed`) into a fresh database (bench/system.py: DATABASE_URL and
REDIS_URL, else embedded servers), recomputes it (`partnerpulse recompute`), then reads every (plain partner,
project it is a plain partner of) through the API with the partner's token and the same project with an
admin token. Counts the non-null values of each kind — round means per dimension (satisfactionTrend points),
the latest statistics' means and NPS, per-kind means, trend slopes and levels, the health score — and the
flags with their severities, and prints per kind: partner count, admin count, share; then the portfolio
(satisfactionTrends, both groupings, every dimension) of one member against an admin.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
from collections import Counter
from typing import Any

import asyncpg
import httpx
from strawberry.relay import to_base64

from api.app import create_app
from bench.system import fresh_database
from db.demo import plan_network
from db.seed import load_network
from db.tokens import create_token
from partnerpulse.settings import Settings

DIMENSIONS = ("OVERALL", "EXPECTATIONS_MET", "MUTUAL_BENEFIT", "DECISION_SPEED", "COMMUNICATION_TRUST")
FLAGS, SEVERITIES = "flags", "flag severities"
PROJECT = (
    "query($id: ID!) { node(id: $id) { ... on CooperationProject { viewerRole "
    + " ".join(f"t_{d}: satisfactionTrend(dimension: {d}, last: 100) {{ mean }}" for d in DIMENSIONS)
    + " latestStatistics { nps "
    + " ".join(f"m_{d}: mean(dimension: {d})" for d in DIMENSIONS)
    + " meanByKind { "
    + " ".join(f"k_{d}: mean(dimension: {d})" for d in DIMENSIONS)
    + " } } trends { slope smoothed } health { score riskLevel } riskFlags { reason severity } } } }"
)
PORTFOLIO = """query($g: TrendGrouping!, $d: SatisfactionDimension!) {
  satisfactionTrends(groupBy: $g, dimension: $d) { points { mean } } }"""


def values_of(node: dict[str, Any]) -> Counter[str]:
    """Non-null answer-derived values of one project view, per kind of value."""
    seen: Counter[str] = Counter()
    for d in DIMENSIONS:
        seen["round means"] += sum(point["mean"] is not None for point in node[f"t_{d}"])
    if statistics := node["latestStatistics"]:
        seen["latest means"] += sum(statistics[f"m_{d}"] is not None for d in DIMENSIONS)
        seen["latest NPS"] += statistics["nps"] is not None
        seen["per-kind means"] += sum(k[f"k_{d}"] is not None for k in statistics["meanByKind"] for d in DIMENSIONS)
    seen["trends"] += sum((t["slope"] is not None) + (t["smoothed"] is not None) for t in node["trends"])
    seen["health score"] += bool(node["health"] and node["health"]["score"] is not None)
    seen[FLAGS] += len(node["riskFlags"])
    seen[SEVERITIES] += sum(1 for flag in node["riskFlags"] if flag["severity"])
    return seen


async def seed(dsn: str, seed: int) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await load_network(connection, plan_network(seed=seed))
    finally:
        await connection.close()


def recompute(dsn: str, redis_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": dsn, "REDIS_URL": redis_url}
    subprocess.run([sys.executable, "-m", "partnerpulse", "recompute"], check=True, env=env, capture_output=True)


async def measure(dsn: str, redis_url: str) -> dict[str, Any]:
    connection = await asyncpg.connect(dsn)
    try:
        pairs = await connection.fetch(
            "SELECT project_id, organization_id FROM project_partners WHERE role IN ('LEAD', 'PARTNER') "
            "ORDER BY project_id, organization_id"
        )
        admin = (await create_token(connection, organization_id=None))[1]
        tokens = {
            org: (await create_token(connection, organization_id=org))[1]
            for org in sorted({pair["organization_id"] for pair in pairs})
        }
    finally:
        await connection.close()
    partner, full = Counter[str](), Counter[str]()
    same_health, counted = Counter[str](), 0
    partner_flags, full_flags = Counter[str](), Counter[str]()
    portfolio: dict[str, Counter[str]] = {"member": Counter(), "admin": Counter()}
    app = create_app(Settings(database_url=dsn, redis_url=redis_url))
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://b") as client:

        async def read(query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
            response = await client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
            body = response.json()
            if "errors" in body:
                raise RuntimeError(body["errors"])
            return body["data"]

        admin_views: dict[int, dict[str, Any]] = {}
        for pair in pairs:
            project = pair["project_id"]
            variables = {"id": to_base64("CooperationProject", project)}
            node = (await read(PROJECT, variables, tokens[pair["organization_id"]]))["node"]
            if node is None or node["viewerRole"] not in ("LEAD", "PARTNER"):
                continue  # left the project
            if project not in admin_views:
                admin_views[project] = (await read(PROJECT, variables, admin))["node"]
            view = admin_views[project]
            counted += 1
            partner.update(values_of(node))
            full.update(values_of(view))
            partner_flags.update(f"{f['reason']}/{f['severity']}" for f in node["riskFlags"])
            full_flags.update(f"{f['reason']}/{f['severity']}" for f in view["riskFlags"])
            if node["health"] and view["health"]:
                same_health["score"] += node["health"]["score"] == view["health"]["score"]
                same_health["riskLevel"] += node["health"]["riskLevel"] == view["health"]["riskLevel"]
        member = tokens[pairs[0]["organization_id"]]
        for who, token in (("member", member), ("admin", admin)):
            for grouping in ("ORGANIZATION_KIND", "INDUSTRY"):
                for d in DIMENSIONS:
                    data = await read(PORTFOLIO, {"g": grouping, "d": d}, token)
                    points = [p for series in data["satisfactionTrends"] for p in series["points"]]
                    portfolio[who][f"{grouping} points"] += len(points)
                    portfolio[who][f"{grouping} means"] += sum(p["mean"] is not None for p in points)
    numeric = [kind for kind in full if kind not in (FLAGS, SEVERITIES)]
    return {
        "pairs": counted,
        "projects": len(admin_views),
        "per kind": {
            kind: {"partner": partner[kind], "admin": full[kind], "share": round(partner[kind] / full[kind], 3)}
            for kind in sorted(full)
            if full[kind]
        },
        "numeric values": {
            "partner": sum(partner[k] for k in numeric),
            "admin": sum(full[k] for k in numeric),
            "share": round(sum(partner[k] for k in numeric) / max(1, sum(full[k] for k in numeric)), 3),
        },
        "health equal to the admin's (pairs)": dict(same_health),
        "partner flags (reason/severity, over pairs)": dict(sorted(partner_flags.items())),
        "admin flags (reason/severity, over pairs)": dict(sorted(full_flags.items())),
        "portfolio (one member, every dimension)": {who: dict(counts) for who, counts in portfolio.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with fresh_database("pp_disclosure") as (dsn, redis_url):
        asyncio.run(seed(dsn, args.seed))
        recompute(dsn, redis_url)
        print(json.dumps(asyncio.run(measure(dsn, redis_url)), indent=1))


if __name__ == "__main__":
    main()
