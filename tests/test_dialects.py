"""Each modeler's expressions read by a grammar, with the answer their own engine gives
(issue 12's silent misparses), driven through deploy and the REST API where a diagram can
show it, and through the dialects' entry point for the finer points."""

import datetime as dt
from decimal import Decimal

import pytest

from bpmn_complaints.engine.script_engine import SafeEnvironment
from bpmn_complaints.expressions import ExpressionError
from bpmn_complaints.expressions.dialects import compile_dialect
from conftest import DIAGRAMS


def _evaluate(text, data=None):
    return compile_dialect(text).evaluate(data or {})


# -- through the REST API -----------------------------------------------------------------

def test_juel_string_literals_are_not_rewritten_and_hash_assignee_is_an_expression(api):
    assert api.deploy(DIAGRAMS / "camunda7_conditions").exit_code == 0
    api.user("alice", groups=["intake"])
    api.user("ivan", groups=["investigators"])
    yes = api.submit()["reference"]
    api.work("alice", yes, {"reply": "Yes!", "reviewer": ""})
    # Camunda 7: ${reply == 'Yes!'} is true (the old rewrite made it 'Yes not ').
    assert api.task_for("alice", yes)["bpmn_id"] == "Task_yes"
    no = api.submit()["reference"]
    api.work("alice", no, {"reply": "No", "reviewer": "ivan"})
    # #{...} is a condition and an assignee expression, not the user "#{reviewer}".
    task = api.task_for("ivan", no, scope="mine")
    assert (task["bpmn_id"], task["assignee"]) == ("Task_no", "ivan")


def test_feel_lists_count_from_one_and_paths_work(api):
    assert api.deploy(DIAGRAMS / "zeebe_conditions.bpmn").exit_code == 0
    api.user("alice", groups=["intake"])
    first = api.submit()["reference"]
    api.work("alice", first, {"items": ["refund", "apology"]})
    # Camunda 8: =items[1] is "refund" (the old reading took items[0]... of a 0-based list: "apology").
    task = api.task_for("alice", first)
    assert (task["bpmn_id"], task["candidate_group"]) == ("Task_first", "intake")
    second = api.submit()["reference"]
    api.work("alice", second, {"items": ["apology", "refund"], "order": {"total": 250}})
    assert api.task_for("alice", second)["bpmn_id"] == "Task_order"
    third = api.submit()["reference"]
    api.work("alice", third, {"items": []})
    assert api.task_for("alice", third)["bpmn_id"] == "Task_other"  # items[1] of [] is null: not taken


@pytest.mark.parametrize(("tier", "task"), [
    ("gold", "Task_high"), ("silver", "Task_high"),  # "gold","silver": either value
    ("platinum", "Task_some"),  # not("bronze")
    ("bronze", "Task_none"),
])
def test_feel_decision_table_unary_tests_match_as_camunda(api, tier, task):
    result = api.deploy(DIAGRAMS / "feel_dmn")
    assert result.exit_code == 0, result.output
    api.user("alice", groups=["intake"])
    ref = api.submit()["reference"]
    api.work("alice", ref, {"tier": tier})
    assert api.task_for("alice", ref)["bpmn_id"] == task


def test_python_cells_that_only_feel_reads_are_refused_at_deploy(api, tmp_path):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "tiers.bpmn").write_text((DIAGRAMS / "feel_dmn" / "tiers.bpmn").read_text())
    dmn = (DIAGRAMS / "feel_dmn" / "tiers.dmn").read_text()
    # Without Camunda's marks and no expressionLanguage, the table is SpiffArena's Python dialect.
    dmn = dmn.replace(' exporter="Camunda Modeler" exporterVersion="5.17.0"', "")
    dmn = dmn.replace('xmlns:camunda="http://camunda.org/schema/1.0/dmn"', "").replace(
        'namespace="http://camunda.org/schema/1.0/dmn"', 'namespace="http://example.org/tiers"')
    (bundle / "tiers.dmn").write_text(dmn)
    result = api.deploy(bundle)
    assert result.exit_code == 1
    assert "Rule_gold_silver" in result.output and "list of values" in result.output, result.output
    assert "Rule_not_bronze" in result.output and "not(...)" in result.output, result.output


