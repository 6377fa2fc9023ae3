"""Bare ISO 8601 timer values (durations, date-times, repeating intervals), as modelers write them."""

from __future__ import annotations

import re
from datetime import datetime

_NUMBER = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"P(?:(?P<years>{_NUMBER})Y)?(?:(?P<months>{_NUMBER})M)?(?:(?P<weeks>{_NUMBER})W)?"
    rf"(?:(?P<days>{_NUMBER})D)?(?:(?P<t>T)(?:(?P<hours>{_NUMBER})H)?"
    rf"(?:(?P<minutes>{_NUMBER})M)?(?:(?P<seconds>{_NUMBER})S)?)?"
)
_DURATION_PARTS = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)


def _is_duration(text: str) -> bool:
    match = _DURATION.fullmatch(text)
    if not match:
        return False
    parts = [part for part in _DURATION_PARTS if match[part]]
    time_parts = {"hours", "minutes", "seconds"} & set(parts)
    # The same rules SpiffWorkflow's parser applies: something after P and after T,
    # weeks not mixed with other date parts, a fraction only on the last part.
    return bool(
        parts
        and bool(match["t"]) == bool(time_parts)
        and not ("weeks" in parts and {"years", "months", "days"} & set(parts))
        and not any(set(".,") & set(match[part]) for part in parts[:-1])
    )


def _is_datetime(text: str) -> bool:
    if not _DATETIME.fullmatch(text):
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _is_repeating(text: str) -> bool:
    match = re.fullmatch(r"R\d*/(.+)", text)
    if not match:
        return False
    parts = match[1].split("/")
    if len(parts) == 1:
        return _is_duration(parts[0])
    if len(parts) == 2:
        start, end = parts
        return (_is_datetime(start) and _is_duration(end)) or (_is_duration(start) and _is_datetime(end))
    return False


# Cron as Camunda writes it (Quartz, Spring): 5 to 7 fields of cron characters, or a macro.
# Only the shape is recognised here; engine/cron.py reads and bounds it.
_CRON_FIELD = (r"(?:[0-9*?/,#LW\-]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC"
               r"|MON|TUE|WED|THU|FRI|SAT|SUN)+")
_CRON = re.compile(rf"{_CRON_FIELD}(?:[ \t]+{_CRON_FIELD}){{4,6}}"
                   r"|@(?:yearly|annually|monthly|weekly|daily|midnight|hourly)", re.IGNORECASE)


def is_cron_text(text: str) -> bool:
    """Whether ``text`` has the shape of a cron value (``0 0 9 * * MON-FRI``, ``@daily``)."""
    return isinstance(text, str) and bool(_CRON.fullmatch(text.strip()))


def parse_timer_literal(text: str) -> str | None:
    """Recognise a bare ISO 8601 timer value, as typed in Camunda Modeler.

    Accepts a duration (``P7D``, ``PT4H``, ``P1DT2H``, ``P2W``), a date or date-time
    (``2026-12-01``, ``2026-12-01T09:00:00Z``, with or without an offset) and a
    repeating interval (``R3/PT1H``, ``R/P1D``, ``R2/2026-12-01T09:00:00Z/P1D``,
    ``R/P1D/2026-12-31T00:00:00Z``), or a cron value for a cycle (``0 0 9 * * MON-FRI``,
    read by the engine). Designators must be upper case.

    :param text: the timer value from the diagram.
    :returns: the stripped text if it is such a literal, else ``None`` (treat it
        as an expression).
    """
    if not isinstance(text, str):
        return None
    text = text.strip()
    if _is_duration(text) or _is_datetime(text) or _is_repeating(text) or is_cron_text(text):
        return text
    return None
