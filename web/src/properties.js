// Our properties provider for bpmn-js-properties-panel: the settings our engine reads
// (docs/process.md, DESIGN.md "BPMN conventions"), written as SpiffArena writes them.
import { CheckboxEntry, ListGroup, SelectEntry, TextFieldEntry, isCheckboxEntryEdited, isSelectEntryEdited,
  isTextFieldEntryEdited } from "@bpmn-io/properties-panel";
import { h } from "@bpmn-io/properties-panel/preact";
import { useEffect, useState } from "@bpmn-io/properties-panel/preact/hooks";
import { is } from "bpmn-js/lib/util/ModelUtil";
import { addParameter, camundaAttr, operator, operatorParameters, removeParameter, setCamundaAttr,
  setOperatorAttr, setParameterAttr, setSpiffProperty, spiffProperty } from "./spiff.js";

const TIMER_KINDS = [
  { value: "timeDuration", label: "After a duration (P3D, PT4H)" },
  { value: "timeDate", label: "At a date (an expression such as add_business_days(received_at, 2))" },
  { value: "timeCycle", label: "Repeating (R3/PT1H)" },
];
const PARAMETER_TYPES = ["str", "int", "float", "bool", "any"].map((t) => ({ value: t, label: t }));

// A text field whose value the server checks (a condition, a timer, a due date) while the
// process owner types; the answer shows under the field.
// Each keystroke is written at once (one undo step per keystroke): with the panel's
// debounced input, a field typed right after another entry changed kept its text unwritten
// until it lost focus, and the check waited for that.
const immediate = (fn) => fn;

function CheckedField(props) {
  const { element, id, label, description, getValue, setValue, check } = props;
  const debounce = immediate;
  const value = getValue(element);
  const [result, setResult] = useState(null);
  useEffect(() => {
    let live = true;
    if (!value) { setResult(null); return undefined; }
    const timer = setTimeout(() => {
      check(value).then((answer) => { if (live) setResult(answer); })
        .catch(() => { if (live) setResult({ ok: false, message: "The check could not reach the server." }); });
    }, 150);
    return () => { live = false; clearTimeout(timer); };
  }, [value]);
  return h("div", { class: "complaints-checked" },
    h(TextFieldEntry, { element, id, label, description, getValue, setValue, debounce }),
    result && h("p", { class: `complaints-check ${result.ok ? "check-ok" : "check-bad"}`, "data-check-for": id,
      role: "status" }, result.message));
}

function Text(props) {
  const { element, id, label, description, getValue, setValue, validate } = props;
  const debounce = immediate;
  return h(TextFieldEntry, { element, id, label, description, getValue, setValue, debounce, validate });
}

function Select(props) {
  return h(SelectEntry, props);
}

function Checkbox(props) {
  return h(CheckboxEntry, props);
}

const entry = (id, component, props) => ({ id, component, isEdited: component === Checkbox ? isCheckboxEntryEdited
  : component === Select ? isSelectEntryEdited : isTextFieldEntryEdited, ...props });

// One spiffworkflow:property, or the Camunda 7 attribute of the same meaning if the
// diagram already uses that.
function propertyEntry(element, injector, id, name, label, options = {}) {
  const camunda = options.camunda && camundaAttr(element.businessObject, options.camunda);
  return entry(id, options.check ? CheckedField : Text, {
    element, label, description: options.description, check: options.check,
    getValue: (el) => (camunda ? camundaAttr(el.businessObject, options.camunda)?.value || "" : spiffProperty(el.businessObject, name)),
    setValue: (value) => (camunda ? setCamundaAttr(element, camunda.key, value, injector)
      : setSpiffProperty(element, name, value, injector)),
  });
}

function statusGroup(element, injector) {
  return {
    id: "complaints-status", label: "What the complainant sees",
    entries: [propertyEntry(element, injector, "complaints-status-text", "complaintStatus", "Status text",
      { description: "Shown on the complainant's status page once the complaint reaches this step." })],
  };
}

