import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CubeService } from "../../src/gen/cube.js";
import { createClusterCa, issueWithNewKey } from "../../src/shared/tls/certificates.js";
import { GuessLimiter } from "../../src/shared/tls/guess-limiter.js";
import { systemClock } from "../../src/shared/clock.js";
import { createAuthorizingServer, listen, shutdown } from "../../src/shared/grpc-server.js";
import { RenewableServerCredentials } from "../../src/shared/tls/tls-credentials.js";
import { MemoryLogger } from "../helpers/memory-logger.js";
import { startProcess, projectRoot } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp-dir.js";

/** A request whose outcome the CLI cannot know (sent, then Ctrl-C) is reported as such, not as a failure. */
describe("cube CLI: an outcome it cannot know", function () {
  this.timeout(20_000);
  const dir = tempDir("unknown-outcome");
  const password = "admin-password-0123";
  let server: grpc.Server;
  let received = 0;
  let config: string;

  before(async () => {
    const now = new Date();
    const ca = await createClusterCa(now);
    const identity = await issueWithNewKey({ ca, identities: [{ role: "leader" }], hosts: ["127.0.0.1"], now, lifetimeMs: 3_600_000 });
    server = createAuthorizingServer({ adminPassword: password, failures: new GuessLimiter(systemClock), log: new MemoryLogger() });
    // A leader that takes the request and never answers (a commit that is slow, or a leader that died after it).
    server.addService(CubeService, { apply: () => void received++ });
    const port = await listen(server, { host: "127.0.0.1", port: 0 }, new RenewableServerCredentials(false, { ca: ca.certificate, identity }));
    config = join(dir.path, "config");
    writeFileSync(config, JSON.stringify({ leaderUrl: `127.0.0.1:${port}`, password, ca: ca.certificate }));
  });
  after(async () => {
    await shutdown(server, 0);
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
