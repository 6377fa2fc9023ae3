"""Reading one inbound mail: its headers, its words, its files, the complaint references it
names, and whether a machine sent it (an auto-reply, a bounce, a list, our own mail come
back), which is never answered.

Nothing here touches the database: :mod:`bpmn_complaints.services.inbound` decides what
the mail becomes.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

# How a way in hands over one mail: ``take(raw, envelope_from, envelope_to, size)`` keeps
# it and returns None, or the reason it was refused (it is kept all the same). ``size`` is
# the full size when ``raw`` holds only the headers of a mail too large to fetch whole.
Take = Callable[[bytes, str | None, Sequence[str], int | None], str | None]
# C-2026-7K3QXW, as services.complaints makes them (no 0/O, no 1/I).
REFERENCE = re.compile(r"\bC-\d{4}-[A-HJ-NP-Z2-9]{6}\b", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,246}>")
# What a person needs to judge a mail, kept with it (each value cut to 500 characters).
KEPT_HEADERS = ("From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
                "Return-Path", "Auto-Submitted", "Precedence", "X-Autoreply", "X-Autorespond", "List-Id",
                "Content-Type")
BOUNCE_SENDERS = ("mailer-daemon", "postmaster")
_QUOTE_START = re.compile(r"^\s*(On .{0,300} wrote:|-{2,}\s*Original Message\s*-{2,}|_{10,}|From: .+)\s*$",
                          re.IGNORECASE)


class Malformed(ValueError):
    """The bytes are not a mail we can read."""


@dataclass(frozen=True)
class File:
    """An attached file, shaped like an upload (``filename`` and ``read``) for
    :func:`bpmn_complaints.services.attachments.receive`."""

    filename: str | None
    data: bytes

    def read(self, size: int = -1, /) -> bytes:
        return self.data if size < 0 else self.data[:size]


@dataclass
class ParsedMail:
    message_id: str | None
    from_addr: str
    from_name: str
    to: list[str]
    subject: str
    in_reply_to: list[str]
    references: list[str]
    text: str
    headers: dict[str, str]
    files: list[File] = field(default_factory=list)

    @property
    def reply(self) -> str:
        """The new words: the text without the letter it quotes."""
        return reply_part(self.text)

    @property
    def thread(self) -> list[str]:
        """Message-IDs this mail answers, nearest first."""
        return list(dict.fromkeys([*self.in_reply_to, *reversed(self.references)]))


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a header the parser cannot make sense of reads as absent
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def message_ids(value: str) -> list[str]:
    return _MESSAGE_ID.findall(value or "")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "tr", "li", "blockquote"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\n\s*\n+", "\n\n", "".join(parser.parts)).strip()


def _content(part: Message) -> str:
    try:
        return str(part.get_content()) if isinstance(part, EmailMessage) else ""
    except (LookupError, ValueError, AssertionError):  # an unknown charset or a broken encoding
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""


def _text(msg: EmailMessage) -> str:
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    content = _content(body)
    if body.get_content_subtype() == "html":
        content = html_text(content)
    return content.replace("\r\n", "\n").strip()


def _files(msg: EmailMessage) -> list[File]:
    found = []
    for part in msg.walk():
        if part.is_multipart() or part.get_content_maintype() == "message":
            continue
        disposition, filename = part.get_content_disposition(), part.get_filename()
        # A named part is a file, except a text part shown inline (the body, split in parts).
        if disposition == "attachment" or (filename and (disposition != "inline" or
                                                         part.get_content_maintype() != "text")):
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                found.append(File(filename, data))
    return found


def parse(raw: bytes) -> ParsedMail:
    """Read ``raw`` (RFC 5322 bytes).

    :raises Malformed: when it has no sender address or cannot be read at all.
    """
    try:
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        headers = {name: _header(msg, name)[:500] for name in KEPT_HEADERS if _header(msg, name)}
        name, address = parseaddr(_header(msg, "From"))
        if "@" not in address or not address.strip("@"):
            raise Malformed("it names no sender address (From)")
        ids = message_ids(_header(msg, "Message-ID"))
        return ParsedMail(
            message_id=ids[0] if ids else None, from_addr=address.strip(), from_name=name.strip()[:200],
            to=[a for _, a in getaddresses([_header(msg, "To"), _header(msg, "Cc")]) if a],
            subject=_header(msg, "Subject")[:400], in_reply_to=message_ids(_header(msg, "In-Reply-To")),
            references=message_ids(_header(msg, "References")), text=_text(msg), headers=headers,
            files=_files(msg))
    except Malformed:
        raise
    except Exception as err:  # the parser's own errors, whatever their type: the mail is kept, rejected
        raise Malformed(f"it cannot be read: {type(err).__name__}: {err}"[:300]) from None


def headers_only(raw: bytes) -> dict[str, str]:
    """The kept headers of what may be only the start of a mail (one too large to take)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    try:
        msg = message_from_bytes(head + b"\r\n\r\n", policy=policy.default)
        return {name: _header(msg, name)[:500] for name in KEPT_HEADERS if _header(msg, name)}
    except Exception:  # nothing readable: the row keeps the size and the envelope
        return {}


def reply_part(text: str) -> str:
    """``text`` without the quoted letter below it ("On ... wrote:", "> " lines, an
    "Original Message" block) and without a trailing signature."""
    lines = []
    for line in text.splitlines():
        if _QUOTE_START.match(line):
            break
        if line.startswith(">"):
            continue
        if line.rstrip() == "--":
            break
        lines.append(line)
    return "\n".join(lines).strip()


def references_in(text: str) -> list[str]:
    """The complaint references ``text`` names, in order, upper case, once each."""
    return list(dict.fromkeys(m.upper() for m in REFERENCE.findall(text or "")))


def sent_by_a_machine(mail: ParsedMail, envelope_from: str | None, own: set[str]) -> str | None:
    """Why ``mail`` came from a machine and must not be answered, or None for a person.

    :param envelope_from: the SMTP ``MAIL FROM`` (``""`` for a bounce), or None when unknown.
    :param own: our own addresses, lower case, without ``+tags``.
    """
    headers = {k.lower(): v.lower() for k, v in mail.headers.items()}
    auto = headers.get("auto-submitted", "")
    if auto and auto.split(";")[0].strip() != "no":
        return f"an automatic reply (Auto-Submitted: {auto})"
    precedence = headers.get("precedence", "")
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"bulk or list mail (Precedence: {precedence})"
    if "x-autoreply" in headers or "x-autorespond" in headers:
        return "an automatic reply (X-Autoreply)"
    if "list-id" in headers:
        return "mail from a mailing list (List-Id)"
    local, _, domain = mail.from_addr.lower().rpartition("@")
    if local in BOUNCE_SENDERS or envelope_from == "" or headers.get("return-path", "x").strip() in ("<>", ""):
        return "a bounce (from MAILER-DAEMON or with an empty return path)"
    if "multipart/report" in headers.get("content-type", ""):
        return "a delivery report (multipart/report)"
    if f"{local.split('+', 1)[0]}@{domain}" in own:
        return "our own mail, come back"
    return None
