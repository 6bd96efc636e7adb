"""Which phase may follow which: forward one step at a time, TERMINATED from any open phase."""

OPEN_PHASES = ("ASSESSMENT", "GOAL_SETTING", "PARTNER_SEARCH", "INITIATION", "ACTIVE")
FINAL_PHASES = ("COMPLETED", "TERMINATED")
NEXT_PHASE = dict(zip(OPEN_PHASES, [*OPEN_PHASES[1:], "COMPLETED"], strict=True))


def transition_error(current: str, target: str) -> str | None:
    """None when current → target is allowed, otherwise why not."""
    if current in FINAL_PHASES:
        return f"The project is {current}; that phase is final."
    if target == "TERMINATED" or NEXT_PHASE[current] == target:
        return None
    return f"From {current} the project can move to {NEXT_PHASE[current]} or TERMINATED, not {target}."
