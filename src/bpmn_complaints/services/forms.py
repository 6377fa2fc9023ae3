"""Form schemas of human tasks, server-side validation of submitted data, and which
answers are free text (personal data that must stay out of the audit trail)."""

import json
from typing import cast

import jsonschema

from ..engine.definitions import bundle_files
from ..exceptions import ValidationFailed
from ..extensions import db
from ..models import Definition, HumanTask, ProcessInstance


def _load(definition: Definition, path: str | None) -> dict | None:
    files = bundle_files(definition)
    if not path or path not in files:
        return None
    return json.loads(files[path])


def schemas_for(task: HumanTask) -> tuple[dict | None, dict | None]:
    """The JSON Schema and UI schema of a task, from the version its instance runs."""
    instance = db.session.get_one(ProcessInstance, task.instance_id)
    return _load(instance.definition, task.form_schema), _load(instance.definition, task.form_ui_schema)


def validate_submission(schema: dict | None, data: dict) -> None:
    """:raises ValidationFailed: with ``details`` mapping each field to its messages."""
    if schema is None:
        return
    validator_cls = jsonschema.validators.validator_for(schema)
    validator = validator_cls(schema, format_checker=validator_cls.FORMAT_CHECKER)
    errors: dict[str, list[str]] = {}
    for error in validator.iter_errors(data):
        if error.validator == "required" and not error.path and isinstance(data, dict):
            # jsonschema reports each missing field as its own error, with the whole list.
            for field in cast(list[str], error.validator_value):  # "required" holds the names
                if field not in data:
                    errors[field] = ["This field is required."]
            continue
        field = ".".join(str(p) for p in error.absolute_path) or "_schema"
        if error.message not in errors.setdefault(field, []):
            errors[field].append(error.message)
    if errors:
        raise ValidationFailed("the form has errors", errors)


# Strings in these formats are values, not prose (dates are needed to audit timeliness).
_CODED_FORMATS = {"date", "date-time", "time"}


def free_text_fields(schema: dict | None) -> set[str] | None:
    """The top-level fields of ``schema`` whose answers are free text: strings that are
    not chosen from a list (``enum``/``const``/``oneOf``) and are not dates. ``None``
    without a schema: then every string counts as free text."""
    if schema is None:
        return None
    fields = set()
    for name, prop in (schema.get("properties") or {}).items():
        types = prop.get("type")
        types = set(types) if isinstance(types, list) else {types}
        chosen = "enum" in prop or "const" in prop or "oneOf" in prop or "anyOf" in prop
        if ("string" in types or None in types) and not chosen and prop.get("format") not in _CODED_FORMATS:
            fields.add(name)
    return fields



def declared_fields(schema: dict | None) -> set[str] | None:
    """The top-level fields ``schema`` declares (``None`` without a schema)."""
    return None if schema is None else set(schema.get("properties") or {})


def labels_of(schema: dict | None) -> dict | None:
    """What the form showed: each field's label, and the titles of its choices."""
    if schema is None:
        return None
    fields, choices = {}, {}
    for name, prop in (schema.get("properties") or {}).items():
        fields[name] = prop.get("title") or name
        options = {str(o.get("const")): o.get("title") for o in prop.get("oneOf") or prop.get("anyOf") or []
                   if isinstance(o, dict) and "const" in o and o.get("title")}
        if options:
            choices[name] = options
    return {"fields": fields, "choices": choices}
