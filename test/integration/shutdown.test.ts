import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { allPodContainers } from "../helpers/docker.js";
import { LocalCluster } from "../helpers/local-cluster.js";
import { eventually, type TestProcess } from "../helpers/processes.js";

const IMAGE = "cube-test/busybox:latest";
/** A main process that ignores SIGTERM: each stop of it takes its whole grace period (long enough for a server to be stopped amid it). */
const IGNORE_TERM = ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"];
const GRACE_SECONDS = 10;

/** Servers told to stop while their nodes stop many containers, each of which takes its grace period. */
describe("a server that stops amid work, with real processes and real containers", function () {
  this.timeout(240_000);
  const cluster = new LocalCluster(2);
  const prefix = `q${Math.random().toString(36).slice(2, 7)}`;
  const nodes = { leader: `${prefix}-main`, first: `${prefix}-f1`, second: `${prefix}-f2` };
  const followers = new Map<string, TestProcess>();
  let leader: TestProcess;

  const ours = async () => (await allPodContainers()).filter((c) => Object.values(nodes).includes(c.labels["cube.node"]));
  const applyPods = async (names: string[]) => {
    const path = join(cluster.dir.path, `${names[0]}.json`);
    const pod = (name: string) => ({
      type: "pod",
      metadata: { name },
      spec: { containers: [{ name: "main", image: IMAGE, command: IGNORE_TERM }], terminationGracePeriodSeconds: GRACE_SECONDS },
    });
    writeFileSync(path, JSON.stringify(names.map(pod)));
    await cluster.cubeOk("apply", path);
    await eventually(
      `${names.length} pods Running`,
      async () => {
        const listed = JSON.parse(await cluster.cubeOk("list", "pod", "-o", "json")) as { name: string; status: string }[];
        return listed.filter((p) => names.includes(p.name) && p.status === "Running").length === names.length ? true : undefined;
      },
      120_000,
      500,
    );
  };
  /** Sends SIGTERM and resolves with how long the server took to exit, and its exit code. */
  const stopTimed = async (server: TestProcess) => {
    const start = Date.now();
    const code = await server.kill("SIGTERM");
    return { ms: Date.now() - start, code };
  };

  before(async () => {
    leader = await cluster.startLeader(nodes.leader);
    followers.set(nodes.first, cluster.startFollower(nodes.first));
    followers.set(nodes.second, cluster.startFollower(nodes.second));
    await eventually("3 Ready nodes", async () => ((await cluster.nodes()).filter((n) => n.status === "Ready").length === 3 ? true : undefined));
  });
  after(() => cluster.stop());

  it("a leader SIGTERMed amid 40 deletions exits within a second; started again, it finishes them", async () => {
    const names = Array.from({ length: 40 }, (_, i) => `gone-${i}`);
    await applyPods(names);
    const onLeaderNode = (await ours()).filter((c) => c.labels["cube.node"] === nodes.leader && c.container);
    expect(onLeaderNode.length, "pods on the leader's own node").to.be.greaterThan(0);
    const deleting = await cluster.cube(["delete", "pod", ...names, "--no-wait"]);
    expect(deleting.code, deleting.stderr).to.equal(0);
    // The scenario: the leader's own node is stopping containers that each take their grace period.
    await leader.waitForLine(/pod\/gone-\d+ terminating on/);
    const stopped = await stopTimed(leader);
    expect(stopped.code).to.equal(0);
    expect(stopped.ms, `the leader exited ${stopped.ms} ms after SIGTERM`).to.be.below(1000);
    console.log(`      (the leader exited ${stopped.ms} ms after its SIGTERM)`);
    leader = await cluster.startLeader(nodes.leader);
    await eventually(
      "every pod deleted, every container gone",
      async () => {
        const listed = JSON.parse(await cluster.cubeOk("list", "pod", "-o", "json")) as { name: string }[];
        return listed.some((p) => names.includes(p.name)) || (await ours()).some((c) => c.pod.startsWith("gone-")) ? undefined : true;
      },
      (GRACE_SECONDS + 30) * 1000,
      1000,
    );
  });

  it("a follower SIGTERMed amid its pods' deletion exits within a second; started again, it finishes them", async () => {
    const names = Array.from({ length: 12 }, (_, i) => `left-${i}`);
    await applyPods(names);
    const onFollower = (await ours()).filter((c) => c.labels["cube.node"] === nodes.first && c.container);
    expect(onFollower.length, "pods on the follower").to.be.greaterThan(0);
    expect((await cluster.cube(["delete", "pod", ...names, "--no-wait"])).code).to.equal(0);
    await eventually("the follower stopping its containers", async () => {
      const listed = JSON.parse(await cluster.cubeOk("list", "pod", "-o", "json")) as { name: string; node: string; status: string }[];
      return listed.some((p) => p.node === nodes.first && p.status === "Terminating") ? true : undefined;
    });
    const stopped = await stopTimed(followers.get(nodes.first)!);
    expect(stopped.code).to.equal(0);
    expect(stopped.ms, `the follower exited ${stopped.ms} ms after SIGTERM`).to.be.below(1000);
    followers.set(nodes.first, cluster.startFollower(nodes.first));
    await eventually(
      "every pod deleted, every container gone",
      async () => {
        const listed = JSON.parse(await cluster.cubeOk("list", "pod", "-o", "json")) as { name: string }[];
        return listed.some((p) => names.includes(p.name)) || (await ours()).some((c) => c.pod.startsWith("left-")) ? undefined : true;
      },
      (GRACE_SECONDS + 30) * 1000,
      1000,
    );
  });
});
