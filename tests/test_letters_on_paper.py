"""Complainants without email (ISO 10002 4.5): staff record a complaint with a postal
address only; its letters wait to be printed, download as PDF with the reference and the
status code, and are marked posted. Every letter downloads as PDF, and so does the report."""

import io
import re

import pytest
from pypdf import PdfReader

from test_case_file import browser
from test_process_paths import assess, process  # noqa: F401
from test_web_staff import text

try:
    import weasyprint  # noqa: F401
except OSError as err:  # installed, but the system's Pango is missing (make browser-deps installs it)
    pytest.skip(f"WeasyPrint cannot load Pango: {err}", allow_module_level=True)

ENTRY = {"name": "Ada Post", "email": "", "postal_address": "12 High Street\nLeeds LS1 1AA",
         "description": "My meter was read wrong.", "channel": "letter", "preferred_contact": "letter"}


def pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf", response.status_code
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def test_a_letter_only_complaint_gets_its_acknowledgement_on_paper(process):
    alice = browser(process, "alice")
    refused = alice.post("/complaints/new", "/complaints/new", {**ENTRY, "postal_address": ""})
    assert refused.status_code == 400 and "or their postal address" in text(refused)
    done = alice.post("/complaints/new", "/complaints/new", ENTRY)
    assert done.status_code == 302, text(done)
    recorded = text(alice.get(done.headers["Location"]))
    ref = re.search(r'id="reference">([^<]+)<', recorded).group(1)
    code = re.search(r'id="status-code">([^<]+)<', recorded).group(1)

    page = text(alice.get(f"/complaints/{ref}"))
    assert 'id="letters"' in page and "Letters to post" in page
    link = re.search(rf'href="(/complaints/{ref}/letters/\d+\.pdf)" download>', page).group(1)
    letter = pdf_text(alice.get(link))
    assert ref in letter and code in letter and "Ada Post" in letter and "12 High Street" in letter
    assert "We have received your complaint" in letter
    outbox = process.get("/api/outbox", "sam").get_json()
    assert [(m["status"]) for m in outbox["items"] if m["template"] == "acknowledgement"] == ["to_print"]

    posted = alice.post(f"/complaints/{ref}", link.replace(".pdf", "/posted"), {})
    assert posted.status_code == 302
    assert 'id="letters"' not in text(alice.get(f"/complaints/{ref}"))
    events = process.history(ref, "sam")["events"]
    assert [e["actor"] for e in events if e["action"] == "letter_posted"] == ["alice"]
    # The process goes on as for anyone: intake assesses it.
    assess(process, ref)


def test_every_email_downloads_as_a_pdf_and_others_may_not(process):
    ref = process.submit()["reference"]
    sam = browser(process, "sam")
    page = text(sam.get(f"/complaints/{ref}"))
    link = re.search(rf'href="(/complaints/{ref}/letters/\d+\.pdf)">PDF<', page).group(1)
    assert ref in pdf_text(sam.get(link))
    other = process.submit()["reference"]
    assert sam.get(link.replace(ref, other)).status_code == 404  # not that complaint's letter
    assess(process, ref)
    ivan_sees = browser(process, "ivan").get(link.replace(ref, other))
    assert ivan_sees.status_code in (403, 404)


def test_the_report_downloads_as_a_pdf(process):
    process.submit()
    sam = browser(process, "sam")
    report = pdf_text(sam.get("/reports/summary.pdf?from=2026-11-01&to=2026-12-01"))
    assert "Received" in report and "ISO 10002" in report
    assert 'summary.pdf' in text(sam.get("/reports?from=2026-11-01&to=2026-12-01"))
