"""Cron ``timeCycle`` values, as Camunda reads them, computed by croniter.

Camunda 7 reads Quartz cron and Camunda 8 Spring cron: six fields with the seconds first
(``0 0 9 ? * MON-FRI``), Quartz with an optional seventh, the year, and Spring's macros
(``@daily``, ``@hourly``...). Both engines fire a cron timer again and again; here, as
every time is, in UTC. What the two read differently is refused rather than read one way:
numbers for the day of the week (Quartz counts from 1 = Sunday, Spring from 0 = Sunday:
write ``MON``-``SUN``), and Quartz's nearest weekday ``W``. Five-field Unix cron is refused
too, as both engines refuse it. The bounds (a period of at least a minute, a first time
within reach) are :mod:`.timer_limits`'.
"""

from __future__ import annotations

import re
from datetime import datetime

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

from ..expressions import is_cron_text

MACROS = {
    "@yearly": "0 0 0 1 1 *", "@annually": "0 0 0 1 1 *", "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * SUN", "@daily": "0 0 0 * * *", "@midnight": "0 0 0 * * *", "@hourly": "0 0 * * * *",
}
SEARCH_YEARS = 100  # how far ahead croniter looks for the next time before giving up
_NUMERIC_DAY = re.compile(r"\d")


class CronError(ValueError):
    """A cron value Camunda would not run, or that we would run differently."""


def is_cron(text: str) -> bool:
    """Whether the timer value ``text`` is written as cron (not ISO 8601)."""
    return is_cron_text(text)


def _fields(text: str) -> str:
    text = text.strip()
    if text.lower() in MACROS:
        return MACROS[text.lower()]
    fields = text.split()
    if len(fields) == 5:
        raise CronError(f"{text!r} has five fields; Camunda reads cron with the seconds first (six fields, like "
                        "'0 0 9 * * MON-FRI')")
    if len(fields) not in (6, 7):
        raise CronError(f"{text!r} is not cron: six fields (seconds first), or seven with the year")
    if _NUMERIC_DAY.search(fields[5]):
        raise CronError(f"the day of the week in {text!r} is a number, which Camunda 7 (Quartz: 1 = Sunday) and "
                        "Camunda 8 (Spring: 0 = Sunday) read differently: write MON, TUE... SUN")
    if "W" in fields[3].upper():
        raise CronError(f"{text!r} uses Quartz's nearest weekday (W), which is not supported")
    return " ".join(fields)


def next_time(text: str, after: datetime) -> datetime:
    """The first time after ``after`` (aware, UTC) that the cron ``text`` names.

    :raises CronError: if it is no cron we run, or names no time within a century.
    """
    fields = _fields(text)
    try:
        found: datetime = croniter(fields, after, second_at_beginning=True,
                                   max_years_between_matches=SEARCH_YEARS).get_next(datetime)
    except CroniterBadDateError:
        raise CronError(f"{text!r} names no time in the next {SEARCH_YEARS} years") from None
    except (CroniterBadCronError, ValueError, KeyError) as err:
        raise CronError(f"{text!r} is not valid cron: {err}") from None
    return found
