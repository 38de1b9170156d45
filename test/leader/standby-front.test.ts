import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { ClusterClient } from "../../src/gen/agent.js";
import { CubeClient, CubeService, type ExecInput, type ExecOutput, type WatchEvent } from "../../src/gen/cube.js";
import type { LeaseHolder } from "../../src/leader/election/lease-holder.js";
import { StandbyFront } from "../../src/leader/standby-front.js";
import { grpcClientOptions } from "../../src/shared/grpc-client-options.js";
import { createAuthorizingServer, listen, shutdown } from "../../src/shared/grpc-server.js";
import type { CertifiedKey } from "../../src/shared/tls/certificate-facts.js";
import { createClusterCa, issueWithNewKey } from "../../src/shared/tls/certificates.js";
import { GuessLimiter } from "../../src/shared/tls/guess-limiter.js";
import { leaderChannelCredentials, RenewableServerCredentials } from "../../src/shared/tls/tls-credentials.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { MemoryLogger } from "../helpers/memory-logger.js";

const PASSWORD = "the admin password";

/** A leader standing by, over real TLS: what the CLI asks it is answered by the active leader, bytes for bytes. */
describe("StandbyFront: a standby forwards the admin API to the active leader", () => {
  const now = new Date();
  let ca: CertifiedKey;
  const servers: grpc.Server[] = [];
  const fronts: StandbyFront[] = [];
  const clients: grpc.Client[] = [];
  /** What the active leader's handlers saw. */
  const seen: { authorization: string[]; forwardedBy: string[] } = { authorization: [], forwardedBy: [] };
  let activeAddress: string;

  const leaderCertificate = (name: string) =>
    issueWithNewKey({ ca, identities: [{ role: "leader" }, { role: "node", name }], hosts: ["127.0.0.1"], now, lifetimeMs: 3_600_000 });
  const serve = async (identity: CertifiedKey, add: (server: grpc.Server) => void) => {
    const server = createAuthorizingServer({ adminPassword: PASSWORD, failures: new GuessLimiter(new FakeClock()), log: new MemoryLogger() });
    add(server);
    servers.push(server);
    return `127.0.0.1:${await listen(server, { host: "127.0.0.1", port: 0 }, new RenewableServerCredentials(false, { ca: ca.certificate, identity }))}`;
  };
  /** A standby named `name` that takes `active()` for the active leader; its address. */
  const standby = async (name: string, active: () => LeaseHolder | undefined) => {
    const front = new StandbyFront(ca.certificate, name, active);
    fronts.push(front);
    return serve(await leaderCertificate(name), (server) => front.serve(server));
  };
  const cli = (address: string, password = PASSWORD) => {
    const client = new CubeClient(address, leaderChannelCredentials(ca.certificate, address), grpcClientOptions(password));
    clients.push(client);
    return client;
  };
  const version = (client: CubeClient) =>
    new Promise<string>((resolve, reject) =>
      client.version({}, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (error, answer) => (error ? reject(error) : resolve(answer.version))),
    );
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => expect.fail("the call succeeded"),
      (error: grpc.ServiceError) => `${grpc.status[error.code]}: ${error.details}`,
    );

  before(async () => {
    ca = await createClusterCa(now);
    const remember = (metadata: grpc.Metadata) => {
      seen.authorization.push(String(metadata.get("authorization")[0]));
      seen.forwardedBy.push(...metadata.get("cube-forwarded-by").map(String));
    };
    activeAddress = await serve(await leaderCertificate("a"), (server) =>
      server.addService(CubeService, {
        version: (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<{ version: string }>) => {
          remember(call.metadata);
          callback(null, { version: "answered by a" });
        },
        apply: (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
          callback({ code: grpc.status.FAILED_PRECONDITION, details: "pod/web: the image is missing" }),
        watch: (call: grpc.ServerWritableStream<unknown, WatchEvent>) => {
          const event = { revision: 0, log: "", resumed: false };
          for (let i = 0; i < 50; i++) call.write({ kind: "ADDED", item: undefined, ...event });
          call.write({ kind: "SYNCED", ...event });
          call.end();
        },
        // Never answered: a leader paused or cut off with the call.
        list: () => undefined,
        events: () => undefined,
        exec: (call: grpc.ServerDuplexStream<ExecInput, ExecOutput>) => {
          call.on("data", (input: ExecInput) => input.stdin && call.write({ stdout: input.stdin }));
          call.on("end", () => (call.write({ exitCode: 3 }), call.end()));
        },
      } as never),
    );
  });
  after(async () => {
    for (const client of clients) client.close();
    for (const front of fronts) front.close();
    for (const server of servers) await shutdown(server, 0);
  });

  it("answers a call with the active leader's answer, the caller's password passed on and the forward marked", async () => {
    const address = await standby("b", () => ({ name: "a", address: activeAddress }));
    expect(await version(cli(address))).to.equal("answered by a");
    expect(seen.authorization.at(-1)).to.equal(`Bearer ${PASSWORD}`);
    expect(seen.forwardedBy.at(-1)).to.equal("b");
  });

  it("passes the active leader's refusal on as it is, and refuses a wrong password itself", async () => {
    const address = await standby("b", () => ({ name: "a", address: activeAddress }));
    const apply = new Promise((resolve, reject) =>
      cli(address).apply({ manifestJson: "{}", dryRun: false }, (error, answer) => (error ? reject(error) : resolve(answer))),
    );
    expect(await failure(apply)).to.equal("FAILED_PRECONDITION: pod/web: the image is missing");
    const calls = seen.authorization.length;
    expect(await failure(version(cli(address, "a guess")))).to.equal("UNAUTHENTICATED: wrong admin password");
    expect(seen.authorization).to.have.length(calls);
  });

  it("streams every message of a watch, then its end", async () => {
    const address = await standby("b", () => ({ name: "a", address: activeAddress }));
    const kinds = await new Promise<string[]>((resolve, reject) => {
      const received: string[] = [];
      const stream = cli(address).watch({ type: "", selector: "", name: "", resumeLog: "", resumeRevision: 0 });
      stream.on("data", (event: WatchEvent) => received.push(event.kind));
      stream.on("error", reject);
      stream.on("end", () => resolve(received));
    });
    expect(kinds).to.have.length(51);
    expect(kinds.at(-1)).to.equal("SYNCED");
  });

  it("carries both directions of an exec, and its end", async () => {
    const address = await standby("b", () => ({ name: "a", address: activeAddress }));
    const outputs = await new Promise<ExecOutput[]>((resolve, reject) => {
      const received: ExecOutput[] = [];
      const stream = cli(address).exec();
      stream.on("data", (output: ExecOutput) => received.push(output));
      stream.on("error", reject);
      stream.on("end", () => resolve(received));
      stream.write({ stdin: Buffer.from("one ") });
      stream.write({ stdin: Buffer.from("two") });
      stream.end();
    });
    expect(outputs.map((output) => Buffer.from(output.stdout ?? []).toString()).join("")).to.equal("one two");
    expect(outputs.at(-1)?.exitCode).to.equal(3);
  });

  it("says it stands by, and who is active, when it knows no leader to forward to or is asked by another standby", async () => {
    const alone = await standby("b", () => undefined);
    expect(await failure(version(cli(alone)))).to.equal("UNAVAILABLE: this leader stands by: no leader is active yet");
    // Two standbys each taking the other for the active leader (stale views of the lease): the call is not passed back.
    let other = "";
    const first = await standby("b", () => ({ name: "c", address: other }));
    other = await standby("c", () => ({ name: "b", address: first }));
    expect(await failure(version(cli(first)))).to.equal("UNAVAILABLE: this leader stands by: b at " + first + " is active");
  });

  it("ends the calls under way to a leader the lease no longer names UNAVAILABLE, so that their callers ask again", async () => {
    let active: LeaseHolder | undefined = { name: "a", address: activeAddress };
    const front = new StandbyFront(ca.certificate, "b", () => active);
    fronts.push(front);
    const address = await serve(await leaderCertificate("b"), (server) => front.serve(server));
    const client = cli(address);
    const list = new Promise((resolve, reject) => client.list({ type: "pod", selector: "" }, (error, answer) => (error ? reject(error) : resolve(answer))));
    const events = new Promise((resolve, reject) => {
      const stream = client.events({ type: "", name: "", follow: true } as never);
      stream.on("data", () => undefined);
      stream.on("error", reject);
      stream.on("end", resolve);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    let settled = 0;
    for (const call of [list, events]) call.catch(() => undefined).finally(() => settled++);
    front.leaseChanged(); // the same leader: nothing ends
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(settled).to.equal(0);
    active = { name: "c", address: "127.0.0.1:9" };
    front.leaseChanged();
    const said = `UNAVAILABLE: the active leader changed while ${activeAddress} had the call: ask again`;
    expect(await failure(list)).to.equal(said);
    expect(((await list.catch((error: grpc.ServiceError) => error)) as grpc.ServiceError).metadata.get("cube-active-leader")).to.deep.equal(["127.0.0.1:9"]);
    expect(await failure(events)).to.equal(said);
  });

  it("answers a node's Cluster call that it stands by, naming the active leader", async () => {
    const address = await standby("b", () => ({ name: "a", address: activeAddress }));
    const client = new ClusterClient(address, leaderChannelCredentials(ca.certificate, address), grpcClientOptions());
    clients.push(client);
    const introduce = new Promise((resolve, reject) =>
      client.introduce({ clientNonce: new Uint8Array(), certificateDigest: new Uint8Array(), admin: true, clientShare: new Uint8Array() }, (error, answer) =>
        error ? reject(error) : resolve(answer),
      ),
    );
    expect(await failure(introduce)).to.equal(`UNAVAILABLE: this leader stands by: a at ${activeAddress} is active`);
  });
});
