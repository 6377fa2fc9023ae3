"""The safe expression evaluator: what it allows, what it refuses, and its limits."""

from datetime import UTC, datetime

import pytest

from bpmn_complaints.expressions import (
    DEFAULT_FUNCTIONS,
    EvaluationError,
    Expression,
    ExpressionError,
    check_functions,
    compile_expression,
    compile_script,
    evaluate,
    parse_timer_literal,
)

DATA = {
    "severity": 4,
    "amount": 12.5,
    "name": "  Ada Lovelace ",
    "channel": "email",
    "tags": ["urgent", "safety"],
    "complaint": {"category": "billing", "score": 7},
    "empty": None,
    "pair": (1, 2),
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # literals
        ("'text'", "text"),
        ("42", 42),
        ("2.5", 2.5),
        ("True", True),
        ("None", None),
        ("[1, 'a']", [1, "a"]),
        ("(1, 2)", (1, 2)),
        ("{'a': 1}", {"a": 1}),
        ("{1, 2}", {1, 2}),
        # names and subscripts
        ("severity", 4),
        ("complaint['category']", "billing"),
        ("tags[0]", "urgent"),
        ("tags[-1]", "safety"),
        ("tags[0:1]", ["urgent"]),
        ("channel[::-1]", "liame"),
        ("pair[1]", 2),
        # arithmetic
        ("severity + 1", 5),
        ("severity - 10", -6),
        ("severity * 2", 8),
        ("severity / 8", 0.5),
        ("7 // 2", 3),
        ("7 % 3", 1),
        ("2 ** 10", 1024),
        ("10 ** -2", 0.01),
        ("-severity", -4),
        ("+severity", 4),
        ("'ab' + 'cd'", "abcd"),
        ("[1] * 3", [1, 1, 1]),
        # comparisons and logic
        ("severity == 4", True),
        ("severity != 4", False),
        ("severity >= 4 and amount < 20", True),
        ("3 < severity < 5", True),
        ("4 < severity < 6", False),
        ("1 < 2 > 3", False),
        ("'urgent' in tags", True),
        ("'minor' not in tags", True),
        ("'category' in complaint", True),
        ("empty is None", True),
        ("severity is not None", True),
        ("not severity", False),
        ("empty or 'fallback'", "fallback"),
        ("severity and 'set'", "set"),
        ("'high' if severity > 3 else 'low'", "high"),
        ("'high' if severity > 5 else 'low'", "low"),
    ],
)
def test_allowed_constructs(source, expected):
    assert evaluate(source, DATA) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("len(tags)", 2),
        ("min(3, 1, 2)", 1),
        ("max([3, 1, 2])", 3),
        ("abs(-3)", 3),
        ("round(2.567, 2)", 2.57),
        ("int('12')", 12),
        ("float('1.5')", 1.5),
        ("str(12)", "12"),
        ("bool(0)", False),
        ("sum([1, 2, 3.5])", 6.5),
        ("sorted([3, 1, 2])", [1, 2, 3]),
        ("sorted([3, 1, 2], reverse=True)", [3, 2, 1]),
        ("any([False, severity > 3])", True),
        ("all([True, severity > 5])", False),
        ("list('ab')", ["a", "b"]),
        ("list(complaint)", ["category", "score"]),
    ],
)
def test_default_functions(source, expected):
    assert evaluate(source, DATA) == expected


def test_every_default_function_is_exercised_and_documented():
    import bpmn_complaints.expressions as module

    for name in DEFAULT_FUNCTIONS:
        assert f"``{name}(" in module.__doc__


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("name.strip()", "Ada Lovelace"),
        ("name.strip().lower()", "ada lovelace"),
        ("channel.upper()", "EMAIL"),
        ("channel.startswith('em')", True),
        ("channel.endswith('il')", True),
        ("name.lstrip()", "Ada Lovelace "),
        ("name.rstrip()", "  Ada Lovelace"),
        ("channel.find('a')", 2),
        ("channel.count('l')", 1),
        ("'a,b'.split(',')", ["a", "b"]),
        ("', '.join(tags)", "urgent, safety"),
        ("channel.replace('e', 'E')", "Email"),
        ("tags.count('urgent')", 1),
        ("tags.index('safety')", 1),
        ("pair.index(2)", 1),
        ("complaint.get('missing', 'none')", "none"),
        ("complaint.get('score')", 7),
        ("complaint.keys()", ["category", "score"]),
        ("complaint.values()", ["billing", 7]),
        ("complaint.items()", [("category", "billing"), ("score", 7)]),
    ],
)
def test_method_allow_list(source, expected):
    assert evaluate(source, DATA) == expected


