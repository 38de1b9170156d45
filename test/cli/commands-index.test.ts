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

describe("the CLI's arguments", () => {
  it("never read standard input (oclif would read a piped stdin into an argument left empty: `cube apply -f - < file`, `while read`)", () => {
    const reading = Object.entries(COMMANDS).flatMap(([id, command]) =>
      Object.entries((command.args ?? {}) as Record<string, { ignoreStdin?: boolean }>)
        .filter(([, arg]) => !arg.ignoreStdin)
        .map(([name]) => `${id} ${name}`),
    );
    expect(reading).to.deep.equal([]);
  });
});
