import { readFileSync } from "node:fs";
import { expect } from "chai";
import { LocalCluster, type PodJson } from "../helpers/local-cluster.js";
import { eventually, startProcess, type TestProcess } from "../helpers/processes.js";
import { TestHosts } from "../helpers/test-hosts.js";

const IMAGE = "cube-test/busybox:latest";
/** Hosts 1-3 run Cube (the leader on 1); host 4 is a machine outside the cluster on the same network. */
const CUBE_HOSTS = [1, 2, 3];
const OUTSIDE = 4;
const nodeOf = (host: number) => `net-${host}`;
const OUTSIDE_PORT = 9000;

/** A pod on `host` that tells each caller its address, over TCP 8080 and UDP 8081 (peer-echo, in the test image). */
const echoPod = (name: string, host: number, extra: object = {}) => ({
  type: "pod",
  metadata: { name },
  spec: {
    nodeSelector: { host: String(host) },
    containers: [{ name: "main", image: IMAGE, command: ["sh", "-c", "peer-echo serve tcp 8080 & peer-echo serve udp 8081 & wait"] }],
    terminationGracePeriodSeconds: 1,
    ...extra,
  },
});

describe("the pod network: every pod reaches every other, on any host, by address and by name", function () {
  this.timeout(300_000);
  let hosts: TestHosts;
  let cluster: LocalCluster;
  let outside: TestProcess;

  const exec = (pod: string, script: string) => cluster.cube(["exec", `pod/${pod}`, "--", "sh", "-c", script]);
  const execOk = async (pod: string, script: string) => {
    const result = await exec(pod, script);
    expect(result.code, `${script}: ${result.stderr}`).to.equal(0);
    return result.stdout.trim();
  };
  const podIp = async (name: string) => (await cluster.pod(name)) as PodJson & { podIp: string | null };
  const runningIp = (name: string) =>
    eventually(
      `pod/${name} Running with an address`,
      async () => {
        const pod = await podIp(name);
        return pod.status === "Running" && pod.podIp ? pod.podIp : undefined;
      },
      60_000,
    );
  /** What a host has of Cube's pod network: its VXLAN device, Cube's routes, its node's rules. */
  const hostNetwork = async (host: number) => ({
    device: (await hosts.run(host, "ip", "-br", "link", "show", "type", "vxlan")).trim(),
    routes: (await hosts.run(host, "ip", "route", "show", "proto", "67")).trim().split("\n").filter(Boolean).sort(),
    rules: [
      ...(await hosts.run(host, "iptables", "-S", "DOCKER-USER")).split("\n"),
      ...(await hosts.run(host, "iptables", "-t", "nat", "-S", "POSTROUTING")).split("\n"),
    ].filter((rule) => rule.includes("cube-pods")),
    networks: (await hosts.docker(host, "network", "ls", "--filter", "label=cube.pod-network", "--format", "{{.Name}}")).trim(),
  });
  const subnets = async () =>
    Object.fromEntries(
      (JSON.parse(await cluster.cubeOk("nodes", "-o", "json")) as { name: string; podSubnet?: string }[]).map((node) => [node.name, node.podSubnet]),
    );

  before(async () => {
    hosts = await TestHosts.up(CUBE_HOSTS.length + 1);
    cluster = new LocalCluster(2, ["--reschedule-delay", "60s"], hosts);
    await cluster.startLeader(nodeOf(1), 0, ["--reschedule-delay", "60s", "--label", "host=1"], 1);
    for (const host of [2, 3]) cluster.startFollower(nodeOf(host), { host, extraArgs: ["--label", `host=${host}`] });
    await cluster.waitForNodes(CUBE_HOSTS.map((host) => ({ name: nodeOf(host), status: "Ready", type: host === 1 ? "Leader" : "Follower" })));
    // A server outside the cluster that tells each caller the address it came from.
    const server = `require("node:net").createServer((s) => s.end(s.remoteAddress.replace("::ffff:", "") + "\\n")).listen(${OUTSIDE_PORT}, () => console.log("listening"))`;
    const { command, args, env } = hosts.on(OUTSIDE, process.execPath, ["-e", server]);
    outside = startProcess("outside", command, args, env);
    await outside.waitForLine(/listening/);
    await cluster.apply("echoes", [echoPod("echo-1", 1), echoPod("echo-3", 3)]);
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") process.stderr.write(`${cluster.recentOutput()}\n`);
  });
  after(async () => {
    await outside?.kill("SIGTERM");
    await cluster?.stop();
    await hosts?.down();
  });

  it("gives each node a subnet of the pod CIDR, and each pod an address in its node's", async () => {
    const held = await subnets();
    expect(new Set(Object.values(held)).size).to.equal(3);
    for (const [pod, host] of [
      ["echo-1", 1],
      ["echo-3", 3],
    ] as const) {
      const ip = await runningIp(pod);
      expect(ip.split(".").slice(0, 3).join("."), pod).to.equal(held[nodeOf(host)]!.split(".").slice(0, 3).join("."));
      expect(await cluster.cubeOk("get", `pod/${pod}`)).to.match(new RegExp(`^IP:\\s+${ip.replaceAll(".", "\\.")}$`, "m"));
    }
  });

  it("carries TCP and UDP between pods on different hosts, by address and by name, and the peer sees the caller's own address", async () => {
    const caller = await runningIp("echo-1");
    const callee = await runningIp("echo-3");
    for (const target of [callee, "echo-3", "echo-3.cube.internal"]) {
      expect(await execOk("echo-1", `peer-echo ask tcp ${target} 8080`), `TCP to ${target}`).to.equal(caller);
      expect(await execOk("echo-1", `peer-echo ask udp ${target} 8081`), `UDP to ${target}`).to.equal(caller);
    }
    // And back the other way.
    expect(await execOk("echo-3", "peer-echo ask tcp echo-1 8080")).to.equal(callee);
  });

  it("masquerades what leaves the pod network: a machine outside sees the pod's node", async () => {
    expect(await execOk("echo-3", `peer-echo ask tcp ${hosts.address(OUTSIDE)} ${OUTSIDE_PORT}`)).to.equal(hosts.address(3));
  });

  it("says a name of the zone that no pod has does not exist", async () => {
    const missing = await exec("echo-1", "nslookup nothere.cube.internal");
    expect(missing.code).to.not.equal(0);
    expect(missing.stdout + missing.stderr).to.match(/NXDOMAIN/);
  });

  it("resolves a new pod's name soon after it runs, and stops soon after its deletion is asked", async () => {
    // A pod that asks for the name every 50 ms and prints when (the machine's uptime, the clock every process here shares).
    const watcher = {
      ...echoPod("watcher", 2),
      spec: {
        ...echoPod("watcher", 2).spec,
        containers: [
          {
            name: "main",
            image: IMAGE,
            command: [
              "sh",
              "-c",
              "while true; do if nslookup late >/dev/null 2>&1; then r=yes; else r=no; fi; echo \"$(cut -d' ' -f1 /proc/uptime) $r\"; usleep 50000; done",
            ],
          },
        ],
      },
    };
    await cluster.apply("watcher", [watcher]);
    await runningIp("watcher");
    const uptime = () => Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    await cluster.apply("late", [echoPod("late", 3)]);
    await runningIp("late");
    const runningAt = uptime();
    await cluster.cubeOk("delete", "pod/late", "--no-wait");
    const deletedAt = uptime();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const lines = (await cluster.cubeOk("logs", "pod/watcher"))
      .split("\n")
      .map((line) => /^\[main\] ([\d.]+) (yes|no)$/.exec(line) ?? /^([\d.]+) (yes|no)$/.exec(line))
      .filter((match) => match !== null)
      .map((match) => ({ at: Number(match[1]), found: match[2] === "yes" }));
    // The scenario happened: the name was unknown, then known, then unknown again.
    const firstFound = lines.find((line) => line.found);
    expect(firstFound, "the watcher never found the name").to.not.equal(undefined);
    const lost = lines.find((line) => line.at > firstFound!.at && !line.found);
    expect(lost, "the name never stopped resolving").to.not.equal(undefined);
    process.stderr.write(
      `      name resolved ${(firstFound!.at - runningAt).toFixed(2)} s after Running was seen; gone ${(lost!.at - deletedAt).toFixed(2)} s after the deletion\n`,
    );
    expect(firstFound!.at - runningAt, "resolved within 1 s of Running").to.be.below(1);
    expect(lost!.at - deletedAt, "gone within 1 s of the deletion").to.be.below(1);
  });

  it("answers a deployment's name with its ready replicas' addresses", async () => {
    const deployment = {
      type: "deployment",
      metadata: { name: "echoes" },
      spec: { replicas: 2, template: { spec: { ...echoPod("unused", 2).spec, nodeSelector: undefined } } },
    };
    await cluster.apply("deployment", deployment);
    const replicas = await eventually(
      "two replicas Running with addresses",
      async () => {
        const listed = JSON.parse(await cluster.cubeOk("list", "pod", "-o", "json")) as { name: string; status: string; ip: string | null }[];
        const running = listed.filter((pod) => pod.name.startsWith("echoes-") && pod.status === "Running" && pod.ip);
        return running.length === 2 ? running.map((pod) => pod.ip!).sort() : undefined;
      },
      60_000,
    );
    const answered = await eventually(
      "the deployment's name gives both",
      async () => {
        const found = [...(await execOk("echo-1", "nslookup echoes.cube.internal")).matchAll(/Address: (10\.42\.\d+\.\d+)/g)].map((m) => m[1]).sort();
        return found.length === 2 ? found : undefined;
      },
      10_000,
    );
    expect(answered).to.deep.equal(replicas);
    await cluster.cubeOk("delete", "deployment/echoes");
  });

  it("keeps host ports working, and refuses a hostNetwork pod unless the leader allows it", async () => {
    const published = echoPod("published", 2);
    (published.spec.containers[0] as { ports?: unknown }).ports = [{ containerPort: 8080, hostPort: 31080 }];
    await cluster.apply("published", [published]);
    await runningIp("published");
    const client = `const s = require("node:net").connect(31080, "${hosts.address(2)}").on("data", (d) => { process.stdout.write(d); s.destroy(); })`;
    const answer = await eventually(
      "the host port answers",
      async () => (await hosts.run(OUTSIDE, process.execPath, "-e", client)).trim() || undefined,
      15_000,
    );
    expect(answer).to.match(/^\d+\.\d+\.\d+\.\d+$/);

    const refused = await cluster.cube(["apply", "-f", "-"], undefined, JSON.stringify([echoPod("on-host", 2, { hostNetwork: true })]));
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/hostNetwork: refused: this leader does not allow pods on their node's network .*--allow-host-network/);
  });

  it("converges after a follower is killed and restarted, and after its host's engine restarts: the same rules, once each", async () => {
    const before = await hostNetwork(3);
    expect(before.device).to.match(/^cube\.1\s/);
    expect(before.routes).to.have.length(2);
    expect(before.rules).to.have.length(4);
    const follower = cluster.processes.find((p) => p.label === `follower ${nodeOf(3)}`)!;
    await follower.kill("SIGKILL");
    cluster.processes.splice(cluster.processes.indexOf(follower), 1);
    cluster.startFollower(nodeOf(3), { host: 3, extraArgs: ["--label", "host=3"] });
    await cluster.waitForNodes(CUBE_HOSTS.map((host) => ({ name: nodeOf(host), status: "Ready", type: host === 1 ? "Leader" : "Follower" })));
    expect(await execOk("echo-1", "peer-echo ask tcp echo-3 8080")).to.equal(await runningIp("echo-1"));

    await hosts.stopEngine(3);
    await hosts.startEngine(3);
    // The engine stopped its containers: the pod starts again (perhaps with another address), and its name follows.
    const caller = await runningIp("echo-1");
    await eventually(
      "echo-3 reached by name again",
      async () => ((await exec("echo-1", "peer-echo ask tcp echo-3 8080")).stdout.trim() === caller ? true : undefined),
      60_000,
    );
    expect(await hostNetwork(3)).to.deep.equal(before);
  });

  it("follows a node that changes address: the other hosts send its pods' traffic to the new one", async () => {
    await hosts.run(2, "ip", "addr", "add", "10.99.0.22/24", "dev", "eth0");
    const follower = cluster.processes.find((p) => p.label === `follower ${nodeOf(2)}`)!;
    await follower.kill("SIGTERM");
    cluster.processes.splice(cluster.processes.indexOf(follower), 1);
    cluster.startFollower(nodeOf(2), { host: 2, advertise: "10.99.0.22:4243", extraArgs: ["--label", "host=2"] });
    await eventually(
      "host 1 sends host 2's pod traffic to 10.99.0.22",
      async () => ((await hosts.run(1, "bridge", "fdb", "show", "dev", "cube.1")).includes("dst 10.99.0.22 ") ? true : undefined),
      30_000,
    );
    expect(await hosts.run(1, "bridge", "fdb", "show", "dev", "cube.1")).to.not.include(`dst ${hosts.address(2)} `);
    await eventually(
      "host 2's VXLAN device sends from its new address",
      async () => ((await hosts.run(2, "ip", "-d", "link", "show", "type", "vxlan")).includes("local 10.99.0.22 ") ? true : undefined),
      30_000,
    );
    expect(await execOk("echo-1", `peer-echo ask tcp ${await runningIp("published")} 8080`)).to.equal(await runningIp("echo-1"));
  });

  it("leaves nothing on a removed node's host; the others forget its subnet; back, it joins the network again", async () => {
    const held = await subnets();
    const gone = held[nodeOf(3)]!;
    await cluster.cubeOk("node", "rm", nodeOf(3));
    await eventually("host 3 left with nothing of the pod network", async () => {
      const left = await hostNetwork(3);
      return left.device === "" && left.routes.length === 0 && left.rules.length === 0 && left.networks === "" ? true : undefined;
    });
    await eventually("host 1 forgot host 3's subnet", async () => ((await hostNetwork(1)).routes.some((route) => route.startsWith(gone)) ? undefined : true));
    // Restarted, it joins with a new key, is given a subnet again, and its pods are reached.
    const follower = cluster.processes.find((p) => p.label === `follower ${nodeOf(3)}`)!;
    await follower.kill("SIGTERM");
    cluster.processes.splice(cluster.processes.indexOf(follower), 1);
    cluster.startFollower(nodeOf(3), { host: 3, extraArgs: ["--label", "host=3"] });
    await cluster.waitForNodes(CUBE_HOSTS.map((host) => ({ name: nodeOf(host), status: "Ready", type: host === 1 ? "Leader" : "Follower" })));
    await cluster.apply("again", [echoPod("again-3", 3)]);
    const ip = await runningIp("again-3");
    expect(await execOk("echo-1", `peer-echo ask tcp again-3 8080`)).to.equal(await runningIp("echo-1"));
    expect(ip.startsWith((await subnets())[nodeOf(3)]!.split(".").slice(0, 3).join("."))).to.equal(true);
  });

  it("switches to host-gw with the leader's flag: direct routes instead of VXLAN, pods still reached; hostNetwork once allowed", async () => {
    const leader = cluster.leaderProcess!;
    await leader.kill("SIGTERM");
    cluster.processes.splice(cluster.processes.indexOf(leader), 1);
    await cluster.startLeader(
      nodeOf(1),
      cluster.leaderPort,
      ["--reschedule-delay", "60s", "--label", "host=1", "--pod-network", "host-gw", "--allow-host-network"],
      1,
    );
    await eventually(
      "every host on direct routes",
      async () => {
        const all = await Promise.all(CUBE_HOSTS.map(hostNetwork));
        const direct = all.every(
          (host, index) =>
            host.device === "" &&
            host.routes.length === 2 &&
            host.routes.every((route) => / via 10\.99\.0\.\d+ dev eth0/.test(route) && !route.includes(`10.99.0.${index + 1} `)),
        );
        return direct ? true : undefined;
      },
      30_000,
    );
    // The pods' network is made anew with host-gw's MTU (the uplink's, VXLAN's 50 bytes no longer taken): they restart once.
    await eventually(
      "echo-1 reaches again-3 over the direct routes",
      async () => {
        const answer = await exec("echo-1", "peer-echo ask udp again-3 8081");
        return answer.code === 0 && answer.stdout.trim() === (await podIp("echo-1")).podIp ? true : undefined;
      },
      60_000,
    );

    await cluster.apply("on-host", [echoPod("on-host", 2, { hostNetwork: true })]);
    await eventually("on-host Running", async () => ((await cluster.pod("on-host")).status === "Running" ? true : undefined), 30_000);
    // Its server listens on host 2's own addresses: a machine outside reaches it there, and sees its own address.
    const client = `const s = require("node:net").connect(8080, "${hosts.address(2)}").on("data", (d) => { process.stdout.write(d); s.destroy(); })`;
    expect((await hosts.run(OUTSIDE, process.execPath, "-e", client)).trim()).to.equal(hosts.address(OUTSIDE));
  });
});
