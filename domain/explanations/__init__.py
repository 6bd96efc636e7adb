"""Explanations of risk findings, rendered per language from one template catalogue per language.

A rule says what it found as phrases: a template key and the values it fills in (`Phrase`). A catalogue
(`en.py`, `de.py`) maps every key to a template in its language; `render` fills the templates and makes one
sentence of them (joined by "; ", the first letter upper case, a full stop at the end). Templates are
`str.format` templates; a value's format says how it reads:

- `{x}` as it is (counts, round numbers, names); a `Phrase` value is rendered in the same language,
- `{x:.1}`, `{x:.2}` a number with that many decimals, in the language's decimal point and with a true minus,
- `{x:p}` a probability in per cent, kept within 1 % … 99 % (a statistical statement is never certain),
- `{x:%}`, `{x:%.1}` a share in per cent (rounded, or with one decimal),
- `{x:quoted}` a list of titles, each in the language's quotation marks, `{x:list}` a list joined by ", ",
- `{x:phase}` a project phase's name (the catalogue's `phase.<PHASE>` templates).

A new language is one more catalogue module registered in `CATALOGUES`; the flags store their explanations
keyed by language (no migration). tests/domain/test_explanations.py renders every finding of the rules'
simulation in every catalogue and checks that the catalogues have the same keys and placeholders.
"""

import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from domain.explanations import de, en


@dataclass(frozen=True)
class Phrase:
    """What a rule says, before it is put in words: a catalogue key and the values its template reads."""

    key: str
    values: Mapping[str, Any] = field(default_factory=dict)


CATALOGUES: dict[str, ModuleType] = {"en": en, "de": de}
LANGUAGES: tuple[str, ...] = tuple(CATALOGUES)


class _Formatter(string.Formatter):
    def __init__(self, catalogue: ModuleType) -> None:
        super().__init__()
        self.templates: Mapping[str, str] = catalogue.TEMPLATES
        self.decimal_point: str = catalogue.DECIMAL_POINT
        self.quotes: tuple[str, str] = catalogue.QUOTES

    def phrase(self, phrase: Phrase, capitalized: bool = False) -> str:
        template = self.templates[phrase.key]
        if capitalized:
            template = template[:1].upper() + template[1:]
        return self.vformat(template, (), phrase.values)

    def number(self, value: float, digits: int) -> str:
        return f"{value:.{digits}f}".replace("-", "−").replace(".", self.decimal_point)

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Phrase):
            return self.phrase(value)
        if format_spec == "":
            return str(value)
        if format_spec in (".1", ".2"):
            return self.number(value, int(format_spec[1:]))
        if format_spec == "p":
            return f"{min(99, max(1, round(100 * value)))} %"
        if format_spec == "%":
            return f"{round(100 * value)} %"
        if format_spec == "%.1":
            return f"{self.number(100 * value, 1)} %"
        if format_spec == "quoted":
            opening, closing = self.quotes
            return ", ".join(f"{opening}{title}{closing}" for title in value)
        if format_spec == "list":
            return ", ".join(str(item) for item in value)
        if format_spec == "phase":
            return self.templates[f"phase.{value}"]
        raise ValueError(f"unknown format {format_spec!r} in an explanation template")


_FORMATTERS = {language: _Formatter(catalogue) for language, catalogue in CATALOGUES.items()}


def render(phrases: Sequence[Phrase], language: str) -> str:
    """The explanation in `language`: the phrases as one sentence. KeyError for a key the catalogue lacks."""
    formatter = _FORMATTERS[language]
    text = "; ".join(formatter.phrase(phrase, capitalized=i == 0) for i, phrase in enumerate(phrases))
    return f"{text}." if text else ""


def render_all(phrases: Sequence[Phrase]) -> dict[str, str]:
    """The explanation in every language of the catalogues, keyed by language."""
    return {language: render(phrases, language) for language in LANGUAGES}


def placeholders(template: str) -> Iterable[tuple[str, str]]:
    """The (field, format) pairs a template reads, for the catalogues' test."""
    for _, name, spec, _ in string.Formatter().parse(template):
        if name is not None:
            yield name, spec or ""
