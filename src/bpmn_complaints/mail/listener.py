"""An SMTP or LMTP server (aiosmtpd) that a mail server forwards inbound mail to; each mail
goes to a :data:`.inbound.Take` callback, and a refusal is answered with a 552."""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

from .inbound import Take

log = logging.getLogger(__name__)

# The SMTP server reads a mail of up to this many times the limit, so a mail over the
# limit is still kept (as a rejected row, with its headers) before it is refused; past
# that it is refused while it is read, and the sending server bounces it.
READ_FACTOR = 4


class _Handler:
    def __init__(self, take: Take, lmtp: bool):
        self.take, self.lmtp = take, lmtp
        # One mail at a time: each is one database transaction, in the order they came.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail-in")

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        sender = envelope.mail_from if envelope.mail_from not in (None, "<>") else ""
        try:
            refused = await asyncio.get_running_loop().run_in_executor(
                self.executor, self.take, raw, sender, list(envelope.rcpt_tos), None)
        except Exception:  # the mail could not be kept (the database is away): the sender retries
            log.exception("an inbound mail could not be kept; answered 451")
            answer = "451 4.3.0 the mail could not be kept now; try again later"
        else:
            answer = f"552 5.3.4 {refused}" if refused else "250 2.0.0 Ok: kept"
        # LMTP answers once for each recipient (RFC 2033 4.2).
        return "\r\n".join([answer] * max(1, len(envelope.rcpt_tos))) if self.lmtp else answer


class _Controller(Controller):
    def __init__(self, handler: _Handler, host: str, port: int, limit: int):
        super().__init__(handler, hostname=host, port=port, data_size_limit=limit * READ_FACTOR,
                         enable_SMTPUTF8=True, decode_data=False)
        self.lmtp = handler.lmtp

    def factory(self) -> SMTP:
        cls = LMTP if self.lmtp else SMTP
        return cls(self.handler, **self.SMTP_kwargs)


class Listener:
    """An SMTP (or LMTP) server on ``host:port`` in a thread of its own."""

    def __init__(self, take: Take, host: str, port: int, limit: int, lmtp: bool = False):
        self.handler = _Handler(take, lmtp)
        self.controller = _Controller(self.handler, host, port, limit)

    def start(self) -> "Listener":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
        self.handler.executor.shutdown(wait=True)
