"""The configuration table (docs/operations.md) and the settings agree: every variable is documented there,
and no page of the documentation names a variable that does not exist."""

import re

from pydantic import AliasChoices

from partnerpulse.settings import Settings
from tests.helpers.paths import ROOT

OPERATIONS = (ROOT / "docs" / "operations.md").read_text()
DOCUMENTATION = "\n".join(
    path.read_text() for path in [ROOT / "README.md", ROOT / "SECURITY.md", *sorted((ROOT / "docs").rglob("*.md"))]
)


def environment_names() -> set[str]:
    prefix = Settings.model_config.get("env_prefix", "")
    names = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias or field.alias
        if isinstance(alias, AliasChoices):
            alias = alias.choices[0]  # the name the documentation uses; the others are accepted spellings
        names.add(alias if isinstance(alias, str) else f"{prefix}{name}".upper())
    return names


def test_every_setting_is_in_the_configuration_table() -> None:
    table = OPERATIONS[OPERATIONS.index("| variable | default | meaning |") :].split("\n\n")[0]
    documented = set(re.findall(r"`((?:PARTNERPULSE_)?[A-Z][A-Z_]+)`", table))
    assert environment_names() - documented == set()


def test_the_documentation_names_only_real_settings() -> None:
    mentioned = set(re.findall(r"\bPARTNERPULSE_[A-Z_]*[A-Z]\b", DOCUMENTATION))
    not_settings = {
        "PARTNERPULSE_TOKEN",  # the token of `partnerpulse export`, an option of that command
        "PARTNERPULSE_SCREENSHOTS",  # these two steer the test suite, not the service
        "PARTNERPULSE_REQUIRE_BROWSER",
    }
    assert mentioned - environment_names() - not_settings == set()
