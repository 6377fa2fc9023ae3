"""FEEL's built-in functions (DMN 1.3 section 10.3.4, plus the range functions and the few
Camunda 8 adds, such as ``is defined``), each bounded by the package's limits.

A built-in given arguments of the wrong type answers null, as FEEL requires. Regular
expressions (``matches``, ``replace``) refuse nested quantifiers, the patterns that can take
exponential time in Python's engine.
"""

from __future__ import annotations

import builtins as _py
import datetime as dt
import decimal
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import MAX_LENGTH
from ..patterns import nested_repeat
from . import values as v
from .values import CONTEXT, D, FeelError, Function, Range, YearsMonths

BUILTINS: dict[str, Function] = {}

_ERRORS = (TypeError, ValueError, ArithmeticError, decimal.InvalidOperation, OverflowError, KeyError,
           IndexError, AttributeError, re.error)


def builtin(name: str, *signatures: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn`` under ``name``. Each signature is a comma-separated parameter list;
    ``?`` marks an optional parameter and ``*`` a variadic one. The signature whose
    parameters fit the call is used; ``fn`` gets them as keyword arguments."""
    parsed = [[p.strip() for p in sig.split(",") if p.strip()] for sig in signatures]

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(interp: Any, positional: list[Any], named: dict[str, Any]) -> Any:
            for sig in parsed:
                bound = _bind(sig, positional, named)
                if bound is not None:
                    try:
                        return v.checked(fn(interp, **bound))
                    except FeelError:
                        raise
                    except _ERRORS:
                        return None
            return None

        previous = BUILTINS.get(name)
        if previous is not None:
            first = previous.body

            def either(interp: Any, positional: list[Any], named: dict[str, Any]) -> Any:
                for sig in parsed:
                    if _bind(sig, positional, named) is not None:
                        return call(interp, positional, named)
                return first(interp, positional, named)

            previous.body = either
        else:
            BUILTINS[name] = Function([p.strip("?*") for p in parsed[0]], call, None, name, builtin=True)
        return fn

    return register


def _key(param: str) -> str:
    key = param.strip("?*").replace(" ", "_")
    return "from_" if key == "from" else key


def _bind(sig: list[str], positional: list[Any], named: dict[str, Any]) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    if named:
        names = {p.strip("?*"): p for p in sig}
        if set(named) - set(names):
            return None
        for p in sig:
            bare = p.strip("?*")
            if bare in named:
                out[_key(p)] = named[bare]
            elif p.endswith("?"):
                out[_key(p)] = None
            elif p.endswith("*"):
                out[_key(p)] = []
            else:
                return None
        return out
    i = 0
    for p in sig:
        if p.endswith("*"):
            out[_key(p)] = positional[i:]
            i = len(positional)
        elif i < len(positional):
            out[_key(p)] = positional[i]
            i += 1
        elif p.endswith("?"):
            out[_key(p)] = None
        else:
            return None
    if i < len(positional):
        return None
    return out


def _num(x: Any) -> bool:
    return isinstance(x, D)


def _int(x: Any) -> int:
    if not _num(x) or x != x.to_integral_value():
        raise TypeError("not a whole number")
    return int(x)


def _str(x: Any) -> bool:
    return isinstance(x, str)


# -- conversions --------------------------------------------------------------------

_DATE = re.compile(r"(-?\d{4,9})-(\d{2})-(\d{2})")
_TIME = re.compile(r"(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2}|@[A-Za-z_/+\-0-9]+)?")


def _zone(text: str | None) -> dt.tzinfo | None:
    if not text:
        return None
    if text == "Z":
        return dt.UTC
    if text.startswith("@"):
        try:
            return ZoneInfo(text[1:])
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone") from None
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 14:
        raise ValueError("offset out of range")
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def parse_date(text: str) -> dt.date | None:
    m = _DATE.fullmatch(text)
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def parse_time(text: str) -> dt.time | None:
    m = _TIME.fullmatch(text)
    if not m:
        return None
    try:
        hour, minute, second = int(m[1]), int(m[2]), int(m[3])
        if hour == 24 and minute == 0 and second == 0:
            hour = 0
        # FEEL keeps milliseconds: finer digits are dropped.
        micro = int((m[4] or ".0")[1:4].ljust(3, "0")) * 1000
        return dt.time(hour, minute, second, micro, tzinfo=_zone(m[5]))
    except ValueError:
        return None


def parse_datetime(text: str) -> dt.datetime | dt.date | None:
    if "T" not in text:
        day = parse_date(text)
        return dt.datetime.combine(day, dt.time()) if day else None
    day_text, time_text = text.split("T", 1)
    day, time = parse_date(day_text), parse_time(time_text)
    if day is None or time is None:
        return None
    if time_text.startswith("24:"):
        day = day + dt.timedelta(days=1)
    return dt.datetime.combine(day, time)


def temporal_literal(text: str) -> Any:
    """The value of ``@"..."``: a date, a time, a date and time or a duration."""
    if text.startswith(("P", "-P")):
        value: Any = v.parse_duration(text)
    elif "T" in text:
        value = parse_datetime(text)
    elif ":" in text:
        value = parse_time(text)
    else:
        value = parse_date(text)
    if value is None:
        raise FeelError(f"@{text!r} is not a date, time or duration")
    return value


@builtin("date", "from", "year, month, day")
def _date(_i: Any, from_: Any = None, year: Any = None, month: Any = None, day: Any = None) -> Any:
    if year is not None or month is not None or day is not None:
        return dt.date(_int(year), _int(month), _int(day))
    if isinstance(from_, str):
        return parse_date(from_)
    if isinstance(from_, dt.datetime):
        return from_.date()
    if isinstance(from_, dt.date):
        return from_
    return None


@builtin("date and time", "from", "date, time")
def _date_and_time(_i: Any, from_: Any = None, date: Any = None, time: Any = None) -> Any:
    if date is not None or time is not None:
        if isinstance(date, dt.date) and isinstance(time, dt.time) and not isinstance(time, dt.datetime):
            day = date.date() if isinstance(date, dt.datetime) else date
            return dt.datetime.combine(day, time)
        return None
    if isinstance(from_, str):
        if "T" not in from_:
            return None if parse_date(from_) is None else parse_datetime(from_)
        return parse_datetime(from_)
    if isinstance(from_, dt.datetime):
        return from_
    if isinstance(from_, dt.date):
        return dt.datetime.combine(from_, dt.time())
    return None


@builtin("time", "from", "hour, minute, second, offset?")
def _time(_i: Any, from_: Any = None, hour: Any = None, minute: Any = None, second: Any = None,
          offset: Any = None) -> Any:
    if hour is not None:
        sec = second if _num(second) else None
        if sec is None:
            return None
        whole = int(sec)
        micro = int((sec - whole) * 1000000)
        tz = None
        if offset is not None:
            if not isinstance(offset, dt.timedelta):
                return None
            tz = dt.timezone(offset)
        return dt.time(_int(hour), _int(minute), whole, micro, tzinfo=tz)
    if isinstance(from_, str):
        return parse_time(from_)
    if isinstance(from_, dt.datetime):
        return from_.timetz()
    if isinstance(from_, dt.date):
        return dt.time(tzinfo=dt.UTC)
    if isinstance(from_, dt.time):
        return from_
    return None


@builtin("number", "from, grouping separator?, decimal separator?")
def _number(_i: Any, from_: Any, grouping_separator: Any, decimal_separator: Any) -> Any:
    if not _str(from_):
        return None
    if grouping_separator not in (None, " ", ",", ".") or decimal_separator not in (None, ",", "."):
        return None
    if grouping_separator is not None and grouping_separator == decimal_separator:
        return None
    text = from_
    if grouping_separator:
        text = text.replace(grouping_separator, "")
    if decimal_separator:
        text = text.replace(decimal_separator, ".")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text):
        return None
    return v.number(text)


@builtin("string", "from")
def _string(_i: Any, from_: Any) -> Any:
    return v.to_string(from_)


@builtin("duration", "from")
def _duration(_i: Any, from_: Any) -> Any:
    return v.parse_duration(from_) if _str(from_) else None


@builtin("years and months duration", "from, to")
def _ym(_i: Any, from_: Any, to: Any) -> Any:
    if not isinstance(from_, dt.date) or not isinstance(to, dt.date):
        return None
    a = from_.date() if isinstance(from_, dt.datetime) else from_
    b = to.date() if isinstance(to, dt.datetime) else to
    months = (b.year - a.year) * 12 + (b.month - a.month)
    if months > 0 and b.day < a.day:
        months -= 1
    elif months < 0 and b.day > a.day:
        months += 1
    return YearsMonths(months)


# -- boolean ------------------------------------------------------------------------

@builtin("not", "negand")
def _not(_i: Any, negand: Any) -> Any:
    return (not negand) if isinstance(negand, bool) else None


@builtin("is defined", "value")
def _is_defined(_i: Any, value: Any) -> Any:
    return value is not None


# -- strings ------------------------------------------------------------------------

def _cp(text: str) -> list[str]:
    return list(text)


@builtin("substring", "string, start position, length?")
def _substring(_i: Any, string: Any, start_position: Any, length: Any) -> Any:
    if not _str(string):
        return None
    chars = _cp(string)
    start = _int(start_position.to_integral_value(decimal.ROUND_HALF_EVEN)) if _num(start_position) else None
    if start is None or start == 0:
        return None if start is None else ""
    begin = start - 1 if start > 0 else len(chars) + start
    begin = max(begin, 0)
    if length is None:
        return "".join(chars[begin:])
    if not _num(length):
        return None
    count = int(length.to_integral_value(decimal.ROUND_HALF_EVEN))
    return "".join(chars[begin:begin + max(count, 0)])


@builtin("string length", "string")
def _string_length(_i: Any, string: Any) -> Any:
    return D(len(string)) if _str(string) else None


@builtin("upper case", "string")
def _upper(_i: Any, string: Any) -> Any:
    return string.upper() if _str(string) else None


@builtin("lower case", "string")
def _lower(_i: Any, string: Any) -> Any:
    return string.lower() if _str(string) else None


@builtin("substring before", "string, match")
def _before(_i: Any, string: Any, match: Any) -> Any:
    if not (_str(string) and _str(match)):
        return None
    i = string.find(match)
    return "" if i < 0 else string[:i]


@builtin("substring after", "string, match")
def _after(_i: Any, string: Any, match: Any) -> Any:
    if not (_str(string) and _str(match)):
        return None
    i = string.find(match)
    return "" if i < 0 else string[i + len(match):]


@builtin("contains", "string, match")
def _contains(_i: Any, string: Any, match: Any) -> Any:
    return (match in string) if _str(string) and _str(match) else None


@builtin("starts with", "string, match")
def _starts(_i: Any, string: Any, match: Any) -> Any:
    return string.startswith(match) if _str(string) and _str(match) else None


@builtin("ends with", "string, match")
def _ends(_i: Any, string: Any, match: Any) -> Any:
    return string.endswith(match) if _str(string) and _str(match) else None


def _regex(pattern: str, flags: Any) -> re.Pattern[str]:
    if len(pattern) > 1000:
        raise FeelError("the pattern is too long (limit 1,000 characters)")
    value = 0
    for flag in flags or "":
        value |= {"i": re.IGNORECASE, "s": re.DOTALL, "m": re.MULTILINE, "x": re.VERBOSE, "q": 0}[flag]
    if flags and "q" in flags:
        pattern = re.escape(pattern)
    if nested_repeat(pattern, value):
        raise FeelError("patterns with a repeated group that repeats again (like (a+)+) are refused: they can run "
                        "for an exponential time")
    return re.compile(pattern, value)


@builtin("matches", "input, pattern, flags?")
def _matches(_i: Any, input: Any, pattern: Any, flags: Any) -> Any:
    if not (_str(input) and _str(pattern)) or len(input) > MAX_LENGTH:
        return None
    return _regex(pattern, flags).search(input) is not None


@builtin("replace", "input, pattern, replacement, flags?")
def _replace(_i: Any, input: Any, pattern: Any, replacement: Any, flags: Any) -> Any:
    if not (_str(input) and _str(pattern) and _str(replacement)):
        return None
    repl = re.sub(r"\$(\d)", r"\\\1", replacement)
    return _regex(pattern, flags).sub(repl, input)


@builtin("split", "string, delimiter")
def _split(_i: Any, string: Any, delimiter: Any) -> Any:
    if not (_str(string) and _str(delimiter)):
        return None
    return _regex(delimiter, None).split(string)


@builtin("string join", "list, delimiter?")
def _join(_i: Any, list: Any, delimiter: Any) -> Any:
    if _str(list):
        list = [list]
    if not isinstance(list, _py.list) or (delimiter is not None and not _str(delimiter)):
        return None
    if not all(item is None or _str(item) for item in list):
        return None
    return (delimiter or "").join(item for item in list if item is not None)


# -- lists --------------------------------------------------------------------------

def _items(args: list[Any]) -> list[Any] | None:
    """A list argument, or the arguments themselves (``min(1, 2)`` as ``min([1, 2])``)."""
    if len(args) == 1 and isinstance(args[0], list):
        return args[0]
    if len(args) == 0:
        return None
    return args


@builtin("list contains", "list, element")
def _list_contains(_i: Any, list: Any, element: Any) -> Any:
    if not isinstance(list, _py.list):
        return None
    return any(v.equal(x, element) for x in list)


@builtin("count", "list")
def _count(_i: Any, list: Any) -> Any:
    return D(len(list)) if isinstance(list, _py.list) else None


def _extreme(args: list[Any], sign: int) -> Any:
    items = _items(args)
    if not items:
        return None
    best = items[0]
    for item in items[1:]:
        order = v.compare(item, best)
        if order is None:
            return None
        if order * sign > 0:
            best = item
    if len(items) == 1 and v.compare(best, best) is None:
        return None
    return best


@builtin("min", "list*")
def _min(_i: Any, list: Any) -> Any:
    return _extreme(list, -1)


@builtin("max", "list*")
def _max(_i: Any, list: Any) -> Any:
    return _extreme(list, 1)


def _numbers(args: list[Any]) -> list[D] | None:
    items = _items(args)
    if items is None or not all(_num(x) for x in items):
        return None
    return items


@builtin("sum", "list*")
def _sum(_i: Any, list: Any) -> Any:
    nums = _numbers(list)
    if not nums:
        return None
    total = D(0)
    for n in nums:
        total = CONTEXT.add(total, n)
    return total


@builtin("mean", "list*")
def _mean(_i: Any, list: Any) -> Any:
    nums = _numbers(list)
    if not nums:
        return None
    return CONTEXT.divide(_sum(_i, nums), D(len(nums)))


@builtin("product", "list*")
def _product(_i: Any, list: Any) -> Any:
    nums = _numbers(list)
    if not nums:
        return None
    total = D(1)
    for n in nums:
        total = CONTEXT.multiply(total, n)
    return total


@builtin("median", "list*")
def _median(_i: Any, list: Any) -> Any:
    nums = _numbers(list)
    if not nums:
        return None
    ordered = sorted(nums)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return CONTEXT.divide(CONTEXT.add(ordered[mid - 1], ordered[mid]), D(2))


@builtin("stddev", "list*")
def _stddev(_i: Any, list: Any) -> Any:
    nums = _numbers(list)
    if not nums or len(nums) < 2:
        return None
    mean = CONTEXT.divide(_sum(_i, nums), D(len(nums)))
    var = sum((CONTEXT.power(n - mean, 2) for n in nums), D(0))
    return CONTEXT.sqrt(CONTEXT.divide(var, D(len(nums) - 1)))


@builtin("mode", "list*")
def _mode(_i: Any, list: Any) -> Any:
    nums = _numbers(list)
    if nums is None:
        return None
    if not nums:
        return []
    counts: dict[D, int] = {}
    for n in nums:
        counts[n] = counts.get(n, 0) + 1
    top = max(counts.values())
    return sorted(n for n, c in counts.items() if c == top)


def _bools(args: list[Any]) -> list[Any] | None:
    items = _items(args)
    if items is None:
        return None if not args else items
    if not all(x is None or isinstance(x, bool) for x in items):
        return None
    return items


@builtin("all", "list*")
def _all(_i: Any, list: Any) -> Any:
    if not list:
        return None
    if len(list) == 1 and not isinstance(list[0], _py.list) and not isinstance(list[0], bool):
        return None
    items = _bools(list) if list else []
    if items is None:
        return None
    if any(x is False for x in items):
        return False
    return True if all(x is True for x in items) else None


@builtin("any", "list*")
def _any(_i: Any, list: Any) -> Any:
    if not list:
        return None
    if len(list) == 1 and not isinstance(list[0], _py.list) and not isinstance(list[0], bool):
        return None
    items = _bools(list) if list else []
    if items is None:
        return None
    if any(x is True for x in items):
        return True
    return False if all(x is False for x in items) else None


def _position(items: list[Any], position: Any) -> int:
    p = _int(position)
    if p > 0 and p <= len(items):
        return p - 1
    if p < 0 and -p <= len(items):
        return len(items) + p
    raise IndexError("position out of range")


@builtin("sublist", "list, start position, length?")
def _sublist(_i: Any, list: Any, start_position: Any, length: Any) -> Any:
    if not isinstance(list, _py.list):
        return None
    start = _position(list, start_position)
    if length is None:
        return list[start:]
    n = _int(length)
    if n < 0 or start + n > len(list):
        return None
    return list[start:start + n]


@builtin("append", "list, item*")
def _append(_i: Any, list: Any, item: Any) -> Any:
    return [*list, *item] if isinstance(list, _py.list) else None


@builtin("concatenate", "list*")
def _concatenate(_i: Any, list: Any) -> Any:
    out: _py.list[Any] = []
    for part in list:
        if not isinstance(part, _py.list):
            return None
        out.extend(part)
    return out


@builtin("insert before", "list, position, newItem")
def _insert_before(_i: Any, list: Any, position: Any, newItem: Any) -> Any:
    if not isinstance(list, _py.list):
        return None
    i = _position(list, position)
    return [*list[:i], newItem, *list[i:]]


@builtin("remove", "list, position")
def _remove(_i: Any, list: Any, position: Any) -> Any:
    if not isinstance(list, _py.list):
        return None
    i = _position(list, position)
    return [*list[:i], *list[i + 1:]]


@builtin("reverse", "list")
def _reverse(_i: Any, list: Any) -> Any:
    return list[::-1] if isinstance(list, _py.list) else None


@builtin("index of", "list, match")
def _index_of(_i: Any, list: Any, match: Any) -> Any:
    if not isinstance(list, _py.list):
        return None
    return [D(i + 1) for i, item in enumerate(list) if v.equal(item, match)]


def _distinct(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for x in items:
        if not any(v.equal(x, y) is True for y in out):
            out.append(x)
    return out


@builtin("union", "list*")
def _union(_i: Any, list: Any) -> Any:
    out: _py.list[Any] = []
    for part in list:
        if not isinstance(part, _py.list):
            return None
        out.extend(part)
    return _distinct(out)


@builtin("distinct values", "list")
def _distinct_values(_i: Any, list: Any) -> Any:
    return _distinct(list) if isinstance(list, _py.list) else None


@builtin("flatten", "list")
def _flatten(_i: Any, list: Any) -> Any:
    if not isinstance(list, _py.list):
        return None
    out: _py.list[Any] = []
    stack: _py.list[Any] = [iter(list)]
    while stack:
        for x in stack[-1]:
            if isinstance(x, _py.list):
                stack.append(iter(x))
                break
            out.append(x)
        else:
            stack.pop()
    return out


@builtin("sort", "list, precedes?")
def _sort(interp: Any, list: Any, precedes: Any) -> Any:
    if not isinstance(list, _py.list):
        return None
    import functools

    if precedes is None:
        def order(a: Any, b: Any) -> int:
            c = v.compare(a, b)
            if c is None:
                raise TypeError("not comparable")
            return c
    else:
        if not isinstance(precedes, Function):
            return None

        def order(a: Any, b: Any) -> int:
            return -1 if interp.invoke(precedes, [a, b]) is True else (
                1 if interp.invoke(precedes, [b, a]) is True else 0)
    return sorted(list, key=functools.cmp_to_key(order))


# -- numbers ------------------------------------------------------------------------

_ZERO = D(0)


def _scaled(n: Any, scale: Any, rounding: str) -> Any:
    if not _num(n) or not _num(scale):
        return None
    s = int(scale)
    if not -6111 <= s <= 6176:
        return None
    if n.as_tuple().exponent >= -s and s >= 0:  # already as precise as asked
        return n
    return n.quantize(D(1).scaleb(-s), rounding=rounding, context=CONTEXT)


@builtin("decimal", "n, scale")
def _decimal(_i: Any, n: Any, scale: Any) -> Any:
    return _scaled(n, scale, decimal.ROUND_HALF_EVEN) if scale is not None else None


def _rounding(name: str, rounding: str) -> None:
    # scale defaults to 0 when left out; an explicit null scale gives null.
    @builtin(name, "n", "n, scale")
    def rounded(_i: Any, n: Any, scale: Any = _ZERO) -> Any:
        return _scaled(n, scale, rounding)


for _round_name, _round_mode in {
    "floor": decimal.ROUND_FLOOR, "ceiling": decimal.ROUND_CEILING, "round up": decimal.ROUND_UP,
    "round down": decimal.ROUND_DOWN, "round half up": decimal.ROUND_HALF_UP,
    "round half down": decimal.ROUND_HALF_DOWN,
}.items():
    _rounding(_round_name, _round_mode)


@builtin("abs", "n")
def _abs(_i: Any, n: Any) -> Any:
    if _num(n):
        return abs(n)
    if isinstance(n, dt.timedelta):
        return abs(n)
    if isinstance(n, YearsMonths):
        return YearsMonths(abs(n.months))
    return None


@builtin("modulo", "dividend, divisor")
def _modulo(_i: Any, dividend: Any, divisor: Any) -> Any:
    if not (_num(dividend) and _num(divisor)) or divisor == 0:
        return None
    quotient = (dividend / divisor).to_integral_value(decimal.ROUND_FLOOR)
    return CONTEXT.subtract(dividend, CONTEXT.multiply(divisor, quotient))


@builtin("sqrt", "number")
def _sqrt(_i: Any, number: Any) -> Any:
    return CONTEXT.sqrt(number) if _num(number) and number >= 0 else None


@builtin("log", "number")
def _log(_i: Any, number: Any) -> Any:
    return CONTEXT.ln(number) if _num(number) and number > 0 else None


@builtin("exp", "number")
def _exp(_i: Any, number: Any) -> Any:
    return CONTEXT.exp(number) if _num(number) else None


@builtin("odd", "number")
def _odd(_i: Any, number: Any) -> Any:
    return _int(number) % 2 == 1 if _num(number) else None


@builtin("even", "number")
def _even(_i: Any, number: Any) -> Any:
    return _int(number) % 2 == 0 if _num(number) else None


# -- dates and times ----------------------------------------------------------------

@builtin("is", "value1, value2")
def _is(_i: Any, value1: Any, value2: Any) -> Any:
    if v.kind(value1) != v.kind(value2):
        return False
    if isinstance(value1, (dt.datetime, dt.time)):
        return value1 == value2 and value1.tzinfo == value2.tzinfo if value1.tzinfo or value2.tzinfo else \
            value1 == value2
    return v.equal(value1, value2) is True


def _day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise TypeError("not a date")


@builtin("day of year", "date")
def _day_of_year(_i: Any, date: Any) -> Any:
    return D(_day(date).timetuple().tm_yday)


_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]


@builtin("day of week", "date")
def _day_of_week(_i: Any, date: Any) -> Any:
    return _DAYS[_day(date).weekday()]


@builtin("month of year", "date")
def _month_of_year(_i: Any, date: Any) -> Any:
    return _MONTHS[_day(date).month - 1]


@builtin("week of year", "date")
def _week_of_year(_i: Any, date: Any) -> Any:
    return D(_day(date).isocalendar()[1])


def temporal_property(value: Any, name: str) -> Any:
    """``x.year``, ``x.hours``, ``r.start`` and the other properties of non-context values."""
    try:
        if isinstance(value, v.UnaryTest):
            if value.op != "=":
                return None
            return {"start": value.value, "end": value.value, "start included": True,
                    "end included": True}.get(name)
        if isinstance(value, Range):
            return {"start": value.start, "end": value.end, "start included": value.start_included,
                    "end included": value.end_included}.get(name)
        if isinstance(value, dt.date):
            if name in ("year", "month", "day"):
                return D(getattr(value, name))
            if name == "weekday":
                return D(value.isoweekday())
        if isinstance(value, (dt.datetime, dt.time)):
            if name in ("hour", "minute", "second"):
                return D(getattr(value, name))
            if name == "time offset":
                offset = value.utcoffset()
                return None if offset is None or getattr(value.tzinfo, "key", None) else offset
            if name == "timezone":
                return getattr(value.tzinfo, "key", None)
        if isinstance(value, dt.timedelta):
            total = int(value.total_seconds())
            sign = -1 if total < 0 else 1
            total = abs(total)
            parts = {"days": total // 86400, "hours": total % 86400 // 3600, "minutes": total % 3600 // 60,
                     "seconds": total % 60}
            if name in parts:
                return D(sign * parts[name])
        if isinstance(value, YearsMonths):
            sign = -1 if value.months < 0 else 1
            if name == "years":
                return D(sign * (abs(value.months) // 12))
            if name == "months":
                return D(sign * (abs(value.months) % 12))
    except (ValueError, TypeError):
        return None
    return None


@builtin("now", "")
def _now(interp: Any) -> Any:
    return dt.datetime.now(dt.UTC)


@builtin("today", "")
def _today(interp: Any) -> Any:
    return dt.datetime.now(dt.UTC).date()


# -- ranges (DMN 1.4 section 10.3.4.9) ----------------------------------------------

def _as_range(x: Any) -> Range:
    if isinstance(x, Range):
        return x
    if x is None:
        raise TypeError("null")
    return Range(x, x, True, True)


def _lt(a: Any, b: Any) -> bool:
    c = v.compare(a, b)
    if c is None:
        raise TypeError("not comparable")
    return c < 0


def _eq(a: Any, b: Any) -> bool:
    c = v.compare(a, b)
    if c is None:
        raise TypeError("not comparable")
    return c == 0


def _range_fn(name: str, fn: Callable[[Range, Range], bool]) -> None:
    @builtin(name, "point1, point2", "point, range", "range1, range2")
    def call(_i: Any, point1: Any = None, point2: Any = None, point: Any = None, range: Any = None,
             range1: Any = None, range2: Any = None) -> Any:
        pairs = ((point1, point2), (range1, range2), (point, range))
        first, second = next((pair for pair in pairs if pair != (None, None)), (None, None))
        if first is None or second is None:
            return None
        return fn(_as_range(first), _as_range(second))


def _r_before(a: Range, b: Range) -> bool:
    return _lt(a.end, b.start) or (_eq(a.end, b.start) and not (a.end_included and b.start_included))


def _r_meets(a: Range, b: Range) -> bool:
    return a.end_included and b.start_included and _eq(a.end, b.start)


def _r_overlaps(a: Range, b: Range) -> bool:
    return not (_r_before(a, b) or _r_before(b, a))


def _r_overlaps_before(a: Range, b: Range) -> bool:
    return ((_lt(a.start, b.start) or (_eq(a.start, b.start) and a.start_included and not b.start_included))
            and (_lt(b.start, a.end) or (_eq(a.end, b.start) and a.end_included and b.start_included))
            and (_lt(a.end, b.end) or (_eq(a.end, b.end) and (not a.end_included or b.end_included))))


def _r_finishes(a: Range, b: Range) -> bool:
    return (a.end_included == b.end_included and _eq(a.end, b.end)
            and (_lt(b.start, a.start) or (_eq(a.start, b.start) and (not a.start_included or b.start_included))))


def _r_includes(a: Range, b: Range) -> bool:
    return ((_lt(a.start, b.start) or (_eq(a.start, b.start) and (a.start_included or not b.start_included)))
            and (_lt(b.end, a.end) or (_eq(b.end, a.end) and (a.end_included or not b.end_included))))


def _r_starts(a: Range, b: Range) -> bool:
    return (a.start_included == b.start_included and _eq(a.start, b.start)
            and (_lt(a.end, b.end) or (_eq(a.end, b.end) and (not a.end_included or b.end_included))))


def _r_coincides(a: Range, b: Range) -> bool:
    return (_eq(a.start, b.start) and _eq(a.end, b.end) and a.start_included == b.start_included
            and a.end_included == b.end_included)


for _name, _fn in {
    "before": _r_before, "after": lambda a, b: _r_before(b, a),
    "meets": _r_meets, "met by": lambda a, b: _r_meets(b, a), "overlaps": _r_overlaps,
    "overlaps before": _r_overlaps_before, "overlaps after": lambda a, b: _r_overlaps_before(b, a),
    "finishes": _r_finishes, "finished by": lambda a, b: _r_finishes(b, a), "includes": _r_includes,
    "during": lambda a, b: _r_includes(b, a), "starts": _r_starts, "started by": lambda a, b: _r_starts(b, a),
    "coincides": _r_coincides,
}.items():
    _range_fn(_name, _fn)


# -- contexts -----------------------------------------------------------------------

@builtin("get value", "m, key")
def _get_value(_i: Any, m: Any, key: Any) -> Any:
    return m.get(key) if isinstance(m, dict) and _str(key) else None


@builtin("get entries", "m")
def _get_entries(_i: Any, m: Any) -> Any:
    return [{"key": k, "value": x} for k, x in m.items()] if isinstance(m, dict) else None


@builtin("context put", "context, key, value", "context, keys, value")
def _context_put(_i: Any, context: Any, key: Any = None, value: Any = None, keys: Any = None) -> Any:
    if not isinstance(context, dict):
        return None
    if keys is not None or isinstance(key, list):
        path = keys if keys is not None else key
        if not isinstance(path, list) or not path or not all(_str(k) for k in path):
            return None
        if len(path) == 1:
            return {**context, path[0]: value}
        inner = context.get(path[0])
        if not isinstance(inner, dict):
            return None
        nested = _context_put(_i, inner, None, value, path[1:])
        return None if nested is None else {**context, path[0]: nested}
    if not _str(key):
        return None
    return {**context, key: value}


@builtin("context merge", "contexts")
def _context_merge(_i: Any, contexts: Any) -> Any:
    if not isinstance(contexts, list) or not all(isinstance(c, dict) for c in contexts):
        return None
    out: dict[str, Any] = {}
    for c in contexts:
        out.update(c)
    return out


@builtin("context", "entries")
def _context(_i: Any, entries: Any) -> Any:
    if not isinstance(entries, list):
        entries = [entries]
    out: dict[str, Any] = {}
    for e in entries:
        if not isinstance(e, dict) or not _str(e.get("key")) or "value" not in e or e["key"] in out:
            return None
        out[e["key"]] = e["value"]
    return out

