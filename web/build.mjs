// `make browser-deps` runs this after `npm install`: esbuild bundles our editor and compare
// page code with the npm libraries (bpmn-js, its properties panel, dmn-js, bpmn-js-differ)
// into web/build, which the app serves at /vendor/editor/. Nothing here is committed.
import { build } from "esbuild";

await build({
  entryPoints: { editor: "src/editor.js", compare: "src/compare.js", "editor-styles": "src/editor.css" },
  bundle: true,
  minify: true,
  sourcemap: true,
  format: "iife",
  target: ["es2020"],
  outdir: "build",
  loader: { ".woff": "file", ".woff2": "file", ".ttf": "file", ".eot": "file", ".svg": "file" },
  logLevel: "warning",
});
