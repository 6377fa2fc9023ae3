// A version's diagram as a heatmap (bpmn-js viewer): each element coloured by its median
// time and badged with passed / median, where complaints wait now outlined and badged with
// how many, each flow with how often it was taken; clicking an element lists its
// complaints. The figures come from the server in data-* attributes; nothing here writes
// HTML from strings.
const duration = (seconds) => {
  if (seconds === null || seconds === undefined) return "–";
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["min", 60]]) {
    if (seconds >= size) return `${(seconds / size).toFixed(1)} ${unit}`;
  }
  return `${Math.round(seconds)} s`;
};

const badge = (text, kind, title) => {
  const node = document.createElement("div");
  node.className = `heat-badge ${kind}`;
  node.textContent = text;
  if (title) node.title = title;
  return node;
};

const toldBy = (by) => Object.entries(by || {}).map(([kind, n]) => `${n} by ${kind}`).join(", ");

const describe = (id, f) => `${f.name || id}: ${f.passed} passed, median ${duration(f.median)}, 90th percentile ${duration(f.p90)}`
  + (f.waiting ? `; ${f.waiting} waiting now (${toldBy(f.waiting_by)})` : "");

const listComplaints = async (container, id, name) => {
  const list = document.getElementById("heatmap-complaints");
  document.getElementById("heatmap-element").textContent = name || id;
  list.replaceChildren();
  const response = await fetch(container.dataset.elementUrl.replace("__ID__", encodeURIComponent(id)),
    { credentials: "same-origin" });
  const body = await response.json();
  if (!body.complaints.length) {
    const item = document.createElement("li");
    item.textContent = "No complaint passed this element in the period.";
    list.append(item);
  }
  for (const complaint of body.complaints) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = complaint.url;
    link.textContent = complaint.reference;
    item.append(link, ` (${complaint.at})`);
    list.append(item);
  }
};

document.addEventListener("DOMContentLoaded", async () => {
  const container = document.getElementById("heatmap");
  if (!container || typeof BpmnJS === "undefined") return;
  const viewer = await window.showDiagram(container, "The diagram could not be shown; the tables below have the figures.");
  if (!viewer) return;
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  const overlays = viewer.get("overlays");
  const figures = JSON.parse(container.dataset.figures || "{}");
  const flows = JSON.parse(container.dataset.flows || "{}");
  const medians = Object.values(figures).map((f) => f.median).filter((m) => m !== null);
  const longest = Math.max(1, ...medians);
  for (const [id, f] of Object.entries(figures)) {
    const element = registry.get(id);
    if (!element) continue;
    const level = f.median === null ? 0 : 1 + Math.min(4, Math.floor((f.median / longest) * 4.999));
    canvas.addMarker(id, level ? `heat-${level}` : "heat-0");
    if (f.passed) {
      overlays.add(id, { position: { bottom: 0, right: 0 },
        html: badge(`${f.passed} · ${duration(f.median)}`, "heat-element", describe(id, f)) });
    }
    if (f.waiting) {
      canvas.addMarker(id, "heat-waiting");
      // A boundary event sits on its task's edge: its badge goes below it, the task's above.
      const position = element.host ? { bottom: -6, left: -10 } : { top: -10, right: 12 };
      overlays.add(id, { position, html: badge(`${f.waiting} now`, "heat-now", describe(id, f)) });
    }
  }
  for (const [id, count] of Object.entries(flows)) {
    if (!registry.get(id)) continue;
    overlays.add(id, { position: { top: -8, left: 0 }, html: badge(String(count), "heat-flow") });
  }
  viewer.get("eventBus").on("element.click", (event) => {
    if (figures[event.element.id]) listComplaints(container, event.element.id, figures[event.element.id].name);
  });
  container.classList.add("ready");
});
