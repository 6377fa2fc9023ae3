"""Letters on paper (ISO 10002 4.5: complainants without email): any letter the product
wrote, as a PDF to print and post, with the complainant's name and postal address, the
reference and the status code. WeasyPrint renders it from ``web/templates/letters/``.

A letter to a complainant who has no email address is kept in the outbox as ``to_print``
(the worker never sends it); staff download it from the complaint page, post it, and mark
it posted, which the trail records.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from sqlalchemy import select

from .. import status_code
from ..clock import utcnow
from ..db import trail
from ..exceptions import Conflict, NotFound
from ..extensions import db
from ..models import Complaint, OutboxMessage, User
from . import complaints

TO_PRINT, POSTED = "to_print", "posted"


def _letter(complaint: Complaint, letter_id: int) -> OutboxMessage:
    message = db.session.get(OutboxMessage, letter_id)
    if message is None or message.complaint_id != complaint.id:
        raise NotFound("this complaint has no such letter")
    return message


def for_staff(user: User, reference: str, letter_id: int) -> tuple[Complaint, OutboxMessage]:
    complaint = complaints.get_by_reference(reference)
    complaints.check_visible(user, complaint)
    return complaint, _letter(complaint, letter_id)


def to_print(complaint: Complaint) -> list[OutboxMessage]:
    """The letters that wait to be printed and posted."""
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.complaint_id == complaint.id, OutboxMessage.status == TO_PRINT).order_by(OutboxMessage.id)))


def html_to_pdf(html: str) -> bytes:
    """Render a page of ours as PDF. Only our own static files are fetched (the page's
    stylesheet): never anything a text in the page could name."""
    from weasyprint import HTML  # a heavy import, needed only here
    from weasyprint.urls import URLFetcher

    static = Path(current_app.static_folder or "").resolve()

    class OwnStaticFiles(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            path = urlsplit(url).path
            if path.startswith("/static/"):
                target = (static / path.removeprefix("/static/")).resolve()
                if target.is_relative_to(static) and target.is_file():
                    return super().fetch(target.as_uri(), headers)
            raise ValueError(f"not fetched: {url}")

    result: bytes = HTML(string=html, base_url=current_app.config["PUBLIC_BASE_URL"],
                        url_fetcher=OwnStaticFiles(allowed_protocols=("file",))).write_pdf()
    return result


def pdf(complaint: Complaint, message: OutboxMessage) -> bytes:
    """The letter as a PDF, exactly the text that was written, on letter paper."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    html = render_template("letters/letter.html", complaint=complaint, message=message,
                           status_code=status_code.display(complaint.status_code or ""),
                           status_page=f"{base}/status", sent_on=message.sent_at or message.created_at,
                           organisation=current_app.config.get("ORGANISATION_NAME") or "The complaints team")
    return html_to_pdf(html)


def mark_posted(user: User, reference: str, letter_id: int) -> OutboxMessage:
    """Record that a printed letter went in the post."""
    complaint, message = for_staff(user, reference, letter_id)
    if message.status != TO_PRINT:
        raise Conflict("this letter is not waiting to be posted")
    message.status, message.sent_at = POSTED, utcnow()
    trail.record("letter_posted", user.name, complaint, message_id=message.message_id, template=message.template)
    return message