def test_unsupported_juel_is_refused_at_deploy_naming_the_element(api, tmp_path):
    text = (DIAGRAMS / "camunda7_conditions" / "camunda7_conditions.bpmn").read_text()
    path = tmp_path / "variant.bpmn"
    path.write_text(text.replace("${reply == 'Yes!'}", "${reply.equals('Yes!')}").replace(
        '<spiffworkflow:property name="formJsonSchemaFilename" value="camunda7_reply.json"/>', ""))
    result = api.deploy(path)
    assert result.exit_code == 1
    assert "Flow_yes" in result.output and "method call '.equals()' is not supported" in result.output


# -- JUEL ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "data", "expected"), [
    ("${reply == 'Yes!'}", {"reply": "Yes!"}, True),
    ("${reply == \"it's && || !\"}", {"reply": "it's && || !"}, True),
    ("${'a\\'b'}", {}, "a'b"),
    ("#{amount gt 100 and not vip}", {"amount": 150, "vip": False}, True),
    ("${amount ge 100 || vip}", {"amount": 10, "vip": True}, True),
    ("${a eq b}", {"a": 1, "b": 1}, True),
    ("${a ne b}", {"a": 1, "b": 1}, False),
    ("${x lt 3 && x le 3 && 4 gt x && 4 ge x}", {"x": 2}, True),
    ("${empty list}", {"list": []}, True),
    ("${empty name}", {"name": "x"}, False),
    ("${empty missing}", {"missing": None}, True),
    ("${ok ? 'yes' : 'no'}", {"ok": False}, "no"),
    ("${ok ? a : b}", {"ok": True, "a": 1, "b": 2}, 1),
    ("${ok?a:b}", {"ok": False, "a": 1, "b": 2}, 2),
    ("${order.customer.name}", {"order": {"customer": {"name": "Ann"}}}, "Ann"),
    ("${items[0]}", {"items": ["a", "b"]}, "a"),  # JUEL counts from 0, as Java does
    ("${map['k']}", {"map": {"k": 2}}, 2),
    ("${10 div 4 + 7 mod 4}", {}, 5.5),
    ("${-x}", {"x": 3}, -3),
    ("${true && null == null}", {}, True),
    # EL's coercions, as Camunda 7 applies them
    ("${amount > 100}", {"amount": "150"}, True),
    ("${'1' == 1}", {}, True),
    ("${'2' + 1}", {}, 3),
    ("${missing + 1}", {"missing": None}, 1),
    ("${missing > 1}", {"missing": None}, False),
    ("${flag && true}", {"flag": "true"}, True),
    ("${!flag}", {"flag": None}, True),
    ("${'b' > 'a'}", {}, True),
])
def test_juel(text, data, expected):
    assert _evaluate(text, data) == expected


@pytest.mark.parametrize(("text", "reason"), [
    ("${bean.method()}", "method call '.method()' is not supported"),
    ("${fn:upper(x)}", "the function 'fn:upper' is not supported"),
    ("${a} and ${b}", "composite expression"),
    ("${x instanceof y}", "'instanceof' is not supported"),
    ("${__class__}", "not allowed"),
    ("${a ==}", "syntax error"),
])
def test_juel_refusals_say_why(text, reason):
    with pytest.raises(ExpressionError) as err:
        compile_dialect(text)
    assert reason in str(err.value)


@pytest.mark.parametrize(("text", "data"), [("${'a' + 1}", {}), ("${flag && true}", {"flag": 3}), ("${1 / 0}", {})])
def test_juel_coercion_errors_are_errors(text, data):
    with pytest.raises(ExpressionError):
        _evaluate(text, data)


