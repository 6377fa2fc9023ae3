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


_REFERENCE_PART = re.compile(r"[A-Za-z0-9-]*\d[A-Za-z0-9-]*")


def looks_like_reference(query: str) -> bool:
    """A search of one token with a digit in it (``C-2026-7K3Q``, ``7k3q``) is part of a
    reference: names and words have none (an email's digits come with ``@`` and ``.``)."""
    return bool(_REFERENCE_PART.fullmatch(query.strip()))


def matching(query: str) -> ColumnElement[bool] | None:
    """A filter on :class:`Complaint` for a search, or ``None`` when it has no words. A
    query that looks like a reference matches every reference that contains it, in any
    case; otherwise each word must match the start of a word of the text (all: AND)."""
    words = terms(query)
    if not words:
        return None
    reference = Complaint.reference.ilike(f"%{query.strip()}%")
    if looks_like_reference(query):
        return reference
    if db.engine.dialect.name == "postgresql":
        tsquery = " & ".join(f"{w}:*" for w in words)
        vector = literal_column(PG_VECTOR).op("@@")(text("to_tsquery('simple', :tsquery)").bindparams(tsquery=tsquery))
        # OFFSET 0 keeps the planner from folding the match into the page's scan by date,
        # where it would compute every row's vector: the GIN index finds the rows first.
        ids: Select[tuple[int]] = select(Complaint.id).where(vector).offset(0)
        found = Complaint.id.in_(ids)
    else:
        fts = " ".join(f'"{w}"*' for w in words)
        ids = select(literal_column("rowid", Integer)).select_from(text("complaints_fts")).where(
            text("complaints_fts MATCH :fts").bindparams(fts=fts))
        found = Complaint.id.in_(ids)
    # One word of letters may be a name or the end of a reference ("7K3QXW" has digits,
    # "KQXWPR" need not).
    return or_(reference, found) if len(words) == 1 and query.strip().isalnum() else found
