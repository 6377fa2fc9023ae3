"""Timer values the engine can compute in bounded time, checked at deploy (literals) and
again when a timer starts (expressions), so that no value hangs an engine step.

SpiffWorkflow adds a duration's months one by one (``P99999999999Y`` is a trillion of
them), and a repeating timer with a zero period fires without end (``R999999999/PT0S``).
A duration is at most :data:`MAX_TIMER_YEARS`, a repeat count at most
:data:`MAX_TIMER_REPEATS`, and a repeating period at least :data:`MIN_TIMER_PERIOD`; a cron
cycle (:mod:`.cron`) must name a time within a century and never fire twice within
:data:`MIN_TIMER_PERIOD`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .cron import CronError, is_cron, next_time

MAX_TIMER_YEARS = 100
MAX_TIMER_REPEATS = 1000
MIN_TIMER_PERIOD = timedelta(minutes=1)
# Upper bounds of one unit in days, to judge a duration without computing it.
_DAYS_PER = {"years": 366.0, "months": 31.0, "weeks": 7.0, "days": 1.0, "hours": 1 / 24, "minutes": 1 / 1440,
             "seconds": 1 / 86400}
_REPEAT = re.compile(r"R(\d*)/(.+)")


class TimerOutOfBounds(ValueError):
    """A timer value the engine would take too long, or forever, to compute or to run."""


def check_duration(text: str, start: datetime) -> timedelta:
    """The duration ``text`` from ``start``.

    :raises TimerOutOfBounds: if it is longer than :data:`MAX_TIMER_YEARS`.
    :raises ValueError: if it is no ISO 8601 duration.
    """
    parsed = TimerEventDefinition.parse_iso_duration(text.strip())
    days = sum(float(parsed.get(unit, 0) or 0) * per for unit, per in _DAYS_PER.items())
    if days > MAX_TIMER_YEARS * 366:
        raise TimerOutOfBounds(f"the duration {text!r} is longer than {MAX_TIMER_YEARS} years")
    try:
        duration: timedelta = TimerEventDefinition.get_timedelta_from_start(dict(parsed), start)
        start + duration  # noqa: B018  # a date past year 9999 overflows here
    except (OverflowError, ValueError) as err:
        raise TimerOutOfBounds(f"the duration {text!r} from {start:%Y-%m-%d} is beyond any date") from err
    return duration


# Consecutive cron times compared to find its shortest period: with two or more seconds
# in a minute, some two of the first three are within the same minute.
CRON_SAMPLES = 10


def check_cron(text: str, now: datetime) -> datetime:
    """The first time of the cron cycle ``text`` after ``now``.

    :raises TimerOutOfBounds: if it fires more often than every :data:`MIN_TIMER_PERIOD`.
    :raises ValueError: if it is no cron we run (:class:`.cron.CronError`), or names no time
        within a century.
    """
    first = moment = next_time(text, now)
    for _ in range(CRON_SAMPLES):
        try:
            following = next_time(text, moment)
        except CronError:
            break  # a cron with a year runs out
        if following - moment < MIN_TIMER_PERIOD:
            raise TimerOutOfBounds(f"the cron {text!r} fires more often than every "
                                   f"{MIN_TIMER_PERIOD.total_seconds():g} s")
        moment = following
    return first


def check_cycle(text: str, now: datetime) -> None:
    """A repeating interval ``R[n]/...`` whose count and period the engine can run, or a
    cron cycle (:func:`check_cron`).

    :raises TimerOutOfBounds: for more than :data:`MAX_TIMER_REPEATS` repeats or a period
        shorter than :data:`MIN_TIMER_PERIOD`.
    """
    if is_cron(text):
        check_cron(text, now)
        return
    match = _REPEAT.fullmatch(text.strip().upper())
    if not match:
        raise ValueError(f"{text!r} is no repeating interval (R[n]/...)")
    count, rest = match.groups()
    if count and int(count) > MAX_TIMER_REPEATS:
        raise TimerOutOfBounds(f"the repeat count of {text!r} is more than {MAX_TIMER_REPEATS}")
    parts = rest.split("/")
    durations = [part for part in parts if part.startswith("P")]
    if not durations:
        dates = [TimerEventDefinition.parse_time_or_duration(part) for part in parts]
        period = dates[1] - dates[0] if len(dates) == 2 else timedelta(0)
    else:
        period = check_duration(durations[0], now)
    if period < MIN_TIMER_PERIOD:
        raise TimerOutOfBounds(f"the period of {text!r} is shorter than {MIN_TIMER_PERIOD.total_seconds():g} s")


def check_timer(kind: str, text: str, now: datetime) -> None:
    """Check a timer value of ``kind`` (``timeDate``, ``timeDuration`` or ``timeCycle``).

    :raises TimerOutOfBounds: if the engine could not compute or run it in bounded time.
    """
    if kind == "timeDuration" or (kind == "timeDate" and text.strip().startswith("P")):
        check_duration(text, now)
    elif kind == "timeCycle":
        check_cycle(text, now)
    elif is_cron(text):
        raise CronError(f"cron {text!r} is only for a timeCycle (Camunda reads it nowhere else)")
