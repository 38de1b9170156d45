// Services on the multi-host test bed and in a network namespace: requests through a virtual IP against straight to
// the pod (peer-echo, the same binary in every pod), how soon each node follows a replica's readiness, and what the
// nat rules of 1 000 services cost to write on a node and to change.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { planServiceRules, serviceJumps } from "../src/agent/network/plan-service-rules.js";
import { clusterNames } from "../src/leader/pod-names.js";
import { EndpointCandidates, serviceEntries } from "../src/leader/service-endpoints.js";
import type { StoredService } from "../src/leader/store/service-store.js";
import type { PodSummary } from "../src/leader/store/store-contract.js";
import type { ServiceEntry } from "../src/shared/domain.js";
import { LocalCluster } from "../test/helpers/local-cluster.js";
import { eventually } from "../test/helpers/processes.js";
import { TestHosts } from "../test/helpers/test-hosts.js";
import { cubeRow, median, ratio, type Row } from "./figures.js";
import { IMAGE } from "./pod-start.js";

const run = promisify(execFile);
const PORT = 5201;
const MEGABYTES = 1024;
const ROUND_TRIPS = 20_000;
const FLIPS = 10;
const SERVICES = 1000;
const ENDPOINTS = 10;

const quantile = (values: number[], share: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(share * values.length))];
const ms = (values: number[]) => `${(quantile(values, 0.5) * 1000).toFixed(0)} / ${(quantile(values, 0.99) * 1000).toFixed(0)} ms`;

/** A readiness probe that also writes, on the machine's boot clock, when the pod turned ready (1) or not (0). */
const RECORDING_PROBE =
  'if test -f /tmp/unready; then s=0; else s=1; fi; if [ "$s" != "$(cat /tmp/state 2>/dev/null)" ]; then echo $s > /tmp/state; cut -d" " -f1 /proc/uptime >> /tmp/turned-$s; fi; [ $s = 1 ]';
const HTTPD = "mkdir -p /www && ip -4 -o addr show eth0 | sed 's/.*inet \\([0-9.]*\\).*/\\1/' > /www/index.html && exec httpd -f -p 8080 -h /www";

export async function services(runs: number): Promise<Row[]> {
  return [...(await dataPath(runs)), ...rulesAtScale(), ...(await programmingAtScale())];
}

