import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { AgentService } from "../../src/gen/agent.js";
import { AgentClients } from "../../src/leader/agent-clients.js";
import { publicKeyDigest, type CertifiedKey } from "../../src/shared/tls/certificate-facts.js";
import { createClusterCa, issueWithNewKey } from "../../src/shared/tls/certificates.js";
import { GuessLimiter } from "../../src/shared/tls/guess-limiter.js";
import { createAuthorizingServer, listen, shutdown } from "../../src/shared/grpc-server.js";
import { ClientIdentity, RenewableServerCredentials } from "../../src/shared/tls/tls-credentials.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { MemoryLogger } from "../helpers/memory-logger.js";

/** The leader's calls to a node's Agent service, against real TLS servers: only the node's bound key is trusted. */
describe("AgentClients: the leader's calls to nodes", () => {
  const now = new Date();
  let ca: CertifiedKey;
  let leader: CertifiedKey;
  const servers: grpc.Server[] = [];
  let bound: string;

  /** A node's server for node n1, with `identity`; its address. */
  const serveAs = async (identity: CertifiedKey) => {
    const server = createAuthorizingServer({ failures: new GuessLimiter(new FakeClock()), log: new MemoryLogger() });
    server.addService(AgentService, { logs: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end() } as never);
    servers.push(server);
    return `127.0.0.1:${await listen(server, { host: "127.0.0.1", port: 0 }, new RenewableServerCredentials(true, { ca: ca.certificate, identity }))}`;
  };
  const logsFrom = (clients: AgentClients, address: string) =>
    new Promise<string>((resolve) => {
      const stream = clients
        .for({ name: "n1", address })
        .logs({ type: "pod", name: "x", container: "", follow: false, previous: false }, { deadline: Date.now() + 3000 });
      stream.on("data", () => undefined);
      stream.on("error", (error: grpc.ServiceError) => resolve(grpc.status[error.code]));
      stream.on("end", () => resolve("OK"));
    });

  before(async () => {
    ca = await createClusterCa(now);
    leader = await issueWithNewKey({ ca, identities: [{ role: "leader" }], now, lifetimeMs: 3_600_000 });
  });
  after(async () => {
    for (const server of servers) await shutdown(server, 0);
  });

  it("calls a node whose certificate carries the key its name is bound to, and refuses one with another key for the name", async () => {
    const node = await issueWithNewKey({ ca, identities: [{ role: "node", name: "n1" }], now, lifetimeMs: 3_600_000 });
    // The same name, certified for another key (a removed node's, whose key was revoked and then bound anew).
    const stale = await issueWithNewKey({ ca, identities: [{ role: "node", name: "n1" }], now, lifetimeMs: 3_600_000 });
    bound = publicKeyDigest(node.certificate);
    const clients = new AgentClients(new ClientIdentity(ca.certificate, leader), (name, keyDigest) => name === "n1" && keyDigest === bound);
    try {
      expect(await logsFrom(clients, await serveAs(node))).to.equal("OK");
      expect(await logsFrom(clients, await serveAs(stale))).to.match(/^(UNAVAILABLE|DEADLINE_EXCEEDED)$/);
    } finally {
      clients.close();
    }
  });

  it("calls a node served with a leader's certificate naming it (a leader standing by), and no other node with it", async () => {
    // Only a holder of the CA key makes a leader's certificate: its key need not be the one the node's name is bound to.
    const standby = await issueWithNewKey({ ca, identities: [{ role: "leader" }, { role: "node", name: "n1" }], now, lifetimeMs: 3_600_000 });
    const other = await issueWithNewKey({ ca, identities: [{ role: "leader" }, { role: "node", name: "n2" }], now, lifetimeMs: 3_600_000 });
    const clients = new AgentClients(new ClientIdentity(ca.certificate, leader), () => false);
    try {
      expect(await logsFrom(clients, await serveAs(standby))).to.equal("OK");
      expect(await logsFrom(clients, await serveAs(other))).to.match(/^(UNAVAILABLE|DEADLINE_EXCEEDED)$/);
    } finally {
      clients.close();
    }
  });
});
