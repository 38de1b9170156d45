import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { AgentClient, AgentService, ClusterClient, ClusterService } from "../../../src/gen/agent.js";
import { CubeClient, CubeService } from "../../../src/gen/cube.js";
import { callerNodeName, secretMatches } from "../../../src/shared/tls/authorize-calls.js";
import type { DeviceCookieStore } from "../../../src/shared/tls/call-credentials.js";
import { publicKeyDigest, type CertifiedKey } from "../../../src/shared/tls/certificate-facts.js";
import { createClusterCa, issueWithNewKey } from "../../../src/shared/tls/certificates.js";
import { GuessLimiter } from "../../../src/shared/tls/guess-limiter.js";
import { grpcClientOptions } from "../../../src/shared/grpc-client-options.js";
import { createAuthorizingServer, listen, shutdown } from "../../../src/shared/grpc-server.js";
import { ClientIdentity, leaderChannelCredentials, mutualChannelCredentials, RenewableServerCredentials } from "../../../src/shared/tls/tls-credentials.js";
import { FakeClock } from "../../helpers/fake-clock.js";
import { MemoryLogger } from "../../helpers/memory-logger.js";

/** Every refusal tried for real: a TLS server with the authorization interceptor, and clients holding real certificates. */
describe("authorization of every call", () => {
  const now = new Date();
  const hour = 3_600_000;
  let ca: CertifiedKey;
  let leader: CertifiedKey;
  let node: CertifiedKey;
  let unboundNode: CertifiedKey;
  /** Signed by another CA, claiming to be node n1. */
  let impostor: CertifiedKey;
  let server: grpc.Server;
  let address: string;
  const clock = new FakeClock(now.getTime());
  const log = new MemoryLogger();
  const handled: string[] = [];

  before(async () => {
    ca = await createClusterCa(now);
    leader = await issueWithNewKey({ ca, identities: [{ role: "leader" }, { role: "node", name: "boss" }], hosts: ["127.0.0.1"], now, lifetimeMs: hour });
    node = await issueWithNewKey({ ca, identities: [{ role: "node", name: "n1" }], now, lifetimeMs: hour });
    unboundNode = await issueWithNewKey({ ca, identities: [{ role: "node", name: "n2" }], now, lifetimeMs: hour });
    const otherCa = await createClusterCa(now);
    impostor = await issueWithNewKey({ ca: otherCa, identities: [{ role: "node", name: "n1" }], now, lifetimeMs: hour });
    const bound = publicKeyDigest(node.certificate);
    server = createAuthorizingServer({
      adminPassword: "admin-password-0123",
      failures: new GuessLimiter(clock, { maxGuesses: 3, windowMs: 10_000, blockMs: 10_000 }),
      log,
      nodeKeyBound: (name, keyDigest) => name === "n1" && keyDigest === bound,
    });
    server.addService(CubeService, {
      listNodes: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
        handled.push("listNodes");
        callback(null, { nodes: [], warnings: [] });
      },
    });
    server.addService(ClusterService, {
      renew: (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        handled.push(`renew by ${callerNodeName(call)}`);
        callback(null, { certificate: "" });
      },
    });
    server.addService(AgentService, {
      logs: (call: grpc.ServerWritableStream<unknown, unknown>) => {
        handled.push("logs");
        call.end();
      },
    });
    const port = await listen(server, { host: "127.0.0.1", port: 0 }, new RenewableServerCredentials(false, { ca: ca.certificate, identity: leader }));
    address = `127.0.0.1:${port}`;
  });
  after(() => shutdown(server, 0));
  beforeEach(() => (handled.length = 0));

  const outcome = (call: (done: (error: grpc.ServiceError | null) => void) => void) =>
    new Promise<string>((resolve) => call((error) => resolve(error ? `${grpc.status[error.code]}: ${error.details}` : "OK")));

  const asAdmin = (password?: string, certificate?: CertifiedKey, devices?: DeviceCookieStore) => {
    const credentials = certificate
      ? mutualChannelCredentials(new ClientIdentity(ca.certificate, certificate), { role: "leader" }, address)
      : leaderChannelCredentials(ca.certificate, address);
    const client = new CubeClient(address, credentials, grpcClientOptions(password, devices));
    return outcome((done) => client.listNodes({}, (error) => (client.close(), done(error))));
  };
  const renewAs = (certificate?: CertifiedKey) => {
    const credentials = certificate
      ? mutualChannelCredentials(new ClientIdentity(ca.certificate, certificate), { role: "leader" }, address)
      : leaderChannelCredentials(ca.certificate, address);
    const client = new ClusterClient(address, credentials, grpcClientOptions());
    return outcome((done) => client.renew({ certificateRequest: "" }, (error) => (client.close(), done(error))));
  };

  it("compares secrets exactly, whatever their lengths", () => {
    expect(secretMatches("s3cret", "s3cret")).to.equal(true);
    expect(secretMatches("s3cre", "s3cret")).to.equal(false);
    expect(secretMatches("s3cret-and-more", "s3cret")).to.equal(false);
    expect(secretMatches("", "s3cret")).to.equal(false);
  });

  it("admin API: the password opens it; none or a wrong one is refused before any handler runs", async () => {
    expect(await asAdmin("admin-password-0123")).to.equal("OK");
    expect(await asAdmin()).to.equal("UNAUTHENTICATED: missing admin password");
    expect(await asAdmin("admin-password-0124")).to.equal("UNAUTHENTICATED: wrong admin password");
    expect(handled).to.deep.equal(["listNodes"]);
    clock.advance(60_000);
  });

  it("admin API: a node's certificate is refused, even with the password", async () => {
    expect(await asAdmin("admin-password-0123", node)).to.equal("PERMISSION_DENIED: a node's certificate cannot call the admin API");
    expect(handled).to.deep.equal([]);
  });

  it("admin API: after repeated failures a peer is refused even with the right password, and it is logged once", async () => {
    for (let i = 0; i < 3; i++) expect(await asAdmin("guess-" + i)).to.equal("UNAUTHENTICATED: wrong admin password");
    expect(await asAdmin("admin-password-0123")).to.equal("RESOURCE_EXHAUSTED: too many failed authentications: try again in 10s");
    expect(await asAdmin("guess-4")).to.match(/^RESOURCE_EXHAUSTED/);
    expect(log.lines.filter((line) => line.includes("too many failed authentications"))).to.have.length(1);
    clock.advance(10_001);
    expect(await asAdmin("admin-password-0123")).to.equal("OK");
  });

  it("admin API: a guesser behind an address shuts out that address's callers without a device cookie, not an admin with one", async () => {
    let kept: string | undefined;
    const device: DeviceCookieStore = { read: () => kept, write: (cookie) => (kept = cookie) };
    expect(await asAdmin("admin-password-0123", undefined, device)).to.equal("OK");
    expect(kept, "a cookie for the admin").to.match(/^[0-9a-f]{32}\.[0-9a-f]{64}$/);
    for (let i = 0; i < 3; i++) expect(await asAdmin("guess-" + i)).to.equal("UNAUTHENTICATED: wrong admin password");
    expect(await asAdmin("admin-password-0123")).to.match(/^RESOURCE_EXHAUSTED/);
    expect(await asAdmin("admin-password-0123", undefined, device), "the admin with its cookie").to.equal("OK");
    // A forged cookie counts for nothing: its caller is judged by its address.
    const forged = kept!.slice(0, 33) + "0".repeat(64);
    expect(await asAdmin("admin-password-0123", undefined, { read: () => forged, write: () => undefined })).to.match(/^RESOURCE_EXHAUSTED/);
    // Guesses made with a valid cookie count against that cookie.
    for (let i = 0; i < 3; i++) expect(await asAdmin("guess-" + i, undefined, device)).to.equal("UNAUTHENTICATED: wrong admin password");
    expect(await asAdmin("admin-password-0123", undefined, device)).to.match(/^RESOURCE_EXHAUSTED/);
    clock.advance(10_001);
  });

  it("node calls: the name comes from the certificate, whose key must be the one the name is bound to", async () => {
    expect(await renewAs(node)).to.equal("OK");
    expect(handled).to.deep.equal(["renew by n1"]);
    expect(await renewAs()).to.equal("UNAUTHENTICATED: this call needs a node certificate of the cluster");
    expect(await renewAs(unboundNode)).to.match(/^PERMISSION_DENIED: this certificate is no longer node n2's identity/);
    expect(handled).to.deep.equal(["renew by n1"]);
  });

  it("node calls: a certificate from another CA naming the same node counts for nothing", async () => {
    expect(await renewAs(impostor)).to.equal("UNAUTHENTICATED: this call needs a node certificate of the cluster");
    expect(handled).to.deep.equal([]);
  });

  it("a node's Agent service: the leader's certificate only", async () => {
    const logsAs = (certificate: CertifiedKey) => {
      const client = new AgentClient(
        address,
        mutualChannelCredentials(new ClientIdentity(ca.certificate, certificate), { role: "leader" }, address),
        grpcClientOptions(),
      );
      const stream = client.logs({ type: "pod", name: "x", container: "", follow: false, previous: false });
      return outcome((done) => {
        stream.on("data", () => undefined);
        stream.on("error", (error: grpc.ServiceError) => (client.close(), done(error)));
        stream.on("end", () => (client.close(), done(null)));
      });
    };
    expect(await logsAs(node)).to.equal("PERMISSION_DENIED: only the cluster's leader may call a node's Agent service");
    expect(await logsAs(leader)).to.equal("OK");
    expect(handled).to.deep.equal(["logs"]);
  });

  it("a client refuses a server whose certificate is not the identity it expects", async () => {
    // The server's certificate is the leader's: a client expecting node n1 there hangs up before its call is sent.
    const client = new AgentClient(address, mutualChannelCredentials(new ClientIdentity(ca.certificate, leader), { role: "node", name: "n1" }, address), {
      ...grpcClientOptions(),
      "grpc.max_reconnect_backoff_ms": 100,
    });
    const stream = client.logs({ type: "pod", name: "x", container: "", follow: false, previous: false }, { deadline: Date.now() + 3000 });
    const result = await outcome((done) => {
      stream.on("data", () => undefined);
      stream.on("error", (error: grpc.ServiceError) => (client.close(), done(error)));
    });
    expect(result).to.match(/^(UNAVAILABLE|DEADLINE_EXCEEDED).*/);
    expect(handled).to.deep.equal([]);
  });
});
