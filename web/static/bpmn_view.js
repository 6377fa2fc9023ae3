// Draw a BPMN file in a bpmn-js viewer, for the pages that show a diagram (diagram.js,
// heatmap.js). The file's URL is the container's data-xml-url; when it cannot be drawn the
// container says why and the promise gives null.
window.showDiagram = async (container, unavailable) => {
  const viewer = new BpmnJS({ container });
  try {
    const response = await fetch(container.dataset.xmlUrl, { credentials: "same-origin" });
    await viewer.importXML(await response.text());
  } catch (err) {
    container.classList.add("diagram-missing");
    container.textContent = /no diagram to display/i.test(String(err && err.message))
      ? "This version of the process has no diagram layout (BPMN DI), so it cannot be drawn."
      : unavailable;
    return null;
  }
  viewer.get("canvas").zoom("fit-viewport", "auto");
  return viewer;
};