function workGroup(element, injector, api) {
  const formOptions = () => [{ value: "", label: "(no form)" }, ...api.forms().map((f) => ({ value: f, label: f }))];
  return {
    id: "complaints-work", label: "Who does it, with which form, by when",
    entries: [
      entry("complaints-form", Select, {
        element, label: "Form", getOptions: formOptions,
        getValue: (el) => spiffProperty(el.businessObject, "formJsonSchemaFilename"),
        setValue: (value) => setSpiffProperty(element, "formJsonSchemaFilename", value, injector),
      }),
      propertyEntry(element, injector, "complaints-candidate-group", "candidateGroup", "Candidate group", {
        camunda: "candidateGroups", check: api.checkExpression,
        description: "An expression naming the group it is offered to; empty: the task's lane.",
      }),
      propertyEntry(element, injector, "complaints-assignee", "assignee", "Assignee", {
        camunda: "assignee", check: api.checkExpression,
        description: "An expression naming one person, e.g. assignment['investigator'].",
      }),
      propertyEntry(element, injector, "complaints-due-date", "dueDate", "Due date", {
        check: (text) => api.previewTimer(text, "timeDate"),
        description: "An expression such as business_days(2) or add_business_days(received_at, 2).",
      }),
    ],
  };
}

function independenceGroup(element, injector, api) {
  return {
    id: "complaints-independence", label: "Independence (ISO 10002 4.7)",
    entries: [
      entry("complaints-exclude-entered-by", Checkbox, {
        element, label: "Not whoever entered the complaint",
        getValue: (el) => spiffProperty(el.businessObject, "excludeEnteredBy") === "true",
        setValue: (value) => setSpiffProperty(element, "excludeEnteredBy", value ? "true" : "", injector),
      }),
      entry("complaints-exclude-workers-of", Text, {
        element, label: "Not whoever worked these tasks",
        description: "Ids of user tasks, comma-separated, e.g. Task_investigate.",
        validate: (value) => {
          const registry = injector.get("elementRegistry");
          const wrong = (value || "").split(",").map((part) => part.trim()).filter(Boolean).filter((id) => {
            const task = registry.get(id);
            return !task || !(is(task, "bpmn:UserTask") || is(task, "bpmn:ManualTask"));
          });
          return wrong.length ? `Not a user or manual task here: ${wrong.join(", ")}` : null;
        },
        getValue: (el) => spiffProperty(el.businessObject, "excludeWorkersOf"),
        setValue: (value) => setSpiffProperty(element, "excludeWorkersOf", value, injector),
      }),
      propertyEntry(element, injector, "complaints-excluded-users", "excludedUsers", "Not these people", {
        check: api.checkExpression, description: "An expression giving a user name or a list of them.",
      }),
    ],
  };
}

function handlerGroup(element, injector, api) {
  const topic = camundaAttr(element.businessObject, "topic");
  const options = () => {
    const names = api.handlers().map((item) => ({ value: item.name, label: item.name }));
    return [{ value: "", label: "(choose a handler)" }, ...names];
  };
  const current = (el) => (topic ? camundaAttr(el.businessObject, "topic")?.value || ""
    : (operator(el.businessObject) || {}).id || "");
  const describe = (name) => (api.handlers().find((item) => item.name === name) || {}).description || "";
  const entries = [
    entry("complaints-handler", Select, {
      element, label: "Handler", getOptions: options, getValue: current,
      description: describe(current(element)).split("\n\n")[0] || "The Python handler the worker runs for this task.",
      setValue: (value) => (topic ? setCamundaAttr(element, topic.key, value, injector)
        : setOperatorAttr(element, "id", value, injector)),
    }),
  ];
  if (!topic) {
    entries.push(entry("complaints-result-variable", Text, {
      element, label: "Result variable", description: "The task-data name the handler's result is stored under.",
      getValue: (el) => (operator(el.businessObject) || {}).resultVariable || "",
      setValue: (value) => setOperatorAttr(element, "resultVariable", value, injector),
    }));
  }
  return { id: "complaints-handler", label: "Handler", entries };
}

function parametersGroup(element, injector, api) {
  const parameters = operatorParameters(element.businessObject);
  return {
    id: "complaints-parameters", label: "Handler parameters", component: ListGroup,
    add: (event) => { event.stopPropagation(); addParameter(element, injector); },
    items: parameters.map((parameter, index) => ({
      id: `complaints-parameter-${index}`, label: parameter.id || "(unnamed)",
      remove: () => removeParameter(element, parameter, injector),
      autoFocusEntry: `complaints-parameter-${index}-id`,
      entries: [
        entry(`complaints-parameter-${index}-id`, Text, {
          element, label: "Name", getValue: () => parameter.id || "",
          setValue: (value) => setParameterAttr(element, parameter, "id", value, injector),
        }),
        entry(`complaints-parameter-${index}-type`, Select, {
          element, label: "Type", getOptions: () => PARAMETER_TYPES, getValue: () => parameter.type || "str",
          setValue: (value) => setParameterAttr(element, parameter, "type", value, injector),
        }),
        entry(`complaints-parameter-${index}-value`, CheckedField, {
          element, label: "Value (an expression: 'text' in quotes, 20, or a variable)",
          check: api.checkExpression, getValue: () => parameter.value || "",
          setValue: (value) => setParameterAttr(element, parameter, "value", value, injector),
        }),
      ],
    })),
  };
}

