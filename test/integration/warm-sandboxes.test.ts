import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { containersWithLabels, dockerExec, dockerLogs, networkOwner } from "../helpers/docker.js";
import { LocalCluster } from "../helpers/local-cluster.js";
import { eventually, type TestProcess } from "../helpers/processes.js";

const IMAGE = "cube-test/busybox:latest";

describe("warm sandboxes, on real Docker with real servers", function () {
  this.timeout(120_000);
  // Pods go to the follower only: the leader's node runs no pod, so it keeps no warm sandbox either.
  const cluster = new LocalCluster(3, ["--pods-on-leader", "no"]);
  const prefix = `w${Math.random().toString(36).slice(2, 7)}`;
  const node = `${prefix}-f1`;
  let follower: TestProcess;

  const startFollower = (warm: number, ...more: string[]) =>
    (follower = cluster.startFollower(node, { extraArgs: ["--warm-sandboxes", String(warm), ...more] }));
  const ofNode = async (...labels: string[]) => containersWithLabels(`cube.node=${node}`, ...labels);
  const pool = async () => (await ofNode("cube.warm-sandbox")).filter((c) => c.name.startsWith(`cube_${node}_warm_`) && c.state === "running");
  const poolOf = (size: number) =>
    eventually(`${size} warm sandboxes`, async () => {
      const ids = (await pool()).map((c) => c.id);
      return ids.length === size ? ids : undefined;
    });
  const appContainers = async (pod: string) => ofNode(`cube.pod=${pod}`, "cube.container");
  const apply = (name: string, spec: Record<string, unknown>) => {
    const path = join(cluster.dir.path, `${name}.json`);
    writeFileSync(path, JSON.stringify({ type: "pod", metadata: { name }, spec: { terminationGracePeriodSeconds: 1, ...spec } }));
    return cluster.cubeOk("apply", path);
  };

  before(async () => {
    await cluster.startLeader(`${prefix}-main`);
    startFollower(2);
    await eventually("2 Ready nodes", async () => ((await cluster.nodes()).filter((n) => n.status === "Ready").length === 2 ? true : undefined));
  });
  after(() => cluster.stop());

  let claimed: string;
  let appIds: string[];

  it("keeps the pool it is told to, none of it shown as pods; a leader that runs no pods keeps none", async () => {
    await poolOf(2);
    expect(await containersWithLabels(`cube.node=${prefix}-main`)).to.deep.equal([]);
    expect(await cluster.cubeOk("list", "pod")).to.equal("name | status | age\n");
  });

  it("hands a pod a warm sandbox that behaves as its own: localhost shared, its hostname, its name in docker ps", async () => {
    const warm = await poolOf(2);
    await apply("pair", {
      containers: [
        { name: "server", image: IMAGE, command: ["sh", "-c", "while true; do echo pong-from-server | nc -l -p 3000; done"] },
        { name: "client", image: IMAGE, command: ["sh", "-c", "until nc localhost 3000; do sleep 0.2; done; sleep 3600"] },
      ],
    });
    await cluster.waitForPodStatus("pair", "Running");
    const apps = await appContainers("pair");
    claimed = await networkOwner(apps[0].id);
    expect(warm).to.include(claimed);
    expect(await networkOwner(apps[1].id)).to.equal(claimed);
    const client = apps.find((c) => c.labels["cube.container"] === "client")!;
    await eventually("the client's answer", async () => ((await dockerLogs(client.id)).includes("pong-from-server") ? true : undefined));
    // The hostname a sandbox of its own would give (Docker's, the sandbox's short id), and the pod's name on the engine.
    expect((await dockerExec(client.id, ["hostname"])).trim()).to.equal(claimed.slice(0, 12));
    const [sandbox] = (await ofNode()).filter((c) => c.id === claimed);
    expect(sandbox.name).to.match(new RegExp(`^cube_${node}_pair_pause_`));
    appIds = apps.map((c) => c.id).sort();
    // The pool is made whole again once the node is idle.
    expect(await poolOf(2)).to.not.include(claimed);
  });

  it("gives a pod that sets its hostname a sandbox of its own", async () => {
    const warm = await poolOf(2);
    await apply("named", { hostname: "db-0", containers: [{ name: "main", image: IMAGE, command: ["sh", "-c", "hostname; sleep 3600"] }] });
    await cluster.waitForPodStatus("named", "Running");
    const [main] = await appContainers("named");
    expect(warm).to.not.include(await networkOwner(main.id));
    await eventually("its hostname in its log", async () => ((await dockerLogs(main.id)).trim() === "db-0" ? true : undefined));
    expect((await pool()).map((c) => c.id).sort()).to.deep.equal([...warm].sort());
  });

  it("adopts a claimed sandbox after the node is killed: the pod's containers untouched, the pool not doubled", async () => {
    await follower.kill("SIGKILL");
    startFollower(2);
    // A pod applied now runs once the new agent syncs: by then it has seen the claimed sandbox and its pool.
    await apply("after", { containers: [{ name: "main", image: IMAGE, command: ["sleep", "3600"] }] });
    await cluster.waitForPodStatus("after", "Running");
    expect((await appContainers("pair")).map((c) => c.id).sort()).to.deep.equal(appIds);
    expect((await ofNode()).some((c) => c.id === claimed)).to.equal(true);
    await poolOf(2);
    // pair: sandbox and 2 containers; named and after: sandbox and 1 container each; the pool: 2. Nothing twice.
    expect(await ofNode()).to.have.length(3 + 2 + 2 + 2);
  });

  it("removes a claimed sandbox with its pod, and drains the pool when the node keeps none", async () => {
    const warm = await poolOf(2);
    await cluster.cubeOk("delete", "pod/pair", "pod/named", "pod/after");
    await eventually("the pods' containers gone", async () => ((await ofNode()).every((c) => warm.includes(c.id)) ? true : undefined));
    await follower.kill("SIGTERM");
    startFollower(0);
    await poolOf(0);
    await follower.kill("SIGTERM");
    expect(await ofNode()).to.deep.equal([]);
  });

  it("keeps as many as a burst took once it is over, within --warm-sandboxes-max", async () => {
    startFollower(1, "--warm-sandboxes-max", "3");
    await poolOf(1);
    const names = ["b1", "b2", "b3", "b4"];
    const path = join(cluster.dir.path, "burst.json");
    const pod = (name: string) => ({
      type: "pod",
      metadata: { name },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "main", image: IMAGE, command: ["sleep", "3600"] }] },
    });
    writeFileSync(path, JSON.stringify(names.map(pod)));
    await cluster.cubeOk("apply", path);
    for (const name of names) await cluster.waitForPodStatus(name, "Running");
    await cluster.cubeOk("delete", ...names.map((name) => `pod/${name}`));
    await eventually("the burst's containers gone", async () => ((await ofNode("cube.container")).length === 0 ? true : undefined));
    await poolOf(3);
    await follower.kill("SIGTERM");
    startFollower(0);
    await poolOf(0);
    await follower.kill("SIGTERM");
    expect(await ofNode()).to.deep.equal([]);
  });
});
