import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { LocalCluster } from "../helpers/local-cluster.js";
import { eventually } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp-dir.js";
import { TestHosts } from "../helpers/test-hosts.js";

const IMAGE = "cube-test/busybox:latest";
const HOSTS = [1, 2, 3];
const nodeOf = (host: number) => `host-${host}`;
const hostOf = (node: string) => Number(node.replace("host-", ""));
const GRACE = { terminationGracePeriodSeconds: 1 };
const loop = (script: string) => ["sh", "-c", `trap 'exit 0' TERM; ${script}; while true; do sleep 1; done`];

/**
 * Pods that can be reached, keep their data and fit their nodes, on three hosts with their own addresses and engines:
 * ports published on a node and answered from another host, volumes, memory limits, capacity and node selection.
 */
describe("ports, volumes, resources and placement across three hosts", function () {
  this.timeout(300_000);
  let hosts: TestHosts;
  let cluster: LocalCluster;

  const apply = (file: string, resources: unknown) => cluster.apply(file, resources);
  const pod = (name: string, spec: object) => ({ type: "pod", metadata: { name }, spec: { ...GRACE, ...spec } });
  /** What an HTTP GET from `host` (a Node process in its network namespace) gets back from `address:port`. */
  const fetchFrom = (host: number, address: string, port: number) =>
    hosts.run(
      host,
      process.execPath,
      "-e",
      `fetch("http://${address}:${port}/", { signal: AbortSignal.timeout(3000) }).then((r) => r.text()).then((t) => process.stdout.write(t))`,
    );
  /** A host other than the one of `node`. */
  const otherHost = (node: string) => HOSTS.find((host) => host !== hostOf(node))!;
  const execIn = (podName: string, container: string, script: string) =>
    cluster.cubeOk("exec", `pod/${podName}`, "--container", container, "--", "sh", "-c", script);
  const volumes = async (host: number) => (await hosts.docker(host, "volume", "ls", "-q")).split("\n").filter(Boolean);

  before(async () => {
    hosts = await TestHosts.up(HOSTS.length);
    cluster = new LocalCluster(2, ["--label", "zone=a", "--reschedule-delay", "3s"], hosts);
    await cluster.startLeader(nodeOf(1), 0, cluster.leaderArgs, 1);
    cluster.startFollower(nodeOf(2), { host: 2, extraArgs: ["--label", "zone=b"] });
    cluster.startFollower(nodeOf(3), { host: 3, extraArgs: ["--label", "zone=b", "--label", "disk=ssd"] });
    await cluster.waitForNodes(HOSTS.map((host) => ({ name: nodeOf(host), status: "Ready", type: host === 1 ? "Leader" : "Follower" })));
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") process.stderr.write(`${cluster.recentOutput()}\n`);
  });
  after(async () => {
    await cluster?.stop();
    await hosts?.down();
  });

  it("shows each node's labels, and its capacity and pod subnet with -o wide", async () => {
    const table = (await cluster.cubeOk("nodes")).trimEnd().split("\n");
    expect(table[0]).to.match(/^Name\s+\| Status \| Type\s+\| Labels$/);
    expect(table.slice(1).map((line) => line.split("|").at(-1)!.trim())).to.deep.equal(["zone=a", "zone=b", "disk=ssd,zone=b"]);
    const wide = (await cluster.cubeOk("nodes", "-o", "wide")).trimEnd().split("\n");
    expect(wide[0]).to.match(/\| CPU\s+\| Memory\s+\| Pod subnet\s+\|/);
    // Each host's node its own /24 of the default pod CIDR.
    const subnets = wide.slice(1).map((line) => line.split("|")[5].trim());
    expect(new Set(subnets).size, subnets.join(", ")).to.equal(3);
    for (const subnet of subnets) expect(subnet).to.match(/^10\.42\.\d{1,3}\.0\/24$/);
  });

  it("publishes a fixed host port on the pod's node, answered from another host; an auto one from the range, shown by get", async () => {
    await apply("web", [
      pod("web", {
        containers: [
          {
            name: "httpd",
            image: IMAGE,
            command: loop("mkdir -p /www && echo hello from web > /www/index.html && httpd -p 80 -h /www"),
            ports: [{ containerPort: 80, hostPort: 8080 }],
          },
        ],
      }),
      pod("auto", {
        containers: [
          {
            name: "httpd",
            image: IMAGE,
            command: loop("mkdir -p /www && echo hello from auto > /www/index.html && httpd -p 8000 -h /www"),
            ports: [{ containerPort: 8000, hostPort: "auto" }],
          },
        ],
      }),
    ]);
    const web = await cluster.waitForPodStatus("web", "Running");
    const address = hosts.address(hostOf(web.node!));
    expect(web.ports).to.deep.equal([{ container: "httpd", containerPort: 80, protocol: "tcp", hostAddress: address, hostPort: 8080 }]);
    expect(await cluster.cubeOk("get", "pod/web")).to.include(`Ports:    ${address}:8080 → 80/tcp`);
    expect(await eventually("web answering", () => fetchFrom(otherHost(web.node!), address, 8080).catch(() => undefined))).to.equal("hello from web\n");

    const auto = await cluster.waitForPodStatus("auto", "Running");
    const [published] = auto.ports;
    expect(published.hostPort).to.be.within(30000, 32767);
    expect(published.hostAddress).to.equal(hosts.address(hostOf(auto.node!)));
    expect(
      await eventually("auto answering", () => fetchFrom(otherHost(auto.node!), published.hostAddress, published.hostPort).catch(() => undefined)),
    ).to.equal("hello from auto\n");
  });

  it("never puts two pods on one host port of a node: three take the three hosts, a fourth waits, saying why", async () => {
    const server = (name: string) =>
      pod(name, { containers: [{ name: "main", image: IMAGE, command: loop("true"), ports: [{ containerPort: 9000, hostPort: 9090 }] }] });
    await apply("ports", ["p1", "p2", "p3", "p4"].map(server));
    const placed = await Promise.all(["p1", "p2", "p3"].map((name) => cluster.waitForPodStatus(name, "Running")));
    expect(placed.map((p) => p.node).sort()).to.deep.equal(HOSTS.map(nodeOf));
    const pending = await cluster.pod("p4");
    expect(pending.status).to.equal("Pending");
    expect(pending.events.map((e) => `${e.reason}: ${e.message}`)).to.include(
      "FailedScheduling: cannot place pod/p4: host port 9090/tcp is taken on 3 of 3 nodes",
    );
    await cluster.cubeOk("delete", "pod/p1");
    // A port freed is taken by the pod that waited for it.
    expect((await cluster.waitForPodStatus("p4", "Running")).node).to.equal(placed[0].node);
  });

  it("keeps a pod too big for any node Pending with what it needs, and places by nodeSelector", async () => {
    await apply("big", [
      pod("huge", { containers: [{ name: "main", image: IMAGE, command: loop("true"), resources: { memory: "1Ti" } }] }),
      pod("ssd", { nodeSelector: { disk: "ssd" }, containers: [{ name: "main", image: IMAGE, command: loop("true") }] }),
      pod("nowhere", { nodeSelector: { zone: "c" }, containers: [{ name: "main", image: IMAGE, command: loop("true") }] }),
    ]);
    expect((await cluster.waitForPodStatus("ssd", "Running")).node).to.equal(nodeOf(3));
    const reasons = async (name: string) => (await cluster.pod(name)).events.map((e) => e.message);
    expect((await reasons("huge")).join("\n")).to.match(/cannot place pod\/huge: insufficient memory: needs 1Ti, largest free [\d.]+Gi on host-\d/);
    expect(await reasons("nowhere")).to.include("cannot place pod/nowhere: no Ready node matches its nodeSelector zone=c");
    expect((await cluster.pod("huge")).status).to.equal("Pending");
  });

  it("ends a container over its memory limit as OOMKilled", async () => {
    await apply("oom", [
      pod("hungry", {
        restartPolicy: "Never",
        containers: [{ name: "main", image: IMAGE, command: ["sh", "-c", "x=0123456789; while true; do x=$x$x; done"], resources: { memory: "16Mi" } }],
      }),
    ]);
    const failed = await cluster.waitForPodStatus("hungry", "Failed", 60_000);
    expect(failed.containers[0]).to.include({ state: "terminated", reason: "OOMKilled" });
  });

  it("shares an emptyDir between a pod's containers, and removes it with the pod", async () => {
    await apply("shared", [
      pod("shared", {
        volumes: [{ name: "scratch", emptyDir: {} }],
        containers: [
          { name: "writer", image: IMAGE, command: loop("echo written-by-writer > /data/note"), volumeMounts: [{ name: "scratch", mountPath: "/data" }] },
          { name: "reader", image: IMAGE, command: loop("true"), volumeMounts: [{ name: "scratch", mountPath: "/shared", readOnly: true }] },
        ],
      }),
    ]);
    const running = await cluster.waitForPodStatus("shared", "Running");
    const host = hostOf(running.node!);
    expect(await eventually("the note", () => execIn("shared", "reader", "cat /shared/note").catch(() => undefined))).to.equal("written-by-writer\n");
    expect((await volumes(host)).filter((v) => v.includes("_scratch"))).to.have.length(1);
    await cluster.cubeOk("delete", "pod/shared");
    expect((await volumes(host)).filter((v) => v.includes("_scratch"))).to.deep.equal([]);
  });

  it("keeps a persistent volume's data through a crash, a new spec, a follower SIGKILL, and delete + re-apply; --purge removes it", async () => {
    const db = (version: string) =>
      pod("db", {
        nodeSelector: { zone: "b" },
        volumes: [{ name: "data", persistent: {} }],
        containers: [
          { name: "main", image: IMAGE, env: { VERSION: version }, command: loop("true"), volumeMounts: [{ name: "data", mountPath: "/var/lib/db" }] },
        ],
      });
    await apply("db", [db("1")]);
    const first = await cluster.waitForPodStatus("db", "Running");
    const node = first.node!;
    await execIn("db", "main", "echo row-1 >> /var/lib/db/table");
    const rows = () => execIn("db", "main", "cat /var/lib/db/table");

    // A crash: the container is replaced, the data stays.
    await execIn("db", "main", "kill 1").catch(() => undefined);
    await eventually("a restart", async () => ((await cluster.pod("db")).containers[0]?.restartCount === 1 ? true : undefined), 60_000);
    await cluster.waitForPodStatus("db", "Running");
    expect(await eventually("rows after the crash", () => rows().catch(() => undefined))).to.equal("row-1\n");

    // A new spec: new containers, the same data, the same node.
    await apply("db", [db("2")]);
    await eventually("the new spec running", async () => {
      const now = await cluster.pod("db");
      return now.status === "Running" && (now.manifest as { spec: { containers: { env: { VERSION: string } }[] } }).spec.containers[0].env.VERSION === "2"
        ? now
        : undefined;
    });
    expect((await cluster.pod("db")).node).to.equal(node);
    expect(await eventually("rows after the new spec", () => rows().catch(() => undefined))).to.equal("row-1\n");

    // The node's server SIGKILLed and restarted: its containers are adopted, the data is there.
    const follower = cluster.processes.find((p) => p.label === `follower ${node}`)!;
    await follower.kill("SIGKILL");
    cluster.startFollower(node, { host: hostOf(node), extraArgs: ["--label", "zone=b", ...(node === nodeOf(3) ? ["--label", "disk=ssd"] : [])] });
    await cluster.waitForNodes(HOSTS.map((host) => ({ name: nodeOf(host), status: "Ready", type: host === 1 ? "Leader" : "Follower" })));
    expect(await eventually("rows after the SIGKILL", () => rows().catch(() => undefined))).to.equal("row-1\n");

    // Deleted and applied again: back on its node (where its data is), with its data.
    await cluster.cubeOk("delete", "pod/db");
    await apply("db", [db("3")]);
    expect((await cluster.waitForPodStatus("db", "Running")).node).to.equal(node);
    expect(await eventually("rows after delete + apply", () => rows().catch(() => undefined))).to.equal("row-1\n");

    // --purge: the volume goes with the pod.
    expect((await volumes(hostOf(node))).filter((v) => v.endsWith("_db_data"))).to.have.length(1);
    await cluster.cubeOk("delete", "pod/db", "--purge");
    expect((await volumes(hostOf(node))).filter((v) => v.endsWith("_db_data"))).to.deep.equal([]);
  });

  it("admits hostPath volumes only on a leader that allows them: pods, deployments' templates, and undo to such a template", async function () {
    this.timeout(180_000);
    const hostDir = tempDir("host-path");
    writeFileSync(join(hostDir.path, "note"), "a file of the node\n");
    const peek = (volume: object) => ({
      type: "deployment",
      metadata: { name: "peek" },
      spec: {
        replicas: 1,
        template: {
          metadata: { labels: { app: "peek" } },
          spec: {
            ...GRACE,
            volumes: [{ name: "data", ...volume }],
            containers: [{ name: "main", image: IMAGE, command: loop("true"), volumeMounts: [{ name: "data", mountPath: "/data" }] }],
          },
        },
      },
    });
    const hostPathVolume = { hostPath: { path: hostDir.path } };
    const applyFile = (name: string, resources: unknown) => {
      const path = join(cluster.dir.path, `${name}.json`);
      writeFileSync(path, JSON.stringify(resources));
      return cluster.cube(["apply", path]);
    };
    const restartLeader = async (extraArgs: string[]) => {
      await cluster.leaderProcess!.kill("SIGTERM");
      await cluster.startLeader(nodeOf(1), cluster.leaderPort, [...cluster.leaderArgs, ...extraArgs], 1);
      await cluster.waitForNodes(HOSTS.map((host) => ({ name: nodeOf(host), status: "Ready", type: host === 1 ? "Leader" : "Follower" })));
    };
    const refusal = "volumes[0].hostPath: refused: this leader does not allow host paths";
    try {
      // Refused by default: a pod's and a deployment's template, and nothing of either stored.
      const refusedPod = await applyFile(
        "host-path-pod",
        pod("peek-pod", { volumes: [{ name: "etc", hostPath: { path: "/etc" } }], containers: [{ name: "main", image: IMAGE }] }),
      );
      expect(refusedPod.code).to.equal(1);
      expect(refusedPod.stderr).to.include(`spec.${refusal}`);
      const refusedDeployment = await applyFile("host-path-deployment", peek(hostPathVolume));
      expect(refusedDeployment.code).to.equal(1);
      expect(refusedDeployment.stderr).to.include(`spec.template.spec.${refusal}`);
      for (const name of ["pod/peek-pod", "deployment/peek"]) expect((await cluster.cube(["get", name])).stderr).to.equal(`error: ${name} not found\n`);

      // Allowed: the replica reads the node's directory.
      await restartLeader(["--allow-host-paths"]);
      expect((await applyFile("host-path-deployment", peek(hostPathVolume))).stdout).to.equal("deployment/peek created (revision 1)\n");
      await cluster.cubeOk("rollout", "status", "deployment/peek", "--timeout", "60s");
      const [replica] = JSON.parse(await cluster.cubeOk("list", "pod", "-l", "app=peek", "-o", "json")) as { name: string }[];
      expect(await execIn(replica.name, "main", "cat /data/note")).to.equal("a file of the node\n");
      // Revision 2 mounts no host path.
      expect((await applyFile("host-path-deployment", peek({ emptyDir: {} }))).stdout).to.equal("deployment/peek configured (revision 2)\n");
      await cluster.cubeOk("rollout", "status", "deployment/peek", "--timeout", "60s");

      // Allowed no more: an undo to revision 1 would mount it again, so it is refused, and nothing changes.
      await restartLeader([]);
      const history = await cluster.cubeOk("rollout", "history", "deployment/peek", "-o", "json");
      const undo = await cluster.cube(["rollout", "undo", "deployment/peek"]);
      expect(undo.code).to.equal(1);
      expect(undo.stderr).to.equal(`error: revision 1: spec.template.spec.${refusal} (a host path is root on the node; start it with --allow-host-paths)\n`);
      expect(await cluster.cubeOk("rollout", "history", "deployment/peek", "-o", "json")).to.equal(history);
      const manifest = JSON.parse(await cluster.cubeOk("get", "deployment/peek", "-o", "json")).manifest;
      expect(manifest.spec.template.spec.volumes).to.deep.equal([{ name: "data", emptyDir: {} }]);
    } finally {
      await cluster.cube(["delete", "deployment/peek"]);
      hostDir.remove();
    }
  });
});
