// The CLI as two files: dist/cli/quick.cjs, the everyday commands without oclif (src/cli/quick-path.ts), and
// dist/cli/cube.cjs, every command through oclif. Loading hundreds of modules one by one was most of a command's
// start. CommonJS, so that bin/run.js can have V8 cache their compiled code (bin/load-bundle.cjs; Node 20 has no
// cache for ESM).
// The server as one file too, dist/server/cube-server.mjs: its ~270 modules and those of its packages (kysely's
// alone are hundreds) took 0.65 s to load, at every start and every restart after a crash; the bundle, 0.3 s.
import { readFile } from "node:fs/promises";
import { build } from "esbuild";

/**
 * Leaves grpc-js out of the quick bundle: the generated code makes its grpc-js client at load
 * (`makeGenericClientConstructor`), which is marked pure here so that a bundle using only the messages drops it, and
 * grpc-js is declared free of side effects, so that an import of it whose names go unused is dropped too. The quick
 * path's streams (`list -w`) load grpc-js from node_modules when they start, as `-o yaml` loads yaml.
 */
const grpcOnlyWhenUsed = {
  name: "grpc-only-when-used",
  setup(build) {
    build.onResolve({ filter: /^@grpc\/grpc-js$/ }, ({ path }) => ({ path, external: true, sideEffects: false }));
    build.onLoad({ filter: /[\\/]src[\\/]gen[\\/][^\\/]+\.ts$/ }, async ({ path }) => ({
      contents: (await readFile(path, "utf8")).replaceAll("= makeGenericClientConstructor(", "= /* @__PURE__ */ makeGenericClientConstructor("),
      loader: "ts",
    }));
  },
};

const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  minify: true,
  // import.meta.url of a module in a CommonJS bundle is the bundle's URL, made when asked (most commands never do).
  define: { "import.meta.url": "__cubeImportMeta.url" },
  banner: { js: 'const __cubeImportMeta = { get url() { return require("node:url").pathToFileURL(__filename).href; } };' },
  logLevel: "warning",
};

await Promise.all([
  build({
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    entryPoints: ["src/server/main.ts"],
    // Two levels down, as dist/shared/version.js is: its import.meta.url finds package.json the same way.
    outfile: "dist/server/cube-server.mjs",
    // better-sqlite3 loads its compiled addon from its own directory; ssh2 (dockerode's, for ssh:// engines only)
    // may load one.
    external: ["better-sqlite3", "ssh2"],
    // The CommonJS packages inside require Node's modules.
    banner: { js: 'import { createRequire as __cubeCreateRequire } from "node:module"; const require = __cubeCreateRequire(import.meta.url);' },
    logLevel: "warning",
  }),
  // oclif loads TypeScript only to run commands from source (its dev mode), never from this bundle.
  build({ ...common, entryPoints: ["src/cli/main.ts"], outfile: "dist/cli/cube.cjs", external: ["typescript"] }),
  build({
    ...common,
    entryPoints: ["src/cli/quick-path.ts"],
    outfile: "dist/cli/quick.cjs",
    plugins: [grpcOnlyWhenUsed],
    // Loaded when needed (yaml for -o yaml); oclif and zod are never to be: left out, an import of them would load them
    // from node_modules at the start, which test/cli/quick-path.test.ts would see.
    external: ["yaml", "@oclif/core", "zod"],
    // Its import() of what it leaves out as require: bin/load-bundle.cjs runs it as a script.
    supported: { "dynamic-import": false },
  }),
]);
