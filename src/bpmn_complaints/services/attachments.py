"""Evidence files on a complaint (ISO 10002 7.6): checked and received from complainants and
staff, listed, and let go when the complaint's personal data is erased.

A file is judged by its content (:mod:`.file_types`), kept outside the database under its
SHA-256 (:mod:`.file_store`), and linked to the complaint by an :class:`Attachment` row. The
trail records its fingerprint, size, type and where it came in, never the name it was given.
"""

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from flask import current_app
from sqlalchemy import select

from ..clock import utcnow
from ..db import trail
from ..exceptions import AppError, Conflict, Forbidden
from ..extensions import db
from ..models import Attachment, AuditEvent, Complaint, User
from ..policy import ATTACH_FILES, READ_COMPLAINTS, allows
from . import complaints, file_store, file_types

COMPLAINANT = "complainant"
# Where a file came in: the complaint form, the status page's "add evidence" and reply forms,
# POST /api/complaints, the staff complaint page, POST /api/complaints/<ref>/attachments,
# and an email (`mail-in`).
SURFACES = ("complaint_form", "status_page", "reply", "api", "staff_page", "staff_api", "email")


class FileRefused(AppError):
    """A file we do not take: its type, by content, is not on the allow-list."""

    status_code = 400
    code = "file_refused"


class FileTooLarge(FileRefused):
    status_code = 413
    code = "file_too_large"


class TooManyFiles(FileRefused):
    """The complaint, or the request, would hold more files than allowed."""

    status_code = 409
    code = "too_many_files"


class Upload(Protocol):
    """A file as a request carries it (werkzeug's ``FileStorage`` is one)."""

    @property
    def filename(self) -> str | None: ...

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class Evidence:
    """An uploaded file that passed the checks, not stored yet."""

    filename: str
    data: bytes
    sha256: str
    kind: file_types.Kind


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.3g} MB"


def limits() -> dict:
    """What the upload forms tell people: how many files, how large, and of which types."""
    config = current_app.config
    return {"per_request": config["ATTACHMENTS_PER_REQUEST"], "max_count": config["ATTACHMENT_MAX_COUNT"],
            "max_bytes": config["ATTACHMENT_MAX_BYTES"], "max_size": _megabytes(config["ATTACHMENT_MAX_BYTES"]),
            "accepted": file_types.WHAT_WE_ACCEPT,
            "accept": ",".join(f".{ext}" for kind in file_types.ACCEPTED for ext in kind.extensions)}


def label(content_type: str) -> str:
    """A type in words ("PDF document"), for lists of files."""
    return next((k.label for k in file_types.ACCEPTED if k.mime == content_type), content_type)


