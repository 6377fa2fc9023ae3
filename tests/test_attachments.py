"""Evidence files (ISO 10002 7.6) through every surface that takes them: the complaint form,
the API (multipart), the complainant's status page, the staff complaint page and the staff
API. Types are judged by content, limits hold, downloads go only to those who may see the
complaint and carry safe headers, and erasure removes rows and files."""

import hashlib
import io
import json
import re

import pytest
from werkzeug.datastructures import FileStorage

import evidence_files as make
from bpmn_complaints.db import run_change
from bpmn_complaints.exceptions import Conflict
from bpmn_complaints.services import attachments, complaints
from conftest import DIAGRAMS
from test_web_portal import FORM
from test_web_staff import Browser, add_user, text

BODY = {"name": "Dana Example", "email": "dana@example.com", "description": "Charged twice in March."}


@pytest.fixture
def folder(app, tmp_path):
    """Where the app keeps attachment files in these tests."""
    path = tmp_path / "attachments"
    app.config.update(ATTACHMENT_FOLDER=str(path), SUBMIT_RATE_LIMIT="200 per minute")
    return path


def stored(folder) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def people(api, diagram=DIAGRAMS / "simple"):
    """The diagram deployed; alice and bob in intake, ivan an investigator, sam a supervisor,
    quinn an auditor and root an admin, each with a password and an API token."""
    assert api.deploy(diagram).exit_code == 0
    for name, groups, roles in (("alice", ["intake"], ["staff"]), ("bob", ["intake"], ["staff"]),
                                ("ivan", ["investigators"], ["staff"]), ("sam", ["intake"], ["staff", "supervisor"]),
                                ("quinn", [], ["auditor"]), ("root", [], ["admin"])):
        add_user(api.runner, name, groups, roles)
        result = api.runner.invoke(args=["token", name])
        assert result.exit_code == 0, result.output
        api.tokens[name] = result.output.strip().splitlines()[-1]
    return api


@pytest.fixture
def desk(api, folder):
    return people(api)


def multipart(api, path, files, who=None, **fields):
    data = {**fields, "files": [(io.BytesIO(content), name) for name, content in files]}
    return api.client.post(path, headers=api.headers(who), data=data, content_type="multipart/form-data")


def listed(api, ref, who="sam"):
    response = api.get(f"/api/complaints/{ref}/attachments", who)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def trail(api, ref):
    return api.history(ref, "sam")["events"]


def fetched(response):
    """Read a download and close it: send_file holds the file open until the response is closed."""
    response.get_data()
    response.close()
    return response


