"""A task's JSON Schema as an HTML form: which widget each property gets, and the posted
form turned back into typed data for the service to validate."""

from dataclasses import dataclass, field
from typing import Any

LONG_TEXT = 200  # a string allowing more than this many characters gets a textarea
TEXTAREA_FORMATS = {"textarea", "markdown", "text"}


@dataclass
class Field:
    name: str
    label: str
    hint: str
    widget: str  # input, number, textarea, select, checkbox, yesno
    required: bool
    value: object = None
    choices: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    input_type: str = "text"
    step: str | None = None
    max_length: int | None = None


def _choices(prop: dict) -> list[tuple[str, str]]:
    if "enum" in prop:
        return [(str(v), str(v).replace("_", " ").capitalize()) for v in prop["enum"] if v is not None]
    return [(str(o["const"]), o.get("title", str(o["const"]))) for o in prop.get("oneOf", []) if "const" in o]


def _widget(prop: dict, required: bool) -> str:
    kind = prop.get("type")
    if "enum" in prop or any("const" in o for o in prop.get("oneOf", [])):
        return "select"
    if kind == "boolean":
        # A required yes/no must be answered on purpose; an unticked box would answer "no".
        return "yesno" if required else "checkbox"
    if kind in ("integer", "number"):
        return "number"
    if prop.get("format") in TEXTAREA_FORMATS or (prop.get("maxLength") or 0) > LONG_TEXT:
        return "textarea"
    return "input"


def build_fields(schema: dict | None, data: dict | None = None, errors: dict | None = None) -> list[Field]:
    """The fields of ``schema`` in order, filled with ``data`` and each one's ``errors``."""
    if not schema:
        return []
    data, errors = data or {}, errors or {}
    required = set(schema.get("required", []))
    fields = []
    for name, prop in (schema.get("properties") or {}).items():
        widget = _widget(prop, name in required)
        item = Field(
            name=name, label=prop.get("title") or name.replace("_", " ").capitalize(),
            hint=prop.get("description", ""), widget=widget, required=name in required,
            value=data.get(name, prop.get("default")), choices=_choices(prop) if widget == "select" else [],
            errors=list(errors.get(name, [])), max_length=prop.get("maxLength"),
        )
        if widget == "number":
            item.input_type, item.step = "number", ("1" if prop.get("type") == "integer" else "any")
        elif prop.get("format") == "email":
            item.input_type = "email"
        elif prop.get("format") == "date":
            item.input_type = "date"
        fields.append(item)
    return fields


def _typed_choice(prop: dict, raw: str):
    """An enum value keeps its JSON type: the posted text of 3 means 3, not "3"."""
    options = prop.get("enum") or [o.get("const") for o in prop.get("oneOf", [])]
    for option in options:
        if str(option) == raw:
            return option
    return raw


def parse_submission(schema: dict | None, form) -> tuple[dict, dict[str, list[str]]]:
    """Posted ``form`` to JSON data. Empty answers are left out, so "required" catches them.

    :returns: the data, and messages for answers that could not be read (a number field
        holding letters).
    """
    if not schema:
        return {}, {}
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, prop in (schema.get("properties") or {}).items():
        kind = prop.get("type")
        widget = _widget(prop, name in set(schema.get("required", [])))
        raw = form.get(name, "")
        if widget == "checkbox":
            data[name] = raw in ("true", "on", "1")
            continue
        raw = raw.strip() if widget != "textarea" else raw
        if raw == "" or (widget == "textarea" and not raw.strip()):
            continue
        if widget == "yesno":
            if raw in ("true", "false"):
                data[name] = raw == "true"
            else:
                errors[name] = ["Choose yes or no."]
        elif widget == "select":
            data[name] = _typed_choice(prop, raw)
        elif kind == "integer":
            try:
                data[name] = int(raw)
            except ValueError:
                data[name] = raw
                errors[name] = ["Enter a whole number, like 3."]
        elif kind == "number":
            try:
                data[name] = float(raw)
            except ValueError:
                data[name] = raw
                errors[name] = ["Enter a number, like 2.5."]
        else:
            data[name] = raw
    return data, errors
