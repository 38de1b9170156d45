import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startProcess, projectRoot } from "../helpers/processes.js";
import { startFakeLeader, type FakeLeader } from "../helpers/fake-leader.js";
import { tempDir } from "../helpers/temp-dir.js";

/** A request whose outcome the CLI cannot know (sent, then Ctrl-C) is reported as such, not as a failure. */
describe("cube CLI: an outcome it cannot know", function () {
  this.timeout(20_000);
  const dir = tempDir("unknown-outcome");
  const password = "admin-password-0123";
  let leader: FakeLeader;
  let received = 0;
  let config: string;

  before(async () => {
    // A leader that takes the request and never answers (a commit that is slow, or a leader that died after it).
    leader = await startFakeLeader(dir.path, password, { apply: () => void received++ });
    config = leader.config;
  });
  after(async () => {
    await leader.stop();
    dir.remove();
  });

  it("Ctrl-C after an apply was sent: says the leader may have applied it, exit 130", async () => {
    const manifest = join(dir.path, "pod.json");
    writeFileSync(manifest, JSON.stringify({ type: "pod", metadata: { name: "p" }, spec: { containers: [{ name: "main", image: "app:1" }] } }));
    const cli = startProcess("cube apply", process.execPath, [join(projectRoot, "bin", "run.js"), "apply", manifest], { CUBE_CONFIG: config });
    const sent = Date.now() + 10_000;
    while (received === 0 && Date.now() < sent) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received).to.equal(1);
    expect(await cli.kill("SIGINT")).to.equal(130);
    expect(cli.lines).to.deep.equal(["error: interrupted: the leader may have applied this; check with `cube list`"]);
  });
});
