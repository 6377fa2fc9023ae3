"""Polling an IMAP mailbox (imaplib) for inbound mail; each mail goes to a
:data:`.inbound.Take` callback and is marked seen once it is kept."""

import imaplib
import re
import ssl
from dataclasses import dataclass

from .inbound import Take


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int | None
    username: str
    password: str
    folder: str = "INBOX"
    tls: str = "ssl"  # ssl, starttls or none
    timeout: float = 30


def _connect(box: Mailbox) -> imaplib.IMAP4:
    if box.tls == "ssl":
        return imaplib.IMAP4_SSL(box.host, box.port or 993, ssl_context=ssl.create_default_context(),
                                 timeout=box.timeout)
    client = imaplib.IMAP4(box.host, box.port or 143, timeout=box.timeout)
    if box.tls == "starttls":
        client.starttls(ssl.create_default_context())
    elif box.tls != "none":
        raise ValueError(f"IMAP_TLS is {box.tls!r}: say ssl, starttls or none")
    return client


_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


def _fetch(client: imaplib.IMAP4, uid: str, what: str) -> bytes:
    status, data = client.uid("FETCH", uid, what)
    if status != "OK":
        raise imaplib.IMAP4.error(f"FETCH {what} failed: {data!r}")
    return b"".join(part[1] for part in data if isinstance(part, tuple))


def poll(box: Mailbox, take: Take, limit: int) -> int:
    """Take every unseen mail in the folder, oldest first, and mark each seen once it is
    kept; returns how many were taken. A mail over ``limit`` bytes is not fetched whole:
    its headers are taken with its size. A crash between keeping a mail and marking it
    seen takes it again next time (services recognise it by its Message-ID).

    :raises imaplib.IMAP4.error: when the server refuses the login or the folder.
    """
    client = _connect(box)
    try:
        client.login(box.username, box.password)
        status, data = client.select(_quoted(box.folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open the folder {box.folder!r}: {data!r}")
        status, data = client.uid("SEARCH", "UNSEEN")
        taken = 0
        for uid in (data[0] or b"").decode().split():
            status, sized = client.uid("FETCH", uid, "(RFC822.SIZE)")
            match = _SIZE.search(b" ".join(p if isinstance(p, bytes) else p[0] for p in sized if p))
            size = int(match.group(1)) if match else 0
            if size > limit:
                take(_fetch(client, uid, "(BODY.PEEK[HEADER])"), None, [], size)
            else:
                take(_fetch(client, uid, "(BODY.PEEK[])"), None, [], None)
            client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            taken += 1
        return taken
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