async function dataPath(runs: number): Promise<Row[]> {
  const bed = await TestHosts.up(3);
  const cluster = new LocalCluster(15, [], bed);
  try {
    await cluster.startLeader("bench-svc-1", 0, ["--label", "host=1"], 1);
    for (const host of [2, 3]) cluster.startFollower(`bench-svc-${host}`, { host, extraArgs: ["--label", `host=${host}`] });
    await eventually("3 Ready nodes", async () => ((await cluster.nodes()).filter((n) => n.status === "Ready").length === 3 ? true : undefined));
    const pod = (name: string, host: number, command: string, labels: Record<string, string> = {}, extra: object = {}) => ({
      type: "pod",
      metadata: { name, labels },
      spec: {
        nodeSelector: { host: String(host) },
        containers: [{ name: "main", image: IMAGE, command: ["sh", "-c", command], ...extra }],
        terminationGracePeriodSeconds: 1,
      },
    });
    const service = (name: string, app: string, port: number, targetPort: number) => ({
      type: "service",
      metadata: { name },
      spec: { selector: { app }, ports: [{ port, targetPort }] },
    });
    const readiness = { readinessProbe: { exec: { command: ["sh", "-c", RECORDING_PROBE] }, periodSeconds: 1, failureThreshold: 1 } };
    await cluster.apply("bench-svc", [
      ...[1, 2, 3].map((host) => pod(`client-${host}`, host, "exec sleep 86400")),
      pod("server", 3, `exec peer-echo serve tcp ${PORT}`, { app: "echo" }),
      service("echo", "echo", PORT, PORT),
      pod("anchor", 2, HTTPD, { app: "web" }),
      pod("flip", 3, `touch /tmp/unready; ${HTTPD}`, { app: "web" }, readiness),
      service("web", "web", 80, 8080),
    ]);
    const ipOf = (name: string) =>
      eventually(
        `${name} Running`,
        async () => {
          const got = (await cluster.pod(name)) as { status: string; podIp?: string | null };
          return got.status === "Running" && got.podIp ? got.podIp : undefined;
        },
        60_000,
      );
    const serverIp = await ipOf("server");
    const flipIp = await ipOf("flip");
    for (const name of ["client-1", "client-2", "client-3", "anchor"]) await ipOf(name);
    const vip = (JSON.parse(await cluster.cubeOk("get", "service/echo", "-o", "json")) as { clusterIp: string }).clusterIp;
    const inPod = async (pod: string, command: string) => (await cluster.cubeOk("exec", `pod/${pod}`, "--", "sh", "-c", command)).trim();

    const throughput = { vip: [] as number[], pod: [] as number[] };
    const rtt = { vip: [] as number[], pod: [] as number[] };
    for (let r = 0; r < runs; r++) {
      throughput.pod.push(Number(await inPod("client-1", `peer-echo send ${serverIp} ${PORT} ${MEGABYTES}`)));
      throughput.vip.push(Number(await inPod("client-1", `peer-echo send ${vip} ${PORT} ${MEGABYTES}`)));
      rtt.pod.push(Number((await inPod("client-1", `peer-echo rtt ${serverIp} ${PORT} ${ROUND_TRIPS}`)).split(" ")[0]));
      rtt.vip.push(Number((await inPod("client-1", `peer-echo rtt ${vip} ${PORT} ${ROUND_TRIPS}`)).split(" ")[0]));
    }

    // Clients on every host ask the web service every 20 ms, each answer timed on the boot clock; the flip pod turns
    // ready and not ready FLIPS times, its probe writing when on the same clock.
    const count = FLIPS * 300;
    const clients = [1, 2, 3].map((host) => cluster.cube(["exec", `pod/client-${host}`, "--", "peer-echo", "tget", "web", "80", String(count), "20"]));
    for (let flip = 0; flip < FLIPS; flip++) {
      await inPod("flip", "rm -f /tmp/unready");
      await new Promise((resolve) => setTimeout(resolve, 2500));
      await inPod("flip", "touch /tmp/unready");
      await new Promise((resolve) => setTimeout(resolve, 2500));
    }
    const answers = (await Promise.all(clients)).map(({ stdout }) =>
      stdout
        .trim()
        .split("\n")
        .map((line) => line.split(" "))
        .map(([time, body]) => ({ time: Number(time), body })),
    );
    const turned = async (state: 0 | 1) => (await inPod("flip", `cat /tmp/turned-${state}`)).split("\n").map(Number);
    const [becameReady, becameUnready] = [await turned(1), await turned(0)];
    const toTraffic: number[] = [];
    const toNone: number[] = [];
    for (const client of answers) {
      for (const at of becameReady) {
        const first = client.find((answer) => answer.time >= at && answer.body === flipIp);
        if (first) toTraffic.push(first.time - at);
      }
      for (const at of becameUnready.slice(1)) {
        // The last answer from it after it turned unready (none: it stopped at once), before it turned ready again.
        const next = becameReady.find((ready) => ready > at) ?? Infinity;
        const late = client.filter((answer) => answer.time >= at && answer.time < next && answer.body === flipIp).at(-1);
        toNone.push(late ? late.time - at : 0);
      }
    }
    const failed = answers.flat().filter((answer) => answer.body === "FAIL").length;
    return [
      {
        figure: `TCP throughput, ${MEGABYTES} MiB across hosts, through the service's virtual IP vs to the pod's IP (median of ${runs})`,
        cube: `${median(throughput.vip).toFixed(0)} MB/s`,
        docker: `${median(throughput.pod).toFixed(0)} MB/s (pod IP)`,
        ratio: ratio(median(throughput.vip), median(throughput.pod)),
        target: "≥ 0.95×",
      },
      {
        figure: `TCP round trip across hosts, 1 byte, median of ${ROUND_TRIPS} (median of ${runs} runs), virtual IP vs pod IP`,
        cube: `${median(rtt.vip).toFixed(1)} µs`,
        docker: `${median(rtt.pod).toFixed(1)} µs (pod IP)`,
        ratio: `${median(rtt.vip) - median(rtt.pod) >= 0 ? "+" : ""}${(median(rtt.vip) - median(rtt.pod)).toFixed(1)} µs`,
        target: "< +50 µs",
      },
      cubeRow(
        `A replica turned ready → its first request from each of 3 nodes (${toTraffic.length} of ${FLIPS * 3} seen), median / p99`,
        ms(toTraffic),
        "≤ 1 s",
      ),
      cubeRow(
        `A replica turned unready → its last request from each node (${toNone.length} cases; ${failed} of ${count * 3} requests failed), median / p99`,
        ms(toNone),
        "≤ 1 s",
      ),
    ];
  } finally {
    await cluster.stop();
    await bed.down();
  }
}

