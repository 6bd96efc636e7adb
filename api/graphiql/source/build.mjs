// node build.mjs <output folder>: bundles GraphiQL's page script, its stylesheet and Monaco's workers,
// gzipped, and the licences of every package that went into them.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { build } from "esbuild";

const out = path.resolve(process.argv[2]);
const monacoApi = path.resolve("node_modules/monaco-editor/esm/vs/editor/editor.api.js");
// `import "monaco-editor"` means every language Monaco knows (~3 MB); GraphiQL needs the editor API only
const editorApiOnly = {
  name: "editor-api-only",
  setup(b) {
    b.onResolve({ filter: /^monaco-editor$/ }, () => ({ path: monacoApi }));
  },
};
const common = {
  bundle: true,
  minify: true,
  format: "iife",
  legalComments: "none",
  define: { "process.env.NODE_ENV": '"production"' },
  metafile: true,
  write: false,
  loader: { ".ttf": "file" },
  assetNames: "[name]",
  outdir: out,
};
const results = [await build({ ...common, entryPoints: ["src/graphiql.jsx"], plugins: [editorApiOnly] })];
for (const worker of ["editor", "json", "graphql"]) {
  results.push(await build({ ...common, entryPoints: [`src/${worker}.worker.js`] }));
}
fs.mkdirSync(out, { recursive: true });
const packages = new Set();
for (const result of results) {
  for (const file of result.outputFiles) {
    const gz = zlib.gzipSync(file.contents, { level: 9 });
    fs.writeFileSync(`${file.path}.gz`, gz);
    console.log(`${path.basename(file.path)}: ${file.contents.length} bytes, ${gz.length} gzipped`);
  }
  for (const input of Object.keys(result.metafile.inputs)) {
    const match = input.match(/node_modules\/((@[^/]+\/)?[^/]+)\//);
    if (match) packages.add(match[1]);
  }
}
let licences = "Third-party software bundled into the files of this folder, with its licences.\n";
for (const name of [...packages].sort()) {
  const dir = `node_modules/${name}`;
  const meta = JSON.parse(fs.readFileSync(`${dir}/package.json`, "utf8"));
  const file = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
  const text = file ? fs.readFileSync(`${dir}/${file}`, "utf8").trim() : `License: ${meta.license}`;
  licences += `\n${"=".repeat(78)}\n${name} ${meta.version} (${meta.license})\n${"=".repeat(78)}\n${text}\n`;
}
fs.writeFileSync(`${out}/../THIRD-PARTY-LICENSES.txt`, licences);
console.log(`${packages.size} packages`);
