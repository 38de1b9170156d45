import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { writeFileSync } from "node:fs";
import { COMMANDS } from "../../src/cli/commands-index.js";
import type { ApplyRequest, ApplyResponse } from "../../src/gen/cube.js";
import { startFakeLeader, type FakeLeader } from "../helpers/fake-leader.js";
import { tempDir } from "../helpers/temp-dir.js";
import { QUICK_COMMANDS, QUICK_FLAGS, quickLine } from "../../src/cli/quick-path.js";
import { projectRoot, runCube } from "../helpers/processes.js";

/** A leader that answers apply as told, counting the calls: what `cube apply` of a JSON manifest sends, and how often. */
describe("the CLI's quick path: apply of a JSON manifest", function () {
  this.timeout(20_000);
  const dir = tempDir("quick-apply");
  const password = "admin-password-0123";
  let leader: FakeLeader;
  const applied: string[] = [];
  let config: string;

  before(async () => {
    leader = await startFakeLeader(dir.path, password, {
      apply: (call: grpc.ServerUnaryCall<ApplyRequest, ApplyResponse>, callback: grpc.sendUnaryData<ApplyResponse>) => {
        applied.push(call.request.manifestJson);
        const { metadata } = JSON.parse(call.request.manifestJson) as { metadata: { name: string } };
        if (metadata.name === "refused") callback({ code: grpc.status.INVALID_ARGUMENT, details: "refused by the leader" });
        else callback(null, { results: [{ type: "pod", name: metadata.name, outcome: "created" }] });
      },
    });
    config = leader.config;
  });
  after(async () => {
    await leader.stop();
    dir.remove();
  });
  beforeEach(() => (applied.length = 0));

  const manifest = (name: string, spec: object) => {
    const path = join(dir.path, `${name}.json`);
    writeFileSync(path, JSON.stringify({ type: "pod", metadata: { name }, spec }));
    return path;
  };

  it("sends the manifest as it is, once, and says what the leader did", async () => {
    const result = await runCube(["apply", manifest("web", { containers: [{ name: "main", image: "app:1" }] })], { CUBE_CONFIG: config });
    expect(result).to.deep.include({ code: 0, stdout: "pod/web created\n", stderr: "" });
    expect(applied.map((json) => JSON.parse(json))).to.deep.equal([
      { type: "pod", metadata: { name: "web" }, spec: { containers: [{ name: "main", image: "app:1" }] } },
    ]);
  });

  it("hands a manifest the leader refuses to the full path, which says where it is wrong, and sends it no more", async () => {
    const result = await runCube(["apply", manifest("refused", { containers: [{ name: "main" }] })], { CUBE_CONFIG: config });
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/^error: invalid manifest:\n.*refused\.json: spec\.containers\[0\]\.image/);
    expect(applied).to.have.length(1);
  });
});

