// Builds ../static (app/graphiql/static) from pinned packages and the frontend's operations:
// content-hashed JS and CSS, operations.<hash>.json (the preloaded tabs) and
// manifest.json (which the server reads to write the page). Same inputs, same bytes.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { parse } from "graphql";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = resolve(here, "../static");
const operationsDir = resolve(here, process.env.OPERATIONS_DIR ?? "../../../../shared/operations");

// Tab order: what a visitor tries first comes first.
const FILE_ORDER = ["public", "patient", "doctor", "live/live", "admin"];
// Folders of operations beyond the top level that get tabs: the session day's.
const FOLDERS = ["live"];
// Doctor operations that run before there is a token (see doctor.graphql's header).
const DOCTOR_WITHOUT_TOKEN = new Set(["RegisterDoctor", "Login", "ResetPassword"]);
const BEARER_EXAMPLE = { Authorization: "Bearer <accessToken from Login>" };

// file: a path under operations/ without ".graphql" ("doctor", "live/live").
function needsToken(file, name, kind) {
  if (file === "admin") return true;
  // The session day: the doctor's mutations; the board and a patient's place are public.
  if (file === "live/live") return kind === "mutation";
  return file === "doctor" && !DOCTOR_WITHOUT_TOKEN.has(name);
}

function shortHash(text) {
  return createHash("sha256").update(text).digest("hex").slice(0, 12);
}

function graphqlFiles(folder) {
  return readdirSync(join(operationsDir, folder))
    .filter((name) => name.endsWith(".graphql"))
    .map((name) => join(folder, basename(name, ".graphql")));
}

function buildTabs() {
  const variables = JSON.parse(readFileSync(join(operationsDir, "variables.json"), "utf8"));
  for (const folder of FOLDERS) {
    Object.assign(
      variables,
      JSON.parse(readFileSync(join(operationsDir, folder, "variables.json"), "utf8")),
    );
  }
  const files = [".", ...FOLDERS]
    .flatMap(graphqlFiles)
    .sort((a, b) => {
      const rank = (name) => (FILE_ORDER.includes(name) ? FILE_ORDER.indexOf(name) : 99);
      return rank(a) - rank(b) || a.localeCompare(b);
    });
  const tabs = [];
  for (const file of files) {
    const source = readFileSync(join(operationsDir, `${file}.graphql`), "utf8");
    for (const definition of parse(source).definitions) {
      if (definition.kind !== "OperationDefinition" || !definition.name) continue;
      const name = definition.name.value;
      const token = needsToken(file, name, definition.operation);
      const note = token
        ? `# ${file}.graphql: send the Authorization header (Headers, below) with a token from Login`
        : `# ${file}.graphql`;
      const tab = { query: `${note}\n${source.slice(definition.loc.start, definition.loc.end)}\n` };
      if (variables[name]) tab.variables = JSON.stringify(variables[name], null, 2);
      if (token) tab.headers = JSON.stringify(BEARER_EXAMPLE, null, 2);
      tabs.push(tab);
    }
  }
  return tabs;
}

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: { graphiql: "src/index.jsx" },
  outdir,
  entryNames: "[name].[hash]",
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  jsx: "automatic",
  define: { "process.env.NODE_ENV": '"production"' },
  legalComments: "linked",
  metafile: true,
  logLevel: "warning",
});

const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
const pick = (suffix) => {
  const found = outputs.filter((name) => name.endsWith(suffix));
  if (found.length !== 1) throw new Error(`expected one *${suffix} output, got ${found}`);
  return found[0];
};

const tabs = buildTabs();
const body = `${JSON.stringify({ tabs }, null, 1)}\n`;
const version = shortHash(body);
const operations = `operations.${version}.json`;
writeFileSync(join(outdir, operations), `${JSON.stringify({ version, tabs }, null, 1)}\n`);

const manifest = { script: pick(".js"), stylesheet: pick(".css"), operations };
writeFileSync(join(outdir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`app/graphiql/static: ${Object.values(manifest).join(", ")} (${tabs.length} tabs)`);
