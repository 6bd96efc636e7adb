"""schema/schema.graphql is the printed SDL frontends read; it must match the code."""

import subprocess
import sys

from schema import schema
from tests.helpers.paths import ROOT

SDL_FILE = ROOT / "schema" / "schema.graphql"


def test_committed_sdl_matches_the_code() -> None:
    assert SDL_FILE.read_text() == schema.as_str() + "\n", (
        "schema/schema.graphql is stale: run `partnerpulse schema print > schema/schema.graphql`"
    )


def test_cli_prints_the_sdl() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "partnerpulse", "schema", "print"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert printed.stdout == SDL_FILE.read_text()


def test_every_type_and_field_is_described() -> None:
    """GraphiQL's documentation explorer explains the domain: every type, field (input fields included),
    argument and enum value of our own is described."""
    missing = []
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID", "Date", "DateTime"}:
            continue
        if not graphql_type.description:
            missing.append(name)
        for field_name, field in getattr(graphql_type, "fields", {}).items():
            if not field.description:
                missing.append(f"{name}.{field_name}")
            for argument_name, argument in getattr(field, "args", {}).items():
                if not argument.description:
                    missing.append(f"{name}.{field_name}({argument_name})")
        for value_name, value in getattr(graphql_type, "values", {}).items():
            if not value.description:
                missing.append(f"{name}.{value_name}")
    assert missing == []


def test_contract_names_exist() -> None:
    """The names the API contract promises to frontends, with their types and arguments."""
    graphql_schema = schema._schema
    query = graphql_schema.query_type.fields
    expected_queries = {
        "node": ("Node", {"id"}),
        "viewer": ("Viewer!", set()),
        "organizations": ("OrganizationConnection!", {"kind", "industry", "search", "first", "after"}),
        "startups": ("StartupConnection!", {"first", "after"}),
        "smes": ("SmeConnection!", {"first", "after"}),
        "cooperationProjects": (
            "CooperationProjectConnection!",
            {"phase", "organizationId", "atRisk", "first", "after"},
        ),
        "marketplace": ("CooperationProjectConnection!", {"first", "after"}),
    }
    for name, (type_name, arguments) in expected_queries.items():
        assert str(query[name].type) == type_name, name
        assert set(query[name].args) == arguments, name
    mutations = graphql_schema.mutation_type.fields
    for name in [
        "createOrganization", "updateOrganization", "createCooperationProject", "addProjectPartner",
        "advanceProjectPhase", "addProjectGoal", "updateProjectGoal", "setExitPlan", "publishProject",
    ]:  # fmt: skip
        payload = name[0].upper() + name[1:] + "Payload"
        assert str(mutations[name].type) == payload + "!"
        assert str(mutations[name].args["input"].type) == name[0].upper() + name[1:] + "Input!"
        assert "userErrors" in graphql_schema.type_map[payload].fields
    organization = graphql_schema.type_map["Organization"]
    for kind in ("Startup", "Sme", "Corporate", "ResearchInstitute"):
        assert organization in graphql_schema.type_map[kind].interfaces
    assert set(graphql_schema.type_map["UserError"].fields) == {"field", "code", "message"}
