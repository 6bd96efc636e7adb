"""The GraphQL schema, sliced by domain (organizations, projects, surveys, risk, portfolio)."""

import strawberry

from schema.viewer import Viewer, resolve_viewer


@strawberry.type
class Query:
    viewer: Viewer = strawberry.field(resolver=resolve_viewer, description="Who am I: role and organization.")


schema = strawberry.Schema(query=Query)
