"""Keyset (seek) pages with opaque cursors, and counts that stop at a bound.

A page is read by seeking in an index to where the last page ended ("the rows after this
key"), never by skipping ``OFFSET`` rows, so page 4,000 costs what page 1 does. A cursor
is the sort key of a page's edge row, base64url JSON, with the ordering's name and the
direction (``after`` for the next page, ``before`` for the previous one, ``last`` for the
final page). It stays valid while rows are added and completed between pages: each open
row shows up on exactly one page of a walk, in the order it had when the walk passed it.

Counts are exact up to a bound (``INBOX_COUNT_BOUND``, 10,000 by default) and "10,000+"
beyond it: counting stops after ``bound + 1`` index entries, so it costs the same at a
million open tasks as at ten thousand. (Per-group counters written with the projection
would be exact, but every claim in a group would then update one hot row, and no counter
answers a filter such as "overdue", whose rows change with the clock.)
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, func, literal, select, tuple_

from ..exceptions import BadRequest
from ..extensions import db

DIRECTIONS = ("after", "before", "last")


@dataclass(frozen=True)
class Ordering:
    """A sort: its key expressions (all ascending or all descending, the last unique), how
    to read each key's value from a row, and each value's type in a cursor."""

    name: str
    keys: Sequence[Any]  # column expressions (mapped attributes or SQL functions)
    values: Callable[[Any], tuple]
    kinds: Sequence[type]  # datetime, int or str, one per key
    descending: bool = False

    def order_by(self, reverse: bool = False) -> list[ColumnElement[Any]]:
        down = self.descending != reverse
        return [key.desc() if down else key.asc() for key in self.keys]

    def beyond(self, values: Sequence[Any], reverse: bool = False) -> ColumnElement[bool]:
        """The rows strictly after ``values`` in this order (before them if ``reverse``):
        a row comparison, with the first key bounded on its own too, so SQLite (which
        seeks on a row value of plain columns only) also starts in the index at the spot."""
        bound = [literal(v, type_=k.type) for k, v in zip(self.keys, values, strict=True)]
        down = self.descending != reverse
        row, at = tuple_(*self.keys), tuple_(*bound)
        first = self.keys[0] <= bound[0] if down else self.keys[0] >= bound[0]
        return and_(first, row < at if down else row > at)

    def encode(self, row: Any, direction: str) -> str:
        values = [v.isoformat() if isinstance(v, datetime) else v for v in self.values(row)]
        raw = json.dumps({"o": self.name, "d": direction, "k": values}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def decode(self, cursor: str) -> Cursor:
        """:raises BadRequest: for a cursor that is not one of this ordering's."""
        try:
            data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            direction, raw = data["d"], data["k"]
            if data["o"] != self.name or direction not in DIRECTIONS:
                raise ValueError("another ordering")
            if direction == "last":
                return Cursor(direction, None)
            if not isinstance(raw, list) or len(raw) != len(self.kinds):
                raise ValueError("wrong keys")
            return Cursor(direction, tuple(_value(kind, v) for kind, v in zip(self.kinds, raw, strict=True)))
        except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError, OverflowError) as err:
            raise BadRequest("cursor is not valid for this list and sort (start again from the first page)",
                             {"field": "cursor"}) from err


def _value(kind: type, value: Any) -> Any:
    if kind is datetime:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive time")
        return parsed.astimezone(UTC)  # OverflowError at the ends of time
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 2**31:
            raise ValueError("not an int")
        return value
    if not isinstance(value, str) or "\x00" in value or len(value) > 400:
        raise ValueError("not a string")
    return value


@dataclass(frozen=True)
class Cursor:
    direction: str
    values: tuple | None


@dataclass
class Page:
    """One page: its rows, the bounded count, and the cursors of the pages beside it
    (None at either end)."""

    items: list
    total: int
    capped: bool
    next: str | None = None
    prev: str | None = None
    first: bool = True
    extra: dict = field(default_factory=dict)


def count_bound() -> int:
    return int(current_app.config["INBOX_COUNT_BOUND"])


def bounded_count(query: Select, bound: int | None = None, walk: Any = None) -> tuple[int, bool]:
    """How many rows ``query`` has, counting no further than ``bound`` (config
    ``INBOX_COUNT_BOUND``): ``(n, False)``, or ``(bound, True)`` for more than ``bound``.

    :param walk: on SQLite, the order to count the rows in. With no statistics SQLite
        counts through whichever index covers the query and was made first; when each row
        looks up others (an ``EXISTS``), walking in the order of the rows it looks up costs
        a quarter of walking in some unrelated order."""
    bound = count_bound() if bound is None else bound
    counted = query.with_only_columns(literal(1), maintain_column_froms=True).order_by(None)
    if walk is not None and db.engine.dialect.name == "sqlite":
        counted = counted.order_by(walk)
    limited = counted.limit(bound + 1).subquery()
    found = db.session.scalar(select(func.count()).select_from(limited)) or 0
    return (bound, True) if found > bound else (found, False)


def shown(total: int, capped: bool) -> str:
    """A count as a person reads it: "1,234", or "10,000+" past the bound."""
    return f"{total:,}+" if capped else f"{total:,}"


def seek(parts: Sequence[Select], ordering: Ordering, cursor: str | None, limit: int,
         offset: int = 0) -> tuple[list, str | None, str | None]:
    """A page of the union of ``parts`` (selects of rows of one entity) in ``ordering``, from
    ``cursor``: ``(rows, next cursor, previous cursor)``.

    Each part is one index range (a group's unclaimed tasks, say); each reads at most a page
    and a row from its spot in the index, and the parts are merged in Python, so a person
    in three groups costs three short index reads, not a sort of everything they may see.
    ``offset`` (the API's older paging) skips rows after the cursor's spot.
    """
    spot = ordering.decode(cursor) if cursor else Cursor("after", None)
    backwards = spot.direction in ("before", "last")
    # One range skips its ``offset`` in SQL; several must each give their first rows.
    skip, want = (offset, limit + 1) if len(parts) == 1 else (0, limit + offset + 1)
    rows: list = []
    for part in parts:
        query = part
        if spot.values is not None:
            query = query.where(ordering.beyond(spot.values, reverse=backwards))
        query = query.order_by(*ordering.order_by(reverse=backwards))
        rows += db.session.scalars(query.limit(want).offset(skip or None)).all()
    rows.sort(key=ordering.values, reverse=ordering.descending != backwards)
    rows = rows[offset - skip:]
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
        if spot.direction == "before" and not more:
            # Back at the start (rows before it were completed meanwhile): the first page.
            return seek(parts, ordering, None, limit)
        has_prev, has_next = more, True if spot.direction == "before" else False
    else:
        has_next, has_prev = more, spot.values is not None or offset > 0
    if not rows:
        return [], None, None
    return (rows, ordering.encode(rows[-1], "after") if has_next else None,
            ordering.encode(rows[0], "before") if has_prev else None)


def last_cursor(ordering: Ordering) -> str:
    """The cursor of the final page (read from the end of the index backwards)."""
    raw = json.dumps({"o": ordering.name, "d": "last", "k": None}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
