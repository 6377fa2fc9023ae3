"""Camunda's task forms as our JSON Schema form, so the task page, the API and the
server-side validation have one code path whatever modeler wrote the form:

* Camunda 7's generated forms, ``<camunda:formData>`` with ``camunda:formField`` (types
  ``string``, ``long``, ``boolean``, ``date``, ``enum``; defaults; the constraints
  ``required``, ``readonly``, ``minlength``, ``maxlength``, ``min``, ``max``);
* Camunda Forms (form-js JSON, ``*.form`` files), reached by Camunda 7's
  ``camunda:formRef`` (the form's id) or ``camunda:formKey="camunda-forms:deployment:x.form"``,
  or by Camunda 8's ``zeebe:formDefinition`` (``formId``, or a ``formKey`` naming a
  ``zeebe:userTaskForm`` embedded in the process).

A task's form is stored as a reference (:func:`resolve`): a ``.json`` or ``.form`` file of
the bundle, or ``<bpmn file>#<element id>`` for a form written inside the diagram; and read
back as JSON Schema by :func:`load`. What a form uses that we cannot show or validate as
Camunda does raises :class:`FormUnsupported` naming the field or component, and is a
deploy error.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..expressions.dialects import CAMUNDA_NAMESPACES, NS, is_feel
from ..expressions.juel import is_juel
from ..xml_safety import parse_xml

if TYPE_CHECKING:
    from lxml.etree import _Element

# The form-js components that show something but ask for nothing.
DISPLAY_ONLY = {"text", "spacer", "separator", "button", "image", "html"}
FORM_JS_FORMATS = {"date": "date", "time": "time", "datetime": "date-time"}
C7_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"}, "long": {"type": "integer"}, "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"}, "enum": {"type": "string"},
}
C7_CONSTRAINTS = {"minlength": "minLength", "maxlength": "maxLength", "min": "minimum", "max": "maximum"}
# The task property the parser keeps a Camunda form's declaration in.
PROPERTY = "camundaForm"
# A reference is kept in a 400-character column; the separator cannot start a file name.
INLINE = "#"
MAX_XML_BYTES = 5_000_000


class FormUnsupported(ValueError):
    """The form uses something this engine cannot show or validate as Camunda does."""


def _camunda(node: _Element, name: str) -> str | None:
    return next((v for ns in CAMUNDA_NAMESPACES if (v := node.get(f"{{{ns}}}{name}")) is not None), None)


def declaration(task: _Element) -> str | None:
    """How the user task ``task`` declares a Camunda form, as a short text the parser keeps
    in the task's properties (``formData``, ``formRef:<id>``, ``formKey:<key>``,
    ``zeebe:<formKey or formId>``), or ``None``."""
    if task.find("bpmn:extensionElements/camunda:formData", NS) is not None:
        return "formData"
    ref = _camunda(task, "formRef")
    if ref:
        return f"formRef:{ref.strip()}"
    key = _camunda(task, "formKey")
    if key:
        return f"formKey:{key.strip()}"
    zeebe = task.find("bpmn:extensionElements/zeebe:formDefinition", NS)
    if zeebe is not None:
        if zeebe.get("externalReference"):
            raise FormUnsupported("zeebe:formDefinition externalReference names a form outside the bundle: link a "
                                  "Camunda Form (formId) or embed one")
        value = zeebe.get("formKey") or zeebe.get("formId") or ""
        return f"zeebe:{value.strip()}"
    return None


def _form_ids(files: dict[str, str]) -> dict[str, str]:
    ids = {}
    for name, text in files.items():
        if name.endswith(".form"):
            try:
                form = json.loads(text)
            except json.JSONDecodeError:
                continue
            if isinstance(form, dict) and isinstance(form.get("id"), str):
                ids[form["id"]] = name
    return ids


def _by_path(files: dict[str, str], bpmn_file: str, path: str) -> str:
    folder = bpmn_file.rsplit("/", 1)[0] + "/" if "/" in bpmn_file else ""
    for candidate in (f"{folder}{path}", path, f"{folder}forms/{path.rsplit('/', 1)[-1]}"):
        if candidate in files:
            return candidate
    raise FormUnsupported(f"the form file {path!r} is not in the bundle")


def resolve(files: dict[str, str], bpmn_file: str, task_id: str, declared: str) -> str:
    """The reference of the form ``declared`` (by :func:`declaration`) for task ``task_id``
    of ``bpmn_file``.

    :raises FormUnsupported: for a form we cannot find or do not render (HTML forms).
    """
    kind, _, value = declared.partition(":")
    if kind == "formData":
        return f"{bpmn_file}{INLINE}{task_id}"
    if kind in ("formRef", "zeebe") and not value.startswith("camunda-forms:"):
        if kind == "formRef" and (is_juel(value) or "${" in value):
            raise FormUnsupported("camunda:formRef must name the form; an expression is not supported here")
        found = _form_ids(files).get(value)
        if found is None:
            raise FormUnsupported(f"no Camunda Form (.form file) in the bundle has the id {value!r}")
        return found
    if value.startswith("camunda-forms:bpmn:"):
        return f"{bpmn_file}{INLINE}{value.removeprefix('camunda-forms:bpmn:')}"
    for prefix in ("camunda-forms:deployment:", "camunda-forms:app:"):
        if value.startswith(prefix):
            return _by_path(files, bpmn_file, value.removeprefix(prefix))
    raise FormUnsupported(f"the form key {value!r} names an HTML or external form, which this engine does not "
                          "show: use camunda:formData or a Camunda Form (.form file)")


def load(files: dict[str, str], ref: str) -> dict[str, Any]:
    """The JSON Schema of the form at ``ref`` (a ``.json`` or ``.form`` file, or a form inside
    a BPMN file).

    :raises FormUnsupported: as :func:`form_data_schema` and :func:`form_js_schema`.
    :raises KeyError: if the reference names nothing in ``files``.
    """
    if INLINE in ref and ref.split(INLINE, 1)[0] in files:
        bpmn_file, element = ref.split(INLINE, 1)
        return _inline(files[bpmn_file], element)
    if ref.endswith(".form"):
        return form_js_schema(json.loads(files[ref]))
    schema: dict[str, Any] = json.loads(files[ref])
    return schema


@lru_cache(maxsize=256)
def _inline(bpmn_text: str, element_id: str) -> dict[str, Any]:
    root = parse_xml(bpmn_text, MAX_XML_BYTES)
    for node in root.iter():
        if node.get("id") != element_id:
            continue
        form_data = node.find("bpmn:extensionElements/camunda:formData", NS)
        if form_data is not None:
            return form_data_schema(form_data)
        if str(node.tag) == f"{{{NS['zeebe']}}}userTaskForm":
            try:
                return form_js_schema(json.loads(node.text or ""))
            except json.JSONDecodeError as err:
                raise FormUnsupported(f"the embedded form {element_id!r} is not valid JSON: {err}") from None
    raise KeyError(element_id)


def form_data_schema(form_data: _Element) -> dict[str, Any]:
    """Camunda 7's ``camunda:formData`` as JSON Schema."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in form_data.iterfind("camunda:formField", NS):
        name = field.get("id") or ""
        kind = field.get("type") or "string"
        if kind not in C7_TYPES:
            raise FormUnsupported(f"the form field {name!r} has the type {kind!r}; supported: {', '.join(C7_TYPES)}")
        prop: dict[str, Any] = {**C7_TYPES[kind], "title": field.get("label") or name}
        if kind == "enum":
            values = list(field.iterfind("camunda:value", NS))
            prop["oneOf"] = [{"const": v.get("id"), "title": v.get("name") or v.get("id")} for v in values]
        default = field.get("defaultValue")
        if default is not None:
            prop["default"] = _c7_default(name, kind, default)
        for constraint in field.iterfind("camunda:validation/camunda:constraint", NS):
            cname, config = constraint.get("name") or "", constraint.get("config")
            if cname == "required":
                required.append(name)
            elif cname == "readonly":
                prop["readOnly"] = True
            elif cname in C7_CONSTRAINTS:
                prop[C7_CONSTRAINTS[cname]] = _number(name, cname, config)
            else:
                raise FormUnsupported(f"the form field {name!r} has the constraint {cname!r} (a custom validator "
                                      "runs Java code); supported: required, readonly, " + ", ".join(C7_CONSTRAINTS))
        properties[name] = prop
    return {"type": "object", "properties": properties, **({"required": required} if required else {})}


