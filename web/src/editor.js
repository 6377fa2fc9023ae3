// The process owner's editor (/process/<key>/edit): the latest version's whole bundle,
// opened at once. The diagram in bpmn-js with our properties panel, the decision tables
// in dmn-js, the forms in our form editor; Check and Deploy send every file with the
// version the page was opened on (base_version).
import "./csp-styles.js";
import BpmnModeler from "bpmn-js/lib/Modeler";
import DmnModeler from "dmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import ComplaintsProperties from "./properties.js";
import { FormEditor } from "./form-editor.js";

// Our groups start open: they hold what a process owner comes to the panel for.
const OPEN_GROUPS = Object.fromEntries(["complaints-work", "complaints-independence", "complaints-handler",
  "complaints-parameters", "complaints-timer", "complaints-condition", "complaints-status"].map((id) => [id, { open: true }]));
const page = document.getElementById("editor");
const data = page ? page.dataset : {};
const say = (text, kind) => {
  const status = document.getElementById("modeler-status");
  status.hidden = false;
  status.className = `flash flash-${kind}`;
  status.textContent = text;
};

async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": data.csrf },
    body: JSON.stringify(body),
  });
  return { response, body: await response.json().catch(() => ({})) };
}

async function start() {
  const files = (await (await fetch(data.filesUrl, { credentials: "same-origin" })).json()).files;
  const handlers = (await (await fetch(data.handlersUrl, { credentials: "same-origin" })).json()).items;
  const forms = () => Object.keys(files).filter((n) => n.endsWith(".json")).map((n) => n.split("/").pop()).sort();
  const api = {
    handlers: () => handlers,
    forms,
    checkExpression: async (expression) => (await postJson(data.checkExpressionUrl, { expression, files })).body,
    previewTimer: async (expression, kind) => {
      const { response, body } = await postJson(data.timerPreviewUrl, { expression, kind });
      return response.ok ? body : { ok: false, message: (body.error && body.error.message) || "not a timer value" };
    },
  };
  const modeler = new BpmnModeler({
    container: "#modeler",
    propertiesPanel: { parent: "#properties", layout: { groups: OPEN_GROUPS } },
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, ComplaintsProperties],
    complaints: api,
  });
  window.complaintsModeler = modeler;
  await modeler.importXML(files[data.mainFile]);
  modeler.get("canvas").zoom("fit-viewport", "auto");
  document.getElementById("modeler").classList.add("ready");

  const dmn = new DmnModeler({ container: "#dmn" });
  window.complaintsDmn = dmn;
  const dmnFiles = Object.keys(files).filter((n) => n.endsWith(".dmn")).sort();
  let openDmn = null;
  let dmnEdited = false;
  // A table is written back only once someone edited it, so an untouched file deploys as it came.
  const saveDmn = async () => {
    if (openDmn && dmnEdited) files[openDmn] = (await dmn.saveXML({ format: true })).xml;
    dmnEdited = false;
  };
  dmn.on("views.changed", () => {
    const viewer = dmn.getActiveViewer();
    if (viewer && !viewer.complaintsWatched) {
      viewer.complaintsWatched = true;
      viewer.get("eventBus").on("commandStack.changed", () => { dmnEdited = true; });
    }
  });
  const showDmn = async (name) => {
    await saveDmn();
    openDmn = name;
    await dmn.importXML(files[name]);
    const table = dmn.getViews().find((view) => view.type === "decisionTable");
    if (table) await dmn.open(table);
    document.getElementById("dmn").classList.add("ready");
  };
  fillPicker("dmn-file", dmnFiles, showDmn);
  if (dmnFiles.length) await showDmn(dmnFiles[0]);

  const formEditor = new FormEditor(document.getElementById("form-editor"), {
    preview: document.getElementById("form-preview"),
    onChange: (text) => { files[formEditor.file] = text; },
  });
  window.complaintsForms = formEditor;
  const formFiles = Object.keys(files).filter((n) => n.endsWith(".json")).sort();
  const showForm = (name) => { formEditor.file = name; formEditor.open(files[name], data.formPreviewUrl, data.csrf); };
  fillPicker("form-file", formFiles, showForm);
  if (formFiles.length) showForm(formFiles[0]);
  document.getElementById("new-form").addEventListener("click", () => {
    const raw = window.prompt("File name of the new form (ends in .schema.json)", "new_form.schema.json");
    if (!raw) return;
    const name = `forms/${raw.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/(\.schema)?(\.json)?$/, ".schema.json")}`;
    if (!files[name]) {
      files[name] = JSON.stringify({ $schema: "https://json-schema.org/draft/2020-12/schema", title: "New form",
        type: "object", properties: {}, required: [] }, null, 2);
    }
    fillPicker("form-file", Object.keys(files).filter((n) => n.endsWith(".json")).sort(), showForm, name);
    showForm(name);
  });

  const bundle = async () => {
    files[data.mainFile] = (await modeler.saveXML({ format: true })).xml;
    await saveDmn();
    return files;
  };
  // Safe deploys: every file goes with the version the page opened (base_version). When a
  // newer one was deployed meanwhile the server answers 409 (stale_base) with its changes,
  // and deploying anyway needs a confirmation (force), which the new version records.
  const confirmBox = document.getElementById("modeler-confirm");
  const send = async (url, force = false) => {
    const { response, body } = await postJson(url, { files: await bundle(), base_version: Number(data.baseVersion), force });
    confirmBox.hidden = true;
    if (response.ok) {
      showProblems(modeler, body.warnings || []);
      say(body.message, "success");
      return;
    }
    const error = body.error || { message: `The server answered ${response.status}.` };
    if (error.code === "stale_base") {
      const changes = (error.details && error.details.changes) || [];
      showProblems(modeler, changes.map((change) => ({ file: change.file, element: change.id, message: change.text })));
      say(error.message, "error");
      confirmBox.hidden = false;
      return;
    }
    showProblems(modeler, (error.details && error.details.problems) || []);
    say(error.message, "error");
  };
  const busy = (button, work) => async () => {
    button.disabled = true;
    say("Working…", "info");
    try { await work(); } finally { button.disabled = false; }
  };
  const check = document.getElementById("check-diagram");
  const deploy = document.getElementById("deploy-diagram");
  check.addEventListener("click", busy(check, () => send(data.checkUrl)));
  deploy.addEventListener("click", busy(deploy, () => send(data.deployUrl)));
  const force = document.getElementById("deploy-anyway");
  force.addEventListener("click", busy(force, () => send(data.deployUrl, true)));
  document.getElementById("open-bundle").addEventListener("change", async (event) => {
    const [file] = event.target.files;
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    const response = await fetch(data.openBundleUrl, { method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": data.csrf, Accept: "application/json" }, body: form });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) { say((body.error && body.error.message) || "The zip could not be opened.", "error"); return; }
    Object.keys(files).forEach((name) => delete files[name]);
    Object.assign(files, body.files);
    const main = Object.keys(files).find((n) => n === data.mainFile) || Object.keys(files).find((n) => n.endsWith(".bpmn"));
    data.mainFile = main;
    openDmn = null;
    dmnEdited = false;
    await modeler.importXML(files[main]);
    const dmns = Object.keys(files).filter((n) => n.endsWith(".dmn")).sort();
    fillPicker("dmn-file", dmns, showDmn);
    if (dmns.length) await showDmn(dmns[0]);
    const jsons = Object.keys(files).filter((n) => n.endsWith(".json")).sort();
    fillPicker("form-file", jsons, showForm);
    if (jsons.length) showForm(jsons[0]);
    say(`Opened ${file.name}: ${Object.keys(files).length} files. Check it, then deploy.`, "info");
  });
  setupTabs();
}

function fillPicker(id, names, onPick, selected) {
  const picker = document.getElementById(id);
  const fresh = picker.cloneNode(false);
  for (const name of names) {
    const option = document.createElement("option");
    option.value = name;
    option.textContent = name;
    option.selected = name === selected;
    fresh.append(option);
  }
  fresh.addEventListener("change", () => onPick(fresh.value));
  picker.replaceWith(fresh);
}

function setupTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  for (const tab of tabs) {
    tab.addEventListener("click", () => {
      for (const other of tabs) {
        other.setAttribute("aria-selected", String(other === tab));
        document.getElementById(other.getAttribute("aria-controls")).hidden = other !== tab;
      }
      if (tab.id === "tab-diagram") window.complaintsModeler.get("canvas").resized();
    });
  }
}

function showProblems(modeler, list) {
  const problems = document.getElementById("modeler-problems");
  problems.replaceChildren();
  problems.hidden = list.length === 0;
  const registry = modeler.get("elementRegistry");
  for (const problem of list) {
    const item = document.createElement("li");
    const where = [problem.file, problem.element].filter(Boolean).join(": ");
    if (problem.element && registry.get(problem.element)) {
      const link = document.createElement("button");
      link.type = "button";
      link.className = "link-button";
      link.textContent = where;
      link.addEventListener("click", () => {
        document.getElementById("tab-diagram").click();
        modeler.get("selection").select(registry.get(problem.element));
        modeler.get("canvas").scrollToElement(registry.get(problem.element));
      });
      item.append(link, ": ");
    } else if (where) {
      item.append(`${where}: `);
    }
    item.append(problem.message);
    problems.append(item);
  }
}

if (page) {
  start().catch((err) => {
    say(`The editor could not open this process: ${err.message}`, "error");
    throw err;
  });
}
