"""The trail's key: the secret that seals each audit event (an HMAC) and signs the
checkpoints of :mod:`.anchors`. It lives outside the database, so someone who can write
the database can change an event but cannot seal the change.

Where it comes from, first found wins: ``AUDIT_KEY`` (the key itself), ``AUDIT_KEY_FILE``
(a file holding it), or, when neither is set, a key derived from ``SECRET_KEY`` (which
is also outside the database; fine for development and tests, but then changing
``SECRET_KEY`` makes every sealed event unverifiable). ``AUDIT_OLD_KEY_FILES`` lists the
files of keys retired by a rotation: events sealed with them still verify.
"""

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

HMAC_SCHEME = "hmac-sha256"
DERIVATION_LABEL = b"bpmn-complaints audit trail v1"


@dataclass(frozen=True)
class AuditKey:
    secret: bytes
    source: str  # "AUDIT_KEY", the file's path, or "derived from SECRET_KEY"

    @property
    def key_id(self) -> str:
        """A public name for the key: which key sealed an event, without revealing it."""
        return hashlib.sha256(b"key-id:" + self.secret).hexdigest()[:16]

    @property
    def scheme(self) -> str:
        """What an event sealed with this key stores in ``audit_events.scheme``."""
        return f"{HMAC_SCHEME}:{self.key_id}"

    @property
    def derived(self) -> bool:
        return self.source == "derived from SECRET_KEY"

    def seal(self, body: bytes) -> str:
        return hmac.new(self.secret, body, hashlib.sha256).hexdigest()


def _read(path: str) -> bytes:
    secret = Path(path).read_bytes().strip()
    if len(secret) < 32:
        raise RuntimeError(f"the audit key in {path} is shorter than 32 bytes")
    return secret


def current_key() -> AuditKey:
    """The key new events are sealed with."""
    cfg = current_app.config
    if cfg.get("AUDIT_KEY"):
        return AuditKey(str(cfg["AUDIT_KEY"]).encode(), "AUDIT_KEY")
    if cfg.get("AUDIT_KEY_FILE"):
        return AuditKey(_read(cfg["AUDIT_KEY_FILE"]), str(cfg["AUDIT_KEY_FILE"]))
    secret = hmac.new(str(cfg["SECRET_KEY"]).encode(), DERIVATION_LABEL, hashlib.sha256).hexdigest().encode()
    return AuditKey(secret, "derived from SECRET_KEY")


def known_keys() -> dict[str, AuditKey]:
    """Every key an event or a checkpoint may have been sealed with, by key id."""
    keys = [current_key()] + [AuditKey(_read(path), str(path))
                              for path in current_app.config.get("AUDIT_OLD_KEY_FILES") or []]
    return {key.key_id: key for key in keys}
