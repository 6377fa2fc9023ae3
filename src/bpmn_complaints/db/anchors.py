"""Checkpoints of the trail: every chain's head (stream, seq, hash), signed with the
trail's key and written to a folder outside the database (``bpmn-complaints
audit-anchor``, or the worker every ``AUDIT_ANCHOR_EVERY_SECONDS``).

An event's hash covers the hash before it, so a head that still matches its checkpoint
proves that no event up to it changed, even an event from before the trail was keyed,
which anyone could otherwise recompute. A checkpoint also bounds those unsealed events:
a chain the newest checkpoint does not name, or an event after the head it names, was
written by a keyed build and must be sealed.
"""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import and_, func, select

from ..clock import utcnow
from ..extensions import db
from ..models import AuditEvent
from .audit_key import current_key, known_keys

FORMAT = "bpmn-complaints audit checkpoint 1"
PATTERN = "checkpoint-*.json"


def _canonical(document: dict) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def heads() -> dict[str, dict]:
    """Every chain's last event: ``{stream: {"seq": n, "hash": h}}``."""
    last = (select(AuditEvent.stream, func.max(AuditEvent.seq).label("seq"))
            .group_by(AuditEvent.stream).subquery())
    rows = db.session.execute(select(AuditEvent.stream, AuditEvent.seq, AuditEvent.hash).join(
        last, and_(AuditEvent.stream == last.c.stream, AuditEvent.seq == last.c.seq)))
    return {row.stream: {"seq": row.seq, "hash": row.hash} for row in rows}


def write(directory: str | os.PathLike) -> tuple[Path, int]:
    """Write a signed checkpoint of every chain head into ``directory`` (made if need be);
    returns the file and how many chains it names. The file is written whole or not at
    all (a temporary file renamed into place) and left read-only."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    key, now = current_key(), utcnow()
    document = {"format": FORMAT, "written_at": now.isoformat(), "key_id": key.key_id, "heads": heads()}
    document["signature"] = key.seal(_canonical(document))
    path = folder / f"checkpoint-{now.strftime('%Y%m%dT%H%M%S%fZ')}.json"
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(document, indent=1, sort_keys=True))
    os.chmod(partial, 0o444)
    os.replace(partial, path)
    return path, len(document["heads"])


@dataclass
class Checkpoints:
    """The checkpoints found in a folder: what each says, and what is wrong with the folder."""

    problems: list[str] = field(default_factory=list)
    # stream -> (file name, seq, hash) for every checkpoint naming the stream
    anchored: dict[str, list[tuple[str, int, str]]] = field(default_factory=dict)
    newest: str | None = None  # the file name of the newest valid checkpoint

    @property
    def streams(self) -> set[str]:
        return set(self.anchored)


def load(directory: str | os.PathLike) -> Checkpoints:
    """Read and check the signature of every checkpoint in ``directory``."""
    found = Checkpoints()
    folder = Path(directory)
    files = sorted(folder.glob(PATTERN)) if folder.is_dir() else []
    if not files:
        found.problems.append(f"no checkpoint in {folder}")
    keys = known_keys()
    for path in files:
        try:
            document = json.loads(path.read_text())
            signature = document.pop("signature")
            key = keys.get(document["key_id"])
            if document.get("format") != FORMAT or key is None:
                found.problems.append(f"{path.name}: not a checkpoint signed with a configured key")
                continue
        except (OSError, ValueError, KeyError, AttributeError, TypeError):
            found.problems.append(f"{path.name}: unreadable")
            continue
        if not hmac.compare_digest(key.seal(_canonical(document)), str(signature)):
            found.problems.append(f"{path.name}: the signature does not match (the checkpoint was changed)")
            continue
        for stream, head in document["heads"].items():
            found.anchored.setdefault(stream, []).append((path.name, int(head["seq"]), str(head["hash"])))
        found.newest = path.name
    return found


def check(stream: str, events: Sequence[AuditEvent], checkpoints: Checkpoints) -> list[str]:
    """What ``checkpoints`` prove wrong about one chain's ``events`` (in ``seq`` order):
    an anchored event that is gone or differs, or an unsealed event the checkpoints do not
    cover."""
    problems = []
    by_seq = {event.seq: event for event in events}
    anchored = checkpoints.anchored.get(stream, [])
    for name, seq, digest in anchored:
        event = by_seq.get(seq)
        if event is None:
            problems.append(f"event {seq}, anchored in {name}, is missing")
        elif event.hash != digest:
            problems.append(f"event {seq} differs from {name}: an event up to it was changed")
    covered = max((seq for _, seq, _ in anchored), default=0)
    late = [event.seq for event in events if event.scheme is None and event.seq > covered]
    if late and checkpoints.newest:
        problems.append(f"event {late[0]} is unsealed but not covered by {checkpoints.newest} "
                        f"({len(late)} such event(s))")
    return problems
