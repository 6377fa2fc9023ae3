"""What changed between two deployed versions of a process (ISO 10002 8.7).

Compares meaning, not text: BPMN elements by id (name, type, lane, handler binding,
timers, conditions, other settings), sequence flows, lanes, DMN rules and form fields.
Moving shapes in the diagram is reported only as "layout only" when nothing else changed.
"""

import json
import re
from dataclasses import asdict, dataclass

from lxml import etree

from ..engine.definitions import is_bpmn
from ..expressions.dialects import NS, BindingError, read_binding
from ..xml_safety import parse_xml

BPMN = f"{{{NS['bpmn']}}}"
CONTAINERS = {"process", "subProcess", "transaction", "adHocSubProcess"}
SKIPPED_CHILDREN = {"incoming", "outgoing", "laneSet", "documentation"}
# Attributes at their BPMN default: bpmn-js drops them on export, so they mean nothing.
DEFAULTS = {"isInterrupting": "true", "cancelActivity": "true", "triggeredByEvent": "false",
            "isForCompensation": "false", "parallelMultiple": "false", "instantiate": "false",
            "completionQuantity": "1", "startQuantity": "1", "isClosed": "false"}


@dataclass(frozen=True)
class Change:
    kind: str  # added | removed | changed
    area: str  # element | flow | lane | decision | form | file
    file: str
    id: str | None
    text: str

    def as_dict(self) -> dict:
        return asdict(self)


def compare(old: dict[str, str], new: dict[str, str], max_bytes: int) -> dict:
    """``{"changes": [...], "layout_only": bool}`` for two bundles (file name -> text)."""
    changes: list[Change] = []
    layout = False
    for name in sorted(set(old) | set(new)):
        if name not in new:
            changes.append(Change("removed", "file", name, None, f"File {name} was removed"))
        elif name not in old:
            changes.append(Change("added", "file", name, None, f"File {name} was added"))
        elif old[name] != new[name]:
            found = _compare_file(name, old[name], new[name], max_bytes)
            if is_bpmn(name) and not found:
                layout = True
            elif not found:
                found = [Change("changed", "file", name, None, f"File {name} changed (only in form, not in meaning)")]
            changes.extend(found)
    return {"changes": changes, "layout_only": layout and not changes}


def _compare_file(name: str, old: str, new: str, max_bytes: int) -> list[Change]:
    if is_bpmn(name):
        return _compare_bpmn(name, parse_xml(old, max_bytes), parse_xml(new, max_bytes))
    if name.endswith(".dmn"):
        return _compare_dmn(name, parse_xml(old, max_bytes), parse_xml(new, max_bytes))
    if name.endswith(".json"):
        return _compare_form(name, json.loads(old), json.loads(new))
    return [Change("changed", "file", name, None, f"File {name} changed")]


# -- BPMN -------------------------------------------------------------------------------

def _local(element) -> str:
    return etree.QName(element).localname


def _label(kind: str, element_id: str, name: str | None) -> str:
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", kind).lower()
    return f"{words[0].upper()}{words[1:]} {element_id}" + (f" “{name}”" if name else "")


def _text(element) -> str:
    return " ".join("".join(element.itertext()).split())


def _settings(element, nested: set[str]) -> str:
    """Everything an element says, apart from its wiring (incoming/outgoing), its notes,
    attributes spelled at their BPMN default (modelers drop those), and, for a
    sub-process, the elements inside it (they are compared one by one)."""
    copy = etree.fromstring(etree.tostring(element))
    for child in list(copy):
        if isinstance(child.tag, str) and child.tag.startswith(BPMN) and (
                _local(child) in SKIPPED_CHILDREN or child.get("id") in nested):
            copy.remove(child)
    for node in copy.iter():
        node.text = (node.text or "").strip() or None
        node.tail = None
        for attribute, default in DEFAULTS.items():
            if node.get(attribute) == default:
                del node.attrib[attribute]
    return etree.tostring(copy, method="c14n", exclusive=True).decode()


def _timer(element) -> str | None:
    """The element's own timer (not one inside it, if it is a sub-process)."""
    for tag in ("timeDuration", "timeDate", "timeCycle"):
        found = element.find(f"{BPMN}timerEventDefinition/{BPMN}{tag}")
        if found is not None:
            return _text(found)
    return None


def _binding(element) -> str | None:
    if _local(element) != "serviceTask":
        return None
    try:
        binding = read_binding(element)
    except BindingError as err:
        return f"unrunnable ({err})"
    if binding is None:
        return None
    params = ", ".join(f"{k}={v}" for k, v in sorted(binding.params.items()))
    return f"{binding.handler}({params})" if params else binding.handler


def _bpmn_model(root) -> dict[str, dict]:
    lanes = {}
    for lane in root.iter(f"{BPMN}lane"):
        for ref in lane.iterfind(f"{BPMN}flowNodeRef"):
            lanes[(ref.text or "").strip()] = lane.get("name") or lane.get("id")
    elements = [element for container in root.iter()
                if isinstance(container.tag, str) and container.tag.startswith(BPMN) and _local(container) in CONTAINERS
                for element in container
                if isinstance(element.tag, str) and element.tag.startswith(BPMN) and element.get("id")
                and _local(element) not in SKIPPED_CHILDREN | {"textAnnotation", "association"}]
    nested = {element.get("id") for element in elements}
    model = {}
    for element in elements:
        condition = element.find(f"{BPMN}conditionExpression")
        model[element.get("id")] = {
            "kind": _local(element), "name": element.get("name"), "lane": lanes.get(element.get("id")),
            "source": element.get("sourceRef"), "target": element.get("targetRef"),
            "condition": _text(condition) if condition is not None else None,
            "default": element.get("default"), "timer": _timer(element), "handler": _binding(element),
            "settings": _settings(element, nested),
        }
    for lane in root.iter(f"{BPMN}lane"):
        members = sorted((ref.text or "").strip() for ref in lane.iterfind(f"{BPMN}flowNodeRef"))
        model[lane.get("id")] = {"kind": "lane", "name": lane.get("name"), "members": members}
    return model


