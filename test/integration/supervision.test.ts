import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { allPodContainers, podContainers, type ContainerInfo } from "../helpers/docker.js";
import { LocalCluster, type PodJson } from "../helpers/local-cluster.js";
import { eventually, type TestProcess } from "../helpers/processes.js";

const run = promisify(execFile);
const IMAGE = "cube-test/busybox:latest";
const SERVE_FOREVER = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"];
/** The leader's bound on events per pod, low here so that a crash loop reaches it in seconds. */
const MAX_EVENTS = 30;

describe("supervision and recovery, with real processes and real containers", function () {
  this.timeout(180_000);
  const cluster = new LocalCluster(2, ["--reschedule-delay", "3s", "--max-events-per-pod", String(MAX_EVENTS)]);
  const prefix = `s${Math.random().toString(36).slice(2, 7)}`;
  const nodes = { leader: `${prefix}-main`, first: `${prefix}-f1`, second: `${prefix}-f2` };
  const followers = new Map<string, TestProcess>();
  let leader: TestProcess;

  const apply = (file: string, resources: unknown) => cluster.apply(file, resources);
  const simplePod = (name: string, spec: Record<string, unknown> = {}) => ({
    type: "pod",
    metadata: { name },
    spec: { containers: [{ name: "main", image: IMAGE, command: SERVE_FOREVER }], terminationGracePeriodSeconds: 2, ...spec },
  });
  const ours = (containers: ContainerInfo[]) => containers.filter((c) => Object.values(nodes).includes(c.labels["cube.node"]));
  const containersOf = async (pod: string) => ours(await podContainers(pod));
  const startFollower = (name: string) => followers.set(name, cluster.startFollower(name));
  /** Collects the statuses a pod goes through until `final`. */
  const statusesUntil = async (name: string, final: string, timeoutMs = 60_000): Promise<{ seen: string[]; pod: PodJson }> => {
    const seen: string[] = [];
    const pod = await eventually(
      `pod/${name} ${final}`,
      async () => {
        const current = await cluster.pod(name);
        if (seen.at(-1) !== current.status) seen.push(current.status);
        return current.status === final ? current : undefined;
      },
      timeoutMs,
      100,
    );
    return { seen, pod };
  };

  /** A pod once its last event says it gave up: its status and its events travel apart (events by the node's outbox). */
  const gaveUp = (name: string) =>
    eventually(`pod/${name}'s last event`, async () => {
      const pod = await cluster.pod(name);
      return pod.events.at(-1)?.message.endsWith("giving up: the pod is Failed") ? pod : undefined;
    });

  before(async () => {
    leader = await cluster.startLeader(nodes.leader);
    startFollower(nodes.first);
    startFollower(nodes.second);
    await eventually("3 Ready nodes", async () => ((await cluster.nodes()).filter((n) => n.status === "Ready").length === 3 ? true : undefined));
  });
  after(() => cluster.stop());

  it("restarts a container that exits with 1 after back-offs (CrashLoopBackOff), then gives up (Failed), with events", async () => {
    await apply("crash", {
      type: "pod",
      metadata: { name: "boom" },
      spec: {
        containers: [{ name: "boom", image: IMAGE, command: ["sh", "-c", "echo about to fail; exit 1"] }],
        restart: { initialBackoffSeconds: 2, maxFailures: 3 },
      },
    });
    const { seen } = await statusesUntil("boom", "Failed");
    expect(seen).to.include("CrashLoopBackOff");
    const pod = await gaveUp("boom");
    expect(pod.message).to.equal("container boom failed 3 times in a row (exit code 1, reason Error); giving up");
    const events = pod.events.map((e) => `${e.type} ${e.reason}: ${e.message}`);
    expect(events).to.include("Warning BackOff: Back-off 2s restarting failed container boom (exit code 1)");
    expect(events).to.include("Warning BackOff: Back-off 4s restarting failed container boom (exit code 1)");
    expect(events.filter((e) => e.startsWith("Normal Started"))).to.have.length(3);
    expect(events.at(-1)).to.equal("Warning Failed: container boom failed 3 times in a row (exit code 1, reason Error); giving up: the pod is Failed");
    // Only the last dead container is kept (for logs --previous), and nothing runs any more.
    const app = (await containersOf("boom")).filter((c) => c.labels["cube.container"]);
    expect(app.map((c) => c.state)).to.deep.equal(["exited"]);
  });

  it("brings a Failed pod back with cube restart: new containers, failure counts cleared, an event", async () => {
    await apply("once", {
      type: "pod",
      metadata: { name: "once" },
      spec: {
        restartPolicy: "Never",
        containers: [{ name: "main", image: IMAGE, command: ["sh", "-c", "sleep 3; exit 1"] }],
        terminationGracePeriodSeconds: 1,
      },
    });
    const failed = (await statusesUntil("once", "Failed")).pod;
    expect(await cluster.cubeOk("restart", "pod/once")).to.equal("pod/once restarted\n");
    const again = await cluster.waitForPodStatus("once", "Running");
    expect(again.containers[0].containerId).to.not.equal(failed.containers[0].containerId);
    expect(again.events.map((e) => `${e.reason}: ${e.message}`)).to.include("Restarted: Restarted by an admin: new containers, failure counts cleared");
    expect((await cluster.cube(["restart", "pod/no-such-pod"])).stderr).to.include("pod/no-such-pod not found");
  });

  it("keeps a crash-looping pod's events under the bound, the oldest dropped, so that get stays short", async () => {
    await apply("loop", {
      type: "pod",
      metadata: { name: "loop" },
      spec: {
        containers: [{ name: "main", image: IMAGE, command: ["sh", "-c", "exit 1"] }],
        restart: { initialBackoffSeconds: 0.1, maxBackoffSeconds: 0.1, maxFailures: 1000 },
        terminationGracePeriodSeconds: 0,
      },
    });
    // Each round is Created, Started, Died and BackOff: 12 rounds are more events than the bound.
    const looped = await eventually(
      "12 restarts",
      async () => {
        const pod = await cluster.pod("loop");
        return (pod.containers[0]?.restartCount ?? 0) >= 12 ? pod : undefined;
      },
      90_000,
    );
    expect(looped.events.length).to.be.at.most(MAX_EVENTS);
    expect(looped.events.map((e) => e.reason)).to.not.include("Scheduled");
    const shown = (await cluster.cubeOk("get", "pod/loop")).trimEnd().split("\nEvents:\n")[1].split("\n");
    expect(shown.length, "the events' header and lines").to.be.at.most(MAX_EVENTS + 1);
    await cluster.cubeOk("delete", "pod/loop");
  });

  it("retries a missing image (ErrImagePull, ImagePullBackOff), then gives up (Failed) with Docker's error", async () => {
    await apply(
      "nope",
      simplePod("no-image", { containers: [{ name: "main", image: "cube-test/not-here:1" }], restart: { initialBackoffSeconds: 2, maxFailures: 3 } }),
    );
    const { seen } = await statusesUntil("no-image", "Failed");
    expect(seen).to.include.members(["ErrImagePull", "ImagePullBackOff"]);
    const pod = await gaveUp("no-image");
    const failures = pod.events.filter((e) => e.reason === "Failed").map((e) => e.message);
    expect(failures).to.have.length(4);
    expect(failures[0]).to.match(/^Failed to pull image "cube-test\/not-here:1": .+/);
    expect(failures.at(-1)).to.match(/^pulling image "cube-test\/not-here:1" failed 3 times in a row \(.+\); giving up: the pod is Failed$/);
  });

  let spread: PodJson[];
  it("adopts its running containers after a SIGKILL and restart of a follower: same container ids, same restart counts", async () => {
    await apply(
      "spread",
      ["a", "b", "c"].map((suffix) => simplePod(`spread-${suffix}`)),
    );
    spread = await Promise.all(["a", "b", "c"].map((suffix) => cluster.waitForPodStatus(`spread-${suffix}`, "Running")));
    const onFirst = spread.find((pod) => pod.node === nodes.first);
    expect(onFirst, "a pod on the first follower").to.not.equal(undefined);
    const name = (onFirst!.manifest as { metadata: { name: string } }).metadata.name;
    const before = (await containersOf(name)).map((c) => c.id).sort();

    await followers.get(nodes.first)!.kill("SIGKILL");
    startFollower(nodes.first);
    await followers.get(nodes.first)!.waitForLine(/joined the leader/);
    await new Promise((resolve) => setTimeout(resolve, 3000)); // a few sync rounds
    expect((await containersOf(name)).map((c) => c.id).sort()).to.deep.equal(before);
    const pod = await cluster.pod(name);
    expect(pod.status).to.equal("Running");
    expect(pod.containers[0]).to.deep.include({ restartCount: 0 });
    expect(pod.events.filter((e) => e.reason === "Started")).to.have.length(1);
  });

  it("keeps every pod and container after a SIGKILL and restart of the leader", async () => {
    const podsBefore = JSON.parse(await cluster.cubeOk("list", "-o", "json")).map((p: { name: string }) => p.name);
    const containersBefore = ours(await allPodContainers())
      .map((c) => c.id)
      .sort();
    await leader.kill("SIGKILL");
    leader = await cluster.startLeader(nodes.leader);
    await eventually("3 Ready nodes again", async () => ((await cluster.nodes()).filter((n) => n.status === "Ready").length === 3 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(JSON.parse(await cluster.cubeOk("list", "-o", "json")).map((p: { name: string }) => p.name)).to.deep.equal(podsBefore);
    expect(
      ours(await allPodContainers())
        .map((c) => c.id)
        .sort(),
    ).to.deep.equal(containersBefore);
    for (const pod of spread) expect((await cluster.pod((pod.manifest as { metadata: { name: string } }).metadata.name)).status).to.equal("Running");
  });

  it("keeps supervising while the leader is down, and delivers the events it could not send, once each", async () => {
    const name = (spread.find((pod) => pod.node === nodes.second)!.manifest as { metadata: { name: string } }).metadata.name;
    const app = (await containersOf(name)).find((c) => c.labels["cube.container"])!;
    await leader.kill("SIGKILL");
    await run("docker", ["kill", app.id]);
    // The follower restarts the container on its own, after its 1 s back-off.
    await eventually("a new container", async () => {
      const running = (await containersOf(name)).filter((c) => c.labels["cube.container"] && c.state === "running");
      return running.length === 1 && running[0].id !== app.id ? true : undefined;
    });
    leader = await cluster.startLeader(nodes.leader);
    const pod = await eventually("the events delivered", async () => {
      const current = await cluster.pod(name);
      return current.events.filter((e) => e.reason === "Started").length === 2 ? current : undefined;
    });
    const reasons = pod.events.map((e) => e.reason);
    expect(reasons.filter((r) => r === "Died")).to.have.length(1);
    expect(reasons.filter((r) => r === "BackOff")).to.have.length(1);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await cluster.pod(name)).events).to.have.length(pod.events.length);
    expect((await cluster.waitForPodStatus(name, "Running")).containers[0].restartCount).to.equal(1);
  });

  it("moves the pods of a follower killed for good to another node; the node, back, removes what it no longer owns", async () => {
    const lost = spread.filter((pod) => pod.node === nodes.first).map((pod) => (pod.manifest as { metadata: { name: string } }).metadata.name);
    const killedAt = Date.now();
    await followers.get(nodes.first)!.kill("SIGKILL");
    await eventually("the node NotReady", async () => ((await cluster.nodes()).find((n) => n.name === nodes.first)?.status === "NotReady" ? true : undefined));
    for (const name of lost) {
      const pod = await cluster.waitForPodStatus(name, "Running", 60_000);
      expect(pod.node).to.not.equal(nodes.first);
      const moved = pod.events.find((e) => e.reason === "Rescheduled")!;
      expect(moved.message).to.equal(`Rescheduled pod/${name} from ${nodes.first} to ${pod.node}: ${nodes.first} was lost`);
      expect(pod.events.map((e) => e.reason)).to.include("NodeLost");
    }
    console.log(`      (pods of the lost node running elsewhere ${((Date.now() - killedAt) / 1000).toFixed(1)} s after its SIGKILL)`);
    // The old containers still run on the lost node's side until it comes back.
    const stale = await allPodContainers(nodes.first);
    expect(stale.length).to.be.greaterThan(0);
    startFollower(nodes.first);
    await eventually("the stale containers removed", async () => ((await allPodContainers(nodes.first)).length === 0 ? true : undefined), 30_000);
  });

  it("loses no acknowledged pod, and duplicates none, when the leader is SIGKILLed during a 20-pod apply", async () => {
    const names = Array.from({ length: 20 }, (_, i) => `burst-${i}`);
    const path = join(cluster.dir.path, "burst.json");
    writeFileSync(path, JSON.stringify(names.map((name) => simplePod(name))));
    const applying = cluster.cube(["apply", path]);
    // The kill lands once the leader has the request: before, during or just after its transaction.
    await leader.waitForLine(/apply received: pod\/burst-0, /, 30_000);
    await leader.kill("SIGKILL");
    const result = await applying;
    leader = await cluster.startLeader(nodes.leader);
    const listed = JSON.parse(await cluster.cubeOk("list", "-o", "json")).map((p: { name: string }) => p.name);
    const burst = listed.filter((name: string) => name.startsWith("burst-"));
    if (result.code === 0) expect(burst.sort()).to.deep.equal([...names].sort());
    else expect(burst.length === 0 || burst.length === 20, `all or nothing, got ${burst.length}`).to.equal(true);
    await Promise.all(burst.map((name: string) => cluster.waitForPodStatus(name, "Running", 90_000)));
    // Exactly one pause and one app container per pod, and none for a pod that does not exist.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const containers = ours(await allPodContainers()).filter((c) => c.pod.startsWith("burst-"));
    const perPod = new Map<string, number>();
    for (const c of containers) perPod.set(c.pod, (perPod.get(c.pod) ?? 0) + 1);
    expect([...perPod.keys()].sort()).to.deep.equal([...burst].sort());
    expect(
      [...perPod.values()].every((count) => count === 2),
      JSON.stringify(Object.fromEntries(perPod)),
    ).to.equal(true);
    console.log(`      (the apply was ${result.code === 0 ? "acknowledged" : "not acknowledged"} before the SIGKILL; ${burst.length} pods)`);
  });

  it("over rounds of SIGKILL of the leader amid applies and deletes: none lost, none resurrected, no duplicate, no orphan", async function () {
    // CUBE_KILL_ROUNDS=20 for the long run (the adversarial review's 20 rounds); a few in npm test.
    const rounds = Number(process.env.CUBE_KILL_ROUNDS ?? 3);
    this.timeout(60_000 + rounds * 30_000);
    const applied = new Set<string>();
    /** Pods whose deletion was asked for: one not acknowledged may or may not have happened. */
    const deleteAsked = new Set<string>();
    const deleted = new Set<string>();
    const podsOf = (round: string) => Array.from({ length: 4 }, (_, i) => `loop-${round}-${i}`);
    const manifestOf = (round: string) => {
      const path = join(cluster.dir.path, `loop-${round}.json`);
      writeFileSync(path, JSON.stringify(podsOf(round).map((name) => simplePod(name, { terminationGracePeriodSeconds: 1 }))));
      return path;
    };
    // Pods applied before the first kill, so that every round has one to delete.
    await cluster.cubeOk("apply", manifestOf("seed"));
    for (const name of podsOf("seed")) applied.add(name);
    const acknowledged = { applies: 0, deletes: 0 };
    // Where each round's kill lands, in turn: once both calls were answered (so that some are acknowledged), once the
    // leader has both requests (so that some land amid the leader's work), or at a random moment of the CLI's run.
    const moments = ["after the answers", "once the leader has both", "at random"] as const;
    for (let round = 0; round < rounds; round++) {
      const names = podsOf(String(round));
      const victim = [...applied].find((name) => !deleteAsked.has(name))!;
      deleteAsked.add(victim);
      const applying = cluster.cube(["apply", manifestOf(String(round))]);
      const deleting = cluster.cube(["delete", `pod/${victim}`, "--no-wait"]);
      const moment = moments[round % moments.length];
      if (moment === "after the answers") await Promise.all([applying, deleting]);
      else if (moment === "once the leader has both") {
        await leader.waitForLine(new RegExp(`apply received: pod/${names[0]}, `), 30_000);
        await leader.waitForLine(new RegExp(`delete received: pod/${victim}$`), 30_000);
      } else await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 1200));
      await leader.kill("SIGKILL");
      if ((await applying).code === 0) {
        acknowledged.applies++;
        for (const name of names) applied.add(name);
      }
      if ((await deleting).code === 0) {
        acknowledged.deletes++;
        deleted.add(victim);
      }
      leader = await cluster.startLeader(nodes.leader);
    }
    // The scenario happened: the kills fell among calls the leader had acknowledged.
    expect(acknowledged.applies, "applies acknowledged before a kill").to.be.greaterThan(0);
    expect(acknowledged.deletes, "deletes acknowledged before a kill").to.be.greaterThan(0);
    const listed = async () => new Set<string>(JSON.parse(await cluster.cubeOk("list", "-o", "json")).map((p: { name: string }) => p.name));
    // Deletions acknowledged finish (their nodes remove the containers); the rest run. A deletion that never ends
    // is reported below, as resurrected.
    await eventually(
      "acknowledged deletions done",
      async () => {
        const now = await listed();
        return [...deleted].some((name) => now.has(name)) ? undefined : true;
      },
      60_000,
      500,
    ).catch(() => undefined);
    // A deletion asked but not acknowledged may have landed or not: its pod ends gone, or running.
    await Promise.all(
      [...(await listed())]
        .filter((name) => name.startsWith("loop-") && deleteAsked.has(name) && !deleted.has(name))
        .map((name) =>
          eventually(
            `pod/${name} gone or Running`,
            async () => {
              const got = await cluster.cube(["get", `pod/${name}`, "-o", "json"]);
              return got.code !== 0 || (JSON.parse(got.stdout) as { status: string }).status === "Running" ? true : undefined;
            },
            90_000,
          ),
        ),
    );
    const present = await listed();
    const loop = [...present].filter((name) => name.startsWith("loop-"));
    await Promise.all(loop.map((name) => cluster.waitForPodStatus(name, "Running", 90_000)));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const containers = ours(await allPodContainers()).filter((c) => c.pod.startsWith("loop-"));
    const perPod = new Map<string, number>();
    for (const c of containers) perPod.set(c.pod, (perPod.get(c.pod) ?? 0) + 1);
    const lost = [...applied].filter((name) => !deleteAsked.has(name) && !present.has(name));
    const resurrected = [...deleted].filter((name) => present.has(name));
    const duplicated = [...perPod].filter(([, count]) => count > 2).map(([name]) => name);
    const orphans = [...perPod.keys()].filter((name) => !present.has(name));
    // On a failure, what each duplicated pod's containers were (name, state, node), for whoever reads it.
    const seen = containers
      .filter((c) => duplicated.includes(c.pod))
      .map((c) => `${c.pod}: ${c.name} ${c.state} on ${c.labels["cube.node"] ?? "?"}`)
      .join("; ");
    expect({ lost, resurrected, duplicated, orphans }, seen).to.deep.equal({ lost: [], resurrected: [], duplicated: [], orphans: [] });
    console.log(
      `      (${rounds} rounds: ${acknowledged.applies} applies and ${acknowledged.deletes} deletes acknowledged of ${rounds} each; ${loop.length} pods running)`,
    );
  });
});
