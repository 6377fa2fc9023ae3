"""Business calendar: working days are the configured country's working week (Monday to
Friday when no country is set), minus its public holidays and the organisation's closures."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

import holidays
from flask import current_app

__all__ = ["BusinessCalendar", "business_calendar"]

# Bounds the day-by-day loops, so an expression such as
# add_business_days(now(), 10**9) fails fast instead of spinning.
MAX_BUSINESS_DAYS = 25_000
MAX_SPAN = timedelta(days=36_525)


def _to_utc(value: datetime | date | str) -> datetime:
    """An aware UTC datetime from a datetime, a date or an ISO 8601 string.

    Naive values are taken to be UTC already; a date means midnight UTC. Strings
    are accepted because task data holds datetimes as JSON strings.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"'{value}' is not an ISO 8601 date or date-time") from None
    if not isinstance(value, datetime):
        if not isinstance(value, date):
            raise TypeError(f"expected a datetime, not {type(value).__name__}")
        value = datetime.combine(value, time())
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _to_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"closure day '{value}' is not an ISO 8601 date (YYYY-MM-DD)") from None


class BusinessCalendar:
    """Counts business days for due dates and service-level measures.

    :param country: ISO 3166-1 alpha-2 code whose public holidays and weekend apply
        (e.g. ``"GB"``; ``"SA"`` and ``"IL"`` rest on Friday and Saturday), or ``None``
        for a Saturday-and-Sunday weekend and no holidays.
    :param subdivision: a region of that country as the ``holidays`` package
        names it (e.g. ``"ENG"``, ``"CA"``), or ``None`` for national holidays only.
    :param closures: the organisation's own closure days, as dates or ISO strings.
    :raises ValueError: unknown country or subdivision, or a closure that is not a date.
    """

    def __init__(self, country: str | None = None, subdivision: str | None = None,
                 closures: Iterable[date | str] = ()):
        if subdivision is not None and country is None:
            raise ValueError(f"subdivision '{subdivision}' needs a country")
        if country is not None:
            country = country.strip().upper()
            supported = holidays.list_supported_countries()
            if country not in supported:
                raise ValueError(f"unknown country '{country}' for the business calendar; "
                                 "use an ISO 3166-1 alpha-2 code such as 'GB'")
            try:
                # Constructing is the only check that also accepts the package's
                # subdivision aliases ("England" as well as "ENG").
                holidays.country_holidays(country, subdiv=subdivision)
            except NotImplementedError:
                raise ValueError(f"unknown subdivision '{subdivision}' of {country}; "
                                 f"known: {', '.join(supported[country])}") from None
        self.country = country
        self.subdivision = subdivision
        # The weekdays (Monday = 0) the country rests on, as the holidays package knows
        # them, instead of a hand-coded Saturday and Sunday.
        self.weekend: frozenset[int] = frozenset(
            holidays.country_holidays(country, subdiv=subdivision).weekend if country else (5, 6))
        self.closures = frozenset(_to_date(day) for day in closures)
        self._holidays_by_year: dict[int, frozenset[date]] = {}

    def __repr__(self) -> str:
        return (f"BusinessCalendar(country={self.country!r}, subdivision={self.subdivision!r}, "
                f"closures={len(self.closures)})")

    def _holidays(self, year: int) -> frozenset[date]:
        # One immutable set per year, so concurrent readers never see a half-filled
        # holidays object (the package fills its dict lazily on lookup).
        found = self._holidays_by_year.get(year)
        if found is None:
            if self.country is None:
                found = frozenset()
            else:
                found = frozenset(holidays.country_holidays(self.country, subdiv=self.subdivision, years=year))
            self._holidays_by_year[year] = found
        return found

    def is_business_day(self, day: date) -> bool:
        """True on the country's working days unless it is a public holiday or a closure.

        :param day: the date (a datetime counts by its date).
        """
        if isinstance(day, datetime):
            day = day.date()
        return day.weekday() not in self.weekend and day not in self.closures and day not in self._holidays(day.year)

    def add_business_days(self, start: datetime, n: int) -> datetime:
        """Move ``n`` business days from ``start``, keeping the time of day.

        Counting starts on the day after ``start``'s date, so Friday 10:00 + 1 is
        Monday 10:00 and Saturday + 1 is Monday. ``n=0`` returns ``start`` (in UTC)
        even on a weekend; a negative ``n`` counts backwards.

        :param start: aware datetime (naive means UTC); a date or ISO string also works.
        :param n: number of business days.
        :returns: an aware UTC datetime.
        :raises ValueError: ``|n|`` above ``MAX_BUSINESS_DAYS`` or a date out of range.
        """
        start = _to_utc(start)
        if not isinstance(n, int):
            raise TypeError(f"the number of business days must be an integer, not {type(n).__name__}")
        if abs(n) > MAX_BUSINESS_DAYS:
            raise ValueError(f"cannot add {n} business days (limit {MAX_BUSINESS_DAYS:,})")
        step = timedelta(days=1 if n > 0 else -1)
        day, remaining = start.date(), abs(n)
        try:
            while remaining:
                day += step
                if self.is_business_day(day):
                    remaining -= 1
        except OverflowError:
            raise ValueError("the resulting date is out of range") from None
        return datetime.combine(day, start.timetz())

    def business_days_between(self, start: datetime, end: datetime) -> int:
        """Whole business days from ``start`` to ``end``; negative if ``end`` is earlier.

        The inverse of :meth:`add_business_days`, rounded towards zero: for a later
        ``end``, the largest ``n`` with ``add_business_days(start, n) <= end``; for an
        earlier one, minus the largest ``n`` with ``add_business_days(start, -n) >= end``.
        So Friday 10:00 to Monday 09:00 is 0, and to Monday 10:00 is 1.

        :param start: aware datetime (naive means UTC); a date or ISO string also works.
        :param end: the same.
        :raises ValueError: the span is longer than about a hundred years.
        """
        start, end = _to_utc(start), _to_utc(end)
        if end < start:
            return -self._whole_days_back(start, end)
        if end - start > MAX_SPAN:
            raise ValueError("the span is too long to count business days (limit 100 years)")
        days = [start.date() + timedelta(days=i) for i in range(1, (end.date() - start.date()).days + 1)]
        count = sum(1 for day in days if self.is_business_day(day))
        # The last business day only counts once its time of day has been reached.
        if count and self.is_business_day(end.date()) and datetime.combine(end.date(), start.timetz()) > end:
            count -= 1
        return count

    def _whole_days_back(self, start: datetime, end: datetime) -> int:
        """The largest ``n`` with ``add_business_days(start, -n) >= end``."""
        if start - end > MAX_SPAN:
            raise ValueError("the span is too long to count business days (limit 100 years)")
        days = [end.date() + timedelta(days=i) for i in range((start.date() - end.date()).days)]
        count = sum(1 for day in days if self.is_business_day(day))
        if count and self.is_business_day(end.date()) and datetime.combine(end.date(), start.timetz()) < end:
            count -= 1
        return count


def business_calendar() -> BusinessCalendar:
    """The calendar of ``CALENDAR_COUNTRY``/``CALENDAR_SUBDIVISION``/``CALENDAR_CLOSURES``
    that timers and service-level measures count business days on (one per app)."""
    cfg = current_app.config
    key = (cfg["CALENDAR_COUNTRY"], cfg["CALENDAR_SUBDIVISION"], tuple(cfg["CALENDAR_CLOSURES"]))
    cache = current_app.extensions.setdefault("complaints_calendars", {})
    if key not in cache:
        cache[key] = BusinessCalendar(*key[:2], closures=key[2])
    calendar: BusinessCalendar = cache[key]
    return calendar
