import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { LocalCluster } from "../helpers/local-cluster.js";
import { TestPostgres } from "../helpers/postgres.js";
import { eventually, freePort } from "../helpers/processes.js";

const IMAGE = "cube-test/busybox:latest";
const pod = (name: string) => ({
  type: "pod",
  metadata: { name },
  // On the worker: the leaders' own nodes go down with them in this test.
  spec: {
    nodeSelector: { role: "worker" },
    containers: [{ name: "main", image: IMAGE, command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"] }],
  },
});

/**
 * Two real leaders on one real PostgreSQL, with a follower that knows both: one is active, the other stands by (its
 * node a follower of the active one); the active one SIGKILLed, the other takes over with the cluster's state, CA
 * and admin password, and the pods run on. On one host; the multi-host failures are the test bed's.
 */
describe("leaders sharing a PostgreSQL store", function () {
  this.timeout(120_000);
  let postgres: TestPostgres;
  let cluster: LocalCluster;

  before(async () => (postgres = await TestPostgres.start()));
  after(async () => postgres?.stop());
  beforeEach(() => (cluster = new LocalCluster()));
  afterEach(() => cluster.stop());

  it("keeps one active leader; when it is SIGKILLed the standby takes over the cluster's state, and the old one comes back standing by", async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const leaders = `127.0.0.1:${portA},127.0.0.1:${portB}`;
    const args = ["--store-file", await storeFile(cluster, postgres.url), "--leader", leaders];
    const a = await cluster.startLeader("a", portA, args);
    await a.waitForLine(/active: this leader holds term 1/);
    // The CLI is given both leaders, as the followers are, and keeps this config throughout.
    cluster.leaderUrl = leaders;
    const cli = await eventually("a's admin config", async () => (existsSync(join(cluster.dir.path, "a", "admin-config.json")) ? cluster.cliEnv() : undefined));
    const b = cluster.startLeaderProcess("b", `127.0.0.1:${portB}`, args);
    await b.waitForLine(/standing by: a is active/);
    cluster.startFollower("worker", { leader: leaders, extraArgs: ["--label", "role=worker"] });
    await cluster.waitForNodes([
      { name: "a", status: "Ready", type: "Leader" },
      { name: "b", status: "Ready", type: "Follower" },
      { name: "worker", status: "Ready", type: "Follower" },
    ]);
    await cluster.apply("first", [pod("one"), pod("two"), pod("three")]);
    const before = await Promise.all(["one", "two", "three"].map((name) => cluster.waitForPodStatus(name, "Running")));

    expect(await a.kill("SIGKILL")).to.equal(null);
    await b.waitForLine(/active: this leader holds term 2/, 10_000);
    await b.waitForLine(/\[leader\] listening on/);
    // The same admin password (the bootstrap bundle's) and CA: the CLI, unchanged, finds b.
    const written = await eventually("b's admin config", async () => (existsSync(join(cluster.dir.path, "b", "admin-config.json")) ? true : undefined));
    expect(written && adminPasswordOf(cluster, "b")).to.equal(cluster.adminPassword());
    expect(JSON.parse(readFileSync(join(cluster.dir.path, "b", "admin-config.json"), "utf8")).leaderUrl).to.equal(leaders);
    await cluster.apply("second", [pod("four")]);
    expect(cluster.cliEnv()).to.deep.equal(cli);
    await cluster.waitForPodStatus("four", "Running");
    const after = await Promise.all(["one", "two", "three"].map((name) => cluster.pod(name)));
    // The pods of before ran on, on the worker, in the same containers, never restarted.
    const seen = (pods: typeof before) => pods.map((p) => [p.node, p.status, p.containers[0].containerId, p.containers[0].restartCount]);
    expect(seen(after)).to.deep.equal(seen(before));
    expect(seen(after).map(([node, status, , restarts]) => [node, status, restarts])).to.deep.equal([
      ["worker", "Running", 0],
      ["worker", "Running", 0],
      ["worker", "Running", 0],
    ]);

    const again = cluster.startLeaderProcess("a", `127.0.0.1:${portA}`, args);
    await again.waitForLine(/standing by: b is active/);
    await cluster.waitForNodes([
      { name: "a", status: "Ready", type: "Follower" },
      { name: "b", status: "Ready", type: "Leader" },
      { name: "worker", status: "Ready", type: "Follower" },
    ]);
    // Only the active leader writes: the lease names b, in term 2.
    expect(await leaseHolder(postgres.url)).to.match(/^b [0-9a-f]{8} 2$/);
  });
});

async function storeFile(cluster: LocalCluster, url: string): Promise<string> {
  const { writeFileSync } = await import("node:fs");
  const path = `${cluster.dir.path}/store-url`;
  writeFileSync(path, url, { mode: 0o600 });
  return path;
}

function adminPasswordOf(cluster: LocalCluster, name: string): string {
  const previous = cluster.leaderName;
  cluster.leaderName = name;
  try {
    return cluster.adminPassword();
  } finally {
    cluster.leaderName = previous;
  }
}

async function leaseHolder(url: string): Promise<string> {
  return eventually("the lease's holder", async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ holder: string; epoch: string }>("select holder, epoch from leader_lease");
      return `${rows[0].holder} ${rows[0].epoch}`;
    } finally {
      await client.end();
    }
  });
}
