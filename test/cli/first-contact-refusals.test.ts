import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ClusterService } from "../../src/gen/agent.js";
import { createClusterCa, issueWithNewKey } from "../../src/shared/tls/certificates.js";
import { systemClock } from "../../src/shared/clock.js";
import { createAuthorizingServer, listen, shutdown } from "../../src/shared/grpc-server.js";
import { GuessLimiter } from "../../src/shared/tls/guess-limiter.js";
import { RenewableServerCredentials } from "../../src/shared/tls/tls-credentials.js";
import { MemoryLogger } from "../helpers/memory-logger.js";
import { runCube } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp-dir.js";

/** The CLI's first contact with a server that is not the leader: one line that says so, and what to check. */
describe("cube CLI: first contact with a server that is not the leader", function () {
  this.timeout(20_000);
  const dir = tempDir("first-contact-refusals");
  const servers: grpc.Server[] = [];

  /** A TLS server of its own CA, which answers first contact with `introduce`; a follower's (client certificate asked) with `asFollower`. */
  const serve = async (introduce: grpc.handleUnaryCall<unknown, unknown> | undefined, asFollower = false) => {
    const now = new Date();
    const ca = await createClusterCa(now);
    const identity = await issueWithNewKey({ ca, identities: [{ role: "leader" }], hosts: ["127.0.0.1"], now, lifetimeMs: 3_600_000 });
    const server = createAuthorizingServer({ failures: new GuessLimiter(systemClock), log: new MemoryLogger() });
    if (introduce) server.addService(ClusterService, { introduce } as never);
    servers.push(server);
    return `127.0.0.1:${await listen(server, { host: "127.0.0.1", port: 0 }, new RenewableServerCredentials(asFollower, { ca: ca.certificate, identity }))}`;
  };
  const cubeAt = (leaderUrl: string) => {
    const config = join(dir.path, `config-${leaderUrl.replace(/\W/g, "_")}`);
    writeFileSync(config, JSON.stringify({ leaderUrl, password: "admin-password-0123456789" }));
    return runCube(["nodes"], { CUBE_CONFIG: config });
  };

  after(async () => {
    for (const server of servers) await shutdown(server, 0);
    dir.remove();
  });

  it("an impostor that answers with an error of its own: it could not prove that it is the leader", async () => {
    const address = await serve((_call, callback) => callback({ code: grpc.status.UNAVAILABLE, details: "unavailable" }));
    const result = await cubeAt(address);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.equal(
      `error: the server at ${address} did not complete the first contact (it answered UNAVAILABLE: unavailable): it could not prove that it is the leader; check the leader's address, and that it is Cube's\n`,
    );
  });

  it("a follower (it asks for a node's certificate): said to be one, not the leader", async () => {
    const address = await serve(undefined, true);
    const result = await cubeAt(address);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.equal(
      `error: the server at ${address} asks for a node's certificate: it is a follower (or a leader standing by), not the active leader; point at the leader's address\n`,
    );
  });
});
