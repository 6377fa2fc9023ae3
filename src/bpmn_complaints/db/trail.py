"""The trail: append events to the hash-chained, append-only record of every change,
and verify a chain.

Each event is sealed with an HMAC under the trail's key (:mod:`.audit_key`), which is not
in the database: whoever can write the database can change an event, but cannot seal the
change, so :func:`verify` finds it. Events written before the trail was keyed carry no
scheme and a plain SHA-256; they still verify, are never written any more, and may not
follow a sealed event in their chain (that would be a downgrade). A checkpoint of every
chain head (:mod:`.anchors`) protects them as well.

The trail is append-only, so it must never hold personal data, which has to be
erasable: free text goes in as a fingerprint (:func:`for_trail`)."""

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import event as sa_event
from sqlalchemy import insert, select
from sqlalchemy.sql.util import find_tables

from ..clock import utcnow
from ..extensions import db
from ..models import AuditEvent, Complaint
from . import anchors
from .audit_key import HMAC_SCHEME, AuditKey, current_key, known_keys

GENESIS = "0" * 64


def stream_for(complaint: Complaint | None) -> str:
    return f"complaint:{complaint.reference}" if complaint is not None else "system"


def _digest(stream: str, seq: int, at: datetime, actor: str, action: str, task_id, bpmn_id,
            details: dict, prev_hash: str, scheme: str | None = None, key: AuditKey | None = None) -> str:
    """The event's hash: an HMAC under ``key`` over its fields and its scheme, or, for an
    event from before the trail was keyed (no scheme), a plain SHA-256 of its fields."""
    fields = [stream, seq, at.isoformat(), actor, action, task_id, bpmn_id, details, prev_hash]
    body = json.dumps(fields + ([scheme] if scheme else []), sort_keys=True, separators=(",", ":"),
                      default=str).encode()
    if scheme is None:
        return hashlib.sha256(body).hexdigest()
    assert key is not None
    return key.seal(body)


def record(action: str, actor: str, complaint: Complaint | None = None, *, task_id: str | None = None,
           bpmn_id: str | None = None, **details) -> dict:
    """Append one event to the complaint's chain (or the system chain); returns its row.

    It is added to the current transaction: it commits or rolls back with the change it
    describes. A change's events wait in the session and reach the database together, as
    one multi-row INSERT, when the session flushes or commits, or before a query of the
    trail (:func:`_write_pending`). Two writers racing for the same position violate the
    (stream, seq) unique constraint, and the service layer retries the loser.
    """
    stream = stream_for(complaint)
    seq, prev_hash = _chain_head(stream)
    at = utcnow()
    details = json.loads(json.dumps(details, default=str))
    key = current_key()
    row = {
        "stream": stream, "seq": seq, "at": at, "actor": actor, "action": action,
        "complaint_id": complaint.id if complaint is not None else None,
        "task_id": task_id, "bpmn_id": bpmn_id, "details": details, "prev_hash": prev_hash, "scheme": key.scheme,
        "hash": _digest(stream, seq, at, actor, action, task_id, bpmn_id, details, prev_hash, key.scheme, key),
    }
    _pending().append(row)
    _heads()[stream] = (seq, row["hash"])
    return row


def mark() -> tuple[int, dict]:
    """Where the trail of this transaction stands, to :func:`undo` a savepoint's events.
    What was recorded before is written first, so the savepoint's rollback cannot take it."""
    _write_pending(db.session())
    return len(_pending()), dict(_heads())


def undo(to: tuple[int, dict]) -> None:
    """Forget the events recorded since :func:`mark` (their savepoint was rolled back)."""
    count, heads = to
    del _pending()[count:]
    _heads().clear()
    _heads().update(heads)


def _write_pending(session) -> None:
    """Insert the events this transaction recorded and has not written yet, in one
    statement (an executemany: SQLite's RETURNING would cost a statement per row)."""
    info, transaction = session.info, session.get_transaction()
    if info.get("audit_transaction") is not transaction or not info.get("audit_pending"):
        return
    rows, info["audit_pending"] = info["audit_pending"], []
    session.execute(insert(AuditEvent).execution_options(render_nulls=True), rows)  # one key set: one batch


def _reads_trail(statement) -> bool:
    return AuditEvent.__table__ in find_tables(statement, include_joins=True, include_aliases=True)


@sa_event.listens_for(db.session, "before_commit")
def _before_commit(session) -> None:
    _write_pending(session)


@sa_event.listens_for(db.session, "after_flush")
def _after_flush(session, _context) -> None:
    _write_pending(session)


@sa_event.listens_for(db.session, "do_orm_execute")
def _before_query(state) -> None:
    """A query of the trail sees the events recorded before it, as autoflush would."""
    session = state.session
    if session.info.get("audit_pending") and session.autoflush and _reads_trail(state.statement):
        _write_pending(session)