# -- FEEL ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "data", "expected"), [
    ('=x = "a"', {"x": "a"}, True),
    ("=items[1]", {"items": ["a", "b"]}, "a"),
    ("=items[-1]", {"items": ["a", "b"]}, "b"),
    ("=items[5]", {"items": ["a"]}, None),
    ("=[1, 2, 3][item > 1]", {}, [2, 3]),
    ("=orders[total > 10].id", {"orders": [{"id": 1, "total": 5}, {"id": 2, "total": 20}]}, [2]),
    ("=order.id", {"order": {"id": 7}}, 7),
    ("=is defined(x)", {}, False),
    ("=is defined(x)", {"x": None}, True),
    ("=string length(name)", {"name": "Ann"}, 3),
    ('=if x > 2 then "big" else "small"', {"x": 3}, "big"),
    ("=x between 1 and 5", {"x": 5}, True),
    ('=x in ("a", "b")', {"x": "b"}, True),
    ("=x in [1..5)", {"x": 5}, False),
    ("=for i in 1..3 return i * i", {}, [1, 4, 9]),
    ("=some i in [1, 5] satisfies i > 4", {}, True),
    ("=every i in [1, 5] satisfies i > 4", {}, False),
    ("={a: 1, b: a + 1}.b", {}, 2),
    ("=true and null", {}, None),
    ("=false and null", {}, False),
    ("=true or null", {}, True),
    ("=null = null", {}, True),
    ('=1 = "1"', {}, None),
    ("=missing > 3", {}, None),
    ("=0.1 + 0.2 = 0.3", {}, True),
    ("=10 / 4", {}, 2.5),
    ("=1 / 0", {}, None),
    ('=date("2024-01-31") + duration("P1M")', {}, "2024-02-29"),
    ('=date and time("2024-01-01T10:00:00Z").hour', {}, 10),
    ('=duration("P1DT2H") * 2', {}, "P2DT4H"),
    ('=years and months duration(date("2020-01-01"), date("2021-03-02"))', {}, "P1Y2M"),
    ('=upper case(substring("complaint", 1, 3))', {}, "COM"),
    ('=string join(["a", "b"], ", ")', {}, "a, b"),
    ("=sum([1, 2, 3.5])", {}, 6.5),
    ("=count(distinct values([1, 1, 2]))", {}, 2),
    ("=decimal(1 / 3, 2)", {}, 0.33),
    ("=round half up(2.5, 0)", {}, 3),
    ("=(function(a, b) a * b)(3, 4)", {}, 12),
    ('=matches("abc", "^a.c$")', {}, True),
    ("=not(true)", {}, False),
    # the brackets FEEL reuses: empty and nested lists, ranges opened with ] and closed with [
    ("=[[], [1]]", {}, [[], [1]]),
    ("=5 in ]1..10[", {}, True),
    ("=10 in [1..10[", {}, False),
    ("=[1..10[.end included", {}, False),
    ("=x[[1, 2][1]]", {"x": ["a", "b"]}, "a"),
    ("=`order in stock` and `first-name` = \"Ann\"", {"order in stock": True, "first-name": "Ann"}, True),
])
def test_feel(text, data, expected):
    assert _evaluate(text, data) == expected


@pytest.mark.parametrize(("text", "reason"), [
    ("=function(x) external {java: {}}", "external functions"),
    ("=x +", "syntax error"),
    ('=matches("aaaa", "(a+)+$")', "exponential"),
    ("=for i in 1..1000000000 return i", "too long"),
])
def test_feel_refusals_and_limits(text, reason):
    with pytest.raises(ExpressionError) as err:
        _evaluate(text)
    assert reason in str(err.value)


def test_feel_now_uses_the_engines_clock():
    env = SafeEnvironment({"now": lambda: "2026-12-01T09:00:00+00:00", "today": lambda: "2026-12-01"})
    assert env.evaluate('=now() = date and time("2026-12-01T09:00:00Z")', {}) is True
    assert env.evaluate('=today() = date("2026-12-01")', {}) is True


def test_python_dialect_is_unchanged():
    assert _evaluate("severity in ('high', 'urgent') and not in_scope", {"severity": "high", "in_scope": False})
    assert _evaluate("items[0]", {"items": ["a"]}) == "a"


def test_feel_values_convert_back_to_task_data():
    assert _evaluate("=[1, 2.5, true, null]") == [1, 2.5, True, None]
    assert isinstance(_evaluate("=1"), int)
    assert _evaluate('=date("2024-02-01")') == dt.date(2024, 2, 1).isoformat()
    assert Decimal("2.5") == Decimal(str(_evaluate("=5 / 2")))


# -- decisions called the Camunda way -----------------------------------------------------

SPIFF_CALL = "<bpmn:extensionElements><spiffworkflow:calledDecisionId>service_level</spiffworkflow:calledDecisionId>" \
             "</bpmn:extensionElements>"


