#!/usr/bin/env node
// The CLI, as two bundled files (`npm run build`) loaded with their code cache (load-bundle.cjs): the everyday
// commands run from the small one (src/cli/quick-path.ts); whatever it does not take, oclif runs from the other.
// CommonJS (bin/package.json): Node starts a CommonJS entry sooner than a module.
"use strict";
const { loadBundle } = require("./load-bundle.cjs");

const bundle = (name) => loadBundle(require.resolve(`../dist/cli/${name}.cjs`));
(async () => {
  if (!(await bundle("quick").run())) await bundle("cube").run();
  // Done: a connection to a leader that never answered (paused, or cut off) would keep the process alive after its
  // client is closed (grpc-js lets its TLS handshake run on). Output to pipes, files and terminals is written already.
  process.exit();
})();
