import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { expect } from "chai";
import { COMMANDS } from "../../src/cli/commands-index.js";
import { projectRoot } from "../helpers/processes.js";

describe("the CLI's command registry", () => {
  it("lists every command file under its oclif id (the bundle finds commands only there)", () => {
    const root = join(projectRoot, "src", "cli", "commands");
    const files = (readdirSync(root, { recursive: true }) as string[]).filter((file) => file.endsWith(".ts"));
    const ids = files.map((file) => relative(".", file).replace(/\.ts$/, "").split("/").join(":")).sort();
    expect(Object.keys(COMMANDS).sort()).to.deep.equal(ids);
  });
});
