"""The two ways in for inbound mail, wired to :func:`.inbound.take`: an SMTP or LMTP server
a mail server forwards to (`mail-in --listen`), and a poll of an IMAP mailbox
(`mail-in --imap`)."""

import imaplib
import logging
import signal
import threading
import time
from collections.abc import Sequence

from flask import Flask, current_app

from ..mail.imap import Mailbox, poll
from ..mail.listener import Listener
from . import inbound

log = logging.getLogger(__name__)


def listener(host: str, port: int, lmtp: bool = False) -> Listener:
    """An SMTP (or LMTP) server for this app, not started yet. Each mail it takes is handled
    in an app context of its own, one at a time."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    source = "lmtp" if lmtp else "smtp"

    def take(raw: bytes, envelope_from: str | None, envelope_to: Sequence[str], size: int | None) -> str | None:
        with app.app_context():
            return inbound.take(source, raw, envelope_from, envelope_to, size)

    return Listener(take, host, port, current_app.config["INBOUND_MAX_BYTES"], lmtp=lmtp)


def _until_stopped(stop: threading.Event) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())


def listen(host: str, port: int, lmtp: bool = False, stop: threading.Event | None = None) -> None:
    """Serve SMTP (or LMTP) on ``host:port`` until SIGINT or SIGTERM (or ``stop`` is set)."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        _until_stopped(stop)
    server = listener(host, port, lmtp).start()
    try:
        stop.wait()
    finally:
        server.stop()


def mailbox() -> Mailbox:
    """The mailbox the configuration names (``IMAP_*``).

    :raises ValueError: when no user name is configured.
    """
    cfg = current_app.config
    if not cfg["IMAP_USERNAME"]:
        raise ValueError("set IMAP_USERNAME (COMPLAINTS_IMAP_USERNAME) and IMAP_PASSWORD to poll a mailbox")
    return Mailbox(host=cfg["IMAP_HOST"], port=int(cfg["IMAP_PORT"]) if cfg["IMAP_PORT"] else None,
                   username=cfg["IMAP_USERNAME"], password=cfg["IMAP_PASSWORD"] or "",
                   folder=cfg["IMAP_FOLDER"], tls=cfg["IMAP_TLS"])


def poll_once() -> int:
    """Take every unseen mail in the configured mailbox; returns how many."""
    return poll(mailbox(), lambda raw, env_from, env_to, size: inbound.take("imap", raw, env_from, env_to, size),
                current_app.config["INBOUND_MAX_BYTES"])


def poll_forever(stop: threading.Event | None = None) -> None:
    """Poll every ``IMAP_POLL_SECONDS`` until SIGINT or SIGTERM (or ``stop`` is set)."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        _until_stopped(stop)
    while not stop.is_set():
        started = time.monotonic()
        try:
            poll_once()
        except (OSError, imaplib.IMAP4.error) as err:  # the server is down or refuses: try again next time
            log.warning("polling the mailbox failed: %s", err)
        stop.wait(max(0.0, float(current_app.config["IMAP_POLL_SECONDS"]) - (time.monotonic() - started)))
