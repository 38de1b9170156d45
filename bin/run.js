#!/usr/bin/env node
// The CLI, as one bundled file (`npm run build`), its compiled code cached by V8 between runs: Node 20 has no
// compile cache of its own, and compiling the bundle anew is most of a command's start.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
require("v8-compile-cache");
await require("../dist/cli/cube.cjs").run();
// Done: a connection to a leader that never answered (paused, or cut off) would keep the process alive after its
// client is closed (grpc-js lets its TLS handshake run on). Output to pipes, files and terminals is written already.
process.exit();
