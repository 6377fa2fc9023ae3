"""Full-text search over complaints (ISO 10002 7.3: find a complaint fast): a reference in
any case and in part, and the complainant's name, email, product and description, through
PostgreSQL's text search or SQLite's FTS5 (see :mod:`..models.search_index`).

Answering fast at any size takes two steps. First the index gives up to ``CAP + 1``
matching ids. When there are no more than ``CAP``, they are the whole answer: its count is
exact and the page is those rows in the listing's order. When there are more, the count is
given as ``CAP`` and capped (a person narrows such a search; nobody pages through it), and
the page comes from walking the complaints newest first and keeping the matches, which
stops as soon as the page is full (on SQLite, from the index's ids in the same order).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Integer, Select, TextClause, column, literal_column, select, table, text
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Complaint
from ..models.search_index import PG_COLUMN, compact

MAX_TERMS = 8
CAP = 1000  # beyond this many matches, the count is "more than CAP"
_TERM = re.compile(r"\w+", re.UNICODE)
_REFERENCE_PART = re.compile(r"[A-Za-z0-9-]*\d[A-Za-z0-9-]*")
_FTS = table("complaints_fts", column("rowid", Integer))


def terms(query: str) -> list[str]:
    """The words of a search, lower case, without underscores; punctuation splits them (as
    both indexes do)."""
    words = (t.replace("_", "").lower() for t in _TERM.findall(query))
    return [w for w in words if w][:MAX_TERMS]


def looks_like_reference(query: str) -> bool:
    """A search of one token with a digit in it (``C-2026-7K3Q``, ``7k3q``) is part of a
    reference: names and words have none (an email's digits come with ``@`` and ``.``)."""
    return bool(_REFERENCE_PART.fullmatch(query.strip()))


@dataclass(frozen=True)
class Match:
    """One search, in each index's query language."""

    tsquery: str  # PostgreSQL to_tsquery('simple', ...)
    fts: str  # SQLite FTS5 MATCH


def match_for(query: str) -> Match | None:
    """What to ask the index, or ``None`` when the search has no words. A reference part
    must start a suffix of a reference; otherwise every word must start a word of the text
    or of a reference's suffixes (so one word of letters finds names and references alike)."""
    if looks_like_reference(query):
        part = compact(query)
        return Match(f"{part}:*A", f'reference_suffixes : "{part}"*')
    words = terms(query)
    if not words:
        return None
    return Match(" & ".join(f"{w}:*" for w in words), " ".join(f'"{w}"*' for w in words))


def _postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def _tsquery(match: Match) -> TextClause:
    return text("to_tsquery('simple', :tsquery)").bindparams(tsquery=match.tsquery)


def _fts_ids(match: Match) -> Select[tuple[int]]:
    return select(_FTS.c.rowid).where(text("complaints_fts MATCH :fts").bindparams(fts=match.fts))


def _matches(match: Match) -> ColumnElement[bool]:
    if _postgres():
        return literal_column(PG_COLUMN).op("@@")(_tsquery(match))
    return Complaint.id.in_(_fts_ids(match))


def _candidates(base: Select[tuple[Complaint]], match: Match) -> list[int]:
    """Up to ``CAP + 1`` ids of matching complaints that ``base`` admits, in no order."""
    if not _postgres() and base.whereclause is None:
        query: Select[tuple[int]] = _fts_ids(match)  # nothing else to check: the index alone
    else:
        query = base.with_only_columns(Complaint.id).where(_matches(match))
    return list(db.session.scalars(query.limit(CAP + 1)))


def _newest_first(query, entity=Complaint):
    return query.order_by(entity.received_at.desc(), entity.id.desc())


def _walk(base: Select[tuple[Complaint]], match: Match, limit: int, offset: int) -> list[Complaint]:
    """A page of a search with many matches: newest first, keeping the matches."""
    if not _postgres():
        return list(db.session.scalars(_newest_first(base.where(_matches(match))).limit(limit).offset(offset)))
    # OFFSET 0 fences the walk: PostgreSQL cannot fold the match back into an index scan,
    # which (misjudging how common a word start is) it would sort in full.
    walked = _newest_first(base.add_columns(literal_column(PG_COLUMN).label("search_vector"))).offset(0).subquery()
    found = aliased(Complaint, walked)
    query = select(found).where(walked.c.search_vector.op("@@")(_tsquery(match)))
    return list(db.session.scalars(_newest_first(query, found).limit(limit).offset(offset)))


def search(base: Select[tuple[Complaint]], query: str, limit: int,
           offset: int) -> tuple[list[Complaint], int, bool] | None:
    """The page of complaints ``base`` admits that match ``query``, the count, and whether
    the count is capped at ``CAP``; ``None`` when the query has no words."""
    match = match_for(query)
    if match is None:
        return None
    ids = _candidates(base, match)
    if len(ids) > CAP:
        return _walk(base, match, limit, offset), CAP, True
    page = _newest_first(select(Complaint).where(Complaint.id.in_(ids))).limit(limit).offset(offset)
    return list(db.session.scalars(page)), len(ids), False
