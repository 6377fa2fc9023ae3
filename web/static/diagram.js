// The complaint's process diagram (bpmn-js viewer): done elements marked, current ones
// highlighted. The lists come from the server in data-* attributes.
document.addEventListener("DOMContentLoaded", async () => {
  const container = document.getElementById("diagram");
  if (!container || typeof BpmnJS === "undefined") return;
  const viewer = new BpmnJS({ container });
  try {
    const response = await fetch(container.dataset.xmlUrl, { credentials: "same-origin" });
    await viewer.importXML(await response.text());
  } catch (err) {
    container.classList.add("diagram-missing");
    container.textContent = /no diagram to display/i.test(String(err && err.message))
      ? "This version of the process has no diagram layout (BPMN DI), so it cannot be drawn."
      : "The diagram could not be shown.";
    return;
  }
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  canvas.zoom("fit-viewport", "auto");
  const mark = (ids, marker) => JSON.parse(ids || "[]").forEach((id) => {
    if (registry.get(id)) canvas.addMarker(id, marker);
  });
  mark(container.dataset.done, "done");
  mark(container.dataset.current, "current");
  mark(container.dataset.failed, "failed");
  container.classList.add("ready");
});
