"""Which phase may follow which: forward one step at a time, TERMINATED from any open phase."""

from domain.vocabulary import FINAL_PHASES, NEXT_PHASE, Phase


def transition_error(current: str, target: str) -> str | None:
    """None when current → target is allowed, otherwise why not."""
    if current in FINAL_PHASES:
        return f"The project is {current}; that phase is final."
    if target == Phase.TERMINATED or NEXT_PHASE[Phase(current)] == target:
        return None
    return f"From {current} the project can move to {NEXT_PHASE[Phase(current)]} or TERMINATED, not {target}."
