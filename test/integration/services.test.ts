import { expect } from "chai";
import { LocalCluster } from "../helpers/local-cluster.js";
import { eventually } from "../helpers/processes.js";
import { TestHosts } from "../helpers/test-hosts.js";

const IMAGE = "cube-test/busybox:latest";
/** Hosts 1-3 run Cube (the leader on 1); host 4 is a client outside the cluster. */
const CUBE_HOSTS = [1, 2, 3];
const OUTSIDE = 4;
const nodeOf = (host: number) => `svc-${host}`;
const LOCAL_PORT = 30481;
const CLUSTER_PORT = 30482;

/** busybox httpd on 8080 that answers with its pod's address; ready while /tmp/unready does not exist. */
const webDeployment = (version: string) => ({
  type: "deployment",
  metadata: { name: "web" },
  spec: {
    replicas: 3,
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: {
        containers: [
          {
            name: "httpd",
            image: IMAGE,
            env: { VERSION: version },
            command: [
              "sh",
              "-c",
              "mkdir -p /www && ip -4 -o addr show eth0 | sed 's/.*inet \\([0-9.]*\\).*/\\1/' > /www/index.html && exec httpd -f -p 8080 -h /www",
            ],
            readinessProbe: { exec: { command: ["sh", "-c", "test ! -f /tmp/unready"] }, periodSeconds: 1, failureThreshold: 1 },
          },
        ],
        terminationGracePeriodSeconds: 1,
      },
    },
  },
});

const pinned = (name: string, host: number, command: string, labels: Record<string, string> = {}) => ({
  type: "pod",
  metadata: { name, labels },
  spec: {
    nodeSelector: { host: String(host) },
    containers: [{ name: "main", image: IMAGE, command: ["sh", "-c", command] }],
    terminationGracePeriodSeconds: 1,
  },
});

const service = (name: string, selector: Record<string, string>, port: object, extra: object = {}) => ({
  type: "service",
  metadata: { name },
  spec: { selector, ports: [port], ...extra },
});