def test_method_needs_a_receiver_of_the_right_type():
    with pytest.raises(EvaluationError, match=r"method '.lower\(\)' is not available on a int value"):
        evaluate("severity.lower()", DATA)
    with pytest.raises(EvaluationError, match=r"'.get\(\)' is not available on a list"):
        evaluate("tags.get(0)", DATA)


def test_methods_outside_the_allow_list_are_rejected_at_compile_time():
    with pytest.raises(ExpressionError, match=r"method '.append\(\)' is not allowed"):
        compile_expression("tags.append(1)")
    with pytest.raises(ExpressionError, match=r"method '.format\(\)' is not allowed"):
        compile_expression("'{}'.format(name)")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("__import__('os')", "calls to '__import__' are not allowed"),
        ("().__class__.__bases__", "attribute '__class__' is not allowed"),
        ("x.__dict__", "attribute '__dict__' is not allowed"),
        ("__builtins__", "names starting with '_' are not allowed: '__builtins__'"),
        ("lambda: 1", "lambda expressions are not allowed"),
        ("[t for t in tags]", "comprehensions are not allowed"),
        ("{t: 1 for t in tags}", "comprehensions are not allowed"),
        ("any(t for t in tags)", "comprehensions are not allowed"),
        ("f'{name}'", "f-strings are not allowed"),
        ("open('x')", "calls to 'open' are not allowed"),
        ("exec('1')", "calls to 'exec' are not allowed"),
        ("eval('1')", "calls to 'eval' are not allowed"),
        ("getattr(tags, 'append')", "calls to 'getattr' are not allowed"),
        ("type(tags)", "calls to 'type' are not allowed"),
        ("complaint.category", "attribute access '.category' is not allowed; use x['category'] to read a key"),
        ("len(*tags)", "starred expressions (*x) are not allowed"),
        ("dict(**complaint)", "'**' unpacking is not allowed"),
        ("{**complaint}", "'**' unpacking is not allowed"),
        ("(y := 1)", "assignment expressions (:=) are not allowed"),
        ("(yield 1)", "'yield' expressions are not allowed"),
        ("severity | 1", "the '|' operator is not allowed"),
        ("severity << 1", "the '<<' operator is not allowed"),
        ("~severity", "the '~' operator is not allowed"),
        ("len(tags)(1)", "only a function name or an allowed method can be called"),
        ("b'x'", "bytes literals are not allowed"),
        ("1j", "complex literals are not allowed"),
        ("tags[0:1, 2]", "slices inside a tuple index are not allowed"),
        ("defined(complaint['x'])", "defined() takes one variable name"),
        ("severity +", "syntax error at the end: invalid syntax"),
        ("import os", "syntax error at column 1"),
        ("   ", "the expression is empty"),
    ],
)
def test_disallowed_constructs_are_rejected_at_compile_time(source, message):
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source)
    assert type(caught.value) is ExpressionError
    assert message in str(caught.value)
    assert caught.value.message == str(caught.value)
    assert caught.value.expression == source


def test_await_is_rejected():
    with pytest.raises(ExpressionError, match="'await' expressions are not allowed"):
        compile_expression("await x")


def test_builtins_do_not_leak_through_names():
    with pytest.raises(EvaluationError, match="name 'print' is not defined"):
        evaluate("print", {})
    with pytest.raises(EvaluationError, match="function 'print' is not defined"):
        evaluate("print(1)", {})


def test_unknown_name_is_an_evaluation_error():
    with pytest.raises(EvaluationError) as caught:
        evaluate("severity > threshold", DATA)
    assert str(caught.value) == "name 'threshold' is not defined"
    assert caught.value.expression == "severity > threshold"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("1 / 0", "division by zero"),
        ("severity // 0", "division by zero"),
        ("severity % 0", "division by zero"),
        ("complaint['missing']", "key 'missing' not found"),
        ("tags[5]", "index 5 is out of range"),
        ("tags['a']", "index must be an integer, not str"),
        ("severity[0]", "a int value cannot be subscripted"),
        ("complaint[0:1]", "a dict value cannot be sliced"),
        ("'a' + 1", 'can only concatenate str (not "int") to str'),
        ("severity < 'a'", "'<' not supported between instances of 'int' and 'str'"),
        ("len(severity)", "object of type 'int' has no len()"),
        ("int('abc')", "invalid literal for int()"),
        ("tags.index('nope')", ".index(): 'nope' is not in list"),
        ("min([])", "min() arg is an empty sequence"),
        ("sum(['a'])", "sum() adds numbers only"),
        ("undefined_function(1)", "function 'undefined_function' is not defined"),
        ("'%s' % name", "string formatting with '%' is not allowed"),
        ("(-8) ** 0.5", "the result is a complex number"),
        ("2.0 ** 10000", "number too large"),
    ],
)
def test_runtime_errors(source, message):
    with pytest.raises(EvaluationError) as caught:
        evaluate(source, DATA)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("9**9**9", "exponent 387420489 is too large (limit 100)"),
        ("2**101", "exponent 101 is too large"),
        ("(2**100)**100", "integer result is too large (limit 4096 bits)"),
        ("'a'*10**9", "the result of '*' is too large (limit 100,000 items or characters)"),
        ("10**9*'a'", "the result of '*' is too large"),
        ("[name]*99999", "the result of '*' is too large"),
        ("('a'*60000) + ('a'*60000)", "the result of '+' is too large"),
        ("str([[1]*50000, [2]*50000])", "the result of str() is too large"),
        ("('x'*1000).join(['a']*1000)", "the result of join() is too large"),
        ("('a'*1000).replace('a', "
         "'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb')",
         "the result of replace() is too large"),
        ("int('9' * 4000)", "integer result is too large"),
        ("[(2**100)**40] * 100", "the result of '*' is too large"),
        ("round(12345, -10**7)", "round(): ndigits must be between -1000 and 1000"),
    ],
)
def test_limits_are_evaluation_errors(source, message):
    with pytest.raises(EvaluationError) as caught:
        evaluate(source, DATA)
    assert message in str(caught.value)