def _bundle(tmp_path, bpmn_text):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "tiers.bpmn").write_text(bpmn_text)
    (bundle / "tiers.dmn").write_text((DIAGRAMS / "feel_dmn" / "tiers.dmn").read_text())
    return bundle


@pytest.mark.parametrize("call", [
    ('camunda:decisionRef="service_level" camunda:resultVariable="level" camunda:mapDecisionResult="singleEntry"', ""),
    ("", '<bpmn:extensionElements><zeebe:calledDecision decisionId="service_level" resultVariable="level"/>'
         "</bpmn:extensionElements>"),
])
def test_camunda_decision_bindings_store_the_result_variable(api, tmp_path, call):
    attributes, extension = call
    text = (DIAGRAMS / "feel_dmn" / "tiers.bpmn").read_text()
    text = text.replace('xmlns:spiffworkflow=', 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
                        'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:spiffworkflow=')
    text = text.replace('name="Decide the service level"', f'name="Decide the service level" {attributes}')
    text = text.replace(SPIFF_CALL, extension)
    result = api.deploy(_bundle(tmp_path, text))
    assert result.exit_code == 0, result.output
    api.user("alice", groups=["intake"])
    ref = api.submit()["reference"]
    api.work("alice", ref, {"tier": "silver"})
    assert api.task_for("alice", ref)["bpmn_id"] == "Task_high"


def test_a_zeebe_decision_without_a_result_variable_is_refused(api, tmp_path):
    text = (DIAGRAMS / "feel_dmn" / "tiers.bpmn").read_text()
    text = text.replace("xmlns:spiffworkflow=",
                        'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:spiffworkflow=')
    text = text.replace(SPIFF_CALL, '<bpmn:extensionElements><zeebe:calledDecision decisionId="service_level"/>'
                                    "</bpmn:extensionElements>")
    result = api.deploy(_bundle(tmp_path, text))
    assert result.exit_code == 1 and "Task_decide" in result.output and "resultVariable" in result.output


@pytest.mark.parametrize(("tier", "task"), [("gold", "Task_high"), ("tin", "Task_some"), ("bronze", "Task_none")])
def test_a_drd_with_required_decisions_and_a_bkm_runs_in_a_process(api, tier, task):
    result = api.deploy(DIAGRAMS / "feel_drd")
    assert result.exit_code == 0, result.output
    api.user("alice", groups=["intake"])
    ref = api.submit()["reference"]
    api.work("alice", ref, {"tier": tier})
    assert api.task_for("alice", ref)["bpmn_id"] == task


def test_a_unique_table_with_two_matches_is_an_incident_not_a_guess(api, tmp_path):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "drd.bpmn").write_text((DIAGRAMS / "feel_drd" / "drd.bpmn").read_text())
    dmn = (DIAGRAMS / "feel_drd" / "drd.dmn").read_text()
    (bundle / "drd.dmn").write_text(dmn.replace('not("gold","silver")', "-"))
    assert api.deploy(bundle).exit_code == 0
    api.user("alice", groups=["intake"])
    ref = api.submit()["reference"]
    # The completion whose decision fails is rolled back (422) and an incident opened (#12).
    assert "2 rules match a UNIQUE table" in api.work_fails("alice", ref, {"tier": "gold"})["reason"]
    complaint = api.get(f"/api/complaints/{ref}", "alice").get_json()
    assert "2 rules match a UNIQUE table" in complaint["incidents"][0]["message"]


@pytest.mark.parametrize(("old", "new", "element"), [
    ('<inputExpression id="InputExpression_tier" typeRef="string">',
     '<inputExpression id="InputExpression_tier" typeRef="string" expressionLanguage="juel">', "InputExpression_tier"),
    ('exporter="Camunda Modeler"', 'expressionLanguage="javascript" exporter="Camunda Modeler"', "Definitions_tiers"),
    # a name with a FEEL keyword inside would be read as an expression
    ('<decision id="service_level"', '<inputData id="Input_terms" name="Terms and Conditions"/>\n  '
     '<decision id="service_level"', "Input_terms"),
    # an aggregation FEEL does not have would otherwise be taken for another
    ('hitPolicy="FIRST"', 'hitPolicy="COLLECT" aggregation="AVG"', "DecisionTable_tiers"),
])
def test_dmn_expression_languages_other_than_feel_are_refused(api, tmp_path, old, new, element):
    bundle = _bundle(tmp_path, (DIAGRAMS / "feel_dmn" / "tiers.bpmn").read_text())
    dmn = bundle / "tiers.dmn"
    assert old in dmn.read_text()
    dmn.write_text(dmn.read_text().replace(old, new))
    result = api.deploy(bundle)
    assert result.exit_code == 1
    assert element in result.output and ("is not" in result.output or "cannot read" in result.output), result.output


