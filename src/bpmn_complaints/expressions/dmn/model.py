"""DMN 1.3 models read from XML and evaluated with FEEL: decision tables (every hit policy,
input and output values, typeRef coercion), literal expressions, contexts, invocations,
relations, lists, function definitions, business knowledge models and decision
requirements (DRDs), as far as the DMN TCK's level 2 and the FEEL parts of level 3 need.

:func:`read_model` reads a ``definitions`` element; :meth:`Model.evaluate` runs a decision
by name or id against input values (FEEL values). Any construct we cannot run (a Java or
PMML function, an unknown expression kind) is a :class:`DmnError` naming the element.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ExpressionError
from ..feel import (
    FeelError,
    FeelExpression,
    FeelUnaryTests,
    Function,
    Interpreter,
    Scope,
    compile_feel,
    compile_unary_tests,
)
from ..feel import values as v
from ..feel.builtins import BUILTINS

if TYPE_CHECKING:
    from lxml.etree import _Element

# Words FEEL reads as keywords, so a name holding one would be read as an expression.
_NAME_KEYWORDS = {"and", "or", "in", "for", "return", "if", "then", "else", "some", "every", "satisfies", "between",
                  "function", "external", "true", "false", "null"}
HIT_POLICIES = {"UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER"}
AGGREGATIONS = {"SUM", "COUNT", "MIN", "MAX"}


class DmnError(ExpressionError):
    """A DMN element we cannot read or run; the message names it."""


def _local(node: _Element) -> str:
    tag = node.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(node: _Element, name: str) -> list[_Element]:
    return [c for c in node if _local(c) == name]


def _child(node: _Element, name: str) -> _Element | None:
    found = _children(node, name)
    return found[0] if found else None


def _text(node: _Element | None) -> str:
    if node is None:
        return ""
    t = _child(node, "text")
    return (t.text or "") if t is not None else ""


def _href(node: _Element) -> str:
    return (node.get("href") or "").split("#")[-1]


def _where(node: _Element) -> str:
    return node.get("id") or node.get("name") or _local(node)


# -- types ----------------------------------------------------------------------------

_BASE_TYPES: dict[str, str] = {
    "string": "string", "number": "number", "boolean": "boolean", "date": "date", "time": "time",
    "dateTime": "date and time", "date and time": "date and time",
    "dayTimeDuration": "days and time duration", "days and time duration": "days and time duration",
    "yearMonthDuration": "years and months duration", "years and months duration": "years and months duration",
    "context": "context", "list": "list", "function": "function", "range": "range",
}


def _base(type_ref: str | None) -> str | None:
    if not type_ref:
        return None
    name = type_ref.split(":")[-1] if ":" in type_ref and not type_ref.startswith("date") else type_ref
    return _BASE_TYPES.get(name, None if name != "Any" else "Any")


@dataclass
class ItemDefinition:
    name: str
    type_ref: str | None
    is_collection: bool
    components: list[ItemDefinition] = field(default_factory=list)
    allowed: FeelUnaryTests | None = None
    function_output: str | None = None  # a functionItem's outputTypeRef
    is_function: bool = False


# -- expressions ----------------------------------------------------------------------

@dataclass
class DecisionTable:
    where: str
    hit_policy: str
    aggregation: str | None
    inputs: list[tuple[FeelExpression, FeelUnaryTests | None, str | None]]
    outputs: list[tuple[str | None, str | None, list[Any] | None, FeelExpression | None]]
    rules: list[tuple[list[FeelUnaryTests], list[FeelExpression | None]]]


class Model:
    """One DMN ``definitions``: its item definitions, input data, decisions and BKMs."""

    def __init__(self, root: _Element) -> None:
        self.root = root
        self.name = root.get("name") or ""
        self.items: dict[str, ItemDefinition] = {}
        self.inputs: dict[str, tuple[str, str | None]] = {}  # id -> (name, typeRef)
        self.decisions: dict[str, _Element] = {}  # id -> element
        self.bkms: dict[str, _Element] = {}
        self.services: dict[str, _Element] = {}
        self.by_name: dict[str, str] = {}
        self._compiled: dict[int, Any] = {}
        for node in root:
            kind = _local(node)
            if kind == "itemDefinition":
                item = self._item(node)
                self.items[item.name] = item
            elif kind == "inputData":
                var = _child(node, "variable")
                self.inputs[node.get("id", "")] = (node.get("name", ""), var.get("typeRef") if var is not None
                                                   else None)
            elif kind in ("decision", "businessKnowledgeModel", "decisionService"):
                table = {"decision": self.decisions, "businessKnowledgeModel": self.bkms,
                         "decisionService": self.services}[kind]
                table[node.get("id", "")] = node
                self.by_name[node.get("name", "")] = node.get("id", "")

    # -- reading ----------------------------------------------------------------------

    def _item(self, node: _Element) -> ItemDefinition:
        type_ref = _child(node, "typeRef")
        allowed = _child(node, "allowedValues")
        function = _child(node, "functionItem")
        return ItemDefinition(
            is_function=function is not None,
            function_output=function.get("outputTypeRef") if function is not None else None,
            name=node.get("name", ""),
            type_ref=(type_ref.text or "").strip() if type_ref is not None else None,
            is_collection=node.get("isCollection") == "true",
            components=[self._item(c) for c in _children(node, "itemComponent")],
            allowed=compile_unary_tests(_text(allowed)) if allowed is not None else None,
        )

    @staticmethod
    def _language(node: _Element | None) -> None:
        language = (node.get("expressionLanguage") or "") if node is not None else ""
        if language and "feel" not in language.lower():
            raise DmnError(f"{_where(node)}: the expression language {language!r} is not supported in a FEEL "  # type: ignore[arg-type]
                           "model: write this expression in FEEL")

    def _feel(self, text: str, node: _Element) -> FeelExpression:
        self._language(node)
        try:
            return compile_feel(text)
        except ExpressionError as err:
            raise DmnError(f"{_where(node)}: {err.message} in {text.strip()!r}") from None

    def _tests(self, text: str, node: _Element) -> FeelUnaryTests:
        self._language(node)
        try:
            return compile_unary_tests(text)
        except ExpressionError as err:
            raise DmnError(f"{_where(node)}: {err.message} in {text.strip()!r}") from None

    def check(self) -> list[str]:
        """Compile every expression in the model; the problems found, each naming its element."""
        problems = []
        for node in self.root.iter():
            if _local(node) in ("inputData", "decision", "businessKnowledgeModel", "variable", "formalParameter",
                                "itemComponent", "column"):
                name = node.get("name") or ""
                words = set(name.lower().split())
                clash = sorted(words & _NAME_KEYWORDS)
                if clash and len(name.split()) > 1:
                    problems.append(f"{_where(node)}: the name {name!r} contains the FEEL keyword {clash[0]!r}, which "
                                    "this engine cannot read inside a name: rename it")
        for node in [*self.decisions.values(), *self.bkms.values()]:
            try:
                for expr in node.iter():
                    if _local(expr) in ("literalExpression", "decisionTable", "functionDefinition"):
                        self._compile(expr)
            except DmnError as err:
                problems.append(str(err))
        return problems

    def _compile(self, node: _Element) -> Any:
        # Keeping the element alive keeps lxml's proxy (and so its id) for that node.
        key = id(node)
        if key not in self._compiled:
            self._compiled[key] = (node, self._compile_node(node))
        return self._compiled[key][1]

    def _compile_node(self, node: _Element) -> Any:
        kind = _local(node)
        if kind == "literalExpression":
            text = _text(node)
            return self._feel(text, node) if text.strip() else None
        if kind == "decisionTable":
            return self._table(node)
        if kind == "functionDefinition" and node.get("kind", "FEEL").upper() != "FEEL":
            raise DmnError(f"{_where(node)}: a {node.get('kind')} function is not supported: it runs code "
                           "outside FEEL")
        return None

    def _table(self, node: _Element) -> DecisionTable:
        policy = (node.get("hitPolicy") or "UNIQUE").upper().replace("_", " ")
        if policy not in HIT_POLICIES:
            raise DmnError(f"{_where(node)}: unknown hit policy {policy!r}")
        aggregation = node.get("aggregation")
        if aggregation is not None and (aggregation.upper() not in AGGREGATIONS or policy != "COLLECT"):
            raise DmnError(f"{_where(node)}: the aggregation {aggregation!r} is not one of SUM, COUNT, MIN, MAX on "
                           "a COLLECT table")
        inputs = []
        self._language(node)
        for inp in _children(node, "input"):
            expr = _child(inp, "inputExpression")
            values = _child(inp, "inputValues")
            self._language(expr)
            inputs.append((self._feel(_text(expr), inp), self._tests(_text(values), inp) if values is not None
                           else None, expr.get("typeRef") if expr is not None else None))
        outputs = []
        for out in _children(node, "output"):
            values = _child(out, "outputValues")
            allowed = None
            if values is not None and _text(values).strip():
                allowed = self._feel(f"[{_text(values)}]", out).evaluate_feel(Scope({}))
            default = _child(out, "defaultOutputEntry")
            outputs.append((out.get("name"), out.get("typeRef"), allowed,
                            self._feel(_text(default), out) if default is not None else None))
        rules = []
        for rule in _children(node, "rule"):
            tests = [self._tests(_text(e), e) for e in _children(rule, "inputEntry")]
            results = [self._feel(_text(e), e) if _text(e).strip() else None for e in _children(rule, "outputEntry")]
            rules.append((tests, results))
        return DecisionTable(_where(node), policy, aggregation, inputs, outputs, rules)

    # -- running ----------------------------------------------------------------------

    def evaluate(self, decision: str, inputs: Mapping[str, Any], strict: bool = False) -> Any:
        """Evaluate the decision named (or with id) ``decision`` with input data by name.

        An error inside a decision (no rule of a UNIQUE table, say, or two) makes its result
        null, as the TCK expects; with ``strict`` it raises instead, as a process engine must.

        :raises DmnError: an unknown decision or an error in its logic.
        :raises FeelError: with ``strict``, an error while evaluating.
        """
        run = _Run(self, inputs, strict)
        key = decision if decision in self.decisions or decision in self.services else self.by_name.get(decision)
        if key in self.services:
            return run.service(self.services[key])
        if key not in self.decisions:
            raise DmnError(f"no decision named {decision!r}")
        return run.decision(key)

    def conforms(self, value: Any, type_ref: str | None, interp: Interpreter) -> Any:
        """``value`` coerced to ``type_ref`` (DMN 1.3 10.3.2.9.4): itself when it conforms, null when not."""
        if value is None or not type_ref:
            return value
        base = _base(type_ref)
        if base == "Any":
            return value
        if base is not None:
            if base in ("context", "list", "function", "range"):
                return value if v.kind(value) == base else None
            if v.kind(value) == base:
                return value
            if isinstance(value, list) and len(value) == 1 and v.kind(value[0]) == base:
                return value[0]
            return None
        item = self.items.get(type_ref.split(".")[-1] if type_ref not in self.items else type_ref)
        if item is None:
            return value
        return self._conform_item(value, item, interp)

    def _conform_item(self, value: Any, item: ItemDefinition, interp: Interpreter) -> Any:
        if value is None:
            return None
        if item.is_collection:
            if not isinstance(value, list):
                value = [value]
            single = ItemDefinition(item.name, item.type_ref, False, item.components, item.allowed)
            out = [self._conform_item(x, single, interp) for x in value]
            return None if any(o is None and x is not None for o, x in zip(out, value, strict=True)) else out
        if item.components:
            if not isinstance(value, dict):
                return None
            result = dict(value)
            for comp in item.components:
                if comp.name not in value:
                    return None  # a context conforms only with every component
                result[comp.name] = self._conform_item(value[comp.name], comp, interp)
                if result[comp.name] is None and value[comp.name] is not None:
                    return None
            return result
        if item.type_ref:
            value = self.conforms(value, item.type_ref, interp)
        if value is not None and item.allowed is not None:
            if not interp.matches(item.allowed._tree, value, Scope({})):
                return None
        return value

    def decision_outputs(self, decision: str) -> tuple[str, list[str], bool]:
        """The decision's variable name, for a decision table its output names, and whether
        its value is a list of rows (a multiple-hit table without aggregation)."""
        key = decision if decision in self.decisions else self.by_name.get(decision, decision)
        node = self.decisions.get(key)
        if node is None:
            raise DmnError(f"no decision named {decision!r}")
        var = _child(node, "variable")
        name = (var.get("name") if var is not None else None) or node.get("name") or key
        table = _child(node, "decisionTable")
        outputs = [o.get("name") or "" for o in _children(table, "output")] if table is not None else []
        policy = (table.get("hitPolicy") or "UNIQUE").upper().replace("_", " ") if table is not None else ""
        multi = policy in ("RULE ORDER", "OUTPUT ORDER") or (
            policy == "COLLECT" and table is not None and not table.get("aggregation"))
        return name, outputs, multi

    def type_checker(self, name: str) -> Callable[[Any], bool]:
        """``instance of`` an item definition: the type only (allowed values are not part of it)."""
        def check(value: Any) -> bool:
            return self._instance(value, self.items[name])
        return check

    def _instance(self, value: Any, item: ItemDefinition, element: bool = False) -> bool:
        if value is None:
            return False
        if item.is_function:
            return isinstance(value, Function)
        if item.is_collection and not element:
            return isinstance(value, list) and all(x is None or self._instance(x, item, True) for x in value)
        if item.components:
            return isinstance(value, dict) and all(
                c.name in value and (value[c.name] is None or self._instance(value[c.name], c))
                for c in item.components)
        base = _base(item.type_ref)
        if base == "Any" or item.type_ref is None:
            return True
        if base is not None:
            return v.kind(value) == base
        inner = self.items.get(item.type_ref)
        return inner is None or self._instance(value, inner)


class _Run:
    """One evaluation of a model: decisions are evaluated once each, on demand."""

    def __init__(self, model: Model, inputs: Mapping[str, Any], strict: bool = False) -> None:
        self.strict = strict
        self.model = model
        self.inputs = dict(inputs)
        self.results: dict[str, Any] = {}
        self.interp = Interpreter(BUILTINS, {name: model.type_checker(name) for name in model.items})
        self.active: set[str] = set()

    def _scope_for(self, node: _Element) -> Scope:
        # Everything given is in scope (a process's task data has no inputData elements);
        # declared inputs are coerced to their type.
        values: dict[str, Any] = dict(self.inputs)
        for req in node.iter():
            kind = _local(req)
            if kind in ("requiredInput",):
                name, type_ref = self.model.inputs.get(_href(req), ("", None))
                if name:
                    values[name] = self.model.conforms(self.inputs.get(name), type_ref, self.interp)
            elif kind == "requiredDecision":
                target = _href(req)
                if target in self.model.decisions:
                    values[self.model.decisions[target].get("name", "")] = self.decision(target)
            elif kind == "requiredKnowledge":
                target = _href(req)
                if target in self.model.bkms:
                    values[self.model.bkms[target].get("name", "")] = self.bkm(target)
                elif target in self.model.services:
                    values[self.model.services[target].get("name", "")] = self.service_function(target)
        return Scope(values)

    def decision(self, key: str) -> Any:
        if key in self.results:
            return self.results[key]
        if key in self.active:
            raise DmnError(f"{key}: the decisions require each other in a cycle")
        self.active.add(key)
        node = self.model.decisions[key]
        scope = self._scope_for(node)
        expr = next((c for c in node if _local(c) in _EXPRESSIONS), None)
        var = _child(node, "variable")
        try:
            value = self.expression(expr, scope) if expr is not None else None
        except FeelError:
            if self.strict:
                raise
            value = None
        value = self.model.conforms(value, var.get("typeRef") if var is not None else None, self.interp)
        self.active.discard(key)
        self.results[key] = value
        return value

    def bkm(self, key: str) -> Function:
        node = self.model.bkms[key]
        logic = _child(node, "encapsulatedLogic")
        scope = self._scope_for(node)
        if logic is None:
            return Function([], lambda: None, None, node.get("name", ""))
        return self.function(logic, scope, node.get("name", ""))

    def service_function(self, key: str) -> Function:
        node = self.model.services[key]
        inputs = [self._name_of(_href(r)) for r in node if _local(r) in ("inputDecision", "inputData")]

        def call(*args: Any) -> Any:
            sub = _Run(self.model, dict(zip(inputs, args, strict=False)))
            for r in node:
                if _local(r) == "inputDecision":
                    sub.results[_href(r)] = dict(zip(inputs, args, strict=False)).get(self._name_of(_href(r)))
            return sub.service(node)
        return Function(inputs, call, None, node.get("name", ""))

    def _name_of(self, ref: str) -> str:
        if ref in self.model.inputs:
            return self.model.inputs[ref][0]
        if ref in self.model.decisions:
            return self.model.decisions[ref].get("name", "")
        return ref

    def service(self, node: _Element) -> Any:
        for r in node:
            if _local(r) == "inputDecision" and _href(r) not in self.results:
                name = self._name_of(_href(r))
                if name in self.inputs:
                    self.results[_href(r)] = self.inputs[name]
        outs = [_href(r) for r in node if _local(r) == "outputDecision"]
        values = {self.model.decisions[o].get("name", ""): self.decision(o) for o in outs if o in self.model.decisions}
        result: Any = next(iter(values.values())) if len(values) == 1 else values
        var = _child(node, "variable")
        type_ref = var.get("typeRef") if var is not None else None
        item = self.model.items.get(type_ref or "")
        if item is not None and item.is_function:
            type_ref = item.function_output  # the service's type is a function type: check what it gives
        return self.model.conforms(result, type_ref, self.interp)

    def function(self, node: _Element, scope: Scope, name: str = "anonymous") -> Function:
        if node.get("kind", "FEEL").upper() != "FEEL":
            raise FeelError(f"{_where(node)}: a {node.get('kind')} function is not supported")
        params = [(p.get("name", ""), p.get("typeRef")) for p in _children(node, "formalParameter")]
        body = next((c for c in node if _local(c) in _EXPRESSIONS), None)

        def call(*args: Any) -> Any:
            local = {}
            for (pname, ptype), arg in zip(params, args, strict=False):
                local[pname] = self.model.conforms(arg, ptype, self.interp)
                if local[pname] is None and arg is not None:
                    return None  # an argument that does not conform: the invocation has no value
            return self.expression(body, scope.child(local)) if body is not None else None
        return Function([p for p, _ in params], call, scope, name)

    def expression(self, node: _Element, scope: Scope) -> Any:
        value = self._expression(node, scope)
        type_ref = node.get("typeRef")
        return self.model.conforms(value, type_ref, self.interp) if type_ref else value

    def _expression(self, node: _Element, scope: Scope) -> Any:
        kind = _local(node)
        if kind == "literalExpression":
            compiled = self.model._compile(node)
            if compiled is None:
                return None
            return self.interp.eval(compiled._tree, scope)
        if kind == "context":
            result: dict[str, Any] = {}
            inner = scope.child(result)
            final = None
            has_final = False
            for entry in _children(node, "contextEntry"):
                var = _child(entry, "variable")
                expr = next((c for c in entry if _local(c) in _EXPRESSIONS), None)
                value = self.expression(expr, inner) if expr is not None else None
                if var is None:
                    final, has_final = value, True
                else:
                    result[var.get("name", "")] = self.model.conforms(value, var.get("typeRef"), self.interp)
            return final if has_final else result
        if kind == "decisionTable":
            return self.table(self.model._compile(node), scope)
        if kind == "invocation":
            target = next((c for c in node if _local(c) in _EXPRESSIONS), None)
            fn = self.expression(target, scope) if target is not None else None
            named = {}
            for binding in _children(node, "binding"):
                param = _child(binding, "parameter")
                expr = next((c for c in binding if _local(c) in _EXPRESSIONS), None)
                named[param.get("name", "") if param is not None else ""] = (
                    self.expression(expr, scope) if expr is not None else None)
            if not isinstance(fn, Function):
                raise FeelError(f"{_where(node)}: the invoked name is not a function")
            return self.interp.invoke(fn, [], named)
        if kind == "functionDefinition":
            return self.function(node, scope)
        if kind == "relation":
            columns = [c.get("name", "") for c in _children(node, "column")]
            rows = []
            for row in _children(node, "row"):
                cells = [c for c in row if _local(c) in _EXPRESSIONS]
                rows.append({col: self.expression(cell, scope) for col, cell in zip(columns, cells, strict=False)})
            return rows
        if kind == "list":
            return [self.expression(c, scope) for c in node if _local(c) in _EXPRESSIONS]
        raise DmnError(f"{_where(node)}: the expression kind {kind!r} is not supported")

    def table(self, table: DecisionTable, scope: Scope) -> Any:
        values = []
        for expr, allowed, type_ref in table.inputs:
            value = self.interp.eval(expr._tree, scope)
            if type_ref:
                value = self.model.conforms(value, type_ref, self.interp) if value is not None else None
            if allowed is not None and value is not None and not self.interp.matches(allowed._tree, value, scope):
                raise FeelError(f"{table.where}: the input {v.to_string(value)!r} is not one of its input values")
            values.append(value)
        matched = []
        for index, (tests, _results) in enumerate(table.rules):
            if all(self.interp.matches(t._tree, value, scope) for t, value in zip(tests, values, strict=False)):
                matched.append(index)
        single = len(table.outputs) == 1

        def output(index: int) -> Any:
            row = {}
            for (name, type_ref, allowed, _default), expr in zip(table.outputs, table.rules[index][1], strict=False):
                value = self.interp.eval(expr._tree, scope) if expr is not None else None
                value = self.model.conforms(value, type_ref, self.interp)
                if allowed is not None and value is not None and not any(v.equal(value, a) for a in allowed):
                    value = None
                row[name or ""] = value
            return next(iter(row.values())) if single else row

        policy = table.hit_policy
        if not matched:
            defaults = {name or "": (self.interp.eval(d._tree, scope) if d is not None else None)
                        for name, _t, _a, d in table.outputs}
            if any(d is not None for *_x, d in table.outputs):
                default = next(iter(defaults.values())) if single else defaults
                return [default] if policy in ("RULE ORDER", "OUTPUT ORDER") or (
                    policy == "COLLECT" and not table.aggregation) else default
            if policy == "COLLECT" and table.aggregation == "COUNT":
                return v.D(0)
            if policy in ("COLLECT", "RULE ORDER", "OUTPUT ORDER") and not table.aggregation:
                return []
            return None
        if policy == "UNIQUE":
            if len(matched) > 1:
                raise FeelError(f"{table.where}: {len(matched)} rules match a UNIQUE table")
            return output(matched[0])
        if policy == "FIRST":
            return output(matched[0])
        rows = [output(i) for i in matched]
        if policy == "ANY":
            if any(not v.equal(rows[0], r) for r in rows[1:]):
                raise FeelError(f"{table.where}: the rules that match an ANY table give different outputs")
            return rows[0]
        if policy == "RULE ORDER":
            return rows
        if policy in ("PRIORITY", "OUTPUT ORDER"):
            def rank(row: Any) -> list[int]:
                keys = []
                for (name, _t, allowed, _d) in table.outputs:
                    value = row if single else row.get(name or "")
                    if allowed:
                        keys.append(next((i for i, a in enumerate(allowed) if v.equal(value, a)), len(allowed)))
                return keys
            ordered = sorted(rows, key=rank)
            return ordered[0] if policy == "PRIORITY" else ordered
        # COLLECT
        aggregation = (table.aggregation or "").upper()
        if not aggregation:
            return rows
        if aggregation == "COUNT":
            return v.D(len(rows))
        items = [r for r in rows if r is not None]
        if aggregation == "SUM":
            total = v.D(0)
            for r in items:
                total = v.add(total, r)
            return total if items else None
        fn = BUILTINS["min" if aggregation == "MIN" else "max"]
        return self.interp.invoke(fn, [items])


_EXPRESSIONS = {"literalExpression", "decisionTable", "context", "invocation", "functionDefinition",
                "relation", "list"}


def read_model(root: _Element) -> Model:
    """A DMN model from its parsed ``definitions`` element."""
    if _local(root) != "definitions":
        raise DmnError("the document is not a DMN definitions element")
    return Model(root)