/** 1 000 services of 10 endpoints each over 200 nodes, as the leader computes them from its pods. */
function scaleFixture(): { services: StoredService[]; pods: PodSummary[] } {
  const created = new Date();
  const services: StoredService[] = [];
  const pods: PodSummary[] = [];
  for (let s = 0; s < SERVICES; s++) {
    const name = `svc-${s}`;
    services.push({
      uid: name,
      name,
      labels: {},
      createdAt: created,
      manifest: {},
      clusterIp: `10.43.${Math.floor((s + 1) / 256)}.${(s + 1) % 256}`,
      spec: {
        type: "NodePort",
        selector: { app: name },
        ports: [{ port: 80, targetPort: 8080, protocol: "tcp", nodePort: 30000 + s }],
        externalTrafficPolicy: "Cluster",
      },
    });
    for (let e = 0; e < ENDPOINTS; e++) {
      const index = s * ENDPOINTS + e;
      pods.push({
        uid: `uid-${name}-${e}`,
        name: `${name}-${e}`,
        labels: { app: name, tier: "web" },
        hostPorts: [],
        createdAt: created,
        node: `node-${index % 200}`,
        owner: name,
        status: { phase: "Running", containers: [], ready: true, podIp: `10.42.${index % 200}.${2 + Math.floor(index / 200)}` },
      });
    }
  }
  return { services, pods };
}

/** The leader's part of a change: every service's endpoints and names from 10 000 pods (done again at each change). */
function rulesAtScale(): Row[] {
  const { services, pods } = scaleFixture();
  const times: number[] = [];
  for (let r = 0; r < 20; r++) {
    const begin = process.hrtime.bigint();
    clusterNames(pods, serviceEntries(services, new EndpointCandidates(pods)));
    times.push(Number(process.hrtime.bigint() - begin) / 1e6);
  }
  return [
    cubeRow(
      `Leader: ${SERVICES} services' endpoints and the cluster's names from ${pods.length} pods, once per change (median of 20)`,
      `${median(times).toFixed(1)} ms`,
    ),
  ];
}

/** A node's part: its nat rules for 1 000 services written from nothing, then one endpoint's change, in a namespace of its own. */
async function programmingAtScale(): Promise<Row[]> {
  const { services, pods } = scaleFixture();
  const entries = serviceEntries(services, new EndpointCandidates(pods));
  const namespace = `cube-bench-${process.pid}`;
  await run("ip", ["netns", "add", namespace]);
  // Docker's chain, which the node's filter rules hang from (an engine makes it at its start).
  await run("ip", ["netns", "exec", namespace, "iptables", "-N", "DOCKER-USER"]);
  const inNamespace = async (argv: string[], input?: string) => {
    const running = run("ip", ["netns", "exec", namespace, ...argv], { maxBuffer: 256 * 1024 * 1024 });
    if (input !== undefined) running.child.stdin!.end(input);
    return (await running).stdout;
  };
  try {
    const timed = async (work: () => Promise<unknown>) => {
      const begin = process.hrtime.bigint();
      await work();
      return Number(process.hrtime.bigint() - begin) / 1e6;
    };
    let written = new Map<string, string[]>();
    const write = async (table: ServiceEntry[]) => {
      const plan = planServiceRules(
        "node-0",
        table,
        { chains: new Set(written.keys()), jumps: new Set(written.size > 0 ? serviceJumps("node-0").map((jump) => jump.key) : []) },
        written,
      );
      if (plan.restore) await inNamespace(["iptables-restore", "--noflush"], plan.restore);
      written = plan.written;
    };
    const scratch = await timed(() => write(entries));
    const lines = (await inNamespace(["iptables-save", "-t", "nat"])).split("\n").filter((line) => line.startsWith("-A CUBE-")).length;
    const changes: number[] = [];
    let table = entries;
    for (let r = 0; r < 20; r++) {
      // One more service loses one endpoint: its chain alone is written again.
      table = table.map((entry, index) => (index === r ? { ...entry, endpoints: entry.endpoints.slice(1) } : entry));
      const changed = table;
      changes.push(await timed(() => write(changed)));
    }
    return [
      cubeRow(
        `Node: nat rules of ${SERVICES} services × ${ENDPOINTS} endpoints (${lines} rules) written from nothing (plan + iptables-restore)`,
        `${scratch.toFixed(0)} ms`,
      ),
      cubeRow(`Node: one endpoint's change among them, written (median of ${changes.length})`, `${median(changes).toFixed(1)} ms`, "≤ 100 ms"),
    ];
  } finally {
    await run("ip", ["netns", "del", namespace]);
  }
}
