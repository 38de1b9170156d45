// What seeing the cluster costs: a node measuring 100 real containers, a leader told the usage of 10 000 pods on 200
// simulated nodes, and a scrape of the leader's metrics with those 10 000 pods.
import { join } from "node:path";
import { LocalCluster } from "../test/helpers/local-cluster.js";
import { eventually, runCube, type TestProcess } from "../test/helpers/processes.js";
import { cpuMs, cubeRow, median, type Row } from "./figures.js";
import { SIMULATED_IMAGE, writeScaleManifest } from "./scale-parts.js";
import { allPodsRunning, withSimulatedCluster } from "./simulated-cluster.js";

const IMAGE = "cube-test/busybox:latest";
const WINDOW_MS = 60_000;

/** A process's CPU over `ms`, in % of one core. */
async function cpuPercent(process: TestProcess, ms: number): Promise<number> {
  const before = cpuMs(process.pid);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (100 * (cpuMs(process.pid) - before)) / ms;
}

/** A histogram's sum and count in a scrape. */
function histogram(text: string, name: string): { sum: number; count: number } {
  const value = (suffix: string) => Number(new RegExp(`^${name}_${suffix} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
  return { sum: value("sum"), count: value("count") };
}

/** A process's CPU over `ms` (% of one core), and the mean of a histogram of its metrics over that time (ms). */
async function overWindow(server: TestProcess, metricsUrl: string, name: string, ms: number): Promise<{ cpu: number; meanMs: number }> {
  const before = histogram(await (await fetch(metricsUrl)).text(), name);
  const cpu = await cpuPercent(server, ms);
  const after = histogram(await (await fetch(metricsUrl)).text(), name);
  return { cpu, meanMs: (1000 * (after.sum - before.sum)) / (after.count - before.count) };
}

const percent = (value: number) => `${value.toFixed(2)} %`;

/** One node running 100 containers (real Docker), measured every 10 s, against the same node measuring nothing. */
async function agentCost(containers: number): Promise<Row[]> {
  const cluster = new LocalCluster(5, ["--pods-on-leader", "no"]);
  try {
    await cluster.startLeader("obs-leader");
    const start = (interval: string) => cluster.startFollower("obs-node", { extraArgs: ["--usage-interval", interval] });
    let node = start("10s");
    await eventually("the node Ready", async () => ((await cluster.nodes()).some((n) => n.name === "obs-node" && n.status === "Ready") ? true : undefined));
    const pods = Array.from({ length: containers }, (_, i) => ({
      type: "pod",
      metadata: { name: `idle-${i}` },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "main", image: IMAGE, command: ["sleep", "86400"] }] },
    }));
    await cluster.apply("idle", pods);
    const client = await cluster.leaderClient();
    await allPodsRunning(client, containers, 600_000, 1000);
    await new Promise((resolve) => setTimeout(resolve, 15_000)); // starts settled, a few passes done
    const sampling = await overWindow(node, await cluster.metricsUrl(node), "cube_node_usage_pass_duration_seconds", WINDOW_MS);
    // The scenario happened: the pods were measured, and the leader has their figures.
    const measured = (await client.top("pod", "")).pods.length;
    if (measured !== containers) throw new Error(`${measured} pods measured of ${containers}`);
    // The same node again (it adopts its containers), measuring once an hour: what the rest of its work costs.
    await node.kill("SIGTERM");
    node = start("1h");
    await allPodsRunning(client, containers, 600_000, 1000);
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    const quiet = await cpuPercent(node, WINDOW_MS);
    client.close();
    return [
      cubeRow(
        `node agent with ${containers} running containers (real Docker), over ${WINDOW_MS / 1000} s: CPU measuring every 10 s / every hour; one measuring pass (mean)`,
        `${percent(sampling.cpu)} / ${percent(quiet)} of a core; ${sampling.meanMs.toFixed(1)} ms`,
        "sampling < 2 % of a core",
      ),
    ];
  } finally {
    await cluster.stop();
  }
}

/** A leader with 10 000 pods on 200 simulated nodes: its CPU while every pod's figures change at each pass, and a scrape. */
async function leaderCost(pods: number, nodes: number): Promise<Row[]> {
  return withSimulatedCluster(nodes, SIMULATED_IMAGE, async ({ cluster, leader, simulated, client }) => {
    const path = join(cluster.dir.path, "scale.json");
    writeScaleManifest(path, pods);
    const applied = await runCube(["apply", path], cluster.cliEnv());
    if (applied.code !== 0) throw new Error(applied.stderr);
    await allPodsRunning(client, pods, 600_000, 500);
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    const busyNodes = async () => (await client.top("node", "")).nodes.filter((node) => node.cpuMillis > 0).length;
    const still = await cpuPercent(leader, 30_000);
    if ((await busyNodes()) !== 0) throw new Error("the simulated pods use CPU before they are told to");
    simulated.signal("SIGUSR2"); // every pod's figures change at every pass from now on
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const moving = await cpuPercent(leader, 30_000);
    // The scenario happened: every node's pods were reported busy.
    if ((await busyNodes()) !== nodes) throw new Error(`only ${await busyNodes()} of ${nodes} nodes reported their pods' usage`);
    simulated.signal("SIGUSR2");
    const url = await cluster.metricsUrl(leader);
    const scrapes: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 5; i++) {
      const begin = process.hrtime.bigint();
      bytes = (await (await fetch(url)).text()).length;
      scrapes.push(Number(process.hrtime.bigint() - begin) / 1e6);
    }
    return [
      cubeRow(
        `leader with ${pods} pods on ${nodes} simulated nodes measuring every 10 s, over 30 s: CPU with no figure changing / every pod's changing at each pass (${pods / 10} pod updates/s)`,
        `${percent(still)} / ${percent(moving)} of a core`,
      ),
      cubeRow(`GET /metrics of that leader (${Math.round(bytes / 1024)} KiB; median of 5)`, `${Math.round(median(scrapes))} ms`),
    ];
  });
}

export async function observability(): Promise<Row[]> {
  return [...(await agentCost(100)), ...(await leaderCost(10_000, 200))];
}
