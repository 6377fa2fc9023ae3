// CodeMirror (inside the properties panel's FEEL entries) styles itself through style-mod,
// which adds a <style> element to the document's head. Our Content-Security-Policy allows
// no inline style element, so the same rules go into one constructed stylesheet adopted
// by the document instead, which the policy does not forbid. Imported before anything
// that mounts an editor.
import { StyleModule } from "style-mod";

const sheet = new CSSStyleSheet();
const mounted = new Set();

StyleModule.mount = (root, modules) => {
  for (const module of [].concat(modules)) {
    if (mounted.has(module)) continue;
    mounted.add(module);
    for (const rule of module.rules) sheet.insertRule(rule, sheet.cssRules.length);
  }
  const target = root.ownerDocument || root;
  if (!target.adoptedStyleSheets.includes(sheet)) target.adoptedStyleSheets = [...target.adoptedStyleSheets, sheet];
};
