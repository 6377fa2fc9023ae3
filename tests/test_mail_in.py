"""Replies by email (inbound): mail comes in through our own SMTP/LMTP receiver
(`mail-in --listen`, sent to with smtplib) and through a real IMAP server (Debian's
dovecot, started here on loopback, polled by `mail-in --imap`). A reply lands in its
complaint's case file and staff are told; staff turn it into the complainant's decision
from the complaint page; a new sender's mail becomes a complaint; machines are never
answered; a mail too large or malformed is kept as a rejected row."""

import imaplib
import os
import pwd
import shutil
import smtplib
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy import text as sql

from bpmn_complaints.extensions import db
from bpmn_complaints.models import Attachment, CaseMessage, Complaint, InboundMail, OutboxMessage
from bpmn_complaints.services import mail_in
from evidence_files import pdf
from test_case_file import browser, to_approval
from test_outbox import body, free_port, run_worker, smtp  # noqa: F401  (the outgoing SMTP sink)
from test_process_paths import process  # noqa: F401
from test_web_staff import text

OURS = "Complaints <complaints@acme.example>"
UNHAPPY = "I am not satisfied: you refunded one charge, but I was charged three times."
DOVECOT = Path("/usr/sbin/dovecot")


# -- the two ways in ------------------------------------------------------------------

class Receiver:
    """Our `mail-in --listen` server on a free loopback port."""

    def __init__(self, app, lmtp=False):
        self.port, self.lmtp = free_port(), lmtp
        with app.app_context():
            self.server = mail_in.listener("127.0.0.1", self.port, lmtp=lmtp).start()

    def send(self, mail: EmailMessage | bytes, sender="dana@example.com", to=("complaints@acme.example",)):
        """Send as a mail server would; returns None, or the refusal's text."""
        client = (smtplib.LMTP if self.lmtp else smtplib.SMTP)("127.0.0.1", self.port, timeout=60)
        try:
            if isinstance(mail, EmailMessage):
                client.send_message(mail, from_addr=sender, to_addrs=list(to))
            else:
                client.sendmail(sender, list(to), mail)
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused, smtplib.SMTPRecipientsRefused) as err:
            return str(err)
        finally:
            client.quit()
        return None

    def stop(self):
        self.server.stop()


class Dovecot:
    """Debian's dovecot-imapd in a temporary folder: one user with a plain-text password,
    IMAP without TLS on a loopback port."""

    USER, PASSWORD = "complaints", "mailbox-secret"

    def __init__(self):
        self.port, self.process = free_port(), None
        self.root = Path(tempfile.mkdtemp(prefix="dovecot-"))
        self.root.chmod(0o755)
        (self.root / "mail").mkdir()
        if os.geteuid() == 0:  # dovecot will not log in or read mail as root
            internal, login = "dovecot", "dovenull"
            entry = pwd.getpwnam(internal)
            os.chown(self.root / "mail", entry.pw_uid, entry.pw_gid)
            uid, gid = internal, internal
        else:
            internal = login = uid = pwd.getpwuid(os.getuid()).pw_name
            gid = str(os.getgid())
        (self.root / "passwd").write_text(f"{self.USER}:{{PLAIN}}{self.PASSWORD}\n")
        (self.root / "dovecot.conf").write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
