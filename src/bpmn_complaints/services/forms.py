"""Form schemas of human tasks, and server-side validation of submitted data."""

import json

import jsonschema

from ..exceptions import ValidationFailed
from ..extensions import db
from ..models import Definition, HumanTask, ProcessInstance


def _load(definition: Definition, path: str | None) -> dict | None:
    if not path or path not in definition.files:
        return None
    return json.loads(definition.files[path])


def schemas_for(task: HumanTask) -> tuple[dict | None, dict | None]:
    """The JSON Schema and UI schema of a task, from the version its instance runs."""
    instance = db.session.get(ProcessInstance, task.instance_id)
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
            for field in error.validator_value:
                if field not in data:
                    errors[field] = ["This field is required."]
            continue
        field = ".".join(str(p) for p in error.absolute_path) or "_schema"
        if error.message not in errors.setdefault(field, []):
            errors[field].append(error.message)
    if errors:
        raise ValidationFailed("the form has errors", errors)
