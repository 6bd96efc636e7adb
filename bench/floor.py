"""The floor: the benchmark's three answers, each from one hand-written SQL query returning JSON, served by
a bare Starlette app on the same server set-up as the API. GraphQL's latency is compared against this.

    DATABASE_URL=… uvicorn bench.floor:app --workers 2
"""

import contextlib
import os
from collections.abc import AsyncIterator

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DASHBOARD = """
SELECT json_build_object('atRiskProjects', json_build_object('edges', coalesce(json_agg(
    json_build_object('node', json_build_object(
        'title', x.title, 'partners', x.partners, 'latestStatistics', x.latest, 'riskFlags', coalesce(x.flags, '[]')))
    ORDER BY x.rank DESC, x.id DESC), '[]')))
FROM (
    SELECT p.id, p.title, h.risk_rank AS rank,
        (SELECT json_agg(json_build_object('role', pp.role, 'organization', json_build_object('name', o.name))
                         ORDER BY pp.role, pp.joined_on, pp.organization_id)
         FROM project_partners pp JOIN organizations o ON o.id = pp.organization_id
         WHERE pp.project_id = p.id) AS partners,
        (SELECT json_build_object('responseCount', s.response_count, 'mean', s.mean_overall)
         FROM round_statistics s WHERE s.project_id = p.id AND s.response_count > 0
         ORDER BY s.sequence DESC LIMIT 1) AS latest,
        (SELECT json_agg(json_build_object('reason', f.reason, 'severity', f.severity, 'explanation', f.explanation)
                         ORDER BY f.severity DESC, f.raised_at DESC, f.id DESC)
         FROM risk_flags f WHERE f.project_id = p.id AND f.resolved_at IS NULL AND f.audience = 'FULL') AS flags
    FROM project_health h JOIN cooperation_projects p ON p.id = h.project_id
    WHERE h.risk_level <> 'NONE'
    ORDER BY h.risk_rank DESC, h.project_id DESC LIMIT 20
) x
"""

PROJECT = """
SELECT json_build_object('node', json_build_object(
    'title', p.title, 'phase', p.phase,
    'partners', (SELECT json_agg(json_build_object('role', pp.role, 'organization', json_build_object('name', o.name))
                                 ORDER BY pp.role, pp.joined_on, pp.organization_id)
                 FROM project_partners pp JOIN organizations o ON o.id = pp.organization_id WHERE pp.project_id = p.id),
    'goals', coalesce((SELECT json_agg(json_build_object('title', g.title, 'status', g.status, 'dueOn', g.due_on)
                                       ORDER BY g.id) FROM project_goals g WHERE g.project_id = p.id), '[]'),
    'satisfactionTrend', coalesce((SELECT json_agg(json_build_object('sequence', t.sequence, 'mean', t.mean_overall)
                                                   ORDER BY t.sequence)
                                   FROM (SELECT sequence, mean_overall FROM round_statistics WHERE project_id = p.id
                                         ORDER BY sequence DESC LIMIT 12) t), '[]'),
    'riskFlags', coalesce((SELECT json_agg(json_build_object('reason', f.reason, 'severity', f.severity,
                                                             'explanation', f.explanation)
                                           ORDER BY f.severity DESC, f.raised_at DESC, f.id DESC)
                           FROM risk_flags f
                           WHERE f.project_id = p.id AND f.resolved_at IS NULL AND f.audience = 'FULL'), '[]'),
    'surveyRounds', json_build_object('edges', coalesce((
        SELECT json_agg(json_build_object('node', json_build_object(
            'sequence', r.sequence, 'status', r.status,
            'responseCount', (SELECT count(*) FROM survey_responses s WHERE s.round_id = r.id),
            'expectedResponses', (SELECT count(*) FROM survey_round_participants e WHERE e.round_id = r.id)))
            ORDER BY r.sequence DESC)
        FROM (SELECT * FROM survey_rounds WHERE project_id = p.id ORDER BY sequence DESC LIMIT 12) r), '[]'))))
FROM cooperation_projects p WHERE p.id = $1
"""

DIRECTORY = """
SELECT json_build_object('organizations', json_build_object('edges', json_agg(
    json_build_object('node', json_build_object('name', o.name, 'kind', o.kind, 'city', o.city,
                                                'projectCount', o.project_count)) ORDER BY o.name, o.id)))
FROM (
    SELECT o.id, o.name, o.kind, o.city,
           (SELECT count(*) FROM project_partners pp WHERE pp.organization_id = o.id) AS project_count
    FROM organizations o ORDER BY o.name, o.id LIMIT 100
) o
"""


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=2, max_size=10)
    yield
    await app.state.pool.close()


async def dashboard(request: Request) -> Response:
    async with request.app.state.pool.acquire() as connection:
        return Response('{"data":' + await connection.fetchval(DASHBOARD) + "}", media_type="application/json")


async def project(request: Request) -> Response:
    async with request.app.state.pool.acquire() as connection:
        body = await connection.fetchval(PROJECT, int(request.path_params["id"]))
    return Response('{"data":' + body + "}", media_type="application/json")


async def directory(request: Request) -> Response:
    async with request.app.state.pool.acquire() as connection:
        return Response('{"data":' + await connection.fetchval(DIRECTORY) + "}", media_type="application/json")


async def healthz(request: Request) -> Response:
    return Response("ok")


app = Starlette(
    routes=[
        Route("/dashboard", dashboard),
        Route("/project/{id:int}", project),
        Route("/directory", directory),
        Route("/healthz", healthz),
    ],
    lifespan=lifespan,
)
