"""A local SMTP server that keeps every message it is sent as a ``.eml`` file, so that a
newcomer running the product on their own machine can read what it sent (``bpmn-complaints
run`` starts one on loopback). Not for production: it accepts mail for anyone."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from aiosmtpd.controller import Controller


class _KeepMessages:
    def __init__(self, folder: Path):
        self.folder = folder
        self._numbers = itertools.count(1)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{next(self._numbers):04d}.eml"
        (self.folder / name).write_bytes(envelope.original_content or envelope.content)
        return "250 kept"


def start_sink(folder: Path, host: str = "127.0.0.1", port: int = 8025) -> Controller:
    """Start the sink on ``host:port`` (a thread); ``.stop()`` it when done."""
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(_KeepMessages(folder), hostname=host, port=port)
    controller.start()
    return controller