ssl = no
disable_plaintext_auth = no
mail_location = maildir:{self.root}/mail/%u
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={self.root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""")

    def start(self):
        # In the foreground (-F), so this process is the server and stop() ends exactly it.
        self.process = subprocess.Popen([str(DOVECOT), "-F", "-c", str(self.root / "dovecot.conf")],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                imaplib.IMAP4("127.0.0.1", self.port, timeout=5).logout()
                return self
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    log = self.root / "dovecot.log"
                    self.stop()
                    raise RuntimeError(log.read_text() if log.exists() else "dovecot did not start") from None
                time.sleep(0.1)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        shutil.rmtree(self.root, ignore_errors=True)

    def append(self, mail: EmailMessage | bytes):
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=60)
        try:
            client.login(self.USER, self.PASSWORD)
            raw = mail.as_bytes() if isinstance(mail, EmailMessage) else mail
            status, data = client.append("INBOX", None, None, raw)
            assert status == "OK", data
        finally:
            client.logout()

    def seen(self) -> list[bool]:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=60)
        try:
            client.login(self.USER, self.PASSWORD)
            client.select("INBOX")
            _status, data = client.fetch("1:*", "(FLAGS)")
            return [b"\\Seen" in line for line in data if line]
        finally:
            client.logout()


def dovecot_or_skip() -> Dovecot:
    if not DOVECOT.exists():
        pytest.skip("Debian's dovecot-imapd is not installed (`make mail-deps` installs it as root)")
    return Dovecot().start()


class Ways:
    """One way in, as a test sends through it: ``send(mail)`` returns None or the refusal."""

    def __init__(self, api, way):
        self.api, self.way = api, way
        self.receiver = self.dovecot = None
        api.app.config.update(MAIL_FROM=OURS)
        if way == "imap":
            self.dovecot = dovecot_or_skip()
            api.app.config.update(IMAP_HOST="127.0.0.1", IMAP_PORT=self.dovecot.port, IMAP_TLS="none",
                                  IMAP_USERNAME=Dovecot.USER, IMAP_PASSWORD=Dovecot.PASSWORD)
        else:
            self.receiver = Receiver(api.app, lmtp=way == "lmtp")

    def send(self, mail, sender="dana@example.com"):
        if self.receiver is not None:
            return self.receiver.send(mail, sender=sender)
        self.dovecot.append(mail)
        result = self.api.runner.invoke(args=["mail-in", "--imap", "--once"])
        assert result.exit_code == 0, result.output
        assert "1 mails taken" in result.output, result.output
        return None

    def stop(self):
        if self.receiver is not None:
            self.receiver.stop()
        if self.dovecot is not None:
            self.dovecot.stop()


@pytest.fixture(params=["smtp", "imap"])
def way_in(request, process):  # noqa: F811
    ways = Ways(process, request.param)
    yield ways
    ways.stop()


@pytest.fixture
def lmtp(process):  # noqa: F811
    ways = Ways(process, "lmtp")
    yield ways
    ways.stop()


# -- helpers ----------------------------------------------------------------------------

def mail(subject, text, sender="Dana Example <dana@example.com>", **headers) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "complaints@acme.example"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="mail.example.net")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message


def inbound(api) -> list[InboundMail]:
    with api.app.app_context():
        rows = list(db.session.scalars(select(InboundMail).order_by(InboundMail.id)))
        db.session.expunge_all()
        return rows


def letters(api, template) -> list[OutboxMessage]:
    with api.app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template)
                                       .order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


def told(api, ref) -> list[list[str]]:
    """Who was told that the complainant of ``ref`` replied, one staff email each."""
    return [m.recipients for m in letters(api, "staff_notification") if m.subject == f"{ref}: the complainant replied"]


def decided(api):
    """A complaint whose decision letter went out and waits for the complainant's reply."""
    created, ref = to_approval(api)
    api.work("sam", ref, {"approval_decision": "approve"})
    [letter] = letters(api, "decision")
    return created, ref, letter


# -- replies ----------------------------------------------------------------------------

def test_every_letter_carries_a_reply_address_and_a_message_id(process, smtp):  # noqa: F811
    process.app.config.update(MAIL_REPLY_TO="Complaints <replies+{reference}@acme.example>")
    smtp.start()
    ref = process.submit()["reference"]
    assert run_worker(process) >= 1
    [acknowledgement] = [m for m in smtp.sink.messages if ref in m["Subject"]]
    assert acknowledgement["Reply-To"] == f"Complaints <replies+{ref}@acme.example>"
    assert acknowledgement["Message-ID"].strip().startswith(f"<{ref}.acknowledgement.")
    assert acknowledgement["Auto-Submitted"] == "auto-generated"


def test_a_reply_by_in_reply_to_lands_in_the_case_file_and_staff_are_told(process, way_in, smtp):  # noqa: F811
    smtp.start()
    _created, ref, letter = decided(process)
    quoted = f"{UNHAPPY}\n\nOn Monday the complaints team wrote:\n> Our decision on {ref}\n"
    # The subject names no reference: only In-Reply-To ties it to the decision letter.
    assert way_in.send(mail("Re: our decision", quoted, In_Reply_To=letter.message_id,
                            References=letter.message_id)) is None
    [row] = inbound(process)
    assert (row.status, row.matched_by, row.reply_text) == ("matched", "in_reply_to", UNHAPPY)

    sam = browser(process, "sam")
    page = text(sam.get(f"/complaints/{ref}"))
    case_file = page.split('id="case-file"', 1)[1]
    entry = case_file.split("A reply came by email", 1)[1].split("</article>", 1)[0]
    assert UNHAPPY in entry and "Dana Example &lt;dana@example.com&gt;" in entry

    # Nobody holds a task now (the process waits for the reply): those who worked it are told.
    assert told(process, ref) == [["alice@example.com"], ["ivan@example.com"], ["sam@example.com"]]
    run_worker(process)
    arrived = [m for m in smtp.sink.messages if m["Subject"] == f"{ref}: the complainant replied"]
    assert sorted(m["To"] for m in arrived) == ["alice@example.com", "ivan@example.com", "sam@example.com"]
    assert f"/complaints/{ref}" in body(arrived[0]) and "The reply came by email" in body(arrived[0])
    assert UNHAPPY not in body(arrived[0]) and "dana@example.com" not in body(arrived[0])


def test_staff_turn_a_reply_by_email_into_the_complainants_decision(process, lmtp):  # noqa: F811
    _created, ref, letter = decided(process)
    assert lmtp.send(mail(f"Re: {ref}", UNHAPPY, In_Reply_To=letter.message_id)) is None
    [row] = inbound(process)
    sam = browser(process, "sam")
    page = f"/complaints/{ref}"
    panel = text(sam.get(page)).split(f'id="email-{row.id}"', 1)[1].split("</form>", 1)[0]
    assert f">{UNHAPPY}</textarea>" in panel  # their reason, quoted, ready to record
    answer = sam.post(page, f"/complaints/{ref}/emails/{row.id}/decision",
                      {"kind": "dissatisfied", "text": UNHAPPY})
    assert answer.status_code == 302
    review = process.task_for("sue", ref)
    assert review["bpmn_id"] == "Task_internal_review"
    shown = text(browser(process, "sue").get(f"/tasks/{review['id']}"))
    assert UNHAPPY in shown and "recorded by sam (email)" in shown
    with process.app.app_context():
        message = db.session.scalars(select(CaseMessage)).one()
        kept = db.session.get(InboundMail, row.id)
        assert (message.channel, message.sender, message.payload) == (
            "email", "sam", {"accepted": False, "comment": UNHAPPY})
        assert (kept.case_message_id, kept.decided_by) == (message.id, "sam")
    assert f'id="email-{row.id}"' not in text(sam.get(page))  # decided: no second form
    again = sam.post(f"/complaints/{ref}", f"/complaints/{ref}/emails/{row.id}/decision",
                     {"kind": "accept", "text": ""}, follow_redirects=True)
    assert "already" in text(again)
    api_again = process.post(f"/api/complaints/{ref}/emails/{row.id}/decision", "sam", json={"kind": "accept"})
    assert api_again.status_code == 409 and "already" in api_again.get_json()["error"]["message"]
    assert process.post(f"/api/complaints/{ref}/emails/{row.id + 1}/decision", "sam",
                        json={"kind": "accept"}).status_code == 404
    events = process.history(ref, "sam")["events"]
    assert [e["details"]["kind"] for e in events if e["action"] == "email_reply_decided"] == ["dissatisfied"]
    assert UNHAPPY not in str(events)


def test_a_reply_quoting_only_the_reference_is_matched_from_the_complainants_address(process, way_in):  # noqa: F811
    ref = process.submit()["reference"]
    assert way_in.send(mail(f"About my complaint {ref}", "I found the second bill, see below.")) is None
    # The same reference quoted by someone else is kept for staff, not filed, and opens nothing.
    assert way_in.send(mail(f"Re {ref.lower()}", "Please look at this.", sender="mallory@else.example"),
                       sender="mallory@else.example") is None
    filed, stranger = inbound(process)
    assert (filed.status, filed.matched_by) == ("matched", "subject")
    assert stranger.status == "unmatched" and "not from that complaint's address" in stranger.reason
    # Supervisors see what waits to be filed; intake staff do not.
    waiting = process.get("/api/inbound", "sam", query_string={"status": "unmatched"}).get_json()
    assert [(m["sender"], m["complaint_reference"]) for m in waiting["items"]] == [("mallory@else.example", None)]
    assert waiting["total"] == 1 and "text" not in waiting["items"][0]
    assert process.get("/api/inbound", "alice").status_code == 403
    # A supervisor who knows better files it on the complaint: a reply in its case file now.
    mallory = waiting["items"][0]["id"]
    assert process.post(f"/api/inbound/{mallory}/file", "alice", json={"reference": ref}).status_code == 403
    filed = process.post(f"/api/inbound/{mallory}/file", "sam", json={"reference": ref.lower()})
    assert filed.status_code == 200 and filed.get_json()["status"] == "matched"
    assert filed.get_json()["matched_by"] == "staff" and filed.get_json()["complaint_reference"] == ref
    assert process.post(f"/api/inbound/{mallory}/file", "sam", json={"reference": ref}).status_code == 409
    page = text(browser(process, "sue").get(f"/complaints/{ref}"))
    assert "Please look at this." in page and "mallory@else.example" in page
    with process.app.app_context():
        assert db.session.scalars(select(Complaint)).all()[0].reference == ref
        assert len(db.session.scalars(select(Complaint)).all()) == 1
    # The people holding its open task are told each time: the intake group, nobody has claimed it.
    assert told(process, ref) == [["alice@example.com"], ["alice@example.com"]]


def test_a_reference_in_the_reply_address_matches_too(process, lmtp):  # noqa: F811
    ref = process.submit()["reference"]
    answer = lmtp.receiver.send(mail("Re: your letter", "Thank you."), to=(f"replies+{ref}@acme.example",))
    assert answer is None
    [row] = inbound(process)
    assert (row.status, row.matched_by) == ("matched", "reply_address")


def test_a_mail_from_a_new_sender_becomes_a_complaint_in_the_intake_queue(process, way_in):  # noqa: F811
    words = "My router has dropped the line every evening since the upgrade on 3 November."
    assert way_in.send(mail("Broadband keeps dropping", words, sender="Pat Newcomer <pat@elsewhere.example>"),
                       sender="pat@elsewhere.example") is None
    [row] = inbound(process)
    assert row.status == "new_complaint"
    with process.app.app_context():
        complaint = db.session.get(Complaint, row.complaint_id)
        assert (complaint.channel, complaint.name, complaint.email, complaint.description) == (
            "email", "Pat Newcomer", "pat@elsewhere.example", words)
        ref = complaint.reference
    assert process.task_for("alice", ref)["bpmn_id"]  # waits in the intake queue
    [acknowledgement] = letters(process, "acknowledgement")
    assert acknowledgement.recipients == ["pat@elsewhere.example"]


def test_new_complaints_by_email_pass_the_usual_checks(process, lmtp):  # noqa: F811
    refused = lmtp.send(mail("", "", sender="quiet@elsewhere.example"), sender="quiet@elsewhere.example")
    assert refused and "552" in refused and "not taken as a complaint" in refused
    assert lmtp.send(mail("Hello", "", sender="pat@elsewhere.example"), sender="pat@elsewhere.example") is None
    # A sender who wrote before is known: a mail naming no complaint waits for staff.
    assert lmtp.send(mail("Another thing", "And the bill.", sender="pat@elsewhere.example"),
                     sender="pat@elsewhere.example") is None
    empty, first, second = inbound(process)
    assert (empty.status, first.status, second.status) == ("rejected", "new_complaint", "unmatched")
    assert "known sender" in second.reason
    with process.app.app_context():
        assert db.session.get(Complaint, first.complaint_id).description == "Hello"  # the subject, for no text
        assert len(db.session.scalars(select(Complaint)).all()) == 1


@pytest.mark.parametrize("headers, sender, why", [
    ({"Auto_Submitted": "auto-replied"}, "Dana Example <dana@example.com>", "Auto-Submitted"),
    ({"Precedence": "bulk"}, "News <news@shop.example>", "Precedence: bulk"),
    ({"Precedence": "list", "List_Id": "<deals.shop.example>"}, "Deals <deals@shop.example>", "Precedence: list"),
    ({}, "Mail Delivery System <MAILER-DAEMON@mx.example>", "bounce"),
    ({}, OURS, "our own mail"),
])
def test_machines_are_recognised_and_never_answered(process, lmtp, headers, sender, why):  # noqa: F811
    _created, ref, letter = decided(process)
    before = len(letters(process, "acknowledgement"))
    out_of_office = mail("Out of office", "I am away until Monday.", sender=sender,
                         In_Reply_To=letter.message_id, **headers)
    assert lmtp.send(out_of_office, sender="" if "MAILER" in sender else "someone@mx.example") is None
    [row] = inbound(process)
    assert row.status == "ignored" and why in row.reason
    assert len(letters(process, "acknowledgement")) == before and told(process, ref) == []
    page = text(browser(process, "sam").get(f"/complaints/{ref}"))
    assert "I am away until Monday." not in page


def test_an_auto_reply_from_a_stranger_opens_no_complaint(process, way_in):  # noqa: F811
    auto = mail("Automatic reply: Your complaint", "Thank you for your message.",
                sender="Helpdesk <help@vendor.example>", Auto_Submitted="auto-replied")
    assert way_in.send(auto, sender="help@vendor.example") is None
    [row] = inbound(process)
    assert row.status == "ignored"
    with process.app.app_context():
        assert db.session.scalars(select(Complaint)).all() == []
        assert db.session.scalars(select(OutboxMessage)).all() == []


def test_a_20_mb_mail_is_refused_and_kept(process, way_in):  # noqa: F811
    ref = process.submit()["reference"]
    big = mail(f"Photos for {ref}", "All the photos.")
    big.add_attachment(os.urandom(20 * 1024 * 1024), maintype="application", subtype="octet-stream",
                       filename="photos.bin")
    refused = way_in.send(big)
    if way_in.way == "smtp":
        assert refused and "552" in refused and "larger than 10 MB" in refused
    [row] = inbound(process)
    assert row.status == "rejected" and "larger than 10 MB" in row.reason
    assert row.size > 20 * 1024 * 1024 and row.raw_truncated
    assert len(row.raw) <= 256 * 1024 and row.subject == f"Photos for {ref}" and row.complaint_id is None
    with process.app.app_context():
        assert db.session.scalars(select(Attachment)).all() == []
    if way_in.dovecot is not None:
        assert way_in.dovecot.seen() == [True]  # taken once, not again at the next poll


def test_a_malformed_mail_is_kept_as_rejected(process, lmtp):  # noqa: F811
    refused = lmtp.send(b"this is not a mail at all\r\njust words\r\n", sender="x@else.example")
    assert refused and "552" in refused
    [row] = inbound(process)
    assert row.status == "rejected" and "malformed" in row.reason and row.raw.startswith(b"this is not")
    assert lmtp.send(mail("Still here", "The receiver goes on.", sender="pat@elsewhere.example"),
                     sender="pat@elsewhere.example") is None
    assert inbound(process)[-1].status == "new_complaint"


def test_a_mail_with_an_attachment_lands_in_the_case_file(process, way_in):  # noqa: F811
    created = process.submit()
    ref = created["reference"]
    reply = mail(f"Re: {ref}", "Here is the bill that shows the double charge.")
    reply.add_attachment(pdf(), maintype="application", subtype="pdf", filename="October bill.pdf")
    reply.add_attachment(b"MZ\x90\x00" + b"\x00" * 64, maintype="application", subtype="octet-stream",
                         filename="tool.exe")
    assert way_in.send(reply) is None
    [row] = inbound(process)
    assert row.status == "matched" and len(row.attachment_ids) == 1 and "tool.exe" in row.reason
    with process.app.app_context():
        [attachment] = db.session.scalars(select(Attachment)).all()
        assert (attachment.filename, attachment.surface, attachment.uploaded_by, attachment.content_type) == (
            "October bill.pdf", "email", "complainant", "application/pdf")
    page = text(browser(process, "sam").get(f"/complaints/{ref}"))
    assert "October bill.pdf" in page
    entry = page.split('id="case-file"', 1)[1].split("A reply came by email", 1)[1].split("</article>", 1)[0]
    assert "Here is the bill that shows the double charge." in entry and "1 attached" in entry
    # The complainant sees the file they sent on their status page too.
    listed = process.get(f"/api/complaints/{ref}", query_string={"token": created["status_token"]}).get_json()
    assert [a["filename"] for a in listed["attachments"]] == ["October bill.pdf"]


def test_a_mail_that_cannot_be_kept_now_is_deferred_so_the_sender_retries(process):  # noqa: F811
    receiver = Receiver(process.app)
    try:
        with process.app.app_context():  # the database loses the table the mail goes to
            db.session.execute(sql("DROP TABLE inbound_mails"))
            db.session.commit()
        answer = receiver.send(mail("Hello", "Anyone there?", sender="pat@elsewhere.example"),
                               sender="pat@elsewhere.example")
        assert answer and "451" in answer and "try again later" in answer
    finally:
        receiver.stop()


def test_the_same_mail_delivered_twice_is_kept_once(process, lmtp):  # noqa: F811
    ref = process.submit()["reference"]
    reply = mail(f"Re: {ref}", "Once only.")
    assert lmtp.send(reply) is None and lmtp.send(reply) is None
    assert [r.status for r in inbound(process)] == ["matched"]


def test_inbound_mails_are_in_the_export_and_go_with_erasure(process, lmtp, smtp):  # noqa: F811
    process.user("root", roles=["admin"])
    smtp.start()
    created = process.submit()
    ref = created["reference"]
    assert lmtp.send(mail(f"Re: {ref}", "Please also call me on 07700 900999.")) is None
    exported = process.get(f"/api/complaints/{ref}/personal-data", "root").get_json()
    assert [m["text"] for m in exported["emails_received"]] == ["Please also call me on 07700 900999."]
    assert process.post("/api/messages/complainant_withdrew", json={
        "reference": ref, "token": created["status_token"], "payload": {"reason": "Sorted"}}).status_code == 200
    run_worker(process)
    erased = process.post(f"/api/complaints/{ref}/erase", "root", json={"reason": "request"})
    assert erased.status_code == 200 and erased.get_json()["emails_received"] == 1
    [row] = inbound(process)
    assert row.raw is None and row.body_text == "[erased]" and row.from_addr == "[erased]" and row.headers == {}
    assert row.status == "matched"  # what it was stays


# -- the command ----------------------------------------------------------------------

def test_mail_in_listen_runs_as_a_command(api, tmp_path):
    if not api.app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("one database is enough for the command itself")
    port = free_port()
    env = dict(os.environ, COMPLAINTS_SQLALCHEMY_DATABASE_URI=api.app.config["SQLALCHEMY_DATABASE_URI"],
               COMPLAINTS_SECRET_KEY="test", COMPLAINTS_MAIL_FROM=OURS)
    command = [str(Path(sys.executable).parent / "bpmn-complaints"), "mail-in", "--listen", f"127.0.0.1:{port}"]
    server = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                client = smtplib.SMTP("127.0.0.1", port, timeout=10)
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline
                time.sleep(0.1)
        with client:
            client.send_message(mail("Out of office", "Away.", Auto_Submitted="auto-replied"))
        server.terminate()
        assert server.wait(20) == 0
        assert "taking mail by SMTP on 127.0.0.1" in server.stdout.read().decode()
    finally:
        server.kill()
        server.stdout.close()
    [row] = inbound(api)
    assert (row.source, row.status) == ("smtp", "ignored")


def test_mail_in_says_what_it_needs(runner):
    assert "either --listen HOST:PORT or --imap" in runner.invoke(args=["mail-in"]).output
    assert "IMAP_USERNAME" in runner.invoke(args=["mail-in", "--imap", "--once"]).output


def test_the_inbound_list_refuses_an_offset_beyond_the_database(api):
    api.user("sam", groups=["supervisors"], roles=["staff", "supervisor"])
    answer = api.get("/api/inbound", "sam", query_string={"offset": 2**40})
    assert answer.status_code == 400 and answer.get_json()["error"]["code"]
