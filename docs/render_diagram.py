"""Render a BPMN diagram to SVG and PNG with bpmn-js in headless chromium.

Usage::

    python docs/render_diagram.py [path/to/diagram.bpmn] [--out docs/complaint_handling]

Writes ``<out>.svg`` and ``<out>.png`` (default: ``docs/complaint_handling``), prints
every import warning bpmn-js reports, and exits with status 1 if there was any: a
warning means a modeler would show the process owner something other than what the
file says.

Needs ``web/node_modules/bpmn-js`` (``cd web && npm install``), the Python package
``playwright``, and Debian's chromium at ``/usr/bin/chromium`` (``apt-get install
chromium``); playwright's own browser download is not used.
"""

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BPMN = ROOT / "processes" / "complaint_handling.bpmn"
DEFAULT_OUT = ROOT / "docs" / "complaint_handling"
BPMN_JS = ROOT / "web" / "node_modules" / "bpmn-js" / "dist" / "bpmn-viewer.production.min.js"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]

# Runs in the page: import the XML, collect warnings, export the SVG.
_IMPORT = """
async (xml) => {
  const viewer = new BpmnJS({ container: '#canvas' });
  let warnings = [];
  let error = null;
  try {
    const result = await viewer.importXML(xml);
    warnings = result.warnings.map(w => w.message || String(w));
  } catch (err) {
    error = err.message || String(err);
    warnings = (err.warnings || []).map(w => w.message || String(w));
  }
  if (error) { return { error, warnings, svg: null }; }
  const { svg } = await viewer.saveSVG();
  return { error: null, warnings, svg };
}
"""


def import_diagram(bpmn_xml: str, browser) -> dict:
    """Import ``bpmn_xml`` into a bpmn-js viewer in ``browser``.

    :returns: ``{"error": str | None, "warnings": [str], "svg": str | None}``
    """
    page = browser.new_page()
    try:
        page.set_content('<!doctype html><html><body style="margin:0">'
                         '<div id="canvas" style="width:1600px;height:1000px"></div></body></html>')
        page.add_script_tag(path=str(BPMN_JS))
        return page.evaluate(_IMPORT, bpmn_xml)
    finally:
        page.close()


def stable_ids(svg: str) -> str:
    """Number bpmn-js's random marker ids in order, so the same diagram always gives
    the same SVG (and a re-render does not show up as a change in git)."""
    names = {}
    for found in re.findall(r'id="(marker-[0-9a-z]+)"', svg):
        names.setdefault(found, f"marker-{len(names) + 1}")
    return re.sub(r"marker-[0-9a-z]+", lambda m: names.get(m.group(0), m.group(0)), svg)


def svg_to_png(svg: str, png_path: Path, browser, scale: float = 1.0) -> None:
    """Screenshot ``svg`` at its own size, on white, into ``png_path``."""
    context = browser.new_context(device_scale_factor=scale)
    page = context.new_page()
    try:
        page.set_content('<!doctype html><html><body style="margin:0;background:#fff">'
                         f'<div id="diagram" style="display:inline-block">{svg}</div></body></html>')
        box = page.locator("#diagram svg").bounding_box()
        page.set_viewport_size({"width": int(box["width"]) + 1, "height": int(box["height"]) + 1})
        page.locator("#diagram svg").screenshot(path=str(png_path), omit_background=False)
    finally:
        context.close()


def launch(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bpmn", nargs="?", default=str(DEFAULT_BPMN), help="the .bpmn file to render")
    parser.add_argument("--out", default=str(DEFAULT_OUT),
                        help="output path without extension (writes .svg and .png)")
    parser.add_argument("--scale", type=float, default=1.0, help="PNG pixel ratio (default 1)")
    args = parser.parse_args(argv)

    for needed, hint in ((BPMN_JS, "run: cd web && npm install"),
                         (CHROMIUM, "run: apt-get install chromium")):
        if not needed.exists():
            print(f"missing {needed} ({hint})", file=sys.stderr)
            return 2
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("missing the playwright package (run: pip install playwright)", file=sys.stderr)
        return 2

    xml = Path(args.bpmn).read_text(encoding="utf-8")
    out = Path(args.out)
    with sync_playwright() as p:
        browser = launch(p)
        try:
            result = import_diagram(xml, browser)
            if result["error"]:
                print(f"bpmn-js could not import {args.bpmn}: {result['error']}", file=sys.stderr)
                for warning in result["warnings"]:
                    print(f"warning: {warning}", file=sys.stderr)
                return 1
            out.parent.mkdir(parents=True, exist_ok=True)
            svg = stable_ids(result["svg"])
            out.with_suffix(".svg").write_text(svg if svg.endswith("\n") else svg + "\n", encoding="utf-8")
            svg_to_png(svg, out.with_suffix(".png"), browser, args.scale)
        finally:
            browser.close()

    for warning in result["warnings"]:
        print(f"warning: {warning}")
    print(f"wrote {out.with_suffix('.svg')} and {out.with_suffix('.png')}; "
          f"{len(result['warnings'])} import warning(s)")
    return 1 if result["warnings"] else 0


if __name__ == "__main__":
    sys.exit(main())
