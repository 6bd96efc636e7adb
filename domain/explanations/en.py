"""English explanations of the risk findings: one template per phrase a rule can say (see __init__.py for
the formats). Written as clauses: the renderer joins a finding's phrases and ends the sentence."""

DECIMAL_POINT = "."
QUOTES = ("“", "”")

TEMPLATES: dict[str, str] = {
    "LOW_SATISFACTION": (
        "Overall satisfaction is likely at or below {threshold:.1} ({probability:p}): round {round} averaged "
        "{mean:.1} from {responses} answers"
    ),
    "LOW_SATISFACTION.shrunk": (
        "Overall satisfaction is likely at or below {threshold:.1} ({probability:p}): round {round} averaged "
        "{mean:.1} from {responses} answers, an estimated level of {estimate:.1} with the rounds before"
    ),
    "DECLINING_SATISFACTION": (
        "Overall satisfaction is likely declining ({probability:p} that it fell by more than {margin:.1}): from "
        "{before:.1} before round {since} to {after:.1} since; {first:.1} to {last:.1} over the last {count} rounds"
    ),
    "DECLINING_SATISFACTION.slope": (
        "Overall satisfaction is likely declining ({probability:p} that it fell by more than {margin:.1}): from "
        "{before:.1} before round {since} to {after:.1} since; {first:.1} to {last:.1} over the last {count} rounds "
        "({slope:.2} per round)"
    ),
    "SATISFACTION_GAP": (
        "{name} is likely less satisfied than the other partners by more than {threshold:.1} ({probability:p}): "
        "it rated overall satisfaction {own:.1} in round(s) {rounds:list} while the others rated it {others:.1} "
        "(a gap of {gap:.1})"
    ),
    "SILENT_PARTNER": (
        "{name} has not answered the last {missed} survey rounds (rounds {first}–{last}); it answered {answered} "
        "of {before} rounds before"
    ),
    "RESPONSE_RATE_DROP": (
        "Rounds {first}–{last} got {answers} of {expected} expected answers, where the project usually gets "
        "{usual:%} (this few by chance: {chance:%.1})"
    ),
    "EARLY_SIGNAL": (
        "Early signal: the first answers in open round {round} ({answers} expected) average {mean:.1}{compared}. "
        "Too few to judge yet; the rules count the round once it closes or has its quorum"
    ),
    "EARLY_SIGNAL.below": ", {drop:.1} below the {usual:.1} of the rounds before",
    "UNMET_EXPECTATIONS.low": (
        "expectations met is likely at or below {threshold:.1} ({probability:p}): {mean:.1} in round {round}, "
        "an estimated level of {estimate:.1}"
    ),
    "UNMET_EXPECTATIONS.goal": "{count} goal is past due and still open ({titles:quoted}; up to {days} days)",
    "UNMET_EXPECTATIONS.goals": "{count} goals are past due and still open ({titles:quoted}; up to {days} days)",
    "NO_EXIT_PLAN": "The project has been active for {days} days without an agreed exit plan",
    "STALLED": "The project has been in the {phase:phase} phase for {days} days without moving on",
    # parts of phrases
    "a partner": "A partner",
    "answers of expected": "{answers} of {expected}",
    "nothing": "",
    "phase.ASSESSMENT": "assessment",
    "phase.GOAL_SETTING": "goal setting",
    "phase.PARTNER_SEARCH": "partner search",
    "phase.INITIATION": "initiation",
    "phase.ACTIVE": "active",
}