def test_a_script_condition_in_another_language_is_refused(api, tmp_path):
    folder = tmp_path / "c7"
    folder.mkdir()
    source = DIAGRAMS / "camunda7_conditions"
    (folder / "camunda7_reply.json").write_text((source / "camunda7_reply.json").read_text())
    text = (source / "camunda7_conditions.bpmn").read_text()
    (folder / "c7.bpmn").write_text(text.replace(
        """<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${reply == 'Yes!'}""",
        """<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" language="javascript">reply == 'Yes!'"""))
    result = api.deploy(folder)
    assert result.exit_code == 1
    assert "Flow_yes" in result.output and "javascript script" in result.output, result.output


def test_text_around_a_juel_expression_is_refused_not_taken_literally(api, tmp_path):
    text = (DIAGRAMS / "camunda7_assignment.bpmn").read_text()
    path = tmp_path / "variant.bpmn"
    path.write_text(text.replace('camunda:assignee="${reviewer}"', 'camunda:assignee="user-${reviewer}"'))
    result = api.deploy(path)
    assert result.exit_code == 1
    assert "Task_review" in result.output and "composite expression" in result.output, result.output


def _incident_after(api, path, data):
    assert api.deploy(path).exit_code == 0
    api.user("alice", groups=["intake"])
    ref = api.submit()["reference"]
    # The completion whose condition fails is rolled back (422) and an incident opened (#12).
    details = api.work_fails("alice", ref, data)
    complaint = api.get(f"/api/complaints/{ref}", "alice").get_json()
    assert complaint["incidents"][0]["bpmn_id"] == details["element"]
    return complaint["incidents"][0]["message"]


def test_a_feel_condition_that_gives_null_is_an_incident(api, tmp_path):
    text = (DIAGRAMS / "zeebe_conditions.bpmn").read_text()
    old = "=is defined(order) and order.total &gt; 100"
    assert old in text
    path = tmp_path / "zeebe.bpmn"
    path.write_text(text.replace(old, "=order.total &gt; 100"))
    # null > 100 is null, and Zeebe raises an incident rather than take the default flow.
    assert "not true or false" in _incident_after(api, path, {"items": ["apology"]})


def test_a_juel_condition_that_gives_a_string_is_an_incident(api, tmp_path):
    path = tmp_path / "c7"
    path.mkdir()
    source = DIAGRAMS / "camunda7_conditions"
    (path / "camunda7_reply.json").write_text((source / "camunda7_reply.json").read_text())
    text = (source / "camunda7_conditions.bpmn").read_text()
    (path / "c7.bpmn").write_text(text.replace("${reply == 'Yes!'}", "${reply}"))
    # Camunda 7: "condition expression returns non-Boolean".
    assert "not true or false" in _incident_after(api, path, {"reply": "No", "reviewer": ""})


def test_a_one_word_answer_with_punctuation_routes_without_a_form(api, tmp_path):
    """A third-party diagram has no form of ours: a short answer such as "Yes!" is a code
    its condition compares, not words moved to the case file (where the condition could
    not see them and would take the other branch)."""
    folder = tmp_path / "c7"
    source = DIAGRAMS / "camunda7_conditions"
    folder.mkdir()
    (folder / "c7.bpmn").write_text((source / "camunda7_conditions.bpmn").read_text().replace(
        '<spiffworkflow:property name="formJsonSchemaFilename" value="camunda7_reply.json"/>', ""))
    assert api.deploy(folder).exit_code == 0
    api.user("alice", groups=["intake"])
    api.user("ivan", groups=["investigators"])
    yes = api.submit()["reference"]
    api.work("alice", yes, {"reply": "Yes!", "reviewer": ""})
    assert api.task_for("alice", yes)["bpmn_id"] == "Task_yes"
