import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { freePort, runCube } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp-dir.js";

/** The built CLI itself, on the failures that need no cluster: one line on stderr, nothing on stdout, exit 1. */
describe("cube CLI errors", function () {
  this.timeout(20_000);
  const dir = tempDir("cli");
  after(() => dir.remove());

  const withConfig = (name: string, text?: string) => {
    const path = join(dir.path, name);
    if (text !== undefined) writeFileSync(path, text);
    return { CUBE_CONFIG: path };
  };

  const expectOneLineFailure = async (env: NodeJS.ProcessEnv, pattern: RegExp) => {
    const result = await runCube(["nodes"], env);
    expect(result.code).to.equal(1);
    expect(result.stdout).to.equal("");
    expect(result.stderr).to.match(/^error: [^\n]+\n$/);
    expect(result.stderr).to.match(pattern);
  };

  it("a missing config file", () => expectOneLineFailure(withConfig("absent"), /no config file at .*absent: create it with/));

  it("a config file that is not JSON", () => expectOneLineFailure(withConfig("bad", "leaderUrl=x"), /is not valid JSON/));

  it("a config file without its keys", () => expectOneLineFailure(withConfig("keys", "{}"), /"leaderUrl" is missing, "password" is missing/));

  it("a leader that cannot be reached", async () => {
    const port = await freePort();
    await expectOneLineFailure(
      withConfig("unreachable", JSON.stringify({ leaderUrl: `127.0.0.1:${port}`, password: "x" })),
      new RegExp(`cannot reach the leader at 127\\.0\\.0\\.1:${port} \\(connect ECONNREFUSED`),
    );
  });

  it("an unknown flag", async () => {
    const result = await runCube(["nodes", "--colour"], withConfig("absent"));
    expect(result.code).to.not.equal(0);
    expect(result.stderr).to.match(/^error: unknown flag --colour: see `cube nodes --help`\n$/);
  });
});
