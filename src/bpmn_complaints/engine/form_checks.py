"""Deploy checks on a task form's JSON Schema, beyond its being valid JSON Schema: every
``pattern`` is one the server can run without a hang (no nested repeats; a time limit
guards the rest at run time), and every ``$ref`` points somewhere inside the form (the
server never fetches another document, so any other reference could not be resolved)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jsonschema

from ..expressions.patterns import MAX_PATTERN_LENGTH, nested_repeat


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """Every (location, keyword, value) in a schema, depth first."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}/{index}")


def _pointer(schema: Any, fragment: str) -> bool:
    """Whether the JSON pointer ``fragment`` (after ``#``) names a part of ``schema``."""
    node = schema
    for raw in fragment.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def _anchors(schema: Any) -> set[str]:
    return {value for _, key, value in _walk(schema) if key in ("$anchor", "$dynamicAnchor") and isinstance(value, str)}


def _pattern_problem(pattern: Any) -> str | None:
    if not isinstance(pattern, str):
        return None  # the metaschema check reports the type
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"the pattern is longer than {MAX_PATTERN_LENGTH:,} characters"
    try:
        nested = nested_repeat(pattern)
    except re.error as err:
        return f"the pattern {pattern!r} is not a regular expression: {err}"
    if nested:
        return (f"the pattern {pattern!r} repeats a group that repeats again (like (a+)+), which can take "
                "exponential time on some answers: write it without the nested repeat")
    return None


def schema_problems(schema: Any) -> list[str]:
    """What is wrong with the form ``schema``, each as a sentence naming where (empty if nothing)."""
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as err:
        return [f"the form is not a valid JSON Schema: {err.message}"]
    problems = []
    anchors = _anchors(schema)
    for where, key, value in _walk(schema):
        at = where or "/"
        if key == "pattern" and (problem := _pattern_problem(value)):
            problems.append(f"{at}: {problem}")
        elif key == "patternProperties" and isinstance(value, dict):
            problems.extend(f"{at}: {problem}" for name in value if (problem := _pattern_problem(name)))
        elif key in ("$ref", "$dynamicRef") and isinstance(value, str):
            base, _, fragment = value.partition("#")
            found = not base and (_pointer(schema, fragment) if fragment.startswith("/") or not fragment
                                  else fragment in anchors)
            if not found:
                problems.append(f"{at}: the $ref {value!r} cannot be resolved: a form may refer only to its own "
                                "parts (#/$defs/...), never to another file or address")
    return problems
