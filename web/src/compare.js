// The compare page's drawing: both versions side by side, with what bpmn-js-differ finds
// added (green, right), removed (red, left), changed (amber) and moved (blue) marked, and
// the elements the server's comparison (the list in words) names as changed.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import { diff } from "bpmn-js-differ";

const MARKERS = { _added: "diff-added", _removed: "diff-removed", _changed: "diff-changed", _layoutChanged: "diff-moved" };

async function open(container, url) {
  const viewer = new NavigatedViewer({ container });
  const xml = await (await fetch(url, { credentials: "same-origin" })).text();
  await viewer.importXML(xml);
  viewer.get("canvas").zoom("fit-viewport", "auto");
  return viewer;
}

// A change inside an element (a timer's definition, a condition's expression, an
// extension element) marks the nearest drawn element that holds it.
function drawnId(registry, entry) {
  for (let node = entry && (entry.model || entry); node; node = node.$parent) {
    if (node.id && registry.get(node.id)) return node.id;
  }
  return null;
}

function mark(viewer, entries, marker) {
  const registry = viewer.get("elementRegistry");
  const canvas = viewer.get("canvas");
  const ids = new Set(entries.map((entry) => drawnId(registry, entry)).filter(Boolean));
  for (const id of ids) {
    // A lane or pool that changed gets a coloured border only, so what lies in it stays readable.
    const type = registry.get(id).type;
    const container = type === "bpmn:Lane" || type === "bpmn:Participant";
    if (!canvas.hasMarker(id, marker)) canvas.addMarker(id, container ? `${marker}-border` : marker);
  }
  return ids.size;
}

async function start(root) {
  const [before, after] = await Promise.all([
    open(root.querySelector("#diagram-from"), root.dataset.fromUrl),
    open(root.querySelector("#diagram-to"), root.dataset.toUrl),
  ]);
  const changes = diff(before.getDefinitions(), after.getDefinitions());
  // bpmn-js-differ compares an element's own attributes; what changed inside one (a
  // timer's value, a handler parameter, a form property) the server's comparison names,
  // the same list the page gives in words.
  const named = (root.dataset.changedIds || "").split(" ").filter(Boolean);
  for (const id of named) {
    if (!changes._changed[id] && !changes._added[id] && !changes._removed[id]) changes._changed[id] = { model: { id } };
  }
  const counts = {};
  for (const [key, marker] of Object.entries(MARKERS)) {
    const entries = Object.values(changes[key] || {});
    const left = key === "_added" ? 0 : mark(before, entries, marker);
    const right = key === "_removed" ? 0 : mark(after, entries, marker);
    counts[marker] = Math.max(left, right);
  }
  for (const [marker, count] of Object.entries(counts)) {
    const slot = root.querySelector(`[data-count="${marker}"]`);
    if (slot) slot.textContent = String(count);
  }
  // Panning or zooming one side moves the other the same way.
  let syncing = false;
  const follow = (from, to) => from.on("canvas.viewbox.changed", ({ viewbox }) => {
    if (syncing) return;
    syncing = true;
    to.get("canvas").viewbox(viewbox);
    syncing = false;
  });
  follow(before, after);
  follow(after, before);
  window.complaintsDiff = changes;
  window.complaintsCompare = { before, after };
  root.classList.add("ready");
}

const root = document.getElementById("visual-diff");
if (root) start(root).catch((err) => { root.textContent = `The diagrams could not be drawn: ${err.message}`; });
