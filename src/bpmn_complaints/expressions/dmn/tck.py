"""A runner for DMN TCK folders (github.com/dmn-tck/tck): each ``*.xml`` file of test cases
names its model; each test case gives input values and the expected result of decisions.

:func:`run_folder` yields one :class:`Outcome` per test case. It works on any folder laid
out the TCK's way, and also runs test cases embedded in a model's ``extensionElements``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...xml_safety import UnsafeXml, parse_xml
from ..errors import ExpressionError
from ..feel import values as v
from ..feel.builtins import parse_date, parse_datetime, parse_time
from .model import DmnError, Model, read_model

if TYPE_CHECKING:
    from lxml.etree import _Element

MAX_FILE_BYTES = 20 * 1024 * 1024
XSI = "{http://www.w3.org/2001/XMLSchema-instance}"


@dataclass
class Outcome:
    file: str
    case: str
    status: str  # "passed", "failed" or "error"
    detail: str = ""

    def __str__(self) -> str:
        line = f"{self.status.upper():6} {self.file} {self.case}"
        return f"{line}: {self.detail}" if self.detail else line


def _local(node: _Element) -> str:
    tag = node.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _kids(node: _Element, name: str) -> list[_Element]:
    return [c for c in node if _local(c) == name]


def read_value(node: _Element) -> Any:
    """A test-case value element (``value``, ``component``s, ``list``) as a FEEL value."""
    value = _kids(node, "value")
    if value:
        return _scalar(value[0])
    components = _kids(node, "component")
    if components:
        return {c.get("name", ""): read_value(c) for c in components}
    lists = _kids(node, "list")
    if lists:
        return [read_value(item) for item in _kids(lists[0], "item")]
    if node.get(f"{XSI}nil") == "true":
        return None
    return None


def _scalar(node: _Element) -> Any:
    if node.get(f"{XSI}nil") == "true":
        return None
    if _kids(node, "component"):
        return {c.get("name", ""): read_value(c) for c in _kids(node, "component")}
    if _kids(node, "list") or _kids(node, "item"):
        items = _kids(_kids(node, "list")[0], "item") if _kids(node, "list") else _kids(node, "item")
        return [read_value(i) for i in items]
    text = node.text or ""
    kind = (node.get(f"{XSI}type") or "").split(":")[-1]
    if kind in ("decimal", "double", "float", "int", "integer", "long", "short"):
        if text.strip() in ("INF", "-INF", "NaN"):
            return _Untyped(text.strip())
        return v.number(text.strip())
    if kind == "boolean":
        return text.strip() == "true"
    if kind == "date":
        return parse_date(text.strip())
    if kind == "dateTime":
        return parse_datetime(text.strip())
    if kind == "time":
        return parse_time(text.strip())
    if kind == "duration":
        return v.parse_duration(text.strip())
    if kind == "string":
        return text
    return _Untyped(text)


@dataclass(frozen=True)
class _Untyped:
    """A value written without a type: compared with the answer's text."""

    text: str


def same(expected: Any, actual: Any) -> bool:
    """Whether ``actual`` is the TCK's ``expected`` value."""
    if isinstance(expected, _Untyped):
        if actual is None:
            return False
        return (v.to_string(actual) or "") == expected.text.strip() or (
            isinstance(actual, Decimal) and _num_text(expected.text) == actual)
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, Decimal) and isinstance(actual, Decimal):
        # The TCK writes some results with the 15 digits of a double: compare to that precision.
        return expected == actual or abs(expected - actual) <= abs(expected) * Decimal("1e-12")
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) == len(actual) and all(
            same(e, a) for e, a in zip(expected, actual, strict=True))
    if isinstance(expected, dict):
        return isinstance(actual, dict) and set(expected) <= set(actual) and all(
            same(e, actual[k]) for k, e in expected.items())
    if isinstance(expected, dt.datetime) and isinstance(actual, dt.datetime):
        return expected == actual and (expected.utcoffset() is None) == (actual.utcoffset() is None)
    if isinstance(expected, dt.time) and isinstance(actual, dt.time):
        return v.equal(expected, actual) is True
    return bool(v.equal(expected, actual))