def test_static_limits_are_rejected_at_compile_time():
    with pytest.raises(ExpressionError, match="too long"):
        compile_expression("1" * 10_001)
    with pytest.raises(ExpressionError, match="too complex"):
        compile_expression("[" + ", ".join(["1"] * 1000) + "]")
    with pytest.raises(ExpressionError, match="nested too deeply"):
        compile_expression("+".join(["1"] * 5000))
    with pytest.raises(ExpressionError, match="nested too deeply"):
        compile_expression("-" * 150 + "1")


def test_sizes_within_the_limits_are_fine():
    assert len(evaluate("'a' * 100000", {})) == 100_000
    assert len(evaluate("[1] * 100000", {})) == 100_000
    assert evaluate("2 ** 100", {}) == 2**100


def test_true_false_null_aliases_unless_defined_in_data():
    assert evaluate("[true, false, null]", {}) == [True, False, None]
    assert evaluate("true", {"true": "from data"}) == "from data"
    assert compile_expression("x == true").names == frozenset({"x"})


def test_defined_special_form():
    assert evaluate("defined(severity)", DATA) is True
    assert evaluate("defined('severity')", DATA) is True
    assert evaluate("defined(reply) and reply == 'yes'", DATA) is False
    assert evaluate("defined(reply) and reply == 'yes'", {"reply": "yes"}) is True
    # It cannot be replaced by a caller's function.
    assert evaluate("defined(x)", {}, {"defined": lambda name: True}) is False


def test_names_and_functions_are_reported():
    expression = compile_expression("add_business_days(received, days) if defined(days) else len(tags)")
    assert isinstance(expression, Expression)
    assert expression.names == frozenset({"received", "days", "tags"})
    assert expression.functions == frozenset({"add_business_days", "len"})


def test_check_functions_reports_unknown_names():
    assert check_functions("now() + len(x) + business_days(a, b)", {"now"}) == ["business_days"]
    assert check_functions(compile_expression("len(x)"), set()) == []
    assert check_functions(compile_script("a = foo(1)\nb = now()"), {"now"}) == ["foo"]


def test_caller_functions_are_available_and_override_defaults():
    moment = datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert evaluate("now() > deadline", {"deadline": datetime(2026, 1, 1, tzinfo=UTC)},
                    {"now": lambda: moment}) is True
    assert evaluate("len(tags)", DATA, {"len": lambda value: "mine"}) == "mine"


def test_caller_function_errors_become_evaluation_errors():
    def business_days(start, end):
        raise ValueError("bad date")

    with pytest.raises(EvaluationError, match=r"business_days\(\): bad date"):
        evaluate("business_days(1, 2)", {}, {"business_days": business_days})


def test_keyword_arguments_are_passed():
    assert evaluate("f(1, scale=3)", {}, {"f": lambda value, scale: value * scale}) == 3


def test_compile_is_cached_and_surrounding_whitespace_ignored():
    assert compile_expression("severity > 3") is compile_expression("severity > 3")
    assert evaluate("\n   severity > 3\n", DATA) is True


def test_expression_evaluates_repeatedly_with_different_data():
    expression = compile_expression("severity >= 4")
    assert expression.evaluate({"severity": 5}) is True
    assert expression.evaluate({"severity": 1}) is False


def test_evaluation_error_is_an_expression_error():
    assert issubclass(EvaluationError, ExpressionError)


# --- scripts -------------------------------------------------------------------


