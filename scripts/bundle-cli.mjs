// The CLI as one file (dist/cli/cube.cjs): loading hundreds of modules one by one was most of a command's start.
// CommonJS, so that bin/run.js can have V8 cache its compiled code (v8-compile-cache; Node 20 has no cache for ESM).
import { build } from "esbuild";

await build({
  entryPoints: ["src/cli/main.ts"],
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  outfile: "dist/cli/cube.cjs",
  minify: true,
  // oclif loads TypeScript only to run commands from source (its dev mode), never from this bundle.
  external: ["typescript"],
  define: { "import.meta.url": "__cubeModuleUrl" },
  banner: { js: 'const __cubeModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: "warning",
});
