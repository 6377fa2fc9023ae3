"""Handing out an attachment: only to those who may see it, and only as a download with headers
that stop a browser from running or rendering it in our origin."""

from dataclasses import dataclass
from pathlib import Path

from flask import Response, send_file

from ..exceptions import NotFound
from ..models import Attachment, User
from . import attachments, file_store, file_types

OCTET_STREAM = "application/octet-stream"
SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # Even if a browser were talked into rendering it: no scripts, no plugins, no origin.
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class Download:
    path: Path
    name: str
    mimetype: str


def _download(rows: list[Attachment], attachment_id: int) -> Download:
    row = next((r for r in rows if r.id == attachment_id), None)
    if row is None:
        raise NotFound("this complaint has no such file")
    path = file_store.path_for(row.sha256)
    if not path.is_file():
        raise NotFound("this file is no longer stored")
    kind = next((k for k in file_types.ACCEPTED if k.mime == row.content_type), None)
    if kind is None:
        return Download(path, row.filename, OCTET_STREAM)
    return Download(path, file_types.download_name(row.filename, kind), kind.mime)


def for_staff(user: User, reference: str, attachment_id: int) -> Download:
    """One of the complaint's files, for a staff member who may see the complaint.

    :raises NotFound: for a complaint they may not see, or a file it does not hold.
    """
    return _download(attachments.for_staff(user, reference), attachment_id)


def for_complainant(reference: str, token: str, attachment_id: int) -> Download:
    """One of the files the complainant sent, with their reference and token.

    :raises NotFound: for a wrong reference or token, or a file that is not theirs.
    """
    return _download(attachments.for_complainant(reference, token), attachment_id)


def send(download: Download) -> Response:
    """The file as an attachment (``Content-Disposition: attachment`` with the cleaned name,
    RFC 6266 ``filename*`` for names beyond ASCII), typed as detected, never sniffed."""
    response = send_file(download.path, mimetype=download.mimetype, as_attachment=True,
                         download_name=download.name, max_age=0)
    response.headers.update(SAFE_HEADERS)
    return response
