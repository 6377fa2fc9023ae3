"""Rows of a flat schema (text, numbers, flags, times) dumped without marshmallow's work per
field, for the lists that answer many rows at a time: the same JSON as ``schema.dump``.

A task list's page of 50 rows is 800 fields; marshmallow spent about a fifth of the
request on them (a field object, a getter and a serializer call each). The schema stays
the contract: it documents the response in OpenAPI, and :func:`flat_dumper` reads its
fields, so a field added there is dumped here. A kind of field this module does not know
is refused when the dumper is made, never dumped differently.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from marshmallow import Schema, fields


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _time(value: datetime) -> str:
    return value.isoformat()  # marshmallow's DateTime in its default "iso" format


def _flag(field: fields.Field) -> Callable[[Any], bool]:
    truthy, falsy = field.truthy, field.falsy  # type: ignore[attr-defined]

    def flag(value: Any) -> bool:  # as marshmallow's Boolean decides
        try:
            if value in truthy:
                return True
            if value in falsy:
                return False
        except TypeError:
            pass
        return bool(value)

    return flag


def _format(field: fields.Field) -> Callable[[Any], Any]:
    kind = type(field)
    if kind is fields.String:
        return _text
    if kind is fields.DateTime and getattr(field, "format", None) in (None, "iso"):
        return _time
    if kind is fields.Integer and not field.as_string:  # type: ignore[attr-defined]
        return int
    if kind is fields.Boolean:
        return _flag(field)
    raise TypeError(f"flat_dumper: {kind.__name__} fields are not flat; dump with the schema")


def flat_dumper(schema_cls: type[Schema]) -> Callable[[Any], dict[str, Any]]:
    """A function dumping one object as ``schema_cls().dump`` would.

    :raises TypeError: when the schema has a field that is not flat (nested, a list, a
        dict, a custom field) or a dump hook.
    """
    schema = schema_cls()
    if any(getattr(schema, "_hooks", {}).get(hook) for hook in ("pre_dump", "post_dump")):
        raise TypeError(f"flat_dumper: {schema_cls.__name__} has a dump hook; dump with the schema")
    plan = [(field.data_key or name, field.attribute or name, _format(field))
            for name, field in schema.dump_fields.items()]

    def dump(obj: Any) -> dict[str, Any]:
        out = {}
        for key, attribute, fmt in plan:
            value = getattr(obj, attribute)
            out[key] = None if value is None else fmt(value)
        return out

    return dump