ASPECTS = (("name", "name"), ("kind", "type"), ("lane", "lane"), ("handler", "handler"), ("timer", "timer"),
           ("condition", "condition"), ("source", "source"), ("target", "target"), ("default", "default flow"))


def _compare_bpmn(file: str, old_root, new_root) -> list[Change]:
    old, new = _bpmn_model(old_root), _bpmn_model(new_root)
    changes = []
    for element_id in sorted(set(old) | set(new)):
        before, after = old.get(element_id), new.get(element_id)
        item = after or old[element_id]  # the id is in one version or both
        area = "flow" if item["kind"] == "sequenceFlow" else "lane" if item["kind"] == "lane" else "element"
        label = _label(item["kind"], element_id, item["name"])
        if before is None:
            changes.append(Change("added", area, file, element_id, f"{label} was added" + _where(item)))
        elif after is None:
            changes.append(Change("removed", area, file, element_id, f"{label} was removed"))
        elif before != after:
            changes.append(Change("changed", area, file, element_id, f"{label}: " + _differences(before, after)))
    return changes


def _where(item: dict) -> str:
    if item["kind"] == "sequenceFlow":
        condition = f" when {item['condition']}" if item["condition"] else ""
        return f" ({item['source']} → {item['target']}{condition})"
    return f" in lane {item['lane']}" if item.get("lane") else ""


def _differences(before: dict, after: dict) -> str:
    parts = [f"{word} {_show(before.get(key))} → {_show(after.get(key))}"
             for key, word in ASPECTS if before.get(key) != after.get(key)]
    if before.get("members") != after.get("members"):
        added = sorted(set(after["members"]) - set(before["members"]))
        removed = sorted(set(before["members"]) - set(after["members"]))
        parts += [f"now holds {', '.join(added)}"] if added else []
        parts += [f"no longer holds {', '.join(removed)}"] if removed else []
    if not parts:
        parts = ["other settings changed (properties, forms, scripts or event definitions)"]
    return "; ".join(parts)


def _show(value) -> str:
    return "(none)" if value in (None, "") else str(value)


# -- DMN --------------------------------------------------------------------------------

def _dmn_rules(root) -> dict[str, tuple[str, str]]:
    rules: dict[str, tuple[str, str]] = {}
    for decision in root.iter():
        if not isinstance(decision.tag, str) or _local(decision) != "decision":
            continue
        for rule in decision.iter():
            if isinstance(rule.tag, str) and _local(rule) == "rule":
                entries: dict[str, list[str]] = {"inputEntry": [], "outputEntry": []}
                for entry in rule:
                    if isinstance(entry.tag, str) and _local(entry) in entries:
                        entries[_local(entry)].append(_text(entry) or "-")
                key = rule.get("id") or f"{decision.get('id')}#{len(rules) + 1}"
                rules[key] = (decision.get("name") or decision.get("id"),
                              f"when {', '.join(entries['inputEntry'])} then {', '.join(entries['outputEntry'])}")
    return rules


def _compare_dmn(file: str, old_root, new_root) -> list[Change]:
    old, new = _dmn_rules(old_root), _dmn_rules(new_root)
    changes = []
    for rule_id in sorted(set(old) | set(new)):
        decision = (new.get(rule_id) or old[rule_id])[0]
        if rule_id not in old:
            changes.append(Change("added", "decision", file, rule_id,
                                  f"Rule {rule_id} of {decision} was added: {new[rule_id][1]}"))
        elif rule_id not in new:
            changes.append(Change("removed", "decision", file, rule_id,
                                  f"Rule {rule_id} of {decision} was removed: {old[rule_id][1]}"))
        elif old[rule_id] != new[rule_id]:
            changes.append(Change("changed", "decision", file, rule_id,
                                  f"Rule {rule_id} of {decision}: {old[rule_id][1]} → {new[rule_id][1]}"))
    return changes


# -- forms ------------------------------------------------------------------------------

def _field(schema: dict, name: str) -> dict:
    spec = (schema.get("properties") or {}).get(name) or {}
    choices = spec.get("enum") or [c.get("const") for c in spec.get("oneOf") or [] if isinstance(c, dict)]
    return {"title": spec.get("title"), "type": spec.get("type"), "required": name in (schema.get("required") or []),
            "choices": choices or None}


def _compare_form(file: str, old: dict, new: dict) -> list[Change]:
    names_old, names_new = set(old.get("properties") or {}), set(new.get("properties") or {})
    changes = []
    for name in sorted(names_old | names_new):
        if name not in names_old:
            title = _field(new, name)["title"] or name
            changes.append(Change("added", "form", file, name, f"Field {name} ({title}) was added"))
        elif name not in names_new:
            changes.append(Change("removed", "form", file, name, f"Field {name} was removed"))
        else:
            before, after = _field(old, name), _field(new, name)
            parts = [f"{key} {_show(before[key])} → {_show(after[key])}" for key in before if before[key] != after[key]]
            if parts:
                changes.append(Change("changed", "form", file, name, f"Field {name}: " + "; ".join(parts)))
    if not changes and old != new:
        changes.append(Change("changed", "form", file, None, "Descriptions or other wording changed"))
    return changes
