// The complaint's process diagram (bpmn-js viewer): done elements marked, current ones
// highlighted. The lists come from the server in data-* attributes.
document.addEventListener("DOMContentLoaded", async () => {
  const container = document.getElementById("diagram");
  if (!container || typeof BpmnJS === "undefined") return;
  const viewer = await window.showDiagram(container, "The diagram could not be shown.");
  if (!viewer) return;
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  const mark = (ids, marker) => JSON.parse(ids || "[]").forEach((id) => {
    if (registry.get(id)) canvas.addMarker(id, marker);
  });
  mark(container.dataset.done, "done");
  mark(container.dataset.current, "current");
  mark(container.dataset.failed, "failed");
  container.classList.add("ready");
});