def test_script_assigns_in_order():
    script = compile_script(
        """
        # route the complaint
        priority = 'high' if severity >= 4 else 'normal'

        target_days = 5 if priority == 'high' else 20   # ISO 10002 targets
        notes = ['triaged']
        notes += ['routed to ' + priority]
        """
    )
    data = dict(DATA)
    assigned = script.execute(data)
    assert assigned == {
        "priority": "high",
        "target_days": 5,
        "notes": ["triaged", "routed to high"],
    }
    assert data["target_days"] == 5
    assert script.names == frozenset({"severity"})
    assert script.assigned == frozenset({"priority", "target_days", "notes"})


def test_script_plus_equals_builds_a_new_value():
    original = ["a"]
    data = {"items": original, "count": 1}
    compile_script("items += ['b']\ncount += 1").execute(data)
    assert data == {"items": ["a", "b"], "count": 2}
    assert original == ["a"]


def test_script_is_all_or_nothing():
    data = {"x": 1}
    with pytest.raises(EvaluationError) as caught:
        compile_script("y = x + 1\nz = missing").execute(data)
    assert str(caught.value) == "line 2: name 'missing' is not defined"
    assert caught.value.line == 2
    assert data == {"x": 1}


def test_script_plus_equals_needs_an_existing_name():
    with pytest.raises(EvaluationError, match="line 1: name 'total' is not defined"):
        compile_script("total += 1").execute({})


def test_script_uses_caller_functions():
    assigned = compile_script("due = add_days(start, 3)").execute(
        {"start": 1}, {"add_days": lambda start, n: start + n}
    )
    assert assigned == {"due": 4}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("import os", "line 1: import statements are not allowed"),
        ("x = 1\nfrom os import path", "line 2: import statements are not allowed"),
        ("for t in tags:\n    x = t", "line 1: loops are not allowed"),
        ("if x:\n    y = 1", "line 1: if statements are not allowed"),
        ("def f():\n    return 1", "line 1: function definitions are not allowed"),
        ("x = 1\nprint(x)", "line 2: bare expressions are not allowed"),
        ("del x", "line 1: del statements are not allowed"),
        ("x['k'] = 1", "line 1: only a plain name can be assigned, not 'x['k']'"),
        ("a, b = 1, 2", "line 1: only a plain name can be assigned"),
        ("a = b = 1", "line 1: assign one name per statement"),
        ("a -= 1", "line 1: only '=' and '+=' assignments are allowed"),
        ("_hidden = 1", "line 1: names starting with '_' are not allowed"),
        ("x = 1\ny = __import__('os')", "line 2: calls to '__import__' are not allowed"),
        ("x = 1\ny = [t for t in tags]", "line 2: comprehensions are not allowed"),
        ("x = 1\n  y = 2", "line 2: syntax error at column 2: unexpected indent"),
        ("x = (1 +", "line 1: syntax error"),
    ],
)
def test_script_rejects_anything_but_assignments(source, message):
    with pytest.raises(ExpressionError) as caught:
        compile_script(source)
    assert message in str(caught.value)
    assert caught.value.expression == source


# --- timer literals ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "P7D",
        "PT4H",
        "P1DT2H",
        "P2W",
        "P1Y2M10DT2H30M",
        "PT0.5S",
        "PT90M",
        "2026-12-01T09:00:00Z",
        "2026-12-01T09:00:00+01:00",
        "2026-12-01T09:00:00",
        "2026-12-01T09:00:00.250Z",
        "2026-12-01",
        "R3/PT1H",
        "R/P1D",
        "R2/2026-12-01T09:00:00Z/P1D",
        "R/P1D/2026-12-31T00:00:00Z",
    ],
)
def test_timer_literals_accepted(text):
    assert parse_timer_literal(text) == text
    assert parse_timer_literal(f"  {text}\n") == text


@pytest.mark.parametrize(
    "text",
    [
        "days",
        "P",
        "PT",
        "P1DT",
        "p7d",
        "P1W2D",
        "P1.5DT2H",
        "7D",
        "add_business_days(x, 3)",
        "'P7D'",
        "2026-13-01",
        "2026-12-01T25:00:00Z",
        "R3",
        "R3/",
        "R3/2026-12-01T09:00:00Z",
        "R3/P1D/P2D",
        "R/2026-12-01T09:00:00Z/2026-12-02T09:00:00Z",
        "",
    ],
)
def test_timer_literals_rejected(text):
    assert parse_timer_literal(text) is None


def test_timer_literal_ignores_non_strings():
    assert parse_timer_literal(None) is None


def test_default_functions_cannot_be_widened():
    with pytest.raises(TypeError):
        DEFAULT_FUNCTIONS["open"] = open
