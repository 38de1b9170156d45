import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { createServer, type Socket } from "node:net";
import { CubeService } from "../../src/gen/cube.js";
import { LeaderClient } from "../../src/cli/leader-client.js";
import { createAuthorizingServer, listen, shutdown } from "../../src/shared/grpc-server.js";
import type { CertifiedKey } from "../../src/shared/tls/certificate-facts.js";
import { createClusterCa, issueWithNewKey } from "../../src/shared/tls/certificates.js";
import { GuessLimiter } from "../../src/shared/tls/guess-limiter.js";
import { RenewableServerCredentials } from "../../src/shared/tls/tls-credentials.js";
import { ACTIVE_LEADER_METADATA } from "../../src/shared/unavailable-reason.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { MemoryLogger } from "../helpers/memory-logger.js";

const PASSWORD = "the admin password";

/** A port nothing listens on (taken, then given back). */
const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

/** The CLI's client given several leaders, against real TLS servers: it asks them in turn, and waits out a failover. */
describe("LeaderClient with several leaders", () => {
  let ca: CertifiedKey;
  let identity: CertifiedKey;
  const servers: grpc.Server[] = [];

  /** A leader on `port` answering `version` with `answer`, or refusing it UNAVAILABLE as a standby with no active leader. */
  const leaderOn = async (port: number, answer: string | "stands by", active?: string) => {
    const server = createAuthorizingServer({ adminPassword: PASSWORD, failures: new GuessLimiter(new FakeClock()), log: new MemoryLogger() });
    const metadata = new grpc.Metadata();
    if (active) metadata.set(ACTIVE_LEADER_METADATA, active);
    server.addService(CubeService, {
      version: (_call: unknown, callback: grpc.sendUnaryData<{ version: string }>) =>
        answer === "stands by"
          ? callback({ code: grpc.status.UNAVAILABLE, details: `this leader stands by: ${active ?? "no leader"} is active`, metadata })
          : callback(null, { version: answer }),
    } as never);
    servers.push(server);
    await listen(server, { host: "127.0.0.1", port }, new RenewableServerCredentials(false, { ca: ca.certificate, identity }));
  };

  before(async () => {
    ca = await createClusterCa(new Date());
    identity = await issueWithNewKey({ ca, identities: [{ role: "leader" }], hosts: ["127.0.0.1"], now: new Date(), lifetimeMs: 3_600_000 });
  });
  after(async () => {
    for (const server of servers) await shutdown(server, 0);
  });

  it("asks the next leader when one is down or stands by, round after round, until one takes over; then asks that one first", async () => {
    const [down, standby, successor] = [await freePort(), await freePort(), await freePort()];
    await leaderOn(standby, "stands by");
    const addresses = [down, standby, successor].map((port) => `127.0.0.1:${port}`);
    let remembered: string | undefined;
    const client = new LeaderClient({ leaderUrl: addresses.join(","), password: PASSWORD }, ca.certificate, undefined, {
      read: () => remembered,
      write: (address) => (remembered = address),
    });
    try {
      // The successor comes up a while after the call began (a standby taking over): the call waits for it.
      setTimeout(() => void leaderOn(successor, "answered by the successor"), 1500);
      expect((await client.version()).version).to.equal("answered by the successor");
      expect(remembered).to.equal(addresses[2]);
    } finally {
      client.close();
    }
  });

  it("asks next the leader a standby names as active, not the next in its list", async () => {
    // The next in the list accepts connections and never answers (a paused leader): never dialed, it costs nothing.
    const dialed: Socket[] = [];
    const paused = createServer((socket) => dialed.push(socket)).listen(0, "127.0.0.1");
    await new Promise((resolve) => paused.once("listening", resolve));
    const [standby, active] = [await freePort(), await freePort()];
    const addresses = [standby, (paused.address() as { port: number }).port, active].map((port) => `127.0.0.1:${port}`);
    await leaderOn(active, "answered by the active leader");
    await leaderOn(standby, "stands by", addresses[2]);
    const client = new LeaderClient({ leaderUrl: addresses.join(","), password: PASSWORD }, ca.certificate);
    try {
      expect((await client.version()).version).to.equal("answered by the active leader");
      expect(dialed).to.have.length(0);
    } finally {
      client.close();
      for (const socket of dialed) socket.destroy();
      paused.close();
    }
  });

  it("with one leader, fails at once when it is down", async () => {
    const client = new LeaderClient({ leaderUrl: `127.0.0.1:${await freePort()}`, password: PASSWORD }, ca.certificate);
    try {
      const error = await client.version().then(
        () => expect.fail("answered"),
        (failure: grpc.ServiceError) => failure,
      );
      expect(error.code).to.equal(grpc.status.UNAVAILABLE);
    } finally {
      client.close();
    }
  });
});
