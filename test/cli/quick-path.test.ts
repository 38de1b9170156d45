import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { COMMANDS } from "../../src/cli/commands-index.js";
import { QUICK_COMMANDS, QUICK_FLAGS, quickLine } from "../../src/cli/quick-path.js";
import { projectRoot } from "../helpers/processes.js";

describe("the CLI's quick path", () => {
  it("takes the everyday command lines it knows, as oclif reads them", () => {
    const table: [string[], ReturnType<typeof quickLine>][] = [
      [["list"], { name: "list", args: [], flags: { output: "table", selector: undefined, watch: false } }],
      [["list", "pod", "-o", "json"], { name: "list", args: ["pod"], flags: { output: "json", selector: undefined, watch: false } }],
      [["list", "-ojson", "pods"], { name: "list", args: ["pods"], flags: { output: "json", selector: undefined, watch: false } }],
      [["list", "pod", "--output=wide", "-l", "app=web", "-w"], { name: "list", args: ["pod"], flags: { output: "wide", selector: "app=web", watch: true } }],
      [["nodes", "-o", "name"], { name: "nodes", args: [], flags: { output: "name", selector: undefined, watch: false } }],
    ];
    for (const [argv, expected] of table) expect(quickLine(argv), argv.join(" ")).to.deep.equal(expected);
  });

  it("leaves every other command line to oclif: help, unknown flags, bad values, extra arguments, other commands", () => {
    const others = [
      [],
      ["list", "--help"],
      ["list", "-h"],
      ["list", "--sort", "cpu"],
      ["list", "-o", "xml"],
      ["list", "-o"],
      ["list", "pod", "extra"],
      ["nodes", "-l", "a=b"],
      ["nodes", "node-1"],
      ["get", "pod/web"],
      ["apply", "-f", "web.yaml"],
      ["constructor"],
      ["help", "list"],
    ];
    for (const argv of others) expect(quickLine(argv), argv.join(" ")).to.equal(undefined);
  });

  it("reads each flag as the oclif command defines it (its letter, its kind, its default)", () => {
    for (const [name, command] of Object.entries(QUICK_COMMANDS)) {
      const oclif = COMMANDS[name].flags ?? {};
      expect(Object.keys(oclif).sort(), name).to.deep.equal([...command.flags].sort());
      for (const flag of command.flags) {
        const defined = oclif[flag] as { char?: string; type: string; default?: unknown };
        expect(defined.char, `${name} --${flag}`).to.equal(QUICK_FLAGS[flag].short);
        expect(defined.type, `${name} --${flag}`).to.equal(QUICK_FLAGS[flag].type === "boolean" ? "boolean" : "option");
        if (flag === "output") expect(defined.default).to.equal("table");
        if (flag === "watch") expect(defined.default).to.equal(false);
      }
      expect(Object.values(COMMANDS[name].args ?? {}).length, name).to.equal(command.args);
    }
  });

  it("is a bundle that loads no package (oclif, grpc-js, zod, yaml) as it starts", () => {
    const bundle = join(projectRoot, "dist", "cli", "quick.cjs");
    const loaded = execFileSync(
      process.execPath,
      [
        "-e",
        `require(${JSON.stringify(join(projectRoot, "bin", "load-bundle.cjs"))}).loadBundle(${JSON.stringify(bundle)}); console.log(Object.keys(require.cache).join("\\n"))`,
      ],
      { encoding: "utf8" },
    );
    expect(loaded).not.to.match(/node_modules/);
  });
});
