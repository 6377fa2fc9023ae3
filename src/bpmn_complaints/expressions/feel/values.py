"""FEEL's values in Python, and the comparisons, equality and arithmetic DMN 1.3 gives them.

null is ``None``; numbers are :class:`~decimal.Decimal` (34 significant digits, as FEEL's
decimal128); strings, booleans, lists and contexts (``dict``) are Python's own; a date is a
``date``, a time a ``time``, a date and time a ``datetime``, a days and time duration a
``timedelta`` and a years and months duration a :class:`YearsMonths`. A type mismatch gives
null, never an exception: that is FEEL's rule.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from dataclasses import dataclass
from typing import Any

from ..errors import MAX_LENGTH, EvaluationError

__all__ = ["CONTEXT", "MAX_LENGTH", "FeelError", "Function", "Range", "UnaryTest", "YearsMonths"]

CONTEXT = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN, Emin=-6143, Emax=6144,
                          traps=[decimal.InvalidOperation, decimal.Overflow, decimal.DivisionByZero])
D = decimal.Decimal


class FeelError(EvaluationError):
    """A FEEL evaluation that has no value (the TCK's error results)."""


@dataclass(frozen=True)
class YearsMonths:
    """A years and months duration, as a signed number of months."""

    months: int

    def __str__(self) -> str:
        sign = "-" if self.months < 0 else ""
        years, months = divmod(abs(self.months), 12)
        if not years and not months:
            return "P0M"
        return sign + "P" + (f"{years}Y" if years else "") + (f"{months}M" if months else "")


@dataclass(frozen=True)
class Range:
    start: Any
    end: Any
    start_included: bool
    end_included: bool
    # A range written as a comparison, (< 10), has no start; (null..10) has a null one.
    unbounded: bool = False

    def contains(self, value: Any) -> bool | None:
        if value is None:
            return None
        if not self.unbounded and (self.start is None or self.end is None):
            return None
        if self.start is not None:
            low = compare(self.start, value)
            if low is None:
                return None
            if low > 0 or (low == 0 and not self.start_included):
                return False
        if self.end is not None:
            high = compare(value, self.end)
            if high is None:
                return None
            if high > 0 or (high == 0 and not self.end_included):
                return False
        return True


@dataclass(frozen=True)
class UnaryTest:
    """``(= x)`` or ``(!= x)`` as a value: a test, not a range."""

    op: str
    value: Any

    def test(self, value: Any) -> bool | None:
        same = equal(value, self.value)
        return same if self.op == "=" or same is None else not same


@dataclass
class Function:
    """A FEEL function value: user-defined (``function(a, b) ...``, a BKM) or built in."""

    params: list[str]
    body: Any  # a tree for user functions; a Python callable for built-ins
    closure: Any = None
    name: str = "anonymous"
    builtin: bool = False
    param_types: list[Any] | None = None


def is_number(value: Any) -> bool:
    return isinstance(value, D)


def number(value: Any) -> D:
    return CONTEXT.create_decimal(value)


def kind(value: Any) -> str:
    """The FEEL type name of a value."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, D):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.datetime):
        return "date and time"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dt.time):
        return "time"
    if isinstance(value, dt.timedelta):
        return "days and time duration"
    if isinstance(value, YearsMonths):
        return "years and months duration"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "context"
    if isinstance(value, Range):
        return "range"
    if isinstance(value, UnaryTest):
        return "range"  # (= x) and (!= x) are ranges of DMN 1.5, though no interval equals them
    if isinstance(value, Function):
        return "function"
    return type(value).__name__


def _comparable(a: Any, b: Any) -> bool:
    ka, kb = kind(a), kind(b)
    if ka != kb:
        return False
    if ka in ("date and time", "time"):
        # A local value and one with an offset cannot be ordered.
        return (_offset(a) is None) == (_offset(b) is None)
    return True


def _offset(value: dt.datetime | dt.time) -> dt.timedelta | None:
    if isinstance(value, dt.datetime):
        return value.utcoffset()
    if value.tzinfo is None:
        return None
    return value.tzinfo.utcoffset(None) if not hasattr(value.tzinfo, "key") else dt.datetime.combine(
        dt.date(2000, 1, 1), value).utcoffset()


def _time_key(value: dt.time) -> Any:
    seconds = value.hour * 3600 + value.minute * 60 + value.second + D(value.microsecond) / 1000000
    offset = _offset(value)
    if offset is not None:
        seconds -= D(offset.total_seconds())
    return seconds


def compare(a: Any, b: Any) -> int | None:
    """-1, 0 or 1 for two values of one ordered type; ``None`` if they cannot be ordered."""
    if not _comparable(a, b) or isinstance(a, (bool, list, dict, Range, Function)) or a is None:
        return None
    if isinstance(a, dt.time) and not isinstance(a, dt.datetime):
        ka, kb = _time_key(a), _time_key(b)
    elif isinstance(a, YearsMonths):
        ka, kb = a.months, b.months
    else:
        ka, kb = a, b
    return -1 if ka < kb else (1 if ka > kb else 0)


def equal(a: Any, b: Any) -> bool | None:
    """FEEL's ``=``: null equals only null; values of different types are not comparable (null)."""
    if a is None or b is None:
        return a is None and b is None
    ka, kb = kind(a), kind(b)
    if ka != kb:
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return False
        for x, y in zip(a, b, strict=True):
            same = equal(x, y)
            if not same:
                return same
        return True
    if isinstance(a, dict):
        if set(a) != set(b):
            return False
        for key in a:
            same = equal(a[key], b[key])
            if not same:
                return same
        return True
    if isinstance(a, UnaryTest) or isinstance(b, UnaryTest):
        if not (isinstance(a, UnaryTest) and isinstance(b, UnaryTest)):
            return False
    if isinstance(a, Range):
        if a.start is None or b.start is None:
            if not (a.start is None and b.start is None):
                return False
            return a.end_included == b.end_included and bool(equal(a.end, b.end))
        if a.end is None or b.end is None:
            if not (a.end is None and b.end is None):
                return False
            return a.start_included == b.start_included and bool(equal(a.start, b.start))
        return (a.start_included == b.start_included and a.end_included == b.end_included
                and bool(equal(a.start, b.start)) and bool(equal(a.end, b.end)))
    if isinstance(a, Function):
        return a is b
    if isinstance(a, UnaryTest):
        return a.op == b.op and bool(equal(a.value, b.value))
    if isinstance(a, (dt.datetime, dt.time)):
        if (_offset(a) is None) != (_offset(b) is None):
            return False
        if isinstance(a, dt.time) and not isinstance(a, dt.datetime):
            return bool(_time_key(a) == _time_key(b))
    return bool(a == b)


def checked(value: Any) -> Any:
    if isinstance(value, (str, list, dict)) and len(value) > MAX_LENGTH:
        raise FeelError(f"the result is too large (limit {MAX_LENGTH:,} items or characters)")
    return value


def _add_months(value: Any, months: int) -> Any:
    year, month = divmod(value.month - 1 + months, 12)
    year += value.year
    if not 1 <= year <= 9999:
        raise FeelError("the date is out of range")
    day = value.day
    while True:
        try:
            return value.replace(year=year, month=month + 1, day=day)
        except ValueError:
            day -= 1


def add(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if isinstance(a, D) and isinstance(b, D):
        return CONTEXT.add(a, b)
    if isinstance(a, str) and isinstance(b, str):
        return checked(a + b)
    if isinstance(a, YearsMonths) and isinstance(b, YearsMonths):
        return YearsMonths(a.months + b.months)
    if isinstance(a, dt.timedelta) and isinstance(b, dt.timedelta):
        return a + b
    if isinstance(b, (dt.date, dt.time)) and isinstance(a, (dt.timedelta, YearsMonths)):
        a, b = b, a
    if isinstance(a, dt.datetime) or (isinstance(a, dt.date) and not isinstance(a, dt.datetime)):
        if isinstance(b, YearsMonths):
            return _add_months(a, b.months)
        if isinstance(b, dt.timedelta):
            if isinstance(a, dt.datetime):
                return a + b
            return (dt.datetime.combine(a, dt.time()) + b).date()
    if isinstance(a, dt.time) and isinstance(b, dt.timedelta):
        moment = dt.datetime.combine(dt.date(2000, 1, 1), a) + b
        return moment.timetz()
    return None


def negate(a: Any) -> Any:
    if isinstance(a, D):
        return -a
    if isinstance(a, dt.timedelta):
        return -a
    if isinstance(a, YearsMonths):
        return YearsMonths(-a.months)
    return None


def subtract(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if isinstance(a, D) and isinstance(b, D):
        return CONTEXT.subtract(a, b)
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        if (a.utcoffset() is None) != (b.utcoffset() is None):
            return None
        return a - b
    if isinstance(a, dt.date) and isinstance(b, dt.date) and type(a) is type(b):
        return a - b
    if isinstance(a, dt.date) and isinstance(b, dt.date):  # a date and a date and time
        a2 = a if isinstance(a, dt.datetime) else dt.datetime.combine(a, dt.time(), getattr(b, "tzinfo", None))
        b2 = b if isinstance(b, dt.datetime) else dt.datetime.combine(b, dt.time(), getattr(a, "tzinfo", None))
        return subtract(a2, b2)
    if isinstance(a, dt.time) and isinstance(b, dt.time):
        return dt.timedelta(seconds=float(_time_key(a) - _time_key(b)))
    if isinstance(b, (dt.timedelta, YearsMonths)) and isinstance(a, (dt.date, dt.time, dt.timedelta, YearsMonths)):
        if isinstance(a, (dt.timedelta, YearsMonths)) and type(a) is not type(b):
            return None
        return add(a, negate(b))
    return None


def multiply(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if isinstance(a, D) and isinstance(b, D):
        return CONTEXT.multiply(a, b)
    if isinstance(a, D):
        a, b = b, a
    if isinstance(b, D):
        if isinstance(a, dt.timedelta):
            return _seconds(D(str(a.total_seconds())) * b)
        if isinstance(a, YearsMonths):
            return YearsMonths(int((a.months * b).to_integral_value(decimal.ROUND_DOWN)))
    return None


def _seconds(value: D) -> dt.timedelta:
    try:
        return dt.timedelta(seconds=float(value))
    except OverflowError:
        raise FeelError("the duration is out of range") from None


def divide(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    try:
        if isinstance(a, D) and isinstance(b, D):
            return CONTEXT.divide(a, b)
        if isinstance(a, dt.timedelta) and isinstance(b, D):
            return _seconds(CONTEXT.divide(D(str(a.total_seconds())), b))
        if isinstance(a, YearsMonths) and isinstance(b, D):
            return YearsMonths(int(CONTEXT.divide(D(a.months), b).to_integral_value(decimal.ROUND_DOWN)))
        if isinstance(a, dt.timedelta) and isinstance(b, dt.timedelta):
            return CONTEXT.divide(D(str(a.total_seconds())), D(str(b.total_seconds())))
        if isinstance(a, YearsMonths) and isinstance(b, YearsMonths):
            return CONTEXT.divide(D(a.months), D(b.months))
    except (decimal.DivisionByZero, decimal.InvalidOperation):
        return None
    return None


def power(a: Any, b: Any) -> Any:
    if isinstance(a, D) and isinstance(b, D):
        if abs(b) > 10000:
            raise FeelError("the exponent is too large (limit 10000)")
        try:
            if b == b.to_integral_value():
                return CONTEXT.power(a, int(b))
            return CONTEXT.power(a, b)
        except (decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow):
            return None
    return None


# -- durations and temporal text ----------------------------------------------------

_DURATION = re.compile(
    r"(?P<sign>-)?P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d*)?)S)?)?"
)


def parse_duration(text: str) -> dt.timedelta | YearsMonths | None:
    match = _DURATION.fullmatch(text.strip())
    if not match or text.strip().endswith(("P", "T")):
        return None
    parts = {k: v for k, v in match.groupdict().items() if v and k != "sign"}
    if not parts:
        return None
    sign = -1 if match["sign"] else 1
    if set(parts) <= {"years", "months"}:
        return YearsMonths(sign * (int(parts.get("years", 0)) * 12 + int(parts.get("months", 0))))
    if {"years", "months"} & set(parts):
        return None  # a mixed duration has no FEEL type
    seconds = D(parts.get("seconds", "0"))
    try:
        value = dt.timedelta(
            days=int(parts.get("days", 0)) + 7 * int(parts.get("weeks", 0)),
            hours=int(parts.get("hours", 0)), minutes=int(parts.get("minutes", 0)),
            seconds=int(seconds), microseconds=int((seconds % 1) * 1000000),
        )
    except OverflowError:
        return None
    return -value if sign < 0 else value


def format_timedelta(value: dt.timedelta) -> str:
    sign = "-" if value < dt.timedelta(0) else ""
    value = abs(value)
    days, seconds = value.days, value.seconds
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    out = f"{sign}P" + (f"{days}D" if days else "")
    time = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if secs or value.microseconds:
        frac = f"{value.microseconds:06d}".rstrip("0")
        time += f"{secs}.{frac}S" if frac else f"{secs}S"
    if time:
        out += "T" + time
    return out if out not in ("P", "-P") else "PT0S"


def to_string(value: Any) -> str | None:
    """FEEL's ``string()`` of a value."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, D):
        return format_number(value)
    if isinstance(value, dt.datetime):
        return _format_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return _format_time(value)
    if isinstance(value, dt.timedelta):
        return format_timedelta(value)
    if isinstance(value, YearsMonths):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_repr(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_repr(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Range):
        return (("[" if value.start_included else "(") + _repr(value.start) + ".." + _repr(value.end)
                + ("]" if value.end_included else ")"))
    return str(value)


def _repr(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return to_string(value) or ""


def format_number(value: D) -> str:
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _zone_suffix(value: dt.datetime | dt.time) -> str:
    tz = value.tzinfo
    if tz is None:
        return ""
    key = getattr(tz, "key", None)
    if key:
        return f"@{key}"
    offset = value.utcoffset() if isinstance(value, dt.datetime) else tz.utcoffset(None)
    if offset is None:
        return ""
    if offset == dt.timedelta(0):
        return "Z"
    sign = "-" if offset < dt.timedelta(0) else "+"
    seconds = int(abs(offset).total_seconds())
    text = f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"
    return text + (f":{seconds % 60:02d}" if seconds % 60 else "")


def _format_time(value: dt.time) -> str:
    text = f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    if value.microsecond:
        text += "." + f"{value.microsecond:06d}".rstrip("0")
    return text + _zone_suffix(value)


def _format_datetime(value: dt.datetime) -> str:
    year = f"{value.year:04d}"
    return f"{year}-{value.month:02d}-{value.day:02d}T{_format_time(value.timetz())}"
