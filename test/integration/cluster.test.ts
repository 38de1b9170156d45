import { expect } from "chai";
import { LocalCluster } from "../helpers/local-cluster.js";
import { eventually, freePort } from "../helpers/processes.js";

describe("a cluster of real cube-server processes", function () {
  this.timeout(60_000);
  let cluster: LocalCluster;

  beforeEach(() => (cluster = new LocalCluster()));
  afterEach(() => cluster.stop());

  it("forms from a leader and two followers: cube nodes shows 3 Ready nodes, 1 Leader and 2 Followers", async () => {
    await cluster.startLeader("main");
    cluster.startFollower("worker-1");
    cluster.startFollower("worker-2");
    await cluster.waitForNodes([
      { name: "main", status: "Ready", type: "Leader" },
      { name: "worker-1", status: "Ready", type: "Follower" },
      { name: "worker-2", status: "Ready", type: "Follower" },
    ]);
    const table = await cluster.cube(["nodes"]);
    expect(table.code).to.equal(0);
    expect(table.stdout.trimEnd().split("\n")).to.deep.equal([
      "Name     | Status | Type",
      "main     | Ready  | Leader",
      "worker-1 | Ready  | Follower",
      "worker-2 | Ready  | Follower",
    ]);
  });

  it("lets a follower started before its leader join once the leader is up", async () => {
    cluster.leaderPort = await freePort();
    const follower = cluster.startFollower("early");
    await follower.waitForLine(/cannot join: leader 127\.0\.0\.1:\d+ unreachable/);
    await cluster.startLeader("main");
    await follower.waitForLine(/joined the leader/);
    await cluster.waitForNodes([
      { name: "early", status: "Ready", type: "Follower" },
      { name: "main", status: "Ready", type: "Leader" },
    ]);
  });

  it("never lets a follower with a wrong token join, and the follower logs why", async () => {
    await cluster.startLeader("main");
    const intruder = cluster.startFollower("intruder", { token: "not-the-token" });
    await intruder.waitForLine(/cannot join: leader .* refused our token/);
    const refusals = () => intruder.lines.filter((line) => /refused our token/.test(line)).length;
    await eventually("a second refusal", async () => (refusals() >= 2 ? true : undefined));
    expect(intruder.lines.some((line) => /joined the leader/.test(line))).to.equal(false);
    expect(await cluster.nodes()).to.deep.equal([{ name: "main", status: "Ready", type: "Leader" }]);
  });

  /** A leader "main" and a follower "worker", both Ready. */
  const leaderAndWorker = async () => {
    await cluster.startLeader("main");
    cluster.startFollower("worker");
    await cluster.waitForNodes([
      { name: "main", status: "Ready", type: "Leader" },
      { name: "worker", status: "Ready", type: "Follower" },
    ]);
  };

  it("refuses a second node that claims a live node's name, with a clear error", async () => {
    await leaderAndWorker();
    const impostor = cluster.startFollower("worker", { dataDir: "another-machine" });
    await impostor.waitForLine(/refused to let us join: node name "worker" is already taken by a live node/);
  });

  it("refuses a second server on a data directory in use, at once and clearly", async () => {
    await leaderAndWorker();
    const second = cluster.startFollower("worker-twin", { dataDir: "worker" });
    expect(await second.exitCode()).to.equal(1);
    expect(second.lines.join("\n")).to.match(
      /cube-server: the database \S+agent\.db is in use by another process: is another cube-server running with this --data-dir\?/,
    );
  });

  it("turns a killed follower NotReady after the grace period, and Ready again when it is restarted", async () => {
    await cluster.startLeader("main");
    const follower = cluster.startFollower("worker");
    const ready = [
      { name: "main", status: "Ready", type: "Leader" },
      { name: "worker", status: "Ready", type: "Follower" },
    ];
    await cluster.waitForNodes(ready);
    await follower.kill("SIGKILL");
    await cluster.waitForNodes([ready[0], { ...ready[1], status: "NotReady" }], cluster.graceSeconds * 1000 + 10_000);
    cluster.startFollower("worker");
    await cluster.waitForNodes(ready);
  });

  it("still lists its nodes after the leader is SIGKILLed and restarted", async () => {
    const leader = await cluster.startLeader("main");
    cluster.startFollower("worker-1");
    cluster.startFollower("worker-2");
    const ready = [
      { name: "main", status: "Ready", type: "Leader" },
      { name: "worker-1", status: "Ready", type: "Follower" },
      { name: "worker-2", status: "Ready", type: "Follower" },
    ];
    await cluster.waitForNodes(ready);
    await leader.kill("SIGKILL");
    await cluster.startLeader("main");
    // Right after the restart, before any follower is back, the nodes come from the leader's database.
    expect((await cluster.nodes()).map((node) => node.name)).to.deep.equal(["main", "worker-1", "worker-2"]);
    await cluster.waitForNodes(ready);
  });

  it("fails clearly when the CLI's password is not the cluster token", async () => {
    await cluster.startLeader("main");
    const result = await cluster.cube(["nodes"], "wrong-password");
    expect(result.code).to.equal(1);
    expect(result.stdout).to.equal("");
    expect(result.stderr).to.match(/^error: authentication failed: the password in \S+ does not match the leader's token\n$/);
  });
});