def submitted(api, files, who=None, **fields):
    response = multipart(api, "/api/complaints", files, who, **{**BODY, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# -- the surfaces -------------------------------------------------------------------------

def test_the_complaint_form_takes_files_and_staff_see_them(desk, folder):
    portal = Browser(desk.app)
    page = text(portal.get("/complain"))
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page and "each up to 10 MB" in page
    response = portal.post("/complain", "/complain", {**FORM, "files": [(io.BytesIO(make.png()), "receipt.png"),
                                                                         (io.BytesIO(make.pdf()), "bill.pdf")]})
    assert response.status_code == 302, text(response)
    received = text(portal.get(response.headers["Location"]))
    assert "We have your 2 files too." in received
    ref = re.search(r'id="reference">([^<]+)<', received).group(1)

    # Stored outside the database under the content's SHA-256, never under the given name.
    assert stored(folder) == sorted([sha(make.png()), sha(make.pdf())])
    assert (folder / sha(make.png())[:2] / sha(make.png())).read_bytes() == make.png()
    items = listed(desk, ref)
    assert [(i["filename"], i["content_type"], i["size"], i["uploaded_by"], i["surface"]) for i in items] == [
        ("receipt.png", "image/png", len(make.png()), "complainant", "complaint_form"),
        ("bill.pdf", "application/pdf", len(make.pdf()), "complainant", "complaint_form")]

    # The staff complaint page lists them with a download link each.
    alice = Browser(desk.app).login("alice")
    page = text(alice.get(f"/complaints/{ref}"))
    files = page[page.index('id="attachments-title"'):page.index("Timeline")]
    assert "receipt.png" in files and "PNG image" in files and "PDF document" in files and "complainant" in files
    link = re.search(r'href="(/complaints/[^"]+/attachments/\d+)" download>bill.pdf', files).group(1)
    download = fetched(alice.get(link))
    assert download.status_code == 200 and download.data == make.pdf()
    # So does the page of the task that works it.
    task = desk.task_for("alice", ref)
    panel = text(alice.get(f"/tasks/{task['id']}")).split('id="files"', 1)[1].split("</div>", 1)[0]
    assert "receipt.png" in panel and f'href="{link}"' in panel


def test_a_refused_file_on_the_form_keeps_the_answers_and_stores_nothing(desk, folder):
    portal = Browser(desk.app)
    response = portal.post("/complain", "/complain", {**FORM, "files": [(io.BytesIO(make.elf()), "statement.pdf")]})
    assert response.status_code == 400
    page = text(response)
    assert "There is a problem" in page and '<a href="#files">' in page
    assert "statement.pdf was not accepted: the file is an ELF executable" in page
    assert 'value="Dana Example"' in page and "Charged twice in March.</textarea>" in page
    assert stored(folder) == []
    assert desk.get("/api/complaints", "sam").get_json()["total"] == 0


def test_the_api_takes_a_multipart_submission_and_json_still_works(desk, folder):
    created = submitted(desk, [("notes.txt", make.text()), ("mail.eml", make.email())], phone="0123 456")
    items = listed(desk, created["reference"])
    assert [(i["content_type"], i["uploaded_by"], i["surface"]) for i in items] == [
        ("text/plain", "complainant", "api"), ("message/rfc822", "complainant", "api")]
    detail = desk.get(f"/api/complaints/{created['reference']}", "sam").get_json()
    assert detail["phone"] == "0123 456" and [a["filename"] for a in detail["attachments"]] == ["notes.txt", "mail.eml"]
    # Staff entering a letter's complaint with their token are recorded as the uploader.
    entered = submitted(desk, [("letter.pdf", make.pdf())], who="alice", channel="letter")
    assert [i["uploaded_by"] for i in listed(desk, entered["reference"])] == ["alice"]
    # JSON as before, and a multipart form missing a field gets the usual 400.
    assert desk.post("/api/complaints", json=BODY).status_code == 201
    missing = multipart(desk, "/api/complaints", [("notes.txt", make.text())], name="Dana")
    assert missing.status_code == 400 and {"email", "description"} <= set(missing.get_json()["error"]["details"])
    refused = multipart(desk, "/api/complaints", [("invoice.docx", make.plain_zip())], **BODY)
    assert refused.status_code == 400
    error = refused.get_json()["error"]
    assert error["code"] == "file_refused" and "not an office document" in error["details"]["reason"]
    assert error["details"]["file"] == "invoice.docx"
    assert desk.get("/api/complaints", "sam").get_json()["total"] == 3
    body = desk.get("/api/openapi.json").get_json()["paths"]["/api/complaints"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}


def test_the_complainant_adds_evidence_on_the_status_page_and_downloads_only_their_own(desk, folder):
    created = submitted(desk, [])
    ref, token = created["reference"], created["status_token"]
    status_url = f"/status/{ref}?token={token}"
    portal = Browser(desk.app)
    page = text(portal.get(status_url))
    assert "Your files" in page and "No files yet." in page and 'id="evidence-files"' in page
    added = portal.post(status_url, f"/status/{ref}/attachments",
                        {"token": token, "files": [(io.BytesIO(make.jpeg()), "photo.jpg")]}, follow_redirects=True)
    page = text(added)
    assert "We have added 1 file to your complaint." in page and "photo.jpg" in page and "JPEG image" in page
    # Staff attach a file of their own: the complainant does not see it.
    assert multipart(desk, f"/api/complaints/{ref}/attachments", [("internal.txt", make.text())], "alice"
                     ).status_code == 201
    page = text(portal.get(status_url))
    assert "internal.txt" not in page
    # The same content from the complainant is not added twice, nor does it show them the staff's row.
    same = portal.post(status_url, f"/status/{ref}/attachments",
                       {"token": token, "files": [(io.BytesIO(make.text()), "mine.txt")]}, follow_redirects=True)
    assert "We have these files already." in text(same) and "internal.txt" not in text(same)
    link = re.search(r'href="([^"]+)" download>photo.jpg', page).group(1).replace("&amp;", "&")
    download = fetched(portal.get(link))
    assert download.status_code == 200 and download.data == make.jpeg()
    assert download.headers["Content-Type"] == "image/jpeg"
    staff_file = listed(desk, ref)[1]
    assert staff_file["filename"] == "internal.txt"
    assert portal.get(f"/status/{ref}/attachments/{staff_file['id']}?token={token}").status_code == 404
    assert "token" not in link  # the page's links carry no token: the session opened the page
    assert Browser(desk.app).get(f"{link}?token=wrong-token").status_code == 404
    assert Browser(desk.app).get(link).status_code == 404
    # The API's complainant view lists the same, and the complainant may upload with the token.
    public = desk.get(f"/api/complaints/{ref}", query_string={"token": token}).get_json()
    assert [a["filename"] for a in public["attachments"]] == ["photo.jpg"]
    assert "uploaded_by" not in public["attachments"][0]
    api_upload = multipart(desk, f"/api/complaints/{ref}/attachments?token={token}", [("scan.png", make.png())])
    assert api_upload.status_code == 201 and api_upload.get_json()["items"][0]["filename"] == "scan.png"
    api_download = fetched(desk.get(f"/api/complaints/{ref}/attachments/{api_upload.get_json()['items'][0]['id']}",
                                    query_string={"token": token}))
    assert api_download.status_code == 200 and api_download.data == make.png()
    assert multipart(desk, f"/api/complaints/{ref}/attachments?token=nope", [("a.png", make.gif())]).status_code == 404
    assert [i["surface"] for i in listed(desk, ref)] == ["status_page", "staff_api", "api"]
    # A refused file on the status page is explained; nothing is added.
    refused = portal.post(status_url, f"/status/{ref}/attachments",
                          {"token": token, "files": [(io.BytesIO(make.script()), "report.pdf")]}, follow_redirects=True)
    assert "We could not add your files: report.pdf was not accepted: the file is a script" in text(refused)
    assert len(listed(desk, ref)) == 3


def test_the_complainant_attaches_files_to_a_reply(api, folder):
    people(api, DIAGRAMS / "reply.bpmn")
    created = submitted(api, [])
    ref, token = created["reference"], created["status_token"]
    status_url = f"/status/{ref}?token={token}"
    portal = Browser(api.app)
    assert 'id="reply-files"' in text(portal.get(status_url))
    # A refused file: the reply is not sent, and what they wrote is still in the form.
    refused = portal.post(status_url, f"/status/{ref}/reply", {"token": token, "choice": "dissatisfied",
                                                               "comment": "The refund never came.",
                                                               "files": [(io.BytesIO(make.windows_exe()), "x.png")]})
    assert refused.status_code == 400
    page = text(refused)
    assert "Your reply was not sent" in page and "a Windows program (MZ)" in page
    assert "The refund never came.</textarea>" in page
    assert not [e for e in trail(api, ref) if e["action"] == "message_received"]
    done = portal.post(status_url, f"/status/{ref}/reply", {"token": token, "choice": "dissatisfied",
                                                            "comment": "The refund never came.",
                                                            "files": [(io.BytesIO(make.pdf()), "statement.pdf")]},
                       follow_redirects=True)
    page = text(done)
    assert "you are not satisfied" in page and "We have added 1 file" in page and "statement.pdf" in page
    assert [(i["filename"], i["surface"]) for i in listed(api, ref)] == [("statement.pdf", "reply")]


def test_staff_attach_on_the_complaint_page(desk, folder):
    ref = desk.submit()["reference"]
    alice = Browser(desk.app).login("alice")
    page = f"/complaints/{ref}"
    assert 'id="staff-files"' in text(alice.get(page))
    done = alice.post(page, f"/complaints/{ref}/attachments",
                      {"files": [(io.BytesIO(make.docx()), "Dana Example - call notes.docx"),
                                 (io.BytesIO(make.xlsx()), "charges.xlsx")]}, follow_redirects=True)
    assert "2 files attached." in text(done)
    items = listed(desk, ref)
    assert [(i["content_type"].rsplit(".", 1)[-1], i["uploaded_by"], i["surface"]) for i in items] == [
        ("document", "alice", "staff_page"), ("sheet", "alice", "staff_page")]
    refused = alice.post(page, f"/complaints/{ref}/attachments",
                         {"files": [(io.BytesIO(make.plain_zip()), "more.docx")]}, follow_redirects=True)
    assert "Nothing was attached: more.docx was not accepted: the file is a zip archive" in text(refused)
    # The trail has the fingerprint, size, type and surface, and never the name.
    events = [e for e in trail(desk, ref) if e["action"] == "attachment_added"]
    assert [e["actor"] for e in events] == ["alice", "alice"]
    details = events[0]["details"]
    assert details["sha256"] == sha(make.docx()) and details["size"] == len(make.docx())
    assert details["surface"] == "staff_page" and details["content_type"].endswith("wordprocessingml.document")
    assert details["filename"] == "sha256:" + sha(b"Dana Example - call notes.docx")
    assert "Dana Example" not in json.dumps(events) and "charges.xlsx" not in json.dumps(events)
    assert "File attached" in text(alice.get(page))
    # An auditor reads complaints but does not attach; a colleague outside the group gets 404.
    quinn = Browser(desk.app).login("quinn")
    assert 'id="staff-files"' not in text(quinn.get(page))
    assert quinn.post(page, f"/complaints/{ref}/attachments",
                      {"files": [(io.BytesIO(make.gif()), "a.gif")]}).status_code == 403
    ivan = Browser(desk.app).login("ivan")
    assert ivan.post("/inbox", f"/complaints/{ref}/attachments",
                     {"files": [(io.BytesIO(make.gif()), "a.gif")]}).status_code == 404


def test_staff_attach_through_the_api_and_another_group_is_refused(desk, folder):
    ref = desk.submit()["reference"]
    response = multipart(desk, f"/api/complaints/{ref}/attachments",
                         [("site visit.webp", make.webp()), ("minutes.odt", make.odt())], "alice")
    assert response.status_code == 201, response.get_json()
    items = response.get_json()["items"]
    assert [(i["content_type"], i["uploaded_by"], i["surface"]) for i in items] == [
        ("image/webp", "alice", "staff_api"), ("application/vnd.oasis.opendocument.text", "alice", "staff_api")]
    download = f"/api/complaints/{ref}/attachments/{items[0]['id']}"
    assert fetched(desk.get(download, "bob")).status_code == 200  # same group
    assert fetched(desk.get(download, "sam")).status_code == 200  # a supervisor sees every complaint
    # ivan's group has no part in this complaint: not found, as its page answers him.
    assert desk.get(f"/complaints/{ref}").status_code == 302
    assert desk.get(download, "ivan").status_code == 404
    assert desk.get(f"/api/complaints/{ref}/attachments", "ivan").status_code == 404
    assert multipart(desk, f"/api/complaints/{ref}/attachments", [("x.gif", make.gif())], "ivan").status_code == 404
    assert Browser(desk.app).login("ivan").get(f"/complaints/{ref}/attachments/{items[0]['id']}").status_code == 404
    assert desk.get(download).status_code == 401
    assert multipart(desk, f"/api/complaints/{ref}/attachments", [("x.gif", make.gif())], "quinn").status_code == 403
    assert desk.post(f"/api/complaints/{ref}/attachments", "alice").status_code == 400  # no file
    assert desk.get(f"/api/complaints/{ref}/attachments/9999", "alice").status_code == 404


@pytest.mark.parametrize("content, name, reason", [
    (make.elf(), "report.pdf", "an ELF executable"),
    (make.windows_exe(), "photo.jpg", "a Windows program (MZ)"),
    (make.script(), "statement.pdf", "a script"),
    (make.plain_zip(), "notes.docx", "a zip archive, not an office document"),
    (make.docx("application/vnd.ms-word.document.macroEnabled.main+xml"), "letter.docx", "with macros"),
    (make.odt_with_macros(), "minutes.odt", "with macros"),
    (b"\x00\x01\x02\x03binary", "data.txt", "binary data"),
    (b"", "empty.txt", "the file is empty"),
])
def test_types_are_judged_by_content(api, folder, content, name, reason):
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    api.user("alice", groups=["intake"])
    ref = api.submit()["reference"]
    response = multipart(api, f"/api/complaints/{ref}/attachments", [(name, content)], "alice")
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "file_refused" and reason in error["message"] and name in error["message"]
    assert listed(api, ref, "alice") == [] and stored(folder) == []


# -- limits -------------------------------------------------------------------------------

def test_the_size_limit(desk, folder):
    ref = desk.submit()["reference"]
    desk.app.config["ATTACHMENT_MAX_BYTES"] = 1000
    too_big = multipart(desk, f"/api/complaints/{ref}/attachments", [("long.txt", b"a" * 1001)], "alice")
    assert too_big.status_code == 413 and too_big.get_json()["error"]["code"] == "file_too_large"
    assert "larger than" in too_big.get_json()["error"]["message"]
    assert multipart(desk, f"/api/complaints/{ref}/attachments", [("ok.txt", b"a" * 1000)], "alice").status_code == 201


def test_the_default_limits_admit_a_file_of_the_largest_size(desk, folder):
    assert desk.app.config["MAX_CONTENT_LENGTH"] > desk.app.config["ATTACHMENTS_PER_REQUEST"] * 10 * 1024 * 1024
    ref = desk.submit()["reference"]
    largest = b"x" * desk.app.config["ATTACHMENT_MAX_BYTES"]
    assert len(largest) == 10 * 1024 * 1024
    # Encoded here: the test client would spool a body this large to a file it never closes.
    boundary = "evidence-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n'
            f"Content-Type: text/plain\r\n\r\n").encode() + largest + f"\r\n--{boundary}--\r\n".encode()
    response = desk.client.post(f"/api/complaints/{ref}/attachments", headers=desk.headers("alice"), data=body,
                                content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["items"][0]["size"] == len(largest)
    too_many = [(f"{n}.txt", f"file {n}".encode()) for n in range(desk.app.config["ATTACHMENTS_PER_REQUEST"] + 1)]
    response = multipart(desk, f"/api/complaints/{ref}/attachments", too_many, "alice")
    assert response.status_code == 409 and "at most 5 files at a time" in response.get_json()["error"]["message"]


def test_the_count_limit_and_the_same_content_twice(desk, folder):
    ref = desk.submit()["reference"]
    desk.app.config["ATTACHMENT_MAX_COUNT"] = 3
    path = f"/api/complaints/{ref}/attachments"
    assert multipart(desk, path, [("a.txt", b"one"), ("b.txt", b"two")], "alice").status_code == 201
    again = multipart(desk, path, [("a copy.txt", b"one")], "alice")  # held already: not counted, not added
    assert again.status_code == 201 and again.get_json()["items"][0]["filename"] == "a.txt"
    assert multipart(desk, path, [("c.txt", b"three")], "alice").status_code == 201
    over = multipart(desk, path, [("d.txt", b"four")], "alice")
    error = over.get_json()["error"]
    assert over.status_code == 409 and error["code"] == "too_many_files" and "at most 3 files" in error["message"]
    assert [i["filename"] for i in listed(desk, ref)] == ["a.txt", "b.txt", "c.txt"]
    assert len([e for e in trail(desk, ref) if e["action"] == "attachment_added"]) == 3


# -- serving ------------------------------------------------------------------------------

def test_downloads_carry_safe_headers_and_a_safe_name(desk, folder):
    ref = desk.submit()["reference"]
    html_as_text = b"<script>alert(document.cookie)</script>"
    sent = multipart(desk, f"/api/complaints/{ref}/attachments",
                     [("../../etc/notes.html", html_as_text), ("sp\u00e9cial\u202egpj.exe", make.jpeg())], "alice")
    assert sent.status_code == 201
    notes, special = sent.get_json()["items"]
    assert notes["filename"] == "notes.html" and special["filename"] == "sp\u00e9cialgpj.exe"
    response = fetched(desk.get(f"/api/complaints/{ref}/attachments/{notes['id']}", "alice"))
    assert response.status_code == 200 and response.data == html_as_text
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Disposition"] == "attachment; filename=notes.html.txt"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    assert "no-store" in response.headers["Cache-Control"]
    image = fetched(desk.get(f"/api/complaints/{ref}/attachments/{special['id']}", "alice"))
    assert image.headers["Content-Type"] == "image/jpeg"
    disposition = image.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''sp%C3%A9cialgpj.exe.jpg" in disposition
    assert "\u202e" not in disposition


# -- export and erasure -------------------------------------------------------------------

def test_export_lists_the_files_and_erasure_removes_them_unless_shared(api, folder):
    people(api, DIAGRAMS / "reply.bpmn")
    created = submitted(api, [("Dana bank statement.pdf", make.pdf()), ("shared.png", make.png())])
    ref, token = created["reference"], created["status_token"]
    other = submitted(api, [("the same picture.png", make.png())])
    assert stored(folder) == sorted([sha(make.pdf()), sha(make.png())])  # identical content kept once

    export = api.get(f"/api/complaints/{ref}/personal-data", "sam").get_json()
    files = export["attachments"]
    assert [(f["filename"], f["sha256"], f["uploaded_by"]) for f in files] == [
        ("Dana bank statement.pdf", sha(make.pdf()), "complainant"), ("shared.png", sha(make.png()), "complainant")]
    copy = fetched(api.get(files[0]["download"], "sam"))
    assert copy.status_code == 200 and copy.data == make.pdf()

    assert api.post("/api/messages/complainant_reply", json={"reference": ref, "token": token,
                                                             "payload": {"accepted": True}}).status_code == 200
    erased = api.post(f"/api/complaints/{ref}/erase", "root", json={"reason": "erasure request"})
    assert erased.status_code == 200, erased.get_json()
    assert erased.get_json()["attachments"] == 2
    # The rows are gone, the file only this complaint held is gone, the shared one stays.
    assert listed(api, ref) == []
    assert stored(folder) == [sha(make.png())]
    kept = listed(api, other["reference"])[0]
    assert fetched(api.get(f"/api/complaints/{other['reference']}/attachments/{kept['id']}", "sam")).data == make.png()
    assert api.get(f"/api/complaints/{ref}/personal-data", "sam").get_json()["attachments"] == []
    # The trail keeps the content's fingerprint, never the name.
    events = trail(api, ref)
    assert [e["details"]["sha256"] for e in events if e["action"] == "attachment_added"] == [sha(make.pdf()),
                                                                                                sha(make.png())]
    assert "bank statement" not in json.dumps(events)
    assert next(e for e in events if e["action"] == "personal_data_erased")["details"]["attachments"] == 2
    # An erased complaint takes no new files (they could never be erased).
    late = multipart(api, f"/api/complaints/{ref}/attachments", [("late.pdf", make.pdf())], "sam")
    assert late.status_code == 409 and stored(folder) == [sha(make.png())]


def test_a_change_that_rolls_back_leaves_no_file_behind(desk, folder):
    ref = desk.submit()["reference"]
    with desk.app.app_context():
        evidence = attachments.receive([FileStorage(io.BytesIO(make.png()), "receipt.png")])

        def change():
            attachments.attach(complaints.get_by_reference(ref), evidence, "alice", "staff_api")
            assert stored(folder) == [sha(make.png())]
            raise Conflict("the change lost a race")

        with pytest.raises(Conflict):
            run_change(change)
    assert stored(folder) == [] and listed(desk, ref) == []
