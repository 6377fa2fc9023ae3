"""Keep people's words out of the engine: where data enters a process instance, free
text is replaced by a pointer into the case file, and letters resolve the pointer back.

Task data may hold codes, flags, dates and numbers; what a person wrote stays in our
tables (a task's submitted answers, a complainant's message), where export and erasure
find it. A pointer looks like ``casefile:task/<task id>/<field>`` or
``casefile:message/<message id>/<field>``; an empty answer stays empty, so a diagram can
still ask whether something was written.
"""

from __future__ import annotations

import re
from typing import Any

from ..extensions import db
from ..input_limits import MAX_INT
from ..models import CaseMessage, HumanTask

PREFIX = "casefile:"
# A string with no spaces, short, of word characters and punctuation is a code ("billing",
# "take_over", "2026-12-01", "P3D", "Yes!"), which a diagram's condition may compare with a
# literal; anything else (a space, a line break, an address) is a person's words.
_CODE = re.compile(r"[\w.:/+\-!?',;()#&*%=<>\[\]]{0,64}")


def is_code(value: str) -> bool:
    """Whether ``value`` is a code. A pointer someone typed is not: it is their words, and
    it must not make a letter or the trail quote another part of the case file."""
    return bool(_CODE.fullmatch(value)) and "@" not in value and not value.startswith(PREFIX)


def routing_values(data: dict[str, Any], pointer: str, free_text: set[str] | None = None,
                   declared: set[str] | None = None) -> dict[str, Any]:
    """``data`` as the engine may see it: each free-text field becomes a pointer
    ``<pointer>/<field>``. A form schema ``declared`` the fields and said which are
    ``free_text``; a field it did not declare (or all, without a schema) counts as free
    text when it is a string that is not a code. Nested values are checked the same way."""
    def free(name: str) -> bool | None:
        if declared is None or name not in declared:
            return None
        return name in (free_text or set())

    return {name: _routing(value, free(name), f"{pointer}/{name}") for name, value in data.items()}


def _routing(value: Any, free: bool | None, pointer: str) -> Any:
    if isinstance(value, str):
        if value == "" or (free is False) or (free is None and is_code(value)):
            return value
        return PREFIX + pointer
    if isinstance(value, dict):
        return {k: _routing(v, None, f"{pointer}/{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_routing(v, None, f"{pointer}/{i}") for i, v in enumerate(value)]
    return value


def task_pointer(task_id: str) -> str:
    return f"task/{task_id}"


def message_pointer(message_id: int) -> str:
    return f"message/{message_id}"


def resolve(value: Any) -> Any:
    """The text a pointer stands for (``""`` if it is gone); any other value as it is."""
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return value
    kind, _, rest = value[len(PREFIX):].partition("/")
    key, _, path = rest.partition("/")
    if kind == "task":
        row = db.session.get(HumanTask, key)
        source: Any = row.submitted_data if row is not None else None
    elif kind == "message" and key.isdigit() and int(key) <= MAX_INT:
        message = db.session.get(CaseMessage, int(key))
        source = message.payload if message is not None else None
    else:
        return value
    for part in path.split("/"):
        if isinstance(source, dict):
            source = source.get(part)
        elif isinstance(source, list) and part.isdigit() and int(part) < len(source):
            source = source[int(part)]
        else:
            return ""
    return source if source is not None else ""
