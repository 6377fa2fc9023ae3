"""Form schemas of human tasks, server-side validation of submitted data, and which
answers are free text (personal data that must stay out of the audit trail).

Validation refuses a field the form does not declare (unless the schema itself allows
more, with ``additionalProperties`` or ``patternProperties``), runs every ``pattern`` with
a time limit (:mod:`..expressions.patterns`), and fills an unanswered field with the form's
default, as Camunda does on submit. A task without a form has nothing to validate against:
its answers reach the engine as routing values only (:mod:`.case_text` turns words into
case-file pointers) and the trail keeps fingerprints of its words (``free_text_fields`` is
``None``: every string counts as free text).
"""

from collections.abc import Iterator
from typing import Any, cast

import jsonschema
from sqlalchemy import inspect, select
from sqlalchemy.orm.util import identity_key

from ..engine import camunda_forms
from ..engine.definitions import bundle_files
from ..exceptions import ValidationFailed
from ..expressions.patterns import PatternTimeout, search
from ..extensions import db
from ..models import Definition, HumanTask, ProcessInstance


def _load(definition: Definition, path: str | None) -> dict | None:
    """A form's JSON Schema: a JSON file, or a Camunda form converted (checked at deploy)."""
    if not path:
        return None
    try:
        return camunda_forms.load(bundle_files(definition), path)
    except (KeyError, ValueError):  # a version deployed before its form was checked
        return None


def schemas_for(task: HumanTask) -> tuple[dict | None, dict | None]:
    """The JSON Schema and UI schema of a task, from the version its instance runs."""
    definition = _version_of(task)
    return _load(definition, task.form_schema), _load(definition, task.form_ui_schema)


def _version_of(task: HumanTask) -> Definition:
    """The version ``task``'s instance runs: from the instance when the change has it
    loaded (a completion), else read alone, without the instance's workflow state (a claim,
    a task page)."""
    instance = db.session.identity_map.get(identity_key(ProcessInstance, task.instance_id))
    if instance is not None and "definition" not in inspect(instance).unloaded:
        return instance.definition
    return db.session.scalars(select(Definition).join(ProcessInstance, ProcessInstance.definition_id == Definition.id)
                              .where(ProcessInstance.id == task.instance_id)).one()


def _pattern(validator: Any, pattern: str, instance: Any, _schema: Any) -> Iterator[jsonschema.ValidationError]:
    """JSON Schema's ``pattern``, on the regex engine with a time limit."""
    if not validator.is_type(instance, "string"):
        return
    try:
        if not search(pattern, instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")
    except PatternTimeout:
        yield jsonschema.ValidationError("the answer took too long to check against the form's pattern")


def with_defaults(schema: dict | None, data: dict) -> dict:
    """``data`` with each unanswered field the form gives a default set to it."""
    if schema is None:
        return data
    defaults = {name: prop["default"] for name, prop in (schema.get("properties") or {}).items()
                if isinstance(prop, dict) and "default" in prop and name not in data}
    return {**defaults, **data}


def validate_submission(schema: dict | None, data: dict) -> None:
    """:raises ValidationFailed: with ``details`` mapping each field to its messages."""
    if schema is None:
        return
    validator_cls = jsonschema.validators.extend(jsonschema.validators.validator_for(schema), {"pattern": _pattern})
    validator = validator_cls(schema, format_checker=validator_cls.FORMAT_CHECKER)
    errors: dict[str, list[str]] = {}
    if "additionalProperties" not in schema and "patternProperties" not in schema:
        for name in sorted(set(data) - set(schema.get("properties") or {})):
            errors[name] = ["This form has no such field."]
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
