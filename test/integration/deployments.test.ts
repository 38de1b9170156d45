import { join } from "node:path";
import { expect } from "chai";
import { LocalCluster } from "../helpers/local-cluster.js";
import { eventually, projectRoot, startProcess, type TestProcess } from "../helpers/processes.js";
import { TestHosts } from "../helpers/test-hosts.js";

const IMAGE = "cube-test/busybox:latest";
const HOSTS = [1, 2, 3];
const nodeOf = (host: number) => `host-${host}`;

/** A web server answering `body`; on SIGTERM it goes on serving for a second (its drain) before it exits. */
const server = (body: string) => [
  "sh",
  "-c",
  `trap 'sleep 1; exit 0' TERM; mkdir -p /www && echo ${body} > /www/index.html && httpd -p 80 -h /www; while true; do sleep 1; done`,
];

/** The deployment `web`: replicas publishing port 8080 on their nodes, ready once they answer, one new at a time. */
const web = (body: string, replicas: number, readinessPath = "/", extra: object = {}) => ({
  type: "deployment",
  metadata: { name: "web" },
  spec: {
    replicas,
    progressDeadlineSeconds: 8,
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    ...extra,
    template: {
      metadata: { labels: { app: "web" } },
      spec: {
        terminationGracePeriodSeconds: 5,
        containers: [
          {
            name: "httpd",
            image: IMAGE,
            command: server(body),
            ports: [{ containerPort: 80, hostPort: 8080 }],
            readinessProbe: { httpGet: { path: readinessPath, port: 80 }, periodSeconds: 1, failureThreshold: 1 },
          },
        ],
      },
    },
  },
});

interface DeploymentJson {
  status: {
    replicas: number;
    ready: number;
    updated: number;
    available: number;
    rollout: { revision: number; state: string; rolledBackFrom?: number; message: string };
  };
  pods: { name: string; node: string | null; status: string; ready: boolean }[];
}

/**
 * Deployments on three hosts with their own addresses and engines: replicas spread and replaced when a host is cut
 * off, scaled, rolled out with no request refused, rolled back by themselves when the new version never gets ready,
 * and a rollout that goes on after a SIGKILL of the leader.
 */
