// Loads a bundle of the CLI with V8's code cache of it: Node 20 has no compile cache of its own (Node 22's
// module.enableCompileCache), and compiling a bundle anew was most of a command's start. The cache is written as the
// command exits, so it holds every function the command compiled on its way (a cache made at compile time holds the
// top level alone); V8 rejects one that does not fit the source or its flags, and it is then made anew.
"use strict";
const { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } = require("node:fs");
const Module = require("node:module");
const { tmpdir } = require("node:os");
const { dirname, join } = require("node:path");
const { Script } = require("node:vm");

/** The directory of this user's caches; undefined when it is not this user's alone (another user could plant code). */
function cacheDirectory() {
  const uid = process.getuid?.();
  const dir = join(tmpdir(), `cube-compile-cache-${uid ?? "user"}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { uid: owner, mode } = statSync(dir);
    return (uid === undefined || owner === uid) && (mode & 0o077) === 0 ? dir : undefined;
  } catch {
    return undefined;
  }
}

function loadBundle(file) {
  const source = readFileSync(file, "utf8");
  const { size, mtimeMs } = statSync(file);
  const dir = cacheDirectory();
  const prefix = `${process.version}-${file.replace(/[^A-Za-z0-9.-]/g, "_")}-`;
  const cacheFile = dir && join(dir, `${prefix}${size}-${Math.round(mtimeMs)}`);
  let cachedData;
  try {
    cachedData = cacheFile && readFileSync(cacheFile);
  } catch {
    // None yet: made as this command exits.
  }
  const script = new Script(Module.wrap(source), { filename: file, cachedData });
  if (cacheFile && (!cachedData || script.cachedDataRejected)) {
    process.once("exit", () => {
      try {
        const partial = `${cacheFile}.${process.pid}`;
        writeFileSync(partial, script.createCachedData(), { mode: 0o600 });
        renameSync(partial, cacheFile);
        // The caches of this bundle's earlier builds are of no more use.
        for (const name of readdirSync(dir)) if (name.startsWith(prefix) && join(dir, name) !== cacheFile) unlinkSync(join(dir, name));
      } catch {
        // Made again next time.
      }
    });
  }
  // A module as require makes it, in require's cache: oclif requires its commands' file (this one) by its path, and
  // must find this instance, not load a second one.
  const module = new Module(file, null);
  module.filename = file;
  module.paths = Module._nodeModulePaths(dirname(file));
  require.cache[file] = module;
  script.runInThisContext()(module.exports, Module.createRequire(file), module, file, dirname(file));
  module.loaded = true;
  return module.exports;
}

module.exports = { loadBundle };
