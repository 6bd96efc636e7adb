"""The README's configuration table and the settings agree: every variable is documented, and the README
names no variable that does not exist."""

import re
from pathlib import Path

from pydantic import AliasChoices

from partnerpulse.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def environment_names() -> set[str]:
    prefix = Settings.model_config.get("env_prefix", "")
    names = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias or field.alias
        if isinstance(alias, AliasChoices):
            alias = alias.choices[0]  # the name the README uses; the others are accepted spellings
        names.add(alias if isinstance(alias, str) else f"{prefix}{name}".upper())
    return names


def test_every_setting_is_in_the_readme_table() -> None:
    table = README[README.index("| variable | default | meaning |") :].split("\n\n")[0]
    documented = set(re.findall(r"`((?:PARTNERPULSE_)?[A-Z][A-Z_]+)`", table))
    assert environment_names() - documented == set()


def test_the_readme_names_only_real_settings() -> None:
    mentioned = set(re.findall(r"\bPARTNERPULSE_[A-Z_]*[A-Z]\b", README))
    not_settings = {
        "PARTNERPULSE_TOKEN",  # the token of `partnerpulse export`, an option of that command
        "PARTNERPULSE_SCREENSHOTS",  # these two steer the test suite, not the service
        "PARTNERPULSE_REQUIRE_BROWSER",
    }
    assert mentioned - environment_names() - not_settings == set()
