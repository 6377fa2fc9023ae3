// The process owner's modeler (bpmn-js): edit the latest version's diagram, check it on
// the server, deploy it as a new version. Problems link to the element they name.
document.addEventListener("DOMContentLoaded", async () => {
  const container = document.getElementById("modeler");
  if (!container || typeof BpmnJS === "undefined") return;
  const status = document.getElementById("modeler-status");
  const problems = document.getElementById("modeler-problems");
  const modeler = new BpmnJS({ container, keyboard: { bindTo: document } });
  window.complaintsModeler = modeler;

  const say = (text, kind) => {
    status.hidden = false;
    status.className = `flash flash-${kind}`;
    status.textContent = text;
  };

  const showProblems = (list) => {
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
  };

  // Safe deploys: the page says which version it opened (base_version); when a newer one
  // was deployed meanwhile the server answers 409 with its changes, and deploying anyway
  // needs a confirmation (force), which the new version records.
  const confirmBox = document.getElementById("modeler-confirm");
  const send = async (url, force = false) => {
    const { xml } = await modeler.saveXML({ format: true });
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": container.dataset.csrf },
      body: JSON.stringify({ xml, base_version: Number(container.dataset.baseVersion), force }),
    });
    const body = await response.json().catch(() => ({}));
    if (confirmBox) confirmBox.hidden = true;
    if (response.ok) {
      showProblems(body.warnings || []);
      say(body.message, "success");
      return;
    }
    const error = body.error || { message: `The server answered ${response.status}.` };
    if (error.code === "stale_base") {
      const changes = (error.details && error.details.changes) || [];
      showProblems(changes.map((change) => ({ file: change.file, element: change.id, message: change.text })));
      say(error.message, "error");
      if (confirmBox) confirmBox.hidden = false;
      return;
    }
    showProblems((error.details && error.details.problems) || []);
    say(error.message, "error");
  };

  try {
    const response = await fetch(container.dataset.xmlUrl, { credentials: "same-origin" });
    const { warnings } = await modeler.importXML(await response.text());
    if (warnings.length) say(`The diagram opened with ${warnings.length} warning(s); check it before deploying.`, "info");
  } catch (err) {
    container.classList.add("diagram-missing");
    container.textContent = "The diagram could not be opened in the modeler.";
    return;
  }
  modeler.get("canvas").zoom("fit-viewport", "auto");
  container.classList.add("ready");

  const busy = (button, work) => async () => {
    button.disabled = true;
    say("Working…", "info");
    try { await work(); } finally { button.disabled = false; }
  };
  const checkButton = document.getElementById("check-diagram");
  const deployButton = document.getElementById("deploy-diagram");
  checkButton.addEventListener("click", busy(checkButton, () => send(container.dataset.checkUrl)));
  deployButton.addEventListener("click", busy(deployButton, () => send(container.dataset.deployUrl)));
  const forceButton = document.getElementById("deploy-anyway");
  if (forceButton) forceButton.addEventListener("click", busy(forceButton, () => send(container.dataset.deployUrl, true)));
  document.getElementById("download-diagram").addEventListener("click", async (event) => {
    event.preventDefault();
    const { xml } = await modeler.saveXML({ format: true });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([xml], { type: "application/xml" }));
    link.download = event.currentTarget.getAttribute("download");
    link.click();
    URL.revokeObjectURL(link.href);
  });
});