def _num_text(text: str) -> Decimal | None:
    try:
        return v.number(text.strip())
    except ArithmeticError:
        return None


def _show(value: Any) -> str:
    if isinstance(value, _Untyped):
        return value.text
    return "null" if value is None else (v._repr(value) if not isinstance(value, str) else repr(value))


def _load_model(path: Path, cache: dict[Path, Model]) -> Model:
    if path not in cache:
        cache[path] = read_model(parse_xml(path.read_bytes(), MAX_FILE_BYTES))
    return cache[path]


def run_cases(cases: _Element, model: Model, file: str) -> Iterator[Outcome]:
    for case in (c for c in cases.iter() if _local(c) == "testCase"):
        case_id = case.get("id") or case.get("name") or "?"
        inputs = {node.get("name", ""): read_value(node) for node in _kids(case, "inputNode")}
        problems: list[str] = []
        error = ""
        service = case.get("invocableName") if case.get("type") == "decisionService" else None
        results = _kids(case, "resultNode")
        for result in results:
            name = result.get("name", "")
            expects_error = result.get("errorResult") == "true"
            expected_nodes = _kids(result, "expected")
            expected = read_value(expected_nodes[0]) if expected_nodes else None
            try:
                if service:
                    # The service is invoked; each result node names one of its output decisions.
                    value = model.evaluate(service, inputs)
                    actual = value.get(name) if isinstance(value, dict) and len(results) > 1 else value
                else:
                    actual = model.evaluate(name, inputs)
            except DmnError as err:
                if expects_error:
                    continue
                error = f"{name}: {err}"
                break
            except ExpressionError as err:
                if expects_error:
                    continue
                error = f"{name}: {err}"
                break
            except Exception as err:  # noqa: BLE001 - one broken case must not stop the run
                if expects_error:
                    continue
                error = f"{name}: {type(err).__name__}: {err}"
                break
            if expects_error:
                if actual is not None:
                    problems.append(f"{name}: expected an error, got {_show(actual)}")
                continue
            if not same(expected, actual):
                problems.append(f"{name}: expected {_show(expected)}, got {_show(actual)}")
        if error:
            yield Outcome(file, case_id, "error", error)
        elif problems:
            yield Outcome(file, case_id, "failed", "; ".join(problems))
        else:
            yield Outcome(file, case_id, "passed")


def run_folder(folder: str | os.PathLike[str], limit: int | None = None) -> Iterator[Outcome]:
    """Run every TCK test file under ``folder``, in name order; stop after ``limit`` cases."""
    root = Path(folder)
    cache: dict[Path, Model] = {}
    count = 0
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".xml", ".dmn") or not path.is_file():
            continue
        rel = str(path.relative_to(root))
        try:
            doc = parse_xml(path.read_bytes(), MAX_FILE_BYTES)
        except UnsafeXml as err:
            yield Outcome(rel, "-", "error", str(err))
            continue
        if path.suffix == ".dmn":
            embedded = [c for c in doc.iter() if _local(c) == "testCases"]
            if not embedded:
                continue
            pairs = [(embedded[0], path)]
        elif _local(doc) == "testCases":
            names = _kids(doc, "modelName")
            model_path = path.parent / (names[0].text or "").strip() if names else None
            if model_path is None or not model_path.is_file():
                yield Outcome(rel, "-", "error", f"the model {model_path} is missing")
                continue
            pairs = [(doc, model_path)]
        else:
            continue
        for cases, model_path in pairs:
            try:
                model = _load_model(model_path, cache)
            except (UnsafeXml, DmnError) as err:
                yield Outcome(rel, "-", "error", f"the model cannot be read: {err}")
                continue
            for outcome in run_cases(cases, model, rel):
                yield outcome
                count += 1
                if limit is not None and count >= limit:
                    return
