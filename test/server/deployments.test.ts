import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import { expect } from "chai";
import { startFollower } from "../../src/agent/start-follower.js";
import { FakeRuntime } from "../../src/agent/testing/fake-runtime.js";
import { IN_MEMORY } from "../../src/shared/open-database.js";
import type { LeaderClient } from "../../src/cli/leader-client.js";
import { openLeaderClient } from "../../src/cli/leader-trust.js";
import { startLeader } from "../../src/leader/start-leader.js";
import { formatHostPort } from "../../src/shared/host-port.js";
import type { RunningServer } from "../../src/shared/running-server.js";
import { inProcessLeaderConfig, TEST_RESTART } from "../helpers/in-process-leader.js";
import { eventually } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp-dir.js";

const token = "deployments-token-0123456789";
const deployment = (image: string, replicas = 3) => ({
  type: "deployment",
  metadata: { name: "web" },
  spec: {
    replicas,
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "main", image }], terminationGracePeriodSeconds: 0 } },
  },
});

/** A deployment on an in-process leader and follower, their nodes on fake runtimes. */
describe("deployments, on an in-process leader and follower", function () {
  this.timeout(60_000);
  const runtime = new FakeRuntime();
  const followerRuntime = new FakeRuntime();
  let leader: RunningServer;
  let follower: RunningServer;
  let client: LeaderClient;
  const configDir = tempDir("deployments-cli");
  const soon = <T>(what: string, probe: () => Promise<T | undefined>) => eventually(what, probe, 20_000, 20);
  const pods = async () => (await client.list("pod")).items;
  const images = () =>
    [...runtime.all(), ...followerRuntime.all()]
      .filter((c) => c.state === "running" && c.options.image !== "cube/pause:1")
      .map((c) => c.options.image)
      .sort();

  before(async () => {
    for (const engine of [runtime, followerRuntime]) engine.images.add("app:1").add("app:2");
    leader = await startLeader(inProcessLeaderConfig(token), { runtime, writeLog: () => undefined });
    follower = await startFollower(
      { token, name: "follower", dataDir: IN_MEMORY, restart: TEST_RESTART, leaders: [leader.address], listen: { host: "127.0.0.1", port: 0 } },
      { runtime: followerRuntime, writeLog: () => undefined },
    );
    client = await openLeaderClient({ leaderUrl: formatHostPort(leader.address), password: token }, join(configDir.path, "config"));
    await soon("two nodes Ready", async () => ((await client.listNodes()).nodes.filter((n) => n.status === "Ready").length === 2 ? true : undefined));
  });
  after(async () => {
    client?.close();
    await follower?.stop();
    await leader?.stop();
    configDir.remove();
  });

  it("keeps its replicas: pods named after it and its template, all Running", async () => {
    const { results } = await client.apply(JSON.stringify(deployment("app:1")));
    expect(results.map((r) => `${r.type}/${r.name} ${r.outcome}`)).to.deep.equal(["deployment/web created"]);
    await soon("3 pods Running", async () => {
      const running = (await pods()).filter((p) => p.status === "Running");
      return running.length === 3 ? running : undefined;
    });
    for (const pod of await pods()) expect(pod.name).to.match(/^web-[0-9a-f]{8}-[0-9a-f]{5}$/);
    expect((await client.list("deployment")).items.map((d) => `${d.name} ${d.status}`)).to.deep.equal(["web 3/3 ready"]);
    expect((await client.apply(JSON.stringify(deployment("app:1")))).results[0].outcome).to.equal("unchanged");
  });

  it("spreads its replicas over the nodes before it doubles any up", async () => {
    const perNode = async () => {
      const nodes = await Promise.all((await pods()).map(async (p) => (await client.get("pod", p.name)).pod?.node));
      return nodes.sort();
    };
    const nodes = await perNode();
    expect(new Set(nodes).size, nodes.join(", ")).to.equal(2);
  });

  it("rolls out a new template: in the end three pods of it, and never fewer than three running meanwhile", async () => {
    let fewest = Infinity;
    const watching = setInterval(
      () =>
        (fewest = Math.min(
          fewest,
          [...runtime.all(), ...followerRuntime.all()].filter((c) => c.state === "running" && c.options.image !== "cube/pause:1").length,
        )),
      5,
    );
    await client.apply(JSON.stringify(deployment("app:2")));
    await soon("3 pods of app:2 and nothing else", async () => (JSON.stringify(images()) === JSON.stringify(["app:2", "app:2", "app:2"]) ? true : undefined));
    clearInterval(watching);
    expect(fewest, "running app containers at the lowest, with maxUnavailable 0").to.be.at.least(3);
    await soon("3 pods listed", async () => ((await pods()).length === 3 ? true : undefined));
  });

  it("numbers revisions, says the rollout completed, and shows its pods, revisions and events", async () => {
    const status = await soon("revision 2 complete", async () => {
      const found = await client.rolloutStatus("web");
      return found.rollout?.state === "Complete" ? found : undefined;
    });
    expect(status).to.deep.include({ replicas: 3, updated: 3, available: 3 });
    expect(status.rollout).to.deep.include({ revision: 2, rolledBackFrom: undefined });
    const { revisions } = await client.rolloutHistory("web");
    expect(revisions.map((r) => [r.revision, JSON.parse(r.templateJson).spec.containers[0].image, r.completedAt !== undefined])).to.deep.equal([
      [1, "app:1", true],
      [2, "app:2", true],
    ]);
    const shown = await client.get("deployment", "web");
    expect(shown.pods.map((p) => [p.status?.phase, p.status?.ready, p.node !== undefined])).to.deep.equal(Array(3).fill(["Running", true, true]));
    const reasons = shown.events.map((e) => e.reason);
    expect(reasons).to.include.members(["Created", "Deleted", "RolloutComplete"]);
    expect(shown.events.findLast((e) => e.reason === "RolloutComplete")?.message).to.equal("revision 2 rolled out: 3 replicas available");
  });

  it("rolls back by itself a rollout whose new pods cannot start, the old replicas never stopped", async () => {
    const serving = () =>
      [...runtime.all(), ...followerRuntime.all()]
        .filter((c) => c.state === "running" && c.options.image === "app:2")
        .map((c) => c.id)
        .sort();
    const before = serving();
    expect(before).to.have.length(3);
    await client.apply(JSON.stringify(deployment("app:missing")));
    const status = await soon("rolled back and complete", async () => {
      const found = await client.rolloutStatus("web");
      return found.rollout?.rolledBackFrom === 3 && found.rollout.state === "Complete" ? found : undefined;
    });
    expect(status.rollout).to.deep.include({ revision: 4 });
    expect(status.rollout?.message).to.match(/^revision 3 failed: pod\/web-[0-9a-f]{8}-[0-9a-f]{5} is (ErrImagePull|ImagePullBackOff)$/);
    await soon("only the old replicas left", async () => ((await pods()).length === 3 ? true : undefined));
    expect(serving(), "the same three app:2 containers, never replaced").to.deep.equal(before);
    const { events, manifestJson } = await client.get("deployment", "web");
    expect(events.find((e) => e.reason === "RolledBack")).to.deep.include({ type: "Warning" });
    expect(JSON.parse(manifestJson).spec.template.spec.containers[0].image, "the manifest as applied says what runs").to.equal("app:2");
  });

  it("undoes to a chosen revision and restarts every pod, each as a rollout", async () => {
    let refusal: { details?: string } | undefined;
    await client.rolloutUndo("web", 9).catch((error) => (refusal = error));
    expect(refusal?.details).to.equal("deployment/web has no revision 9 other than the current one (its revisions: 1, 3, 4)");
    expect((await client.rolloutUndo("web", 1)).revision).to.equal(5);
    await soon("three app:1 replicas", async () => (JSON.stringify(images()) === JSON.stringify(["app:1", "app:1", "app:1"]) ? true : undefined));
    await soon("revision 5 complete", async () => ((await client.rolloutStatus("web")).rollout?.state === "Complete" ? true : undefined));
    const names = (await pods()).map((p) => p.name);
    expect((await client.rolloutRestart("web")).revision).to.equal(6);
    await soon("three new app:1 pods, complete", async () => {
      const now = (await pods()).map((p) => p.name);
      const done = (await client.rolloutStatus("web")).rollout?.state === "Complete";
      return done && now.length === 3 && now.every((name) => !names.includes(name)) ? true : undefined;
    });
    expect(images()).to.deep.equal(["app:1", "app:1", "app:1"]);
  });

  it("scales (by cube scale, or a new replica count), and deleting it deletes its pods", async () => {
    await client.scale("deployment", "web", 5);
    await soon("5 pods Running", async () => ((await pods()).filter((p) => p.status === "Running").length === 5 ? true : undefined));
    expect((await client.list("deployment")).items[0].status).to.equal("5/5 ready");
    // The manifest as applied says 5 now: applying the file that says 1 is a change.
    expect((await client.apply(JSON.stringify(deployment("app:2", 1)))).results[0].outcome).to.equal("configured");
    await soon("1 pod of app:2, available", async () => {
      const { replicas, ready, updated, available } = (await client.list("deployment")).items[0].deployment!;
      const counted = JSON.stringify([replicas, ready, updated, available]) === "[1,1,1,1]";
      return counted && (await pods()).length === 1 && JSON.stringify(images()) === '["app:2"]' ? true : undefined;
    });
    let refusal: { details?: string } | undefined;
    await client.scale("deployment", "nope", 2).catch((error) => (refusal = error));
    expect(refusal?.details).to.equal("deployment/nope not found");
    await client.scale("pod", (await pods())[0].name, 2).catch((error) => (refusal = error));
    expect(refusal?.details).to.equal("only a deployment can be scaled, not a pod");
    await client.delete("deployment", "web");
    await soon("no pod and no deployment", async () =>
      (await pods()).length === 0 && (await client.list("deployment")).items.length === 0 ? true : undefined,
    );
    expect(images()).to.deep.equal([]);
  });

  it("refuses to apply a deployment being deleted as a conflict, said plainly, not as the leader's failure", async () => {
    const slow = { ...deployment("app:1", 1), metadata: { name: "slow" } };
    slow.spec.template.spec.terminationGracePeriodSeconds = 30;
    await client.apply(JSON.stringify(slow));
    const container = await soon("its container running", async () =>
      [runtime, followerRuntime]
        .flatMap((engine) => engine.all().map((c) => ({ engine, c })))
        .find(({ c }) => c.state === "running" && c.options.image === "app:1" && (c.options.name ?? "").includes("slow")),
    );
    container.engine.ignoreTerm(container.c.id); // its stop takes the whole grace: the deletion stays under way
    await client.delete("deployment", "slow");
    let refusal: { code?: number; details?: string } | undefined;
    await client.apply(JSON.stringify(slow)).catch((error) => (refusal = error));
    expect(refusal).to.deep.include({ code: status.FAILED_PRECONDITION, details: "deployment/slow is being deleted; apply it again once it is gone" });
  });
});