function timerDefinition(element) {
  return (element.businessObject.eventDefinitions || []).find((d) => is(d, "bpmn:TimerEventDefinition"));
}

function timerGroup(element, injector, api) {
  const definition = timerDefinition(element);
  const kindOf = () => TIMER_KINDS.map((k) => k.value).find((k) => definition[k]) || "timeDuration";
  const setTimer = (kind, body) => {
    const properties = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
    if (body) properties[kind] = injector.get("bpmnFactory").create("bpmn:FormalExpression", { body });
    injector.get("modeling").updateModdleProperties(element, definition, properties);
  };
  const body = () => (definition[kindOf()] && definition[kindOf()].body) || "";
  return {
    id: "complaints-timer", label: "Timer",
    entries: [
      entry("complaints-timer-kind", Select, {
        element, label: "Fires", getOptions: () => TIMER_KINDS, getValue: kindOf,
        setValue: (kind) => setTimer(kind, body()),
      }),
      entry("complaints-timer-value", CheckedField, {
        element, label: "When", getValue: body, setValue: (value) => setTimer(kindOf(), value),
        description: "Business days are counted on the business calendar (holidays and weekend).",
        check: (text) => api.previewTimer(text, kindOf()),
      }),
    ],
  };
}

function conditionGroup(element, injector, api) {
  const flow = element.businessObject;
  const source = element.source;
  const entries = [
    entry("complaints-condition", CheckedField, {
      element, label: "Condition", check: api.checkExpression,
      description: "Taken when this is true, e.g. priority == 'urgent'.",
      getValue: (el) => (el.businessObject.conditionExpression && el.businessObject.conditionExpression.body) || "",
      setValue: (value) => injector.get("modeling").updateModdleProperties(element, flow, {
        conditionExpression: value ? injector.get("bpmnFactory").create("bpmn:FormalExpression", { body: value }) : undefined,
      }),
    }),
  ];
  if (source && (is(source, "bpmn:ExclusiveGateway") || is(source, "bpmn:InclusiveGateway"))) {
    entries.push(entry("complaints-default-flow", Checkbox, {
      element, label: "Default flow (taken when no condition holds)",
      getValue: () => source.businessObject.default === flow,
      setValue: (value) => injector.get("modeling").updateModdleProperties(source, source.businessObject,
        { default: value ? flow : undefined }),
    }));
  }
  return { id: "complaints-condition", label: "Condition", entries };
}

class ComplaintsPropertiesProvider {
  constructor(propertiesPanel, injector, config) {
    this.injector = injector;
    this.api = config;
    propertiesPanel.registerProvider(400, this);
  }

  getGroups(element) {
    return (groups) => {
      const { injector, api } = this;
      const bo = element.businessObject;
      if (is(element, "bpmn:UserTask") || is(element, "bpmn:ManualTask")) {
        groups.push(workGroup(element, injector, api), independenceGroup(element, injector, api));
      }
      if (is(element, "bpmn:ServiceTask") || is(element, "bpmn:SendTask")) {
        groups.push(handlerGroup(element, injector, api));
        if (!camundaAttr(bo, "topic")) groups.push(parametersGroup(element, injector, api));
      }
      if (is(element, "bpmn:Event") && timerDefinition(element)) {
        // Ours replaces the base provider's timer group: the same XML, plus the due-date preview.
        groups = groups.filter((group) => group.id !== "timer");
        groups.push(timerGroup(element, injector, api));
      }
      const source = element.source;
      if (is(element, "bpmn:SequenceFlow") && source && !is(source, "bpmn:ParallelGateway")
          && !is(source, "bpmn:EventBasedGateway") && (is(source, "bpmn:Gateway") || bo.conditionExpression)) {
        groups.push(conditionGroup(element, injector, api));
      }
      if (is(element, "bpmn:Activity") || is(element, "bpmn:Event")) groups.push(statusGroup(element, injector));
      return groups;
    };
  }
}
ComplaintsPropertiesProvider.$inject = ["propertiesPanel", "injector", "config.complaints"];

export default {
  __init__: ["complaintsPropertiesProvider"],
  complaintsPropertiesProvider: ["type", ComplaintsPropertiesProvider],
};
