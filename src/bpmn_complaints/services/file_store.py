"""Attachment files on disk, named by their content's SHA-256: written atomically, kept once
per content, and removed only when the transaction that let them go commits.

The folder is ``ATTACHMENT_FOLDER`` (default ``<instance folder>/attachments``); a file lives
at ``<folder>/<first two hex digits>/<sha256>``. The name a person gave never reaches the disk.
"""

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db

_SHA256 = re.compile(r"[0-9a-f]{64}")
_WRITTEN = "attachment_files_written"  # session.info keys: what this transaction wrote, and let go
_RELEASED = "attachment_files_released"


def folder() -> Path:
    configured = current_app.config.get("ATTACHMENT_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "attachments"


def path_for(sha256: str) -> Path:
    """Where the content with this digest is kept.

    :raises ValueError: for anything but 64 lower-case hex digits (so no path can be smuggled in).
    """
    if not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 digest: {sha256!r}")
    return folder() / sha256[:2] / sha256


def store(data: bytes, sha256: str) -> Path:
    """Keep ``data`` under its digest: a temporary file in the same folder, flushed to disk,
    then renamed into place, so a reader never sees half a file. Content already kept is not
    written again. A file this transaction created is removed again if it rolls back."""
    target = path_for(sha256)
    if target.is_file() and target.stat().st_size == len(data):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    db.session().info.setdefault(_WRITTEN, set()).add(target)
    return target


def release_after_commit(digests: Iterable[str]) -> None:
    """Delete these files once the current transaction commits (not before: a rollback keeps
    them, with the rows that still point at them). The caller has checked that no other row
    still needs the content."""
    db.session().info.setdefault(_RELEASED, set()).update(path_for(d) for d in digests)


def _unlink(paths: Iterable[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    _unlink(session.info.pop(_RELEASED, ()))


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_RELEASED, None)
    _unlink(session.info.pop(_WRITTEN, ()))