describe("services: one name and address per application, balanced over ready replicas, open on every node", function () {
  this.timeout(600_000);
  let hosts: TestHosts;
  let cluster: LocalCluster;

  const execOk = async (pod: string, script: string) => {
    const result = await cluster.cube(["exec", `pod/${pod}`, "--", "sh", "-c", script]);
    expect(result.code, `${script}: ${result.stderr}`).to.equal(0);
    return result.stdout.trim();
  };
  /** The web replicas that run and are ready, by address. */
  const webReplicas = async () => {
    const pods = JSON.parse(await cluster.cubeOk("list", "pod", "-l", "app=web", "-o", "json")) as {
      name: string;
      node: string | null;
      status: string;
      ip: string | null;
      ready: string;
    }[];
    return pods.filter((pod) => pod.status === "Running" && pod.ip && pod.ready === "1/1");
  };
  const endpoints = async (name: string) =>
    (JSON.parse(await cluster.cubeOk("get", `service/${name}`, "-o", "json")) as { endpoints: { pod: string; address: string; ready: boolean }[] }).endpoints;
  /** GETs from a pod: each answer (a replica's address) or "FAIL …". */
  const gets = async (pod: string, target: string, count: number, intervalMs = 0) =>
    (await execOk(pod, `peer-echo get ${target} 80 ${count} ${intervalMs}`)).split("\n");
  /** What a host has of Cube's services in its nat table: its nodes' chains' rules and their jumps. */
  const natRules = async (host: number) =>
    (await hosts.run(host, "iptables-save", "-t", "nat"))
      .split("\n")
      .filter((line) => /^-A CUBE-|cube-svc:/.test(line))
      .sort();
  /** From the outside host: one TCP connection to ADDRESS:PORT, what peer-echo said (the address it saw), or the error. */
  const askFromOutside = async (address: string, port: number) => {
    const script = `const s = require("node:net").connect(${port}, "${address}"); s.setTimeout(3000, () => { console.log("FAIL timeout"); process.exit(0); });
      s.on("data", (d) => { console.log(String(d).trim()); process.exit(0); }); s.on("error", (e) => { console.log("FAIL " + e.code); process.exit(0); });`;
    return (await hosts.run(OUTSIDE, process.execPath, "-e", script)).trim();
  };

  before(async () => {
    hosts = await TestHosts.up(CUBE_HOSTS.length + 1);
    cluster = new LocalCluster(2, [], hosts);
    await cluster.startLeader(nodeOf(1), 0, ["--label", "host=1"], 1);
    for (const host of [2, 3]) cluster.startFollower(nodeOf(host), { host, extraArgs: ["--label", `host=${host}`] });
    await cluster.waitForNodes(CUBE_HOSTS.map((host) => ({ name: nodeOf(host), status: "Ready", type: host === 1 ? "Leader" : "Follower" })));
    await cluster.apply("web", [
      webDeployment("1"),
      service("web", { app: "web" }, { port: 80, targetPort: 8080 }),
      ...CUBE_HOSTS.map((host) => pinned(`client-${host}`, host, "exec sleep 86400")),
      pinned("echo-3", 3, "exec peer-echo serve tcp 8080", { app: "echo" }),
    ]);
    await eventually(
      "3 web replicas ready, behind the service",
      async () => ((await endpoints("web")).filter((e) => e.ready).length === 3 ? true : undefined),
      90_000,
    );
    for (const host of CUBE_HOSTS) await cluster.waitForPodStatus(`client-${host}`, "Running", 60_000);
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") process.stderr.write(`${cluster.recentOutput()}\n`);
  });
  after(async () => {
    await cluster?.stop();
    await hosts?.down();
  });

  it("balances 300 requests from a pod on each host over the 3 replicas, by name and by virtual IP; tasks.web names them", async () => {
    const replicas = (await webReplicas()).map((pod) => pod.ip!).sort();
    expect(replicas).to.have.length(3);
    const get = JSON.parse(await cluster.cubeOk("get", "service/web", "-o", "json")) as { clusterIp: string };
    expect(get.clusterIp).to.match(/^10\.43\./);
    for (const host of CUBE_HOSTS) {
      for (const target of ["web", get.clusterIp]) {
        const answers = await gets(`client-${host}`, target, 300);
        expect(
          answers.filter((a) => a.startsWith("FAIL")),
          `from host ${host} to ${target}`,
        ).to.deep.equal([]);
        expect([...new Set(answers)].sort(), `from host ${host} to ${target}`).to.deep.equal(replicas);
        // Evenly: each replica gets a fair share (1/3 of 300; binomial, 5 standard deviations either side).
        for (const replica of replicas) expect(answers.filter((a) => a === replica).length).to.be.within(60, 140);
      }
    }
    const tasks = await execOk("client-2", "nslookup tasks.web");
    expect([...tasks.matchAll(/Address: (10\.42\.\S+)/g)].map((m) => m[1]).sort()).to.deep.equal(replicas);
    expect(await execOk("client-2", "nslookup web")).to.include(`Address: ${get.clusterIp}`);
    expect(await cluster.cubeOk("get", "service/web")).to.match(/Endpoints: 3 receiving traffic, of 3/);
    const listed = (await cluster.cubeOk("list", "svc")).split("\n").find((line) => /^[\s|]*web[\s|]/.test(line));
    expect(listed?.split("|").map((cell) => cell.trim())).to.include.members(["web", "ClusterIP", get.clusterIp, "80/tcp → 8080", "3/3"]);
    // A replica that reaches its own service may land on itself (the reply then comes back through its node).
    const [self] = await webReplicas();
    const own = await gets(self.name, "web", 60);
    expect(own.filter((a) => a.startsWith("FAIL"))).to.deep.equal([]);
    expect(own).to.include(self.ip);
  });

  it("sends nothing to a replica whose readiness fails, within 1 s; sends to it again once it passes", async () => {
    const [victim] = await webReplicas();
    await execOk(victim.name, "touch /tmp/unready");
    await eventually(
      "the replica no longer ready",
      async () => ((await endpoints("web")).some((e) => e.pod === victim.name && !e.ready) ? true : undefined),
      10_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const host of CUBE_HOSTS) expect(await gets(`client-${host}`, "web", 60), `from host ${host}`).to.not.include(victim.ip);
    await execOk(victim.name, "rm /tmp/unready");
    await eventually("the replica receives again", async () => ((await gets("client-1", "web", 30)).includes(victim.ip!) ? true : undefined), 15_000);
  });

  it("answers a NodePort on every host's address, a host without the pod included; Local keeps the client's address; no ready pod: refused at once", async () => {
    await cluster.apply("ports", [
      service("echo-cluster", { app: "echo" }, { port: 8080, nodePort: CLUSTER_PORT }, { type: "NodePort" }),
      service("echo-local", { app: "echo" }, { port: 8080, nodePort: LOCAL_PORT }, { type: "NodePort", externalTrafficPolicy: "Local" }),
    ]);
    await eventually("echo-3 behind both", async () => ((await endpoints("echo-local")).some((e) => e.ready) ? true : undefined), 30_000);
    for (const host of CUBE_HOSTS) {
      const seen = await eventually(`echo-cluster through host ${host}`, async () => {
        const answer = await askFromOutside(hosts.address(host), CLUSTER_PORT);
        return answer.startsWith("FAIL") ? undefined : answer;
      });
      // Forwarded by any node: the reply must come back through it, so the pod sees that node, not the client.
      expect(seen, `through host ${host}`).to.not.equal(hosts.address(OUTSIDE));
    }
    expect(await askFromOutside(hosts.address(3), LOCAL_PORT)).to.equal(hosts.address(OUTSIDE));
    // A service that selects no ready pod refuses at once (no connection left to hang).
    await cluster.apply("nobody", [service("nobody", { app: "nobody" }, { port: 80 })]);
    // (Refused before routing would look for a route: the bed's hosts have none by default, as a LAN's host would.)
    await hosts.run(1, "ip", "route", "add", "default", "via", hosts.address(OUTSIDE));
    try {
      await eventually("nobody refused", async () => ((await gets("client-1", "nobody", 1))[0].includes("Connection refused") ? true : undefined), 15_000);
    } finally {
      await hosts.run(1, "ip", "route", "del", "default");
    }
    expect(await askFromOutside(hosts.address(1), LOCAL_PORT)).to.match(/^FAIL/);
    const clash = await cluster.cube(
      ["apply", "-f", "-"],
      undefined,
      JSON.stringify(pinned("clash", 2, "sleep 1", {})).replace('"command"', '"ports":[{"containerPort":80,"hostPort":30481}],"command"'),
    );
    expect(clash.code).to.equal(1);
    expect(clash.stderr).to.match(/host port 30481\/tcp is service\/echo-local's node port/);
  });

  /** Runs a steady client (10 requests/s from client-1, `count` of them) while `disturb` runs; returns its answers. */
  const underSteadyClient = async (count: number, disturb: () => Promise<void>) => {
    const client = cluster.cube(["exec", "pod/client-1", "--", "peer-echo", "get", "web", "80", String(count), "100"]);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await disturb();
    const { code, stdout, stderr } = await client;
    expect(code, stderr).to.equal(0);
    return stdout.trim().split("\n");
  };

  it("refuses no request during a rolling update behind the service, nor during a drain", async () => {
    const before = new Set((await webReplicas()).map((pod) => pod.ip!));
    const during = await underSteadyClient(250, async () => {
      await cluster.apply("web-2", [webDeployment("2")]);
      await cluster.cubeOk("rollout", "status", "deployment/web", "--timeout", "120s");
    });
    const after = new Set((await webReplicas()).map((pod) => pod.ip!));
    // The scenario happened: every replica was replaced while the client ran, and it was answered by both.
    expect([...after].filter((ip) => before.has(ip))).to.deep.equal([]);
    expect(during.some((answer) => before.has(answer)) && during.some((answer) => after.has(answer))).to.equal(true);
    expect(during.filter((answer) => answer.startsWith("FAIL"))).to.deep.equal([]);
    expect(during).to.have.length(250);

    const drained = (await webReplicas()).filter((pod) => pod.node === nodeOf(2));
    expect(drained, "a web replica on svc-2 to drain").to.not.be.empty;
    // A pod pinned to the node could not leave it (the drain would wait for it): it goes first.
    await cluster.cubeOk("delete", "pod/client-2");
    const duringDrain = await underSteadyClient(150, async () => {
      await cluster.cubeOk("drain", nodeOf(2));
      await eventually(
        "the drained replicas replaced",
        async () => {
          const now = await webReplicas();
          return now.length === 3 && now.every((pod) => pod.node !== nodeOf(2)) ? true : undefined;
        },
        90_000,
      );
    });
    expect(duringDrain.filter((answer) => answer.startsWith("FAIL"))).to.deep.equal([]);
    expect(duringDrain.some((answer) => answer === drained[0].ip)).to.equal(true);
    await cluster.cubeOk("uncordon", nodeOf(2));
  });

  it("converges after a follower is SIGKILLed and restarted, after an engine restart, and after a service's deletion: nothing stale", async () => {
    const before = await natRules(2);
    expect(before.filter((line) => line.includes("cube-svc:"))).to.have.length(3);
    const follower = cluster.processes.find((p) => p.label === `follower ${nodeOf(2)}`)!;
    await follower.kill("SIGKILL");
    cluster.processes.splice(cluster.processes.indexOf(follower), 1);
    // While it is away, a service goes: its host keeps its last rules, and drops that service's once back.
    await cluster.cubeOk("delete", "service/echo-cluster");
    expect(await natRules(2)).to.deep.equal(before);
    cluster.startFollower(nodeOf(2), { host: 2, extraArgs: ["--label", "host=2"] });
    for (const host of CUBE_HOSTS) {
      await eventually(
        `host ${host} without echo-cluster's node port`,
        async () => ((await natRules(host)).some((l) => l.includes(`--dport ${CLUSTER_PORT}`)) ? undefined : true),
        30_000,
      );
    }
    await hosts.stopEngine(3);
    await hosts.startEngine(3);
    await eventually(
      "echo-local through host 3 again",
      async () => ((await askFromOutside(hosts.address(3), LOCAL_PORT)) === hosts.address(OUTSIDE) ? true : undefined),
      90_000,
    );
    for (const host of CUBE_HOSTS) {
      const rules = await natRules(host);
      expect(
        rules.filter((line) => line.includes("cube-svc:")),
        `host ${host}'s jumps`,
      ).to.have.length(3);
      expect(new Set(rules).size, `host ${host}: each rule once`).to.equal(rules.length);
    }
    await cluster.cubeOk("delete", "service/echo-local");
    await cluster.cubeOk("delete", "service/web");
    await cluster.cubeOk("delete", "service/nobody");
    for (const host of CUBE_HOSTS) {
      await eventually(`host ${host} with no DNAT left`, async () => ((await natRules(host)).some((l) => l.includes("DNAT")) ? undefined : true), 30_000);
      await eventually(
        `host ${host} with no refusal left`,
        async () => ((await hosts.run(host, "iptables-save", "-t", "filter")).includes("REJECT") ? undefined : true),
        30_000,
      );
    }
  });
});
