"""docker-compose.yml and the Dockerfile cannot be run here (no Docker engine): check them against the code."""

import re
import tomllib
from urllib.parse import urlsplit

import pytest
import yaml
from starlette.routing import Route
from typer.testing import CliRunner

from api.app import create_app
from partnerpulse.cli import app as cli_app
from partnerpulse.settings import Settings
from tests.helpers.paths import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
OWN_SERVICES = {name: s for name, s in SERVICES.items() if s.get("build") == "."}


def test_the_services_of_the_design_exist() -> None:
    assert set(SERVICES) == {"postgres", "redis", "migrate", "api", "worker"}
    assert set(OWN_SERVICES) == {"migrate", "api", "worker"}


def cli_accepts(args: list[str]) -> bool:
    """Whether `partnerpulse <args>` parses: with --help appended nothing runs, but an unknown command or
    option still fails, because click parses every argument before it acts on --help."""
    return CliRunner().invoke(cli_app, [*args, "--help"]).exit_code == 0


@pytest.mark.parametrize("service", sorted(OWN_SERVICES))
def test_commands_are_real_cli_commands(service: str) -> None:
    assert cli_accepts(OWN_SERVICES[service]["command"])
    health = OWN_SERVICES[service].get("healthcheck", {}).get("test", [])
    if health[1:2] == ["partnerpulse"]:
        assert cli_accepts(health[2:])


def test_cli_check_catches_unknown_options() -> None:
    """Guards the test above: the parser really rejects what the CLI does not have."""
    assert cli_accepts(["serve", "--workers", "2"])
    assert not cli_accepts(["serve", "--no-such-option"])
    assert not cli_accepts(["no-such-command"])


@pytest.mark.parametrize("service", sorted(OWN_SERVICES))
def test_environment_names_known_settings(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    environment = OWN_SERVICES[service]["environment"]
    fields = {f"PARTNERPULSE_{name.upper()}" for name in Settings.model_fields}
    for key in environment:
        assert key in {"DATABASE_URL", "REDIS_URL"} | fields, f"{service}: {key} is not a setting"
    for key, value in environment.items():
        monkeypatch.setenv(key, str(value))
    settings = Settings()
    assert settings.database_url == environment["DATABASE_URL"]
    assert settings.redis_url == environment["REDIS_URL"]


def test_urls_point_at_the_compose_servers_with_their_credentials() -> None:
    environment = OWN_SERVICES["api"]["environment"]
    database = urlsplit(environment["DATABASE_URL"])
    postgres_env = SERVICES["postgres"]["environment"]
    assert database.hostname == "postgres"
    assert (database.username, database.password, database.path.lstrip("/")) == (
        postgres_env["POSTGRES_USER"],
        postgres_env["POSTGRES_PASSWORD"],
        postgres_env["POSTGRES_DB"],
    )
    assert urlsplit(environment["REDIS_URL"]).hostname == "redis"


def test_start_order_and_health_checks() -> None:
    assert SERVICES["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for service in ("api", "worker"):
        depends = SERVICES[service]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}
        assert depends["redis"] == {"condition": "service_healthy"}
    for service in ("postgres", "redis", "api", "worker"):
        assert SERVICES[service]["healthcheck"]["test"], service


def test_api_health_check_calls_a_real_route_on_the_served_port(settings: Settings) -> None:
    api = SERVICES["api"]
    check = " ".join(api["healthcheck"]["test"])
    port = api["environment"]["PARTNERPULSE_PORT"]
    path = re.search(rf"127\.0\.0\.1:{port}(/\w+)", check).group(1)
    paths = {route.path for route in create_app(settings).routes if isinstance(route, Route)}
    assert path in paths
    assert any(mapping.split(":")[-1] == port for mapping in api["ports"])


def test_dockerfile_installs_every_package_and_runs_the_cli() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]]
    for package in packages:
        assert re.search(rf"^COPY {package} \./{package}$", dockerfile, re.M), f"Dockerfile does not copy {package}/"
    assert "bench" not in packages and not re.search(r"^COPY bench", dockerfile, re.M), "benchmarks are not the product"
    assert 'ENTRYPOINT ["partnerpulse"]' in dockerfile
    assert "partnerpulse" in pyproject["project"]["scripts"]


def seconds(duration: str) -> int:
    match = re.fullmatch(r"(\d+)s", duration)
    assert match, f"durations here are written in seconds: {duration!r}"
    return int(match.group(1))


@pytest.mark.parametrize("service", ["api", "worker"])
def test_docker_waits_longer_than_the_shutdown_grace(service: str) -> None:
    """Docker kills a container stop_grace_period after SIGTERM (default 10 s): in-flight requests and running
    jobs get PARTNERPULSE_SHUTDOWN_GRACE_SECONDS to finish, so Docker must wait longer than that."""
    environment = SERVICES[service]["environment"]
    grace = int(environment.get("PARTNERPULSE_SHUTDOWN_GRACE_SECONDS", Settings().shutdown_grace_seconds))
    assert seconds(SERVICES[service]["stop_grace_period"]) > grace


def test_the_dashboard_files_are_in_the_package() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "dashboard/*" in pyproject["tool"]["setuptools"]["package-data"]["api"]
