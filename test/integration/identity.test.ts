import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { allPodContainers } from "../helpers/docker.js";
import { LocalCluster } from "../helpers/local-cluster.js";
import { eventually, projectRoot, startProcess } from "../helpers/processes.js";

const IMAGE = "cube-test/busybox:latest";
const SERVE_FOREVER = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"];

/**
 * A node's identity over its life, tried as an attacker with a node's shell or a stolen key would: `cube node rm`
 * revokes, `cube token rotate` shuts the old token out, `--approve-nodes` keeps a token holder's node waiting.
 */
describe("node identities: removal, stolen keys, token rotation and approval, with real processes", function () {
  this.timeout(180_000);
  let cluster: LocalCluster;
  const nodeRows = async () => Object.fromEntries(((await cluster.nodes()) as { name: string; status: string }[]).map((node) => [node.name, node.status]));
  const podOn = async (name: string) => {
    const path = join(cluster.dir.path, `${name}.json`);
    writeFileSync(
      path,
      JSON.stringify({
        type: "pod",
        metadata: { name },
        spec: { containers: [{ name: "main", image: IMAGE, command: SERVE_FOREVER }], terminationGracePeriodSeconds: 1 },
      }),
    );
    await cluster.cubeOk("apply", path);
  };

  beforeEach(() => (cluster = new LocalCluster(2, ["--pods-on-leader", "no"])));
  afterEach(async function () {
    if (this.currentTest?.state === "failed") process.stderr.write(`${cluster.recentOutput()}\n`);
    await cluster.stop();
  });

  it("node rm revokes: the node, still running, leaves (its containers go, its key is deleted), and a stolen copy of its key is refused", async () => {
    await cluster.startLeader("main");
    const worker = cluster.startFollower("worker");
    await cluster.waitForNodes([
      { name: "main", status: "Ready", type: "Leader" },
      { name: "worker", status: "Ready", type: "Follower" },
    ]);
    await podOn("kept");
    expect((await cluster.waitForPodStatus("kept", "Running")).node).to.equal("worker");
    // A thief copies the node's identity files while it runs.
    const stolen = join(cluster.dir.path, "stolen");
    mkdirSync(stolen);
    for (const file of ["node-key.pem", "node.pem", "trusted-ca.pem"]) copyFileSync(join(cluster.dir.path, "worker", file), join(stolen, file));
    const stolenKey = readFileSync(join(stolen, "node-key.pem"));

    expect(await cluster.cubeOk("node", "rm", "worker")).to.equal("node/worker removed (1 pod to move to other nodes)\n");
    await worker.waitForLine(/this node was removed from the cluster by an admin \(cube node rm\): it left/);
    await eventually("its containers removed", async () => ((await allPodContainers("worker")).length === 0 ? true : undefined), 30_000);
    expect(existsSync(join(cluster.dir.path, "worker", "node-key.pem"))).to.equal(false);
    await new Promise((resolve) => setTimeout(resolve, 3000)); // it would have re-joined by now, before
    expect(worker.lines.filter((line) => /joined the leader/.test(line))).to.have.length(1);
    expect(await nodeRows()).to.deep.equal({ main: "Ready" });

    // The stolen identity: its certificate is refused, and its key cannot be certified again, under any name.
    const asWorker = cluster.startFollower("worker", { dataDir: "stolen" });
    await asWorker.waitForLine(/this node was removed from the cluster by an admin/);
    const thief = join(cluster.dir.path, "thief");
    mkdirSync(thief);
    writeFileSync(join(thief, "node-key.pem"), stolenKey);
    const asThief = cluster.startFollower("thief", { dataDir: "thief" });
    await asThief.waitForLine(/removed from the cluster by an admin .*this key was node worker's, which an admin removed \(cube node rm\)/);
    expect(await nodeRows()).to.deep.equal({ main: "Ready" });
  });

  it("token rotate: the old token admits no new node, nodes already joined go on, the new token admits; the leader keeps it", async () => {
    const leader = await cluster.startLeader("main");
    const worker = cluster.startFollower("worker");
    await cluster.waitForNodes([
      { name: "main", status: "Ready", type: "Leader" },
      { name: "worker", status: "Ready", type: "Follower" },
    ]);
    const rotated = await cluster.cube(["token", "rotate"]);
    expect(rotated.code, rotated.stderr).to.equal(0);
    const joinToken = rotated.stdout.trim();
    expect(joinToken).to.match(/^CUBE1-[0-9a-f]{64}-[A-Za-z0-9_-]{43}$/);
    expect(rotated.stderr).to.match(/^join token rotated: the old one admits no new node; the leader keeps the new one in \S+join-token\n$/);
    expect(readFileSync(join(cluster.dir.path, "main", "join-token"), "utf8").trim()).to.equal(joinToken);

    // A new node with the old token: the leader cannot prove it knows that token, and the node says so.
    const late = cluster.startFollower("late");
    await late.waitForLine(/cannot join: the leader at \S+ did not prove that it knows our token/);
    // A node already joined restarts with its certificate: no token needed.
    await worker.kill("SIGTERM");
    const again = cluster.startFollower("worker");
    await again.waitForLine(/joined the leader/);
    // The new token admits.
    const tokenFile = join(cluster.dir.path, "new-token");
    writeFileSync(tokenFile, `${joinToken}\n`);
    cluster.startFollower("newcomer", { env: { CUBE_TOKEN: "", CUBE_TOKEN_FILE: tokenFile } });
    await eventually("the newcomer Ready", async () => ((await nodeRows()).newcomer === "Ready" ? true : undefined));
    expect((await nodeRows()).late).to.equal(undefined);

    // The leader keeps the new token: started again with the old one, it refuses to; without one, it uses its own.
    await leader.kill("SIGTERM");
    const stale = startProcess(
      "leader with the old token",
      "node",
      [join(projectRoot, "bin", "cube-server.js"), "leader", "--listen", "127.0.0.1:0", "--data-dir", join(cluster.dir.path, "main"), "--name", "main"],
      {
        CUBE_TOKEN: cluster.token,
      },
    );
    expect(await stale.exitCode()).to.equal(1);
    expect(stale.lines.join("\n")).to.match(/the join token given is not this leader's .*cube token rotate/);
    await cluster.startLeader("main", cluster.leaderPort, ["--pods-on-leader", "no"], 1, { CUBE_TOKEN: "" });
    await eventually("the nodes back", async () => ((await nodeRows()).newcomer === "Ready" && (await nodeRows()).worker === "Ready" ? true : undefined));
  });

  it("--approve-nodes: a token holder's node waits as Pending approval and takes no pod until an admin approves it", async () => {
    await cluster.startLeader("main", 0, ["--pods-on-leader", "no", "--approve-nodes"]);
    const waiting = cluster.startFollower("worker");
    await waiting.waitForLine(/cannot join: leader \S+ refused to let us join: node worker waits for an admin's approval: cube node approve worker/);
    expect(await nodeRows()).to.deep.equal({ main: "Ready", worker: "Pending approval" });
    await podOn("patient");
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const pod = await cluster.pod("patient");
    expect([pod.status, pod.node]).to.deep.equal(["Pending", null]);
    expect((await cluster.cube(["node", "approve", "nobody"])).stderr).to.match(/^error: no node nobody waits for approval/);
    expect(await cluster.cubeOk("node", "approve", "worker")).to.equal("node/worker approved: it joins at its next try\n");
    expect((await cluster.waitForPodStatus("patient", "Running", 30_000)).node).to.equal("worker");
    expect(await nodeRows()).to.deep.equal({ main: "Ready", worker: "Ready" });
  });
});
