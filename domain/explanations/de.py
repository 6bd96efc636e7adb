"""German explanations of the risk findings: the same keys and placeholders as en.py (see __init__.py for
the formats). Written as clauses: the renderer joins a finding's phrases and ends the sentence."""

DECIMAL_POINT = ","
QUOTES = ("„", "“")

TEMPLATES: dict[str, str] = {
    "LOW_SATISFACTION": (
        "Die Gesamtzufriedenheit liegt wahrscheinlich auf oder unter {threshold:.1} ({probability:p}): Runde "
        "{round} ergab im Mittel {mean:.1} aus {responses} Antworten"
    ),
    "LOW_SATISFACTION.shrunk": (
        "Die Gesamtzufriedenheit liegt wahrscheinlich auf oder unter {threshold:.1} ({probability:p}): Runde "
        "{round} ergab im Mittel {mean:.1} aus {responses} Antworten, mit den Runden davor geschätzt {estimate:.1}"
    ),
    "DECLINING_SATISFACTION": (
        "Die Gesamtzufriedenheit sinkt wahrscheinlich ({probability:p}, dass sie um mehr als {margin:.1} fiel): "
        "von {before:.1} vor Runde {since} auf {after:.1} seitdem; in den letzten {count} Runden von {first:.1} "
        "auf {last:.1}"
    ),
    "DECLINING_SATISFACTION.slope": (
        "Die Gesamtzufriedenheit sinkt wahrscheinlich ({probability:p}, dass sie um mehr als {margin:.1} fiel): "
        "von {before:.1} vor Runde {since} auf {after:.1} seitdem; in den letzten {count} Runden von {first:.1} "
        "auf {last:.1} ({slope:.2} je Runde)"
    ),
    "SATISFACTION_GAP": (
        "{name} ist wahrscheinlich um mehr als {threshold:.1} weniger zufrieden als die anderen Partner "
        "({probability:p}): Gesamtzufriedenheit {own:.1} in Runde(n) {rounds:list}, die anderen {others:.1} "
        "(Abstand {gap:.1})"
    ),
    "SILENT_PARTNER": (
        "{name} hat die letzten {missed} Befragungsrunden nicht beantwortet (Runden {first}–{last}); davor "
        "{answered} von {before} Runden"
    ),
    "RESPONSE_RATE_DROP": (
        "Die Runden {first}–{last} erhielten {answers} von {expected} erwarteten Antworten, sonst sind es "
        "{usual:%} (so wenige zufällig: {chance:%.1})"
    ),
    "EARLY_SIGNAL": (
        "Frühes Signal: die ersten Antworten in der offenen Runde {round} ({answers} erwartet) ergeben im Mittel "
        "{mean:.1}{compared}. Noch zu wenige für ein Urteil; die Regeln zählen die Runde, sobald sie geschlossen "
        "ist oder ihr Quorum hat"
    ),
    "EARLY_SIGNAL.below": ", {drop:.1} unter den {usual:.1} der Runden davor",
    "UNMET_EXPECTATIONS.low": (
        "die Erwartungserfüllung liegt wahrscheinlich auf oder unter {threshold:.1} ({probability:p}): {mean:.1} "
        "in Runde {round}, geschätzt {estimate:.1}"
    ),
    "UNMET_EXPECTATIONS.goal": "{count} Ziel ist überfällig und noch offen ({titles:quoted}; bis zu {days} Tage)",
    "UNMET_EXPECTATIONS.goals": "{count} Ziele sind überfällig und noch offen ({titles:quoted}; bis zu {days} Tage)",
    "NO_EXIT_PLAN": "Das Projekt ist seit {days} Tagen aktiv, ohne dass ein Exit-Plan vereinbart ist",
    "STALLED": "Das Projekt steht seit {days} Tagen in der Phase „{phase:phase}“, ohne voranzukommen",
    # parts of phrases
    "a partner": "Ein Partner",
    "answers of expected": "{answers} von {expected}",
    "nothing": "",
    "phase.ASSESSMENT": "Bewertung",
    "phase.GOAL_SETTING": "Zielsetzung",
    "phase.PARTNER_SEARCH": "Partnersuche",
    "phase.INITIATION": "Anbahnung",
    "phase.ACTIVE": "Aktiv",
}