def _c7_default(name: str, kind: str, text: str) -> Any:
    if is_juel(text) or "${" in text or "#{" in text:
        raise FormUnsupported(f"the form field {name!r} has an expression as its default; only a literal is "
                              "supported here")
    if kind == "long":
        return int(_number(name, "defaultValue", text))
    if kind == "boolean":
        return text.strip().lower() == "true"
    return text


def _number(name: str, what: str, text: str | None) -> int | float:
    try:
        number = float(text or "")
    except ValueError:
        raise FormUnsupported(f"the form field {name!r}: {what} {text!r} is not a number") from None
    return int(number) if number.is_integer() else number


def form_js_schema(form: Any) -> dict[str, Any]:
    """A Camunda Form (form-js JSON) as JSON Schema.

    :raises FormUnsupported: listing every component we cannot show, by type and key.
    """
    if not isinstance(form, dict) or not isinstance(form.get("components"), list):
        raise FormUnsupported("this is not a Camunda Form: it has no list of components")
    properties: dict[str, Any] = {}
    required: list[str] = []
    problems: list[str] = []
    _components(form["components"], properties, required, problems)
    if problems:
        raise FormUnsupported("the form has what this engine cannot show: " + "; ".join(problems))
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _components(components: list[Any], properties: dict[str, Any], required: list[str], problems: list[str]) -> None:
    for component in components:
        if not isinstance(component, dict):
            problems.append("a component that is not an object")
            continue
        kind, key = str(component.get("type") or ""), component.get("key")
        where = f"{kind} {key!r}" if key else kind
        if component.get("conditional"):
            problems.append(f"{where}: a condition (hide if) is not supported")
            continue
        if kind == "group" and not component.get("path"):
            _components(component.get("components") or [], properties, required, problems)
            continue
        if kind in DISPLAY_ONLY:
            continue
        prop = _field(component, kind, where, problems)
        if prop is None:
            continue
        if not isinstance(key, str) or not key.isidentifier():
            problems.append(f"{where}: the key must be a plain name (no paths like a.b)")
            continue
        validate = component.get("validate") or {}
        if validate.get("required"):
            required.append(key)
        properties[key] = prop


