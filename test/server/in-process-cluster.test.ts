import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { startFollower } from "../../src/agent/start-follower.js";
import { FakeRuntime } from "../../src/agent/testing/fake-runtime.js";
import type { LeaderClient } from "../../src/cli/leader-client.js";
import { openLeaderClient } from "../../src/cli/leader-trust.js";
import { ClusterClient, type JoinResponse, type LeaderMessage } from "../../src/gen/agent.js";
import { createKeyAndRequest } from "../../src/shared/tls/certificates.js";
import { verifyLeader } from "../../src/shared/tls/first-contact.js";
import { grpcClientOptions } from "../../src/shared/grpc-client-options.js";
import { specHash } from "../../src/leader/spec-hash.js";
import { ClientIdentity, mutualChannelCredentials } from "../../src/shared/tls/tls-credentials.js";
import { startLeader } from "../../src/leader/start-leader.js";
import { readContainerIdentity } from "../../src/agent/container-labels.js";
import { formatHostPort } from "../../src/shared/host-port.js";
import { IN_MEMORY } from "../../src/shared/open-database.js";
import type { RunningServer } from "../../src/shared/running-server.js";
import { eventually } from "../helpers/processes.js";
import { inProcessLeaderConfig, TEST_RESTART } from "../helpers/in-process-leader.js";
import { tempDir } from "../helpers/temp-dir.js";
import { join } from "node:path";

const token = "in-process-token-0123456789";
const pod = (name: string) => ({ type: "pod", metadata: { name }, spec: { containers: [{ name: "main", image: "app:1" }] } });

/**
 * The whole cluster in one process, in memory: the real leader (its services, its store, its own node) and a real
 * follower, over real gRPC on loopback, with their node agents on the fake container runtime. Fast enough to run
 * with the unit tests, and it covers what they cannot: the wiring between the pieces.
 */