describe("the CLI's quick path", () => {
  it("takes the everyday command lines it knows, as oclif reads them", () => {
    const table: [string[], ReturnType<typeof quickLine>][] = [
      [["list"], { name: "list", args: [], flags: { output: "table", selector: undefined, watch: false, purge: false } }],
      [["list", "pod", "-o", "json"], { name: "list", args: ["pod"], flags: { output: "json", selector: undefined, watch: false, purge: false } }],
      [["list", "-ojson", "pods"], { name: "list", args: ["pods"], flags: { output: "json", selector: undefined, watch: false, purge: false } }],
      [
        ["list", "pod", "--output=wide", "-l", "app=web", "-w"],
        { name: "list", args: ["pod"], flags: { output: "wide", selector: "app=web", watch: true, purge: false } },
      ],
      [["nodes", "-o", "name"], { name: "nodes", args: [], flags: { output: "name", selector: undefined, watch: false, purge: false } }],
      [
        ["get", "pod/web", "db", "-o", "json"],
        { name: "get", args: ["pod/web", "db"], flags: { output: "json", selector: undefined, watch: false, purge: false } },
      ],
      [["get", "pods", "-l", "app=web", "-w"], { name: "get", args: ["pods"], flags: { output: "table", selector: "app=web", watch: true, purge: false } }],
      [
        ["delete", "pod", "web", "db", "--purge"],
        { name: "delete", args: ["pod", "web", "db"], flags: { output: "table", selector: undefined, watch: false, purge: true } },
      ],
      [
        ["logs", "web", "-c", "main", "--tail", "20", "-f"],
        {
          name: "logs",
          args: ["web"],
          flags: { output: "table", selector: undefined, watch: false, purge: false, logs: { container: "main", follow: true, tail: 20 } },
        },
      ],
      [
        ["logs", "-l", "app=web", "--since", "5m", "--timestamps", "-p"],
        {
          name: "logs",
          args: [],
          flags: { output: "table", selector: "app=web", watch: false, purge: false, logs: { since: "5m", timestamps: true, previous: true } },
        },
      ],
      [["apply", "web.json"], { name: "apply", args: ["web.json"], flags: { output: "table", selector: undefined, watch: false, purge: false } }],
      [
        ["apply", "-f", "web.json", "-o", "json"],
        { name: "apply", args: [], flags: { output: "json", selector: undefined, watch: false, purge: false, filename: ["web.json"] } },
      ],
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
      ["get", "pod/web", "--sort", "cpu"],
      ["describe", "pod/web"],
      ["get"],
      ["get", "-o", "json"],
      ["delete", "pod/web", "--no-wait"],
      ["delete", "-f", "web.json"],
      ["delete", "pod/web", "-o", "json"],
      ["logs", "web", "--tail", "ten"],
      ["logs", "web", "--tail=-1"],
      ["apply", "-f", "web.json", "--wait"],
      ["apply", "-f", "web.json", "--dry-run"],
      ["apply", "-R", "-f", "manifests/"],
      ["apply", "--prune", "-f", "compose.yaml"],
      ["constructor"],
      ["help", "list"],
    ];
    for (const argv of others) expect(quickLine(argv), argv.join(" ")).to.equal(undefined);
  });

  it("reads each flag as the oclif command defines it; the flags it does not take are off when not given", () => {
    for (const [name, command] of Object.entries(QUICK_COMMANDS)) {
      const oclif = (COMMANDS[name].flags ?? {}) as Record<string, { char?: string; type: string; default?: unknown; multiple?: boolean }>;
      for (const flag of command.flags) {
        const defined = oclif[flag];
        expect(defined, `${name} --${flag}`).not.to.equal(undefined);
        expect(defined.char, `${name} --${flag}`).to.equal((QUICK_FLAGS[flag] as { short?: string }).short);
        expect(defined.type, `${name} --${flag}`).to.equal(QUICK_FLAGS[flag].type === "boolean" ? "boolean" : "option");
        expect(defined.multiple ?? false, `${name} --${flag}`).to.equal("multiple" in QUICK_FLAGS[flag]);
        if (flag === "output") expect(defined.default).to.equal("table");
        if (flag === "watch") expect(defined.default).to.equal(false);
      }
      // The quick path does what the command does without them: apply's --timeout counts only with --wait, and delete
      // waits as its --wait says by default.
      const asByDefault = (flag: string) => flag === "timeout" || (name === "delete" && flag === "wait");
      for (const [flag, defined] of Object.entries(oclif)) {
        if (!(command.flags as string[]).includes(flag) && !asByDefault(flag)) expect([false, undefined], `${name} --${flag}`).to.include(defined.default);
      }
      expect(Object.values(COMMANDS[name].args ?? {})[0]?.required ?? false, `${name}'s first argument required`).to.equal(command.required ?? false);
      if (command.args === Infinity) expect(COMMANDS[name].strict, `${name} takes every word`).to.equal(false);
      else expect(Object.values(COMMANDS[name].args ?? {}).length, name).to.equal(command.args);
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
