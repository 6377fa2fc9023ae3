// Reading and writing the extension elements our engine reads, as SpiffArena's modeler
// writes them (spiffworkflow:properties, spiffworkflow:serviceTaskOperator) and, where a
// diagram already uses them, Camunda 7's attributes (camunda:assignee, candidateGroups,
// topic). spiffworkflow is deliberately not registered as a moddle package: bpmn-js then
// keeps every spiffworkflow element it does not know (messageVariable, calledDecisionId,
// preScript...) exactly as it read it, and we edit the generic elements in place.
export const SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core";
const CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn";

export function isSpiff(node, local) {
  if (!node || !node.$type) return false;
  const descriptor = node.$descriptor && node.$descriptor.ns;
  if (descriptor && descriptor.uri === SPIFF_NS) return descriptor.localName === local;
  return node.$type === `spiffworkflow:${local}`;
}

const childrenOf = (node) => (node && node.$children) || [];
const extensionValues = (bo) => (bo.extensionElements && bo.extensionElements.values) || [];
const update = (element, moddleElement, properties) => ({
  cmd: "element.updateModdleProperties", context: { element, moddleElement, properties },
});

export function spiffElement(bo, local) {
  return extensionValues(bo).find((node) => isSpiff(node, local));
}

export function spiffProperty(bo, name) {
  const holder = spiffElement(bo, "properties");
  const found = childrenOf(holder).find((node) => isSpiff(node, "property") && node.name === name);
  return found ? found.value || "" : "";
}

// The commands that create bo's extensionElements and its spiffworkflow:<local> when missing.
function ensure(element, bo, local, injector, commands) {
  const bpmnFactory = injector.get("bpmnFactory");
  const moddle = injector.get("moddle");
  let extensions = bo.extensionElements;
  if (!extensions) {
    extensions = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    extensions.$parent = bo;
    commands.push(update(element, bo, { extensionElements: extensions }));
  }
  let node = extensionValues(bo).find((value) => isSpiff(value, local));
  if (!node) {
    node = moddle.createAny(`spiffworkflow:${local}`, SPIFF_NS, { $children: [] });
    node.$parent = extensions;
    commands.push(update(element, extensions, { values: [...(extensions.values || []), node] }));
  }
  return node;
}

const run = (injector, commands) => {
  if (commands.length) injector.get("commandStack").execute("properties-panel.multi-command-executor", commands);
};

export function setSpiffProperty(element, name, value, injector) {
  const bo = element.businessObject;
  const commands = [];
  const current = spiffElement(bo, "properties");
  const existing = childrenOf(current).find((node) => isSpiff(node, "property") && node.name === name);
  if (!value) {
    if (existing) commands.push(update(element, current, { $children: childrenOf(current).filter((n) => n !== existing) }));
  } else if (existing) {
    commands.push(update(element, existing, { value }));
  } else {
    const holder = ensure(element, bo, "properties", injector, commands);
    const property = injector.get("moddle").createAny("spiffworkflow:property", SPIFF_NS, { name, value });
    property.$parent = holder;
    commands.push(update(element, holder, { $children: [...childrenOf(holder), property] }));
  }
  run(injector, commands);
}

// -- Camunda 7 attributes, edited where the diagram already has them ------------------

export function camundaAttr(bo, name) {
  const attrs = bo.$attrs || {};
  for (const [key, value] of Object.entries(attrs)) {
    if (key.endsWith(`:${name}`) && key.split(":")[0] !== "xmlns" && prefixUri(bo, key.split(":")[0]) === CAMUNDA_NS) {
      return { key, value };
    }
  }
  return null;
}

function prefixUri(bo, prefix) {
  for (let node = bo; node; node = node.$parent) {
    const uri = node.$attrs && node.$attrs[`xmlns:${prefix}`];
    if (uri) return uri;
  }
  return prefix === "camunda" ? CAMUNDA_NS : null;
}

export function setCamundaAttr(element, key, value, injector) {
  // A prefixed name that moddle does not know lands in (or leaves) the element's $attrs.
  run(injector, [update(element, element.businessObject, { [key]: value || undefined })]);
}

// -- spiffworkflow:serviceTaskOperator ----------------------------------------------

export function operator(bo) {
  return spiffElement(bo, "serviceTaskOperator");
}

export function operatorParameters(bo) {
  const holder = childrenOf(operator(bo)).find((node) => isSpiff(node, "parameters"));
  return childrenOf(holder).filter((node) => isSpiff(node, "parameter"));
}

export function setOperatorAttr(element, name, value, injector) {
  const commands = [];
  const node = ensure(element, element.businessObject, "serviceTaskOperator", injector, commands);
  commands.push(update(element, node, { [name]: value || undefined }));
  run(injector, commands);
}

export function addParameter(element, injector) {
  const commands = [];
  const moddle = injector.get("moddle");
  const node = ensure(element, element.businessObject, "serviceTaskOperator", injector, commands);
  let holder = childrenOf(node).find((child) => isSpiff(child, "parameters"));
  if (!holder) {
    holder = moddle.createAny("spiffworkflow:parameters", SPIFF_NS, { $children: [] });
    holder.$parent = node;
    commands.push(update(element, node, { $children: [...childrenOf(node), holder] }));
  }
  const taken = new Set(childrenOf(holder).map((p) => p.id));
  let n = 1;
  while (taken.has(`param_${n}`)) n += 1;
  const parameter = moddle.createAny("spiffworkflow:parameter", SPIFF_NS, { id: `param_${n}`, type: "str", value: "''" });
  parameter.$parent = holder;
  commands.push(update(element, holder, { $children: [...childrenOf(holder), parameter] }));
  run(injector, commands);
}

export function removeParameter(element, parameter, injector) {
  const holder = childrenOf(operator(element.businessObject)).find((node) => isSpiff(node, "parameters"));
  run(injector, [update(element, holder, { $children: childrenOf(holder).filter((p) => p !== parameter) })]);
}

export function setParameterAttr(element, parameter, name, value, injector) {
  run(injector, [update(element, parameter, { [name]: value })]);
}