describe("deployments across three hosts", function () {
  this.timeout(300_000);
  let hosts: TestHosts;
  let cluster: LocalCluster;
  const get = async (name: string) => JSON.parse(await cluster.cubeOk("get", `deployment/${name}`, "-o", "json")) as DeploymentJson;
  const settled = (name: string, check: (d: DeploymentJson) => boolean, timeoutMs = 60_000) =>
    eventually(
      `deployment/${name} settled`,
      async () => {
        const found = await get(name);
        return found.status.rollout.state !== "Progressing" && check(found) ? found : undefined;
      },
      timeoutMs,
      250,
    );
  /** The deployment's containers on every host's engine, as `docker ps` lists them. */
  const containers = async (pod: RegExp) => {
    const all = await Promise.all(HOSTS.map(async (host) => (await hosts.docker(host, "ps", "--format", "{{.Names}} {{.Image}}")).split("\n")));
    return all.flat().filter((line) => pod.test(line) && line.includes(IMAGE));
  };

  /** The client of `web` (test/helpers/endpoint-client-main.ts) on host 1, while a test runs it. */
  let client: TestProcess | undefined;
  const startClient = async () => {
    const { command, args, env } = hosts.on(1, process.execPath, [
      "--import",
      "tsx",
      join(projectRoot, "test", "helpers", "endpoint-client-main.ts"),
      "web",
      "8080",
    ]);
    client = startProcess("client", command, args, { ...env, ...cluster.cliEnv() });
    await client.waitForLine(/^answered$/, 30_000);
  };
  const stopClient = async () => {
    await client!.kill("SIGTERM");
    const summary = JSON.parse(await client!.waitForLine(/^\{/)) as { bodies: Record<string, number>; failures: { endpoint: string; error: string }[] };
    client = undefined;
    return summary;
  };
  before(async () => {
    hosts = await TestHosts.up(HOSTS.length);
    cluster = new LocalCluster(2, ["--reschedule-delay", "3s"], hosts);
    await cluster.startLeader(nodeOf(1), 0, cluster.leaderArgs, 1);
    for (const host of [2, 3]) cluster.startFollower(nodeOf(host), { host });
    await cluster.waitForNodes(HOSTS.map((host) => ({ name: nodeOf(host), status: "Ready", type: host === 1 ? "Leader" : "Follower" })));
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed") process.stderr.write(`${cluster.recentOutput()}\n${client?.lines.join("\n") ?? ""}\n`);
    await client?.kill("SIGKILL");
    client = undefined;
  });
  after(async () => {
    await cluster?.stop();
    await hosts?.down();
  });

  it("spreads 3 replicas over 3 hosts, and replaces the replica of a host cut off on another", async () => {
    const spread = {
      type: "deployment",
      metadata: { name: "spread" },
      spec: { replicas: 3, template: { spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "main", image: IMAGE, command: server("spread") }] } } },
    };
    expect(await cluster.apply("spread", spread)).to.equal("deployment/spread created (revision 1)\n");
    const placed = await settled("spread", (d) => d.status.available === 3);
    expect(placed.pods.map((p) => p.node).sort()).to.deep.equal(HOSTS.map(nodeOf));
    const table = (await cluster.cubeOk("list", "deployment")).trimEnd().split("\n");
    expect(table[0]).to.match(/^name\s+\| ready \| up-to-date \| available \| age/i);
    expect(table[1]).to.match(/^spread\s+\| 3\/3\s+\| 3\s+\| 3\s+\|/);

    await hosts.partition(3);
    try {
      const moved = await eventually(
        "3 replicas Running and Ready, none on host-3",
        async () => {
          const found = await get("spread");
          const serving = found.pods.filter((p) => p.status === "Running" && p.ready && p.node !== nodeOf(3));
          return serving.length === 3 ? found : undefined;
        },
        60_000,
        500,
      );
      expect(new Set(moved.pods.filter((p) => p.status === "Running").map((p) => p.node))).to.deep.equal(new Set([nodeOf(1), nodeOf(2)]));
    } finally {
      await hosts.heal(3);
    }
    await cluster.cubeOk("delete", "deployment/spread");
    await eventually("spread's containers gone from every host", async () => ((await containers(/_spread-/)).length === 0 ? true : undefined), 60_000, 500);
  });

  it("scales up and down", async () => {
    await cluster.apply("web", web("v1", 2));
    await settled("web", (d) => d.status.available === 2);
    expect(await cluster.cubeOk("scale", "deployment/web", "--replicas", "3")).to.equal("deployment/web scaled to 3\n");
    const up = await eventually("3 available", async () => ((await get("web")).status.available === 3 ? get("web") : undefined), 60_000, 250);
    expect(up.pods.map((p) => p.node).sort(), "one per host: each publishes port 8080").to.deep.equal(HOSTS.map(nodeOf));
    await cluster.cubeOk("scale", "deployment/web", "--replicas", "2");
    await eventually("2 pods left, on 2 hosts", async () => ((await containers(/_web-/)).length === 2 ? true : undefined), 60_000, 250);
  });

  it("rolls out a new version with maxUnavailable 0: not one request refused or failed", async () => {
    await startClient();
    await cluster.apply("web", web("v2", 2));
    const status = await cluster.cube(["rollout", "status", "deployment/web", "--timeout", "2m"]);
    expect(status.code, status.stderr).to.equal(0);
    expect(status.stdout.trimEnd().split("\n").at(-1)).to.equal("deployment/web successfully rolled out (revision 2)");
    // A few more requests to the new replicas only.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const { bodies, failures } = await stopClient();
    expect(failures, JSON.stringify(failures)).to.deep.equal([]);
    expect(Object.keys(bodies).sort()).to.deep.equal(["v1", "v2"]);
    console.log(`      (${bodies.v1} requests answered by v1, ${bodies.v2} by v2, none refused)`);
    expect((await containers(/_web-/)).length).to.equal(2);
  });

  it("rolls back by itself an update whose replicas never get ready, the old ones serving throughout", async () => {
    const before = (await get("web")).pods.map((p) => p.name).sort();
    await startClient();
    await cluster.apply("web", web("v3", 2, "/not-there"));
    const status = await cluster.cube(["rollout", "status", "deployment/web", "--timeout", "2m"]);
    expect(status.code, status.stdout).to.equal(1);
    expect(status.stdout).to.match(
      /deployment\/web: revision 3 failed: no progress for 8s \(progressDeadlineSeconds\): 0 of 2 new replicas available; rolled back \(revision 4\)/,
    );
    const after = await settled("web", (d) => d.pods.length === 2);
    expect(after.status.rollout).to.deep.include({ revision: 4, state: "Complete", rolledBackFrom: 3 });
    expect(after.pods.map((p) => p.name).sort(), "the old replicas, never replaced").to.deep.equal(before);
    const { bodies, failures } = await stopClient();
    expect(failures, JSON.stringify(failures)).to.deep.equal([]);
    expect(Object.keys(bodies)).to.deep.equal(["v2"]);
    console.log(`      (${bodies.v2} requests answered by v2 during the failed rollout and its rollback, none refused)`);
    const shown = await cluster.cubeOk("get", "deployment/web");
    expect(shown).to.match(/Rollout:\s+revision 4, Complete .*a rollback: revision 3 failed/);
    expect(shown).to.match(/Warning\s+\| RolledBack/);
    const history = await cluster.cubeOk("rollout", "history", "deployment/web");
    expect(history)
      .to.match(/1\s+\| yes/)
      .and.to.match(/3\s+\| no/)
      .and.to.match(/4 \(current\)\s+\| yes/);
  });

  it("drains a host: its replica replaced on another first, not one request refused; cordoned until uncordoned", async () => {
    const before = await get("web");
    const drained = before.pods.find((p) => p.node !== nodeOf(1))!.node!;
    await startClient();
    const result = await cluster.cube(["drain", drained, "--timeout", "2m"]);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.equal(`node/${drained} cordoned; 0 pod(s) moving, 1 replaced by their deployments\nnode/${drained} drained\n`);
    const after = await settled("web", (d) => d.status.available === 2 && d.pods.length === 2);
    expect(after.pods.map((p) => p.node)).to.not.include(drained);
    const { bodies, failures } = await stopClient();
    expect(failures, JSON.stringify(failures)).to.deep.equal([]);
    console.log(`      (${bodies.v2} requests answered during the drain, none refused)`);
    expect(await cluster.cubeOk("nodes")).to.match(new RegExp(`${drained}\\s+\\| Ready,SchedulingDisabled`));
    expect(await cluster.cubeOk("uncordon", drained)).to.equal(`node/${drained} uncordoned\n`);
    expect(await cluster.cubeOk("nodes")).to.not.include("SchedulingDisabled");
  });

  it("goes on with a rollout after a SIGKILL of the leader: in the end exactly its replicas, all new", async () => {
    await cluster.apply("web", web("v4", 2, "/", { minReadySeconds: 2 }));
    await eventually("a v4 replica created", async () => ((await get("web")).status.updated >= 1 ? true : undefined), 30_000, 100);
    await cluster.leaderProcess!.kill("SIGKILL");
    await cluster.startLeader(nodeOf(1), cluster.leaderPort, cluster.leaderArgs, 1);
    const status = await cluster.cube(["rollout", "status", "deployment/web", "--timeout", "2m"]);
    expect(status.code, status.stdout + status.stderr).to.equal(0);
    const done = await get("web");
    expect(done.status).to.deep.include({ replicas: 2, updated: 2, available: 2 });
    expect(done.pods).to.have.length(2);
    await eventually("exactly two web containers, on two hosts", async () => ((await containers(/_web-/)).length === 2 ? true : undefined), 30_000, 250);
    const answers = await Promise.all(
      done.pods.map((p) =>
        hosts.run(
          1,
          process.execPath,
          "-e",
          `fetch("http://${hosts.address(Number(p.node!.replace("host-", "")))}:8080/").then((r) => r.text()).then((t) => process.stdout.write(t))`,
        ),
      ),
    );
    expect(answers.map((a) => a.trim())).to.deep.equal(["v4", "v4"]);
    await cluster.cubeOk("delete", "deployment/web");
    await eventually("web's containers gone from every host", async () => ((await containers(/_web-/)).length === 0 ? true : undefined), 60_000, 500);
  });
});
