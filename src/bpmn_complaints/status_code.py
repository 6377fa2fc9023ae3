"""The complainant's credentials: a short **status code** a person can read out on the
phone, and the long **link token** that letters put in their links.

The code is ten characters of Crockford's base 32 (digits and capitals without I, L, O
and U, so nothing looks like anything else), the last a check character, shown as two
groups of five (``7KQ2M-X9R4T``). It is read back case-insensitively, with spaces and
hyphens ignored and O, I and L taken as 0, 1 and 1; a mistyped code fails its check
before it is ever compared. The link token is an HMAC of the reference and the code under
the application's secret key, so every letter, at any step, can carry a working link
without the token being stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def check_character(body: str) -> str:
    """The Luhn mod 32 check character of ``body`` (catches any single wrong character
    and any swap of two neighbours)."""
    total, factor = 0, 2
    for char in reversed(body):
        addend = factor * _VALUE[char]
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH - 1))
    return body + check_character(body)


def normalize(text: str | None) -> str | None:
    """The code ``text`` spells, or ``None`` when it is no valid code."""
    if not text:
        return None
    code = "".join(text.split()).replace("-", "").upper().translate(_ALIASES)
    if len(code) != LENGTH or any(c not in _VALUE for c in code):
        return None
    return code if check_character(code[:-1]) == code[-1] else None


def display(code: str) -> str:
    """``7KQ2MX9R4T`` -> ``7KQ2M-X9R4T``."""
    return f"{code[:5]}-{code[5:]}" if len(code) == LENGTH else code


def link_token(secret: str, reference: str, code: str) -> str:
    """The token that status links carry for this complaint."""
    digest = hmac.new(secret.encode(), f"status-link\x1f{reference}\x1f{code}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()