describe("an in-process cluster: leader and follower on the fake runtime", () => {
  const runtimes = { leader: new FakeRuntime(), follower: new FakeRuntime() };
  const lines: string[] = [];
  const writeLog = (line: string) => void lines.push(line);
  const servers: RunningServer[] = [];
  let client: LeaderClient;
  const configDir = tempDir("in-process-cli");

  const podsOn = (runtime: FakeRuntime) =>
    runtime
      .all()
      .filter((c) => c.state === "running" && readContainerIdentity(c.labels, c.options.name).containerName === "main")
      .map((c) => readContainerIdentity(c.labels, c.options.name).podName)
      .sort();
  const statuses = async () => (await client.list("pod")).items.map((item) => `${item.name} ${item.status}`);
  const soon = <T>(what: string, probe: () => Promise<T | undefined>) => eventually(what, probe, 5000, 5);

  before(async () => {
    for (const runtime of Object.values(runtimes)) runtime.images.add("app:1");
    const leader = await startLeader(inProcessLeaderConfig(token), { runtime: runtimes.leader, writeLog });
    servers.push(leader);
    servers.push(
      await startFollower(
        { token, name: "follower", dataDir: IN_MEMORY, restart: TEST_RESTART, leaders: [leader.address], listen: { host: "127.0.0.1", port: 0 } },
        { runtime: runtimes.follower, writeLog },
      ),
    );
    client = await openLeaderClient({ leaderUrl: formatHostPort(leader.address), password: token }, join(configDir.path, "config"));
    await soon("two Ready nodes", async () => ((await client.listNodes()).nodes.filter((n) => n.status === "Ready").length === 2 ? true : undefined));
  });
  after(async () => {
    client?.close();
    for (const server of servers.reverse()) await server.stop();
    configDir.remove();
  });

  it("applies pods, runs them on both nodes' runtimes, and reports them Running", async () => {
    const { results } = await client.apply(JSON.stringify(["a", "b", "c", "d"].map(pod)));
    expect(results.map((r) => `${r.name} ${r.outcome}`)).to.deep.equal(["a created", "b created", "c created", "d created"]);
    await soon("every pod Running", async () => ((await statuses()).every((s) => s.endsWith(" Running")) ? true : undefined));
    expect([...podsOn(runtimes.leader), ...podsOn(runtimes.follower)].sort()).to.deep.equal(["a", "b", "c", "d"]);
    expect(podsOn(runtimes.leader)).to.have.length(2);
  });

  it("validates on the leader too (the CLI is not its only client): an invalid manifest changes nothing", async () => {
    let refusal: grpc.ServiceError | undefined;
    await client.apply(JSON.stringify([pod("e"), { type: "pod", metadata: { name: "bad" }, spec: { containers: [] } }])).catch((error) => (refusal = error));
    expect(refusal?.code).to.equal(grpc.status.INVALID_ARGUMENT);
    expect(refusal?.details).to.equal("[1].spec.containers: must list at least one container");
    expect((await statuses()).map((status) => status.split(" ")[0])).to.deep.equal(["a", "b", "c", "d"]);
  });

  it("carries a pod's spec whole to its node: command, args, env", async () => {
    const container = { name: "main", image: "app:1", command: ["sh", "-c"], args: ["echo $GREETING"], env: { GREETING: "hi" } };
    await client.apply(JSON.stringify({ type: "pod", metadata: { name: "full" }, spec: { containers: [container] } }));
    const created = await soon("pod/full's container", async () =>
      [...runtimes.leader.all(), ...runtimes.follower.all()].find(
        (c) => readContainerIdentity(c.labels, c.options.name).podName === "full" && c.options.image === "app:1",
      ),
    );
    expect(created.options).to.deep.include({ command: container.command, args: container.args, env: container.env });
  });

  it("deletes a pod: its node stops and removes its containers, then the leader forgets it", async () => {
    const node = (await client.get("pod", "a")).pod!.node!;
    await client.delete("pod", "a");
    await soon("pod/a gone", async () => ((await statuses()).some((s) => s.startsWith("a ")) ? undefined : true));
    const runtime = node === "leader" ? runtimes.leader : runtimes.follower;
    expect(runtime.all().filter((c) => readContainerIdentity(c.labels, c.options.name).podName === "a")).to.deep.equal([]);
    expect(runtime.calls.some((call) => call.startsWith("stop "))).to.equal(true);
  });

  it("runs pods whose specs add up to more than a message carries: 40 pods of 350 KB on two nodes all Running", async function () {
    this.timeout(60_000);
    const big = (name: string) => ({
      type: "pod",
      metadata: { name },
      spec: { containers: [{ name: "main", image: "app:1", env: { PAYLOAD: "x".repeat(350 * 1024) } }] },
    });
    const names = Array.from({ length: 40 }, (_, i) => `big-${i}`);
    // Ten per apply: an apply is one message too.
    for (let i = 0; i < names.length; i += 10) await client.apply(JSON.stringify(names.slice(i, i + 10).map(big)));
    await eventually(
      "every big pod Running",
      async () => ((await statuses()).filter((s) => s.startsWith("big-") && s.endsWith(" Running")).length === 40 ? true : undefined),
      30_000,
      100,
    );
    expect(podsOn(runtimes.follower).filter((name) => name.startsWith("big-")).length).to.be.greaterThan(10);
  });

  it("lets a node speak only for itself: a token holder joined as a node of its own cannot report about another node's pod", async () => {
    const names = (await client.list("pod")).items.map((item) => item.name);
    const target = (await Promise.all(names.map((name) => client.get("pod", name)))).find((found) => found.pod!.node === "follower")!.pod;
    const victim = target!.metadata!.name;
    const address = formatHostPort(servers[0].address);
    // The attacker does what the token allows: certify a node of its own, join, open a sync stream.
    const leader = await verifyLeader(address, { secret: token });
    const { key, request } = await createKeyAndRequest();
    const certificate = await leader.certify("intruder", request);
    leader.close();
    const intruder = new ClusterClient(
      address,
      mutualChannelCredentials(new ClientIdentity(leader.caCertificate, { certificate, key }), { role: "leader" }, address),
      grpcClientOptions(),
    );
    try {
      const joined = await new Promise<JoinResponse>((resolve, reject) =>
        intruder.join(
          { nodeId: "intruder-id", agentAddress: "127.0.0.1:1", labels: {}, cpuMillis: 0, memoryBytes: 0, engineId: "", standbyLeader: false },
          (error, response) => (error ? reject(error) : resolve(response)),
        ),
      );
      // A session that is not its own: refused.
      const borrowed = intruder.sync();
      borrowed.write({ hello: { sessionId: "another-nodes-session" } });
      const refusal = await new Promise<grpc.ServiceError>((resolve) => borrowed.on("error", resolve).on("data", () => undefined));
      expect(refusal.details).to.equal("unknown or ended session: join again");
      // Its own session: what it says about the victim's pod is dropped, though acknowledged.
      const stream = intruder.sync();
      stream.on("error", () => undefined);
      stream.write({ hello: { sessionId: joined.sessionId } });
      stream.write({
        podReport: { podUid: target!.metadata!.uid, specHash: specHash(JSON.parse(target!.specJson)), status: { phase: "Failed", containers: [], used: [] } },
      });
      const forged = { time: new Date(), type: "Warning", reason: "Forged", message: "forged by the intruder", node: target!.node!, count: 1 };
      stream.write({ event: { sequence: 1, podUid: target!.metadata!.uid, event: forged } });
      await new Promise<void>((resolve) => stream.on("data", (message: LeaderMessage) => message.eventsAck && resolve()));
      stream.cancel();
      const after = await client.get("pod", victim);
      expect(after.pod!.status!.phase).to.equal("Running");
      expect(after.events.map((event) => event.reason)).to.not.include("Forged");
    } finally {
      intruder.close();
      await client.removeNode("intruder");
    }
  });

  it("refuses what a token holder's node declares beyond reason: absurd capacity, labels that are not labels, a malformed id", async () => {
    const address = formatHostPort(servers[0].address);
    const leader = await verifyLeader(address, { secret: token });
    const { key, request } = await createKeyAndRequest();
    const certificate = await leader.certify("rogue", request);
    leader.close();
    const rogue = new ClusterClient(
      address,
      mutualChannelCredentials(new ClientIdentity(leader.caCertificate, { certificate, key }), { role: "leader" }, address),
      grpcClientOptions(),
    );
    const joinAs = (declared: Partial<{ nodeId: string; labels: Record<string, string>; cpuMillis: number; memoryBytes: number }>) =>
      new Promise<string>((resolve) =>
        rogue.join(
          {
            nodeId: "rogue-id",
            agentAddress: "127.0.0.1:1",
            labels: {},
            cpuMillis: 4000,
            memoryBytes: 2 ** 33,
            engineId: "",
            standbyLeader: false,
            ...declared,
          },
          (error) => resolve(error ? `${grpc.status[error.code]}: ${error.details}` : "joined"),
        ),
      );
    try {
      expect(await joinAs({ cpuMillis: 10 ** 9 })).to.equal("INVALID_ARGUMENT: CPU must be 0 to 1000000 millicores (a thousand CPUs), got 1000000000");
      expect(await joinAs({ memoryBytes: 2 ** 52 })).to.match(/^INVALID_ARGUMENT: memory must be 0 to \d+ bytes \(1 PiB\), got \d+$/);
      expect(await joinAs({ labels: { "bad key": "x" } })).to.equal('INVALID_ARGUMENT: label "bad key=x" is not a label');
      expect(await joinAs({ nodeId: "x".repeat(65) })).to.match(/^INVALID_ARGUMENT: node id must be 1 to 64 letters/);
      expect((await client.listNodes()).nodes.map((node) => node.name)).to.not.include("rogue");
      expect(await joinAs({})).to.equal("joined");
    } finally {
      rogue.close();
      await client.removeNode("rogue");
    }
  });
});