def fingerprint(value) -> str:
    """A stand-in for free text in the audit trail: proves what was written without
    keeping it (the text itself is erasable, the trail is not)."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def for_trail(data: dict, free_text: set[str] | None) -> dict:
    """``data`` as the audit trail may keep it: coded answers as they are, free text and
    nested values (which may hold it) as fingerprints."""
    kept = {}
    for name, value in data.items():
        prose = isinstance(value, str) and (free_text is None or name in free_text)
        if value not in (None, "") and (prose or isinstance(value, (dict, list))):
            kept[name] = fingerprint(value)
        else:
            kept[name] = value
    return kept


def _heads() -> dict:
    """Chain heads written in the current transaction, so appending needs one query per
    stream per transaction. A new transaction starts with an empty cache."""
    _current()
    return db.session.info["audit_heads"]


def _pending() -> list[dict]:
    """The events of the current transaction not written yet."""
    _current()
    return db.session.info["audit_pending"]


def _current() -> None:
    session = db.session()
    transaction = session.get_transaction()
    if transaction is None:
        session.connection()  # begins the transaction
        transaction = session.get_transaction()
    info = session.info
    if info.get("audit_transaction") is not transaction:
        info["audit_transaction"], info["audit_heads"], info["audit_pending"] = transaction, {}, []


def new_chain(complaint: Complaint) -> None:
    """``complaint`` was created in this transaction, so its chain is empty: its first
    event follows the genesis hash without asking the database. (Were it not empty, its
    first event would collide on the (stream, seq) key and the change be run again.)"""
    _heads().setdefault(stream_for(complaint), (0, GENESIS))


def known_head(stream: str, seq: int, hash_: str) -> None:
    """A query of ``stream`` that read its newest event (``seq``, ``hash_``) in this
    transaction tells the trail, which then appends without asking again."""
    _heads().setdefault(stream, (seq, hash_))


def _chain_head(stream: str) -> tuple[int, str]:
    """The next position in ``stream`` and the hash it must follow: one query per stream
    and transaction (without flushing: the events of this transaction are in the cache,
    and stay pending, so a change's events reach the database in one batch)."""
    heads = _heads()
    if stream not in heads:
        with db.session.no_autoflush:
            last = db.session.execute(
                select(AuditEvent.seq, AuditEvent.hash)
                .where(AuditEvent.stream == stream)
                .order_by(AuditEvent.seq.desc())
                .limit(1)
            ).first()
        heads[stream] = (last.seq, last.hash) if last else (0, GENESIS)
    seq, prev_hash = heads[stream]
    return seq + 1, prev_hash


def verify(stream: str, checkpoints: anchors.Checkpoints | None = None) -> list[str]:
    """Recompute a chain, and compare it with ``checkpoints`` if given; return a
    description of every break (empty if intact)."""
    events = list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.stream == stream).order_by(AuditEvent.seq)))
    problems = check_chain(events, known_keys())
    if checkpoints is not None:
        problems += anchors.check(stream, events, checkpoints)
    return problems


def check_chain(events: Iterable[AuditEvent], keys: dict[str, AuditKey]) -> list[str]:
    """Every break in one chain's ``events`` (in ``seq`` order), checked with ``keys``."""
    problems, prev, sealed = [], GENESIS, False
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            problems.append(f"event {expected_seq} is missing")
        if event.prev_hash != prev:
            problems.append(f"event {event.seq} does not follow the event before it")
        prev = event.hash
        key = None
        if event.scheme is None:
            if sealed:
                problems.append(f"event {event.seq} is unsealed after a sealed event (a downgrade)")
                continue
        else:
            sealed = True
            kind, _, key_id = event.scheme.partition(":")
            key = keys.get(key_id) if kind == HMAC_SCHEME else None
            if key is None:
                problems.append(f"event {event.seq} was sealed with a key that is not configured ({event.scheme})")
                continue
        digest = _digest(event.stream, event.seq, event.at, event.actor, event.action, event.task_id,
                         event.bpmn_id, event.details, event.prev_hash, event.scheme, key)
        if digest != event.hash:
            problems.append(f"event {event.seq} was changed after it was written")
    return problems


def first_at(complaint: Complaint, action: str) -> datetime | None:
    """When ``action`` was first recorded in the complaint's trail, or ``None``."""
    return db.session.scalar(select(AuditEvent.at).where(
        AuditEvent.stream == stream_for(complaint), AuditEvent.action == action).order_by(AuditEvent.seq).limit(1))


def unsealed_chains() -> list[str]:
    """The streams holding events from before the trail was keyed (no scheme)."""
    return list(db.session.scalars(select(AuditEvent.stream).where(AuditEvent.scheme.is_(None))
                                   .distinct().order_by(AuditEvent.stream)))
