"""The health gate: a run that finds far fewer events than the last good one is suspect."""

from __future__ import annotations


def suspect_reason(found: int, last_good: int | None) -> str | None:
    """Why a run that found `found` events is suspect, or None if it is not.

    It is when the last good run found some and this one finds none, or
    fewer than half as many.
    """
    if not last_good or found * 2 >= last_good:
        return None
    found_text = "no events" if found == 0 else f"{found} event{'' if found == 1 else 's'}"
    enough = (last_good + 1) // 2
    return (
        f"found {found_text}, the last good run found {last_good}: "
        f"nothing is removed until a run finds at least {enough}"
    )
