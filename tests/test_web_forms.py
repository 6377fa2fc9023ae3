"""JSON Schema to HTML form widgets, and posted forms back to typed data."""

import json
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from bpmn_complaints.views.schema_form import build_fields, parse_submission

FORMS = Path(__file__).resolve().parents[1] / "processes" / "forms"

SCHEMA = {
    "type": "object",
    "required": ["decision", "agreed", "days"],
    "properties": {
        "decision": {"type": "string", "title": "Decision", "description": "Pick one",
                     "oneOf": [{"const": "approve", "title": "Approve it"}, {"const": "reject", "title": "Send back"}]},
        "level": {"type": "integer", "enum": [1, 2, 3]},
        "agreed": {"type": "boolean", "title": "Agreed?"},
        "urgent": {"type": "boolean"},
        "days": {"type": "integer", "title": "Days"},
        "amount": {"type": "number"},
        "summary": {"type": "string", "maxLength": 100},
        "letter": {"type": "string", "maxLength": 4000},
        "memo": {"type": "string", "format": "textarea"},
        "email": {"type": "string", "format": "email"},
    },
}


def test_widgets_labels_hints_and_required():
    fields = {f.name: f for f in build_fields(SCHEMA, {"decision": "reject"}, {"days": ["This field is required."]})}
    assert fields["decision"].widget == "select" and fields["decision"].label == "Decision"
    assert fields["decision"].choices == [("approve", "Approve it"), ("reject", "Send back")]
    assert fields["decision"].hint == "Pick one" and fields["decision"].value == "reject"
    assert fields["level"].widget == "select" and fields["level"].choices[0] == ("1", "1")
    assert fields["agreed"].widget == "yesno" and fields["agreed"].required
    assert fields["urgent"].widget == "checkbox" and not fields["urgent"].required
    assert fields["days"].widget == "number" and fields["days"].step == "1"
    assert fields["days"].errors == ["This field is required."]
    assert fields["amount"].step == "any"
    assert fields["summary"].widget == "input" and fields["letter"].widget == "textarea"
    assert fields["memo"].widget == "textarea" and fields["email"].input_type == "email"
    assert fields["urgent"].label == "Urgent"


def test_posted_form_becomes_typed_data():
    form = MultiDict({"decision": "approve", "level": "2", "agreed": "false", "days": " 3 ", "amount": "2.5",
                      "summary": "  ", "letter": "Dear Dana,\n", "email": "a@example.com"})
    data, errors = parse_submission(SCHEMA, form)
    assert errors == {}
    assert data == {"decision": "approve", "level": 2, "agreed": False, "urgent": False, "days": 3, "amount": 2.5,
                    "letter": "Dear Dana,\n", "email": "a@example.com"}


def test_unreadable_answers_are_reported_and_kept():
    data, errors = parse_submission(SCHEMA, MultiDict({"days": "three", "amount": "lots", "agreed": "maybe"}))
    assert data["days"] == "three" and data["amount"] == "lots"
    assert errors == {"days": ["Enter a whole number, like 3."], "amount": ["Enter a number, like 2.5."],
                      "agreed": ["Choose yes or no."]}


@pytest.mark.parametrize("path", sorted(FORMS.glob("*.json")), ids=lambda p: p.name)
def test_every_shipped_form_renders(path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    fields = build_fields(schema)
    assert [f.name for f in fields] == list(schema["properties"])
    for f in fields:
        assert f.label and f.widget in {"input", "number", "textarea", "select", "checkbox", "yesno"}
        if f.widget == "select":
            assert f.choices, f.name