def _field(component: dict[str, Any], kind: str, where: str, problems: list[str]) -> dict[str, Any] | None:
    prop: dict[str, Any]
    validate = component.get("validate") or {}
    if kind in ("textfield", "textarea"):
        prop = {"type": "string"}
        if kind == "textarea":
            prop["format"] = "textarea"
        for ours, theirs in (("minLength", "minLength"), ("maxLength", "maxLength"), ("pattern", "pattern")):
            if validate.get(theirs) not in (None, ""):
                prop[ours] = validate[theirs]
        validation_type = validate.get("validationType")
        if validation_type == "email":
            prop["format"] = "email"
        elif validation_type:
            problems.append(f"{where}: the validation type {validation_type!r} is not supported (only email)")
    elif kind == "number":
        prop = {"type": "integer" if component.get("decimalDigits") == 0 else "number"}
        for ours, theirs in (("minimum", "min"), ("maximum", "max")):
            if validate.get(theirs) not in (None, ""):
                prop[ours] = validate[theirs]
    elif kind == "checkbox":
        prop = {"type": "boolean"}
    elif kind in ("radio", "select"):
        if component.get("valuesKey") or component.get("valuesExpression") or not component.get("values"):
            problems.append(f"{where}: options from a variable or an expression are not supported (list them)")
            return None
        options = [{"const": v.get("value"), "title": v.get("label") or v.get("value")}
                   for v in component["values"] if isinstance(v, dict)]
        prop = {"oneOf": options}
        if all(isinstance(o["const"], str) for o in options):
            prop["type"] = "string"
    elif kind == "datetime":
        subtype = component.get("subtype") or "date"
        if subtype not in FORM_JS_FORMATS:
            problems.append(f"{where}: the date subtype {subtype!r} is not supported")
            return None
        prop = {"type": "string", "format": FORM_JS_FORMATS[subtype]}
    else:
        problems.append(f"{where}: the component type {kind!r} is not supported")
        return None
    if component.get("label"):
        prop["title"] = component["label"]
    if component.get("description"):
        prop["description"] = component["description"]
    default = component.get("defaultValue")
    if default not in (None, ""):
        if isinstance(default, str) and is_feel(default):
            problems.append(f"{where}: a FEEL default is not supported")
        else:
            prop["default"] = default
    if component.get("readonly") is True or component.get("disabled") is True:
        prop["readOnly"] = True
    return prop
