// The form editor: a bundle's JSON Schema form as a list of fields (type, label, help
// text, required, choices, "required only when"), written back as JSON Schema and
// previewed by the server with the code the task page uses.
const TYPES = [
  ["text", "Short text"], ["textarea", "Long text"], ["choice", "Choice"], ["boolean", "Yes / no"],
  ["integer", "Whole number"], ["number", "Number"], ["date", "Date"], ["email", "Email address"],
];

function typeOf(prop) {
  if (prop.enum || (prop.oneOf || []).some((o) => "const" in o)) return "choice";
  if (prop.type === "boolean") return "boolean";
  if (prop.type === "integer" || prop.type === "number") return prop.type;
  if (prop.format === "date" || prop.format === "email") return prop.format;
  if (prop.format === "textarea" || (prop.maxLength || 0) > 200) return "textarea";
  return "text";
}

function withType(prop, type) {
  const next = { ...prop };
  for (const key of ["enum", "oneOf", "format"]) delete next[key];
  next.type = { boolean: "boolean", integer: "integer", number: "number" }[type] || "string";
  if (type === "date" || type === "email") next.format = type;
  if (type === "textarea") { next.format = "textarea"; next.maxLength = next.maxLength || 4000; }
  if (type === "choice") next.oneOf = choicesOf(prop).length ? choicesOf(prop).map(([v, t]) => ({ const: v, title: t }))
    : [{ const: "yes", title: "Yes" }, { const: "no", title: "No" }];
  if (type !== "text" && type !== "textarea" && type !== "email") delete next.maxLength;
  return next;
}

function choicesOf(prop) {
  if (prop.enum) return prop.enum.filter((v) => v !== null).map((v) => [String(v), String(v)]);
  return (prop.oneOf || []).filter((o) => "const" in o).map((o) => [String(o.const), o.title || String(o.const)]);
}

// "Required only when F is V": allOf entries {if: {properties: {F: {const: V}}, required: [F]}, then: {required: [name]}}.
function conditionOf(schema, name) {
  const rules = [...(schema.allOf || []), ...(schema.if ? [{ if: schema.if, then: schema.then || {} }] : [])];
  for (const rule of rules) {
    const then = (rule.then && rule.then.required) || [];
    const props = (rule.if && rule.if.properties) || {};
    const [field] = Object.keys(props);
    if (then.includes(name) && field && "const" in props[field]) {
      return { field, value: String(props[field].const), own: (schema.allOf || []).includes(rule) };
    }
  }
  return null;
}

function setCondition(schema, name, field, value) {
  const allOf = (schema.allOf || []).filter((rule) => !(rule.then && (rule.then.required || []).length === 1
    && rule.then.required[0] === name));
  if (field) allOf.push({ if: { properties: { [field]: { const: value } }, required: [field] }, then: { required: [name] } });
  if (allOf.length) schema.allOf = allOf; else delete schema.allOf;
}

// The condition's value in the JSON type of the field it tests: true, 3, or text.
function typed(prop, text) {
  if (!prop) return text;
  if (prop.type === "boolean") return text === "true" || text === "yes";
  if ((prop.type === "integer" || prop.type === "number") && text !== "" && !Number.isNaN(Number(text))) return Number(text);
  return text;
}

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "checked" || key === "value") node[key] = value;
    else if (value !== false && value !== undefined && value !== null) node.setAttribute(key, value === true ? "" : value);
  }
  node.append(...children);
  return node;
};

export class FormEditor {
  constructor(container, { onChange, preview }) {
    this.container = container;
    this.onChange = onChange;
    this.previewTarget = preview;
    this.schema = null;
  }

  open(text, previewUrl, csrf) {
    this.previewUrl = previewUrl;
    this.csrf = csrf;
    this.schema = JSON.parse(text);
    this.render();
    this.preview();
  }

