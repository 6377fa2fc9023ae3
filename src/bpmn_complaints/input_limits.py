"""What a request may carry so that every supported database can store and compare it.

PostgreSQL refuses text with a NUL character and integers beyond its column types (2^31 - 1
for ``INTEGER``); SQLite refuses integers beyond 2^63 - 1. Input that no database holds is
a 400 at the door (``errors``), the same on both, instead of a 500 from the driver.
"""

from typing import Any

from .exceptions import BadRequest

# The largest id, version, page or offset accepted: PostgreSQL's INTEGER.
MAX_INT = 2**31 - 1
NUL = "\x00"


def has_nul(value: Any) -> bool:
    """Whether ``value`` (text, or JSON-like nested lists and dicts) holds a NUL character."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(has_nul(key) or has_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(item) for item in value)
    return False


def refuse_nul(value: Any, where: str) -> None:
    """:raises BadRequest: if ``value`` holds a NUL character."""
    if has_nul(value):
        raise BadRequest("text may not contain NUL characters", {"field": where})


def bounded_int(value: int, where: str) -> int:
    """``value`` if a database integer holds it.

    :raises BadRequest: if it is beyond :data:`MAX_INT` either way.
    """
    if not -MAX_INT <= value <= MAX_INT:
        raise BadRequest(f"{where} must be at most {MAX_INT}", {"field": where})
    return value
