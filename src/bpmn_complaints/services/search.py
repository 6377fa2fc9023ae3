"""Full-text search over complaints (ISO 10002 7.3: find a complaint fast): the reference
in any case and in part, and the complainant's name, email, product and description,
through PostgreSQL's text search or SQLite's FTS5 (see :mod:`..models.search_index`)."""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, Integer, Select, literal_column, or_, select, text

from ..extensions import db
from ..models import Complaint
from ..models.search_index import PG_VECTOR

MAX_TERMS = 8
_TERM = re.compile(r"\w+", re.UNICODE)


def terms(query: str) -> list[str]:
    """The words of a search, lower case; punctuation splits them (as both indexes do)."""
    return [t.lower() for t in _TERM.findall(query)][:MAX_TERMS]


def matching(query: str) -> ColumnElement[bool] | None:
    """A filter on :class:`Complaint` for a search, or ``None`` when it has no words. Each
    word must match the start of a word of the text (all words: AND), or the whole query
    a part of the reference."""
    words = terms(query)
    if not words:
        return None
    reference = Complaint.reference.ilike(f"%{query.strip().replace('%', '').replace('_', '')}%")
    if db.engine.dialect.name == "postgresql":
        tsquery = " & ".join(f"{w}:*" for w in words)
        found = literal_column(PG_VECTOR).op("@@")(text("to_tsquery('simple', :tsquery)").bindparams(tsquery=tsquery))
        return or_(reference, found)
    fts = " ".join(f'"{w}"*' for w in words)
    ids: Select[tuple[int]] = select(literal_column("rowid", Integer)).select_from(text("complaints_fts")).where(
        text("complaints_fts MATCH :fts").bindparams(fts=fts))
    return or_(reference, Complaint.id.in_(ids))