  changed() {
    this.onChange(JSON.stringify(this.schema, null, 2) + "\n");
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.preview(), 200);
  }

  async preview() {
    const response = await fetch(this.previewUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": this.csrf },
      body: JSON.stringify({ schema: this.schema }),
    });
    this.previewTarget.innerHTML = response.ok ? await response.text()
      : "<p class=\"field-error\">The preview could not be drawn: check the form.</p>";
    this.previewTarget.dataset.rendered = String(Date.now());
  }

  render() {
    const schema = this.schema;
    const properties = schema.properties || (schema.properties = {});
    const required = new Set(schema.required || []);
    const head = el("div", { class: "form-editor-head" },
      el("label", { for: "fe-title" }, "Form title"),
      el("input", { id: "fe-title", type: "text", value: schema.title || "" }));
    head.querySelector("input").addEventListener("input", (event) => { schema.title = event.target.value; this.changed(); });
    const list = el("ol", { class: "form-fields", "aria-label": "Fields" });
    Object.entries(properties).forEach(([name, prop]) => list.append(this.row(name, prop, required.has(name))));
    const add = el("button", { type: "button", class: "button", id: "fe-add-field" }, "Add a field");
    add.addEventListener("click", () => {
      let n = Object.keys(properties).length + 1;
      while (properties[`field_${n}`]) n += 1;
      properties[`field_${n}`] = { title: `New field ${n}`, type: "string", maxLength: 200 };
      this.render();
      this.changed();
      this.container.querySelector(".form-field:last-child input").focus();
    });
    this.container.replaceChildren(head, list, add);
  }

  row(name, prop, isRequired) {
    const schema = this.schema;
    const type = typeOf(prop);
    const condition = conditionOf(schema, name);
    const id = (part) => `fe-${name}-${part}`;
    const item = el("li", { class: "form-field", "data-field": name });
    const grid = el("div", { class: "form-field-grid" },
      el("label", { for: id("name") }, "Name"), el("input", { id: id("name"), type: "text", value: name, "data-part": "name" }),
      el("label", { for: id("label") }, "Label"), el("input", { id: id("label"), type: "text", value: prop.title || "", "data-part": "label" }),
      el("label", { for: id("type") }, "Type"),
      el("select", { id: id("type"), "data-part": "type" }, ...TYPES.map(([v, t]) => el("option", { value: v, selected: v === type }, t))),
      el("label", { for: id("help") }, "Help text"), el("input", { id: id("help"), type: "text", value: prop.description || "", "data-part": "help" }),
      el("span", {}, ""), el("label", { class: "checkbox" },
        el("input", { id: id("required"), type: "checkbox", checked: isRequired, "data-part": "required" }), " Required always"));
    if (type === "choice") {
      grid.append(el("label", { for: id("choices") }, "Choices (value: label, one a line)"),
        el("textarea", { id: id("choices"), rows: 3, "data-part": "choices" }, choicesOf(prop).map(([v, t]) => `${v}: ${t}`).join("\n")));
    }
    const others = Object.keys(schema.properties).filter((other) => other !== name);
    grid.append(el("label", { for: id("when") }, "Required only when"),
      el("span", { class: "form-when" },
        el("select", { id: id("when"), "data-part": "when", disabled: condition && !condition.own },
          el("option", { value: "" }, "(no condition)"),
          ...others.map((other) => el("option", { value: other, selected: condition && condition.field === other }, other))),
        el("span", {}, " is "),
        el("input", { id: id("when-value"), type: "text", "aria-label": `Value of the condition for ${name}`,
          value: condition ? condition.value : "", "data-part": "when-value", disabled: condition && !condition.own })));
    const remove = el("button", { type: "button", class: "link-button", "data-part": "remove" }, `Remove ${name}`);
    item.append(grid, remove);
    item.addEventListener("change", (event) => this.edit(name, event.target));
    item.addEventListener("input", (event) => { if (event.target.type === "text" && event.target.dataset.part !== "name") this.edit(name, event.target); });
    remove.addEventListener("click", () => {
      delete schema.properties[name];
      schema.required = (schema.required || []).filter((n) => n !== name);
      setCondition(schema, name, "");
      this.render();
      this.changed();
    });
    return item;
  }

  edit(name, input) {
    const schema = this.schema;
    const prop = schema.properties[name];
    const part = input.dataset.part;
    const row = input.closest(".form-field");
    if (part === "name") {
      const next = input.value.trim().replace(/[^A-Za-z0-9_]/g, "_");
      if (!next || next === name || schema.properties[next]) { input.value = name; return; }
      schema.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k === name ? next : k, v]));
      schema.required = (schema.required || []).map((n) => (n === name ? next : n));
      const condition = conditionOf(schema, name);
      if (condition && condition.own) { setCondition(schema, name, ""); setCondition(schema, next, condition.field, condition.value); }
      this.render();
    } else if (part === "label") prop.title = input.value;
    else if (part === "help") { if (input.value) prop.description = input.value; else delete prop.description; }
    else if (part === "type") { schema.properties[name] = withType(prop, input.value); this.render(); }
    else if (part === "required") {
      const set = new Set(schema.required || []);
      if (input.checked) set.add(name); else set.delete(name);
      schema.required = [...set];
    } else if (part === "choices") {
      prop.oneOf = input.value.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
        const [value, ...label] = line.split(":");
        return { const: value.trim(), title: (label.join(":").trim() || value.trim()) };
      });
      delete prop.enum;
    } else if (part === "when" || part === "when-value") {
      const field = row.querySelector('[data-part="when"]').value;
      setCondition(schema, name, field, typed(schema.properties[field], row.querySelector('[data-part="when-value"]').value));
    }
    this.changed();
  }
}
