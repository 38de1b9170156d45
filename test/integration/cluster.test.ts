import { expect } from "chai";
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { connect } from "node:tls";
import { LocalCluster } from "../helpers/local-cluster.js";
import { eventually, freePort, projectRoot, startProcess } from "../helpers/processes.js";

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

  it("lets a follower given several leader addresses join the one that answers", async () => {
    await cluster.startLeader("main");
    const nobody = await freePort();
    const follower = cluster.startFollower("worker", { leader: `127.0.0.1:${nobody},${cluster.leaderAddress}` });
    await follower.waitForLine(new RegExp(`cannot join: cannot reach the leader at 127\\.0\\.0\\.1:${nobody} `));
    await follower.waitForLine(new RegExp(`joined the leader at ${cluster.leaderAddress.replace(/\./g, "\\.")}`));
    await cluster.waitForNodes([
      { name: "main", status: "Ready", type: "Leader" },
      { name: "worker", status: "Ready", type: "Follower" },
    ]);
  });

  it("lets a follower started before its leader join once the leader is up", async () => {
    cluster.leaderPort = await freePort();
    const follower = cluster.startFollower("early");
    await follower.waitForLine(/cannot join: cannot reach the leader at 127\.0\.0\.1:\d+ \(connect ECONNREFUSED/);
    await cluster.startLeader("main");
    await follower.waitForLine(/joined the leader/);
    await cluster.waitForNodes([
      { name: "early", status: "Ready", type: "Follower" },
      { name: "main", status: "Ready", type: "Leader" },
    ]);
  });

  it("never lets a follower with a wrong token join, and the follower logs why", async () => {
    await cluster.startLeader("main");
    const intruder = cluster.startFollower("intruder", { token: "not-the-token-0123456789" });
    const refused = /cannot join: the leader at \S+ did not prove that it knows our token for the certificate we see: the token is wrong/;
    await intruder.waitForLine(refused);
    const refusals = () => intruder.lines.filter((line) => refused.test(line)).length;
    await eventually("a second refusal", async () => (refusals() >= 2 ? true : undefined));
    expect(intruder.lines.some((line) => /joined the leader/.test(line))).to.equal(false);
    expect(await cluster.nodes()).to.deep.equal([{ name: "main", status: "Ready", type: "Leader" }]);
  });

  const bothReady = [
    { name: "main", status: "Ready", type: "Leader" },
    { name: "worker", status: "Ready", type: "Follower" },
  ];
  /** A leader "main" (with `leaderArgs`) and a follower "worker", both Ready. */
  const leaderAndWorker = async (leaderArgs: string[] = cluster.leaderArgs, worker: { dataDir?: string } = {}) => {
    const leader = await cluster.startLeader("main", undefined, leaderArgs);
    const follower = cluster.startFollower("worker", worker);
    await cluster.waitForNodes(bothReady);
    return { leader, follower };
  };

  it("refuses a second node that claims a live node's name, with a clear error", async () => {
    const { follower } = await leaderAndWorker();
    const nodeRows = async () => JSON.parse((await cluster.cube(["nodes", "-o", "json"])).stdout) as { name: string; address: string; joinedAt: string }[];
    const liveRows = await nodeRows();
    const certificate = readFileSync(join(cluster.dir.path, "worker/node.pem"), "utf8");
    const impostor = cluster.startFollower("worker", { dataDir: "another-machine" });
    const refused = /refused to certify us: node name "worker" belongs to another machine's key .* `cube node rm worker`/;
    await impostor.waitForLine(refused);
    await eventually("a second refusal", async () => (impostor.lines.filter((line) => refused.test(line)).length >= 2 ? true : undefined));
    // The live node is untouched: same row (address, join time), Ready, its certificate and its stream to the leader kept.
    const rows = await nodeRows();
    expect(rows.map(({ name, address, joinedAt }) => ({ name, address, joinedAt }))).to.deep.equal(
      liveRows.map(({ name, address, joinedAt }) => ({ name, address, joinedAt })),
    );
    await cluster.waitForNodes(bothReady);
    expect(readFileSync(join(cluster.dir.path, "worker/node.pem"), "utf8")).to.equal(certificate);
    expect(follower.lines.filter((line) => /lost the leader/.test(line))).to.deep.equal([]);
    expect(impostor.lines.filter((line) => /joined the leader|certified by the leader/.test(line))).to.deep.equal([]);
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

  it("keeps identities across SIGKILLs: the follower and the leader come back with their pinned CA and certificates", async () => {
    const { leader, follower } = await leaderAndWorker();
    await follower.waitForLine(/certified by the leader as node worker/);
    const files = ["main/ca.pem", "main/ca-key.pem", "main/leader.pem", "main/node.pem", "worker/node.pem", "worker/node-key.pem", "worker/trusted-ca.pem"];
    const before = files.map((file) => readFileSync(join(cluster.dir.path, file), "utf8"));
    expect(statSync(join(cluster.dir.path, "main/ca-key.pem")).mode & 0o777).to.equal(0o600);
    expect(statSync(join(cluster.dir.path, "worker/node-key.pem")).mode & 0o777).to.equal(0o600);
    await follower.kill("SIGKILL");
    await leader.kill("SIGKILL");
    const leaderAgain = await cluster.startLeader("main");
    const followerAgain = cluster.startFollower("worker");
    await followerAgain.waitForLine(/joined the leader/);
    await cluster.waitForNodes(bothReady);
    // The same CA and certificates: nothing was certified again, no token was needed for it.
    expect(files.map((file) => readFileSync(join(cluster.dir.path, file), "utf8"))).to.deep.equal(before);
    expect([...leaderAgain.lines, ...followerAgain.lines].filter((line) => /certified/.test(line))).to.deep.equal([]);
  });

  it("renews certificates before they expire, and the cluster goes on through the renewals", async function () {
    this.timeout(90_000);
    const { leader, follower } = await leaderAndWorker(["--cert-lifetime", "6s"]);
    const certificates = ["worker/node.pem", "main/node.pem", "main/leader.pem"];
    const serials = () => certificates.map((file) => new X509Certificate(readFileSync(join(cluster.dir.path, file))).serialNumber);
    const before = serials();
    const servedSerial = () =>
      new Promise<string>((resolve, reject) => {
        const socket = connect({ host: "127.0.0.1", port: cluster.leaderPort, rejectUnauthorized: false, ALPNProtocols: ["h2"] }, () => {
          resolve(socket.getPeerX509Certificate()!.serialNumber);
          socket.destroy();
        });
        socket.on("error", reject);
      });
    // 20 s: three lifetimes; each certificate renews at 50–80 % of its own.
    const renewals = (lines: string[], what: string) => lines.filter((line) => line.includes(`renewed the ${what}'s certificate`)).length;
    await eventually(
      "three renewals of each certificate",
      async () => (renewals(follower.lines, "node") >= 3 && renewals(leader.lines, "node") >= 3 && renewals(leader.lines, "leader") >= 3 ? true : undefined),
      30_000,
      200,
    );
    // The sync streams opened before the renewals never broke; new connections (this CLI's) verify the new certificates.
    expect(follower.lines.filter((line) => /lost the leader|cannot renew/.test(line))).to.deep.equal([]);
    await cluster.waitForNodes(bothReady);
    // Each certificate on disk is a new one, and the leader serves the one on its disk (it may renew meanwhile).
    const after = serials();
    certificates.forEach((file, index) => expect(after[index], file).to.not.equal(before[index]));
    await eventually("the leader serving its renewed certificate", async () => ((await servedSerial()) === serials()[2] ? true : undefined), 10_000, 100);
    expect(follower.lines.filter((line) => /lost the leader|cannot renew/.test(line))).to.deep.equal([]);
  });

  it("removes a node for good with `cube node rm`: its name is free for another machine's key", async () => {
    const { follower: first } = await leaderAndWorker(cluster.leaderArgs, { dataDir: "first-machine" });
    await first.kill("SIGKILL");
    const impostor = cluster.startFollower("worker", { dataDir: "second-machine" });
    await impostor.waitForLine(/refused to certify us: node name "worker" belongs to another machine's key/);
    await impostor.kill("SIGTERM");
    expect(await cluster.cubeOk("node", "rm", "worker")).to.equal("node/worker removed\n");
    expect((await cluster.nodes()).map((node) => node.name)).to.deep.equal(["main"]);
    const second = cluster.startFollower("worker", { dataDir: "second-machine" });
    await second.waitForLine(/joined the leader/);
    // The first machine, back, learns that it was removed: it leaves, and its revoked key is deleted.
    const back = cluster.startFollower("worker", { dataDir: "first-machine" });
    await back.waitForLine(/this node was removed from the cluster by an admin \(cube node rm\): it left/);
    expect(existsSync(join(cluster.dir.path, "first-machine", "node-key.pem"))).to.equal(false);
    await back.kill("SIGTERM");
    // Restarted, it certifies a new key, but the name is the second machine's now.
    const restarted = cluster.startFollower("worker", { dataDir: "first-machine" });
    await restarted.waitForLine(/refused to certify us: node name "worker" belongs to another machine's key/);
    expect([...back.lines, ...restarted.lines].some((line) => /joined the leader/.test(line))).to.equal(false);
    const missing = await cluster.cube(["node", "rm", "nowhere"]);
    expect(missing.stderr).to.equal("error: node/nowhere not found\n");
    const leaderNode = await cluster.cube(["node", "rm", "main"]);
    expect(leaderNode.stderr).to.equal("error: the leader's own node cannot be removed\n");
  });

  it("says loudly when a follower's agent.db was lost, and the node keeps its identity", async () => {
    const { follower } = await leaderAndWorker();
    await follower.kill("SIGKILL");
    const database = join(cluster.dir.path, "worker", "agent.db");
    truncateSync(database, 0);
    for (const suffix of ["-wal", "-shm"]) rmSync(database + suffix, { force: true });
    const again = cluster.startFollower("worker");
    await again.waitForLine(/agent\.db was empty though this node has run before .*: its local state was lost/);
    await again.waitForLine(/joined the leader/);
    await cluster.waitForNodes(bothReady);
    expect(again.lines.filter((line) => /certified/.test(line))).to.deep.equal([]);
  });

  it("keeps two secrets in two roles, private to their owner: the join token is no admin password, and no local user reads either", async () => {
    // An admin config planted as a link, by a local user who wants the password written where it can be read.
    const leaderDir = join(cluster.dir.path, "main");
    mkdirSync(leaderDir, { recursive: true, mode: 0o755 });
    const bait = join(cluster.dir.path, "readable-by-all");
    writeFileSync(bait, "");
    chmodSync(bait, 0o644);
    symlinkSync(bait, join(leaderDir, "admin-config.json"));
    const planted = startProcess(
      "leader on a planted link",
      "node",
      [join(projectRoot, "bin", "cube-server.js"), "leader", "--listen", "127.0.0.1:0", "--data-dir", leaderDir],
      {
        CUBE_TOKEN: cluster.token,
      },
    );
    expect(await planted.exitCode()).to.equal(1);
    expect(planted.lines.join("\n")).to.match(/admin-config\.json is a symbolic link, which Cube never makes: remove it/);
    expect(readFileSync(bait, "utf8"), "the link's target").to.equal("");
    rmSync(join(leaderDir, "admin-config.json"));
    const leader = await cluster.startLeader("main");
    const follower = cluster.startFollower("worker", { env: { CUBE_TOKEN: "", CUBE_TOKEN_FILE: join(leaderDir, "join-token") } });
    await cluster.waitForNodes(bothReady);
    expect(lstatSync(join(leaderDir, "admin-config.json")).isFile()).to.equal(true);
    // The leader made its admin password; the join token is not it.
    const password = cluster.adminPassword();
    expect(password).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(password).to.not.equal(cluster.token);
    expect((await cluster.cube(["nodes"], cluster.token)).stderr).to.match(/did not prove that it knows our password|authentication failed/);
    expect(leader.lines.some((line) => /admin password, made now: in the CLI config \S+admin-config\.json/.test(line))).to.equal(true);
    // A local user sees no secret in the servers' command lines, and can read none of their files.
    for (const server of [leader, follower]) {
      const commandLine = readFileSync(`/proc/${server.pid}/cmdline`, "utf8");
      expect(commandLine, server.label).to.not.include(cluster.token);
      expect(commandLine, server.label).to.not.include(password);
    }
    for (const dir of ["main", "worker"]) {
      const path = join(cluster.dir.path, dir);
      expect(statSync(path).mode & 0o777, path).to.equal(0o700);
      for (const file of readdirSync(path)) expect(statSync(join(path, file)).mode & 0o077, join(path, file)).to.equal(0);
    }
    expect(readdirSync(leaderDir)).to.include.members(["leader.db", "agent.db", "ca-key.pem", "leader-key.pem", "join-token", "admin-config.json"]);
  });

  it("tightens the files of an older installation, and says so of a secret on the command line", async () => {
    await cluster.startLeader("main");
    cluster.startFollower("worker");
    await cluster.waitForNodes(bothReady);
    await cluster.processes.at(-1)!.kill("SIGTERM");
    const workerDir = join(cluster.dir.path, "worker");
    chmodSync(workerDir, 0o755);
    for (const file of readdirSync(workerDir)) chmodSync(join(workerDir, file), 0o644);
    const again = cluster.startFollower("worker", { extraArgs: ["--token", cluster.token] });
    await again.waitForLine(/joined the leader/);
    expect(statSync(workerDir).mode & 0o777).to.equal(0o700);
    for (const file of readdirSync(workerDir)) expect(statSync(join(workerDir, file)).mode & 0o777, file).to.equal(0o600);
    expect(again.lines.some((line) => line.includes("WARN  [server] --token is on the command line, where every local user can read it"))).to.equal(true);
  });

  it("stops promptly on SIGTERM with its nodes connected, and so does a follower", async () => {
    const { leader, follower } = await leaderAndWorker();
    // Loosely: the benchmark measures it; the drain timeout (2 s) is what must not be waited for when idle.
    for (const server of [leader, follower]) {
      const start = Date.now();
      expect(await server.kill("SIGTERM")).to.equal(0);
      expect(Date.now() - start, server.label).to.be.below(1500);
    }
  });

  it("stops promptly on a SIGTERM that comes while its own node is joining it", async () => {
    // Its node joins within about 100 ms of "listening": a SIGTERM at once lands amid that join.
    for (let round = 0; round < 3; round++) {
      const leader = await cluster.startLeader("main");
      expect(await leader.kill("SIGTERM"), `round ${round}`).to.equal(0);
    }
  });

  it("still lists its nodes after the leader is SIGKILLed and restarted", async () => {
    const leader = await cluster.startLeader("main");
    const followers = [cluster.startFollower("worker-1"), cluster.startFollower("worker-2")];
    const ready = [
      { name: "main", status: "Ready", type: "Leader" },
      { name: "worker-1", status: "Ready", type: "Follower" },
      { name: "worker-2", status: "Ready", type: "Follower" },
    ];
    await cluster.waitForNodes(ready);
    // The followers stopped first: none can join the new leader, whose list can then come from its database alone.
    for (const follower of followers) await follower.kill("SIGKILL");
    await leader.kill("SIGKILL");
    await cluster.startLeader("main");
    expect((await cluster.nodes()).map((node) => node.name)).to.deep.equal(["main", "worker-1", "worker-2"]);
    cluster.startFollower("worker-1");
    cluster.startFollower("worker-2");
    await cluster.waitForNodes(ready);
  });

  it("keeps `cube list -w` going through the leader's SIGKILL and restart: what changed is printed, and what comes after", async () => {
    let leader = await cluster.startLeader("main");
    const config = (name: string) => ({ type: "config", metadata: { name }, data: { "app.ini": `${name}\n` } });
    await cluster.apply("before", [config("before"), config("gone")]);
    const watching = startProcess(
      "cube list -w",
      process.execPath,
      [join(projectRoot, "bin", "run.js"), "list", "config", "-w", "-o", "json"],
      cluster.cliEnv(),
    );
    const changes = () =>
      watching.lines
        .filter((line) => line.startsWith("{"))
        .map((line) => ((change) => `${change.kind} ${change.name}`)(JSON.parse(line) as { kind: string; name: string }));
    try {
      await eventually("the list", async () => (changes().length === 2 ? true : undefined), 10_000, 50);
      await leader.kill("SIGKILL");
      await watching.waitForLine(/^the watch was cut \(.*\): watching again if a leader answers within 10 s$/);
      leader = await cluster.startLeader("main");
      await watching.waitForLine(/^watching again: listed again$/);
      await cluster.cubeOk("delete", "config/gone");
      await cluster.apply("after", [config("after")]);
      await eventually("the change after", async () => (changes().length === 4 ? true : undefined), 10_000, 50);
    } finally {
      expect(await watching.kill("SIGINT")).to.equal(0);
    }
    expect(changes()).to.deep.equal(["ADDED before", "ADDED gone", "DELETED gone", "ADDED after"]);
  });

  it("fails clearly when the CLI's password is not the admin password, before and after it pinned the leader's CA", async () => {
    await cluster.startLeader("main");
    // No CA pinned yet: the leader cannot prove it knows this password, so the CLI trusts it with nothing.
    const first = await cluster.cube(["nodes"], "wrong-password-0123");
    expect(first.code).to.equal(1);
    expect(first.stdout).to.equal("");
    expect(first.stderr).to.match(
      /^error: the leader at \S+ did not prove that it knows our password for the certificate we see: the password is wrong[^\n]*\n$/,
    );
    await cluster.cubeOk("nodes");
    // The CA is pinned (beside the config files): the password goes to the verified leader, which refuses it.
    const pinned = await cluster.cube(["nodes"], "wrong-password-0123");
    expect(pinned.stderr).to.match(/^error: authentication failed: the password in \S+ does not match the leader's admin password\n$/);
  });
});