def clean_filename(name: str | None) -> str:
    """The name as given, safe to show and to offer as a download name: its last path
    component, without control, format (such as right-to-left overrides) or line-separator
    characters and leading dots, at most 200 characters with its extension kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and unicodedata.category(ch) not in
                   ("Zl", "Zp"))
    name = name.strip().lstrip(".").strip()
    if len(name) > 200:
        stem, dot, extension = name.rpartition(".")
        name = f"{stem[:190]}.{extension[:9]}" if dot and len(extension) < 10 else name[:200]
    return name or "attachment"


def receive(files: Iterable[Upload]) -> list[Evidence]:
    """Read and check the files of one request: each at most ``ATTACHMENT_MAX_BYTES``, of an
    accepted type by content, and at most ``ATTACHMENTS_PER_REQUEST`` of them. A part with
    neither a name nor content (a file input left empty) is skipped.

    :raises FileTooLarge: (413) for a file over the size limit.
    :raises FileRefused: (400) for a type we do not accept, naming the reason.
    :raises TooManyFiles: (409) for more files than one request may carry.
    """
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    per_request = current_app.config["ATTACHMENTS_PER_REQUEST"]
    received: list[Evidence] = []
    for upload in files:
        name, data = upload.filename, upload.read(limit + 1)
        if not name and not data:
            continue
        if len(received) == per_request:
            raise TooManyFiles(f"send at most {per_request} files at a time")
        shown = clean_filename(name)
        if len(data) > limit:
            raise FileTooLarge(f"{shown} is larger than {_megabytes(limit)}, the most we accept for one file",
                               {"file": shown, "limit": limit})
        try:
            kind = file_types.detect(data)
        except file_types.Refused as err:
            raise FileRefused(f"{shown} was not accepted: {err}. We accept {file_types.WHAT_WE_ACCEPT}",
                              {"file": shown, "reason": str(err)}) from None
        received.append(Evidence(shown, data, hashlib.sha256(data).hexdigest(), kind))
    return received


def of_complaint(complaint: Complaint) -> list[Attachment]:
    return list(db.session.scalars(select(Attachment).where(Attachment.complaint_id == complaint.id)
                                   .order_by(Attachment.uploaded_at, Attachment.id)))


def _erased(complaint: Complaint) -> bool:
    return db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.stream == trail.stream_for(complaint), AuditEvent.action == "personal_data_erased").limit(1)
    ) is not None


def attach(complaint: Complaint, evidence: Sequence[Evidence], uploaded_by: str, surface: str) -> list[Attachment]:
    """Keep the files and link them to the complaint, one ``attachment_added`` event each.
    Content the complaint already holds is not added twice (its row is returned).

    :raises TooManyFiles: when the complaint would hold more than ``ATTACHMENT_MAX_COUNT``.
    :raises Conflict: once the complaint's personal data has been erased (a file added then
        could never be erased).
    """
    if surface not in SURFACES:
        raise ValueError(f"unknown surface {surface!r}")
    if not evidence:
        return []
    if _erased(complaint):
        raise Conflict("this complaint's personal data has been erased; it takes no new files")
    held = {row.sha256: row for row in of_complaint(complaint)}
    new = list({e.sha256: e for e in evidence if e.sha256 not in held}.values())
    most = current_app.config["ATTACHMENT_MAX_COUNT"]
    if len(held) + len(new) > most:
        raise TooManyFiles(f"a complaint can hold at most {most} files, and this one holds {len(held)} already",
                           {"limit": most, "held": len(held)})
    for item in new:
        file_store.store(item.data, item.sha256)
        row = Attachment(complaint_id=complaint.id, sha256=item.sha256, size=len(item.data),
                         content_type=item.kind.mime, filename=item.filename, uploaded_by=uploaded_by,
                         uploaded_at=utcnow(), surface=surface)
        db.session.add(row)
        db.session.flush()
        held[item.sha256] = row
        # The name may say who the complainant is ("Dana Example - bank statement.pdf").
        trail.record("attachment_added", uploaded_by, complaint, attachment_id=row.id, sha256=item.sha256,
                     size=row.size, content_type=row.content_type, surface=surface,
                     filename=trail.fingerprint(item.filename))
    return [held[e.sha256] for e in evidence]


def submit_with_evidence(data: dict, entered_by: str | None, evidence: Sequence[Evidence],
                         surface: str) -> tuple[Complaint, str]:
    """:func:`.complaints.submit` with the files sent along, in the same transaction."""
    complaint, token = complaints.submit(data, entered_by)
    attach(complaint, evidence, entered_by or COMPLAINANT, surface)
    return complaint, token


def attach_as_complainant(reference: str, token: str, evidence: Sequence[Evidence],
                          surface: str) -> list[Attachment]:
    """The complainant adds files while the complaint is open.

    :raises NotFound: for a wrong reference or token.
    :raises Conflict: once the complaint is closed.
    """
    complaint = complaints.get_for_complainant(reference, token)
    if complaint.state != "open":
        raise Conflict("your complaint is closed, so it takes no new files; reply to our last email instead")
    # Content staff attached already is not theirs to see: only their own rows come back.
    return [row for row in attach(complaint, evidence, COMPLAINANT, surface) if row.uploaded_by == COMPLAINANT]


def attach_as_staff(user: User, reference: str, evidence: Sequence[Evidence], surface: str) -> list[Attachment]:
    """A staff member adds files to a complaint they may see.

    :raises Forbidden: without the ``attach_files`` permission.
    :raises NotFound: for a complaint they may not see (as its page answers).
    """
    if not allows(user, ATTACH_FILES):
        raise Forbidden("attaching files needs one of the roles: staff, supervisor")
    complaint = complaints.get_by_reference(reference)
    complaints.check_visible(user, complaint)
    return attach(complaint, evidence, user.name, surface)


def for_staff(user: User, reference: str) -> list[Attachment]:
    """The complaint's files, for a staff member who may see it.

    :raises Forbidden: without the ``read_complaints`` permission.
    :raises NotFound: for a complaint they may not see.
    """
    if not allows(user, READ_COMPLAINTS):
        raise Forbidden("reading complaints needs a staff role")
    complaint = complaints.get_by_reference(reference)
    complaints.check_visible(user, complaint)
    return of_complaint(complaint)


def for_complainant(reference: str, token: str) -> list[Attachment]:
    """The files the complainant sent (not the ones staff attached).

    :raises NotFound: for a wrong reference or token.
    """
    complaint = complaints.get_for_complainant(reference, token)
    return [row for row in of_complaint(complaint) if row.uploaded_by == COMPLAINANT]


def erase(complaint: Complaint) -> int:
    """Delete the complaint's attachment rows, and their files once the transaction commits,
    except content another complaint still holds. Returns how many rows went."""
    rows = of_complaint(complaint)
    for row in rows:
        db.session.delete(row)
    db.session.flush()
    digests = {row.sha256 for row in rows}
    shared = set(db.session.scalars(select(Attachment.sha256).where(Attachment.sha256.in_(digests)))) if rows else set()
    file_store.release_after_commit(digests - shared)
    return len(rows)
