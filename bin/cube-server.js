#!/usr/bin/env node
// CommonJS (bin/package.json), so that bin/run.js starts sooner; the server is a module, bundled (scripts/bundle.mjs).
import("../dist/server/cube-server.mjs");
