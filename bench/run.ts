// `npm run bench [-- PART... [--runs N] [--write]]`: Cube measured against the bare Docker engine on this machine, and
// at scale with simulated nodes, and against Docker Swarm on the multi-host test bed. Parts: pod-start, throughput, swarm, cli, scale, deployments, node-loss, shutdown,
// apply-stall (default: all). Every comparison is a ratio of two things measured in the same run; figures are medians. --write puts the
// table in bench/RESULTS.md.
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { LocalCluster } from "../test/helpers/local-cluster.js";
import { eventually, projectRoot, runCube } from "../test/helpers/processes.js";
import { measureApplyStall } from "./apply-stall.js";
import { measureDeployments } from "./deployments.js";
import { withSimulatedCluster } from "./simulated-cluster.js";
import { measureNodeLoss } from "./node-loss.js";
import { measureShutdown } from "./shutdown.js";
import { cubeBurst, cubePodStarts, dockerRunBurst, dockerRunStarts, localEngine, poolsFull, type PodStartSplit } from "./pod-start.js";
import { compareWithSwarm } from "./swarm.js";

const run = promisify(execFile);
/** The image of the scale benchmark's pods, which the simulated nodes' fake engines hold. */
const SIMULATED_IMAGE = "bench/app:1";
/** The servers' `--warm-sandboxes` default. */
const DEFAULT_WARM_SANDBOXES = 3;

interface Row {
  figure: string;
  cube: string;
  docker: string;
  ratio: string;
  target: string;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

/** A leader and two followers on this machine's engine, each server given `serverArgs`. */
async function withCluster<T>(body: (cluster: LocalCluster, prefix: string) => Promise<T>, serverArgs: string[] = []): Promise<T> {
  const cluster = new LocalCluster(15, serverArgs);
  const prefix = `bench${Math.random().toString(36).slice(2, 6)}`;
  try {
    await cluster.startLeader(`${prefix}-main`);
    cluster.startFollower(`${prefix}-f1`, { extraArgs: serverArgs });
    cluster.startFollower(`${prefix}-f2`, { extraArgs: serverArgs });
    await eventually("3 Ready nodes", async () => ((await cluster.nodes()).filter((n) => n.status === "Ready").length === 3 ? true : undefined));
    return await body(cluster, prefix);
  } finally {
    await cluster.stop();
  }
}

const medianOf = <T>(items: T[], field: (item: T) => number) => median(items.map(field));

/** `cube apply` of one pod → its container started, against `docker run -d` of the same image and command, split by step. */
async function podStart(runs: number): Promise<Row[]> {
  return withCluster(async (cluster) => {
    const cube = await cubePodStarts(cluster, localEngine, runs, "start", 3 * DEFAULT_WARM_SANDBOXES);
    const docker = await dockerRunStarts(runs);
    const row = (figure: string, field: (split: PodStartSplit) => number, target = ""): Row => ({
      figure,
      cube: seconds(medianOf(cube, field)),
      docker: seconds(medianOf(docker, field)),
      ratio: ratio(medianOf(cube, field), medianOf(docker, field)),
      target,
    });
    return [
      row(`pod start (median of ${runs}): CLI started → container started`, (split) => split.startedMs, "≤ 1.25×"),
      row("… of which: CLI started → its answer (Docker: the container started)", (split) => split.answeredMs),
      row("… of which: CLI started → container created (Cube: leader, node, claim of a warm sandbox)", (split) => split.createdMs),
      row("… of which: container created → started (the engine's own start)", (split) => split.startedMs - split.createdMs),
    ];
  });
}

/**
 * 30 pods in one manifest on a leader and two followers, against 30 `docker run -d`, two at a time: with the default
 * warm pool (3 per node), and with pools the size of the burst (10 per node).
 */
async function throughput(runs: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const pool of [DEFAULT_WARM_SANDBOXES, 10]) {
    const cube: number[] = [];
    const docker: number[] = [];
    await withCluster(
      async (cluster) => {
        for (let r = 0; r < runs; r++) {
          cube.push(await cubeBurst(cluster, localEngine, 30, `burst${r}`, 3 * pool));
          await poolsFull(localEngine, 3 * pool); // the nodes' refills done before Docker is measured
          docker.push(await dockerRunBurst(30, 2));
        }
      },
      ["--warm-sandboxes", String(pool)],
    );
    rows.push({
      figure: `30 pods vs 30 docker run, 2 parallel (median of ${runs}; --warm-sandboxes ${pool}${pool === DEFAULT_WARM_SANDBOXES ? ", the default" : ""})`,
      cube: seconds(median(cube)),
      docker: seconds(median(docker)),
      ratio: ratio(median(cube), median(docker)),
      target: "≤ 1.0×",
    });
  }
  return rows;
}

/** Cube (default warm pools, and pools the size of the burst) and Swarm on the same three hosts of the test bed. */
async function swarm(runs: number): Promise<Row[]> {
  const variants = new Map([
    [`--warm-sandboxes ${DEFAULT_WARM_SANDBOXES}, the default`, DEFAULT_WARM_SANDBOXES],
    ["--warm-sandboxes 10", 10],
  ]);
  const { cube, swarm } = await compareWithSwarm(runs, 30, variants);
  const swarmFirst = seconds(swarm.startMs[0]);
  return [...cube].flatMap(([variant, figures]) => [
    {
      figure: `3 hosts, pod vs one-replica service (median of ${runs}; ${variant}; Swarm's first: ${swarmFirst})`,
      cube: seconds(median(figures.startMs)),
      docker: `Swarm ${seconds(median(swarm.startMs))}`,
      ratio: ratio(median(figures.startMs), median(swarm.startMs)),
      target: "< 1×",
    },
    {
      figure: `3 hosts, 30 pods vs a 30-replica service (median of 3; ${variant})`,
      cube: seconds(median(figures.burstMs)),
      docker: `Swarm ${seconds(median(swarm.burstMs))}`,
      ratio: ratio(median(figures.burstMs), median(swarm.burstMs)),
      target: "< 1×",
    },
  ]);
}

async function wallTime(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  const begin = process.hrtime.bigint();
  await run(command, args, { env: { ...process.env, ...env } });
  return Number(process.hrtime.bigint() - begin) / 1e6;
}

/** `cube list pod` and `cube nodes` wall time, against `docker ps`. */
async function cliLatency(runs: number): Promise<Row[]> {
  return withCluster(async (cluster) => {
    const env = cluster.cliEnv();
    const cube = join(projectRoot, "bin", "run.js");
    const times = { list: [] as number[], nodes: [] as number[], ps: [] as number[], node: [] as number[] };
    for (let i = 0; i < runs; i++) {
      times.list.push(await wallTime(process.execPath, [cube, "list", "pod"], env));
      times.nodes.push(await wallTime(process.execPath, [cube, "nodes"], env));
      times.ps.push(await wallTime("docker", ["ps"]));
      times.node.push(await wallTime(process.execPath, ["-e", "0"]));
    }
    const ps = median(times.ps);
    const node = median(times.node);
    return [
      ...(["list", "nodes"] as const).map((command) => ({
        figure: `cube ${command === "list" ? "list pod" : "nodes"} vs node -e 0 (median of ${runs}; docker ps: ${seconds(ps)})`,
        cube: seconds(median(times[command])),
        docker: seconds(node),
        ratio: ratio(median(times[command]), node),
        target: "≤ 100 ms",
      })),
    ];
  });
}

/** CPU time (user + system) a process has used so far, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime and stime, in clock ticks of 1/100 s
}

function peakRss(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;
}

/** 10 000 pods over 200 simulated nodes, against a real leader process. */
async function scale(pods: number, nodes: number): Promise<Row[]> {
  return withSimulatedCluster(nodes, SIMULATED_IMAGE, async ({ cluster, leader, leaderName, simulated, client }) => {
    const path = join(cluster.dir.path, "scale.json");
    writeFileSync(
      path,
      JSON.stringify(
        // Placement counts what each pod requests, and a quarter of them publish an "auto" host port.
        Array.from({ length: pods }, (_, i) => ({
          type: "pod",
          metadata: { name: `sim-${i}` },
          spec: {
            containers: [
              {
                name: "main",
                image: SIMULATED_IMAGE,
                resources: { cpu: "10m", memory: "32Mi" },
                ...(i % 4 === 0 ? { ports: [{ containerPort: 80, hostPort: "auto" }] } : {}),
              },
            ],
          },
        })),
      ),
    );
    const begin = Date.now();
    const cpuBefore = { leader: cpuMs(leader.pid), simulated: cpuMs(simulated.pid) };
    const applied = await runCube(["apply", path], cluster.cliEnv());
    if (applied.code !== 0) throw new Error(applied.stderr);
    await eventually(
      `${pods} pods Running`,
      async () => {
        const { items } = await client.list("pod");
        return items.filter((item) => item.status === "Running").length === pods ? true : undefined;
      },
      600_000,
      250,
    );
    const elapsed = Date.now() - begin;
    const busy = { leader: cpuMs(leader.pid) - cpuBefore.leader, simulated: cpuMs(simulated.pid) - cpuBefore.simulated };
    const rss = peakRss(leader.pid);
    const listTimes: number[] = [];
    for (let i = 0; i < 3; i++) listTimes.push(await wallTime(process.execPath, [join(projectRoot, "bin", "run.js"), "list", "pod"], cluster.cliEnv()));
    await leader.kill("SIGKILL");
    const restartBegin = Date.now();
    await cluster.startLeader(leaderName);
    const again = await cluster.leaderClient();
    await eventually("the leader serving", async () => ((await again.list("pod")).items.length === pods ? true : undefined), 60_000, 20);
    const backMs = Date.now() - restartBegin;
    again.close();
    return [
      {
        figure: `${pods} pods on ${nodes} simulated nodes (each requesting CPU and memory, a quarter with an auto host port): apply → all Running`,
        cube: `${seconds(elapsed)} (${Math.round(pods / (elapsed / 1000))} pods/s)`,
        docker: "",
        ratio: "",
        target: "≥ 2 000 pods/s",
      },
      {
        figure: "CPU used meanwhile: leader / simulated nodes",
        cube: `${seconds(busy.leader)} / ${seconds(busy.simulated)}`,
        docker: "",
        ratio: "",
        target: "",
      },
      { figure: "leader peak RSS during it", cube: `${Math.round(rss / 2 ** 20)} MiB`, docker: "", ratio: "", target: "≤ 300 MiB" },
      { figure: `cube list pod with ${pods} pods (median of 3)`, cube: seconds(median(listTimes)), docker: "", ratio: "", target: "≤ 1 s" },
      { figure: `leader SIGKILLed with ${pods} pods → serving again`, cube: seconds(backMs), docker: "", ratio: "", target: "≤ 2 s" },
    ];
  });
}

async function nodeLoss(): Promise<Row[]> {
  const { notReadySeconds, runningElsewhereSeconds } = await measureNodeLoss();
  return [
    { figure: "node loss (SIGKILL of a follower) → NotReady", cube: `${notReadySeconds.toFixed(1)} s`, docker: "", ratio: "", target: "≤ 15 s" },
    {
      figure: "node loss → its pods running elsewhere",
      cube: `${runningElsewhereSeconds.toFixed(1)} s (${(runningElsewhereSeconds - notReadySeconds).toFixed(1)} s after NotReady)`,
      docker: "",
      ratio: "",
      target: "≤ 30 s after NotReady",
    },
  ];
}

async function shutdown(runs: number): Promise<Row[]> {
  const { leaderMs, followerMs } = await measureShutdown(runs);
  const row = (figure: string, times: number[]) => ({ figure, cube: `${Math.round(median(times))} ms`, docker: "", ratio: "", target: "≤ 500 ms" });
  return [
    row(`idle leader, a follower connected: SIGTERM → exited (median of ${runs})`, leaderMs),
    row(`idle follower, its leader gone: SIGTERM → exited (median of ${runs})`, followerMs),
  ];
}

async function applyStall(pods: number, nodes: number): Promise<Row[]> {
  const { applyMs, runningMs, latenciesMs } = await measureApplyStall(pods, nodes, SIMULATED_IMAGE);
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const at = (share: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))]);
  return [
    {
      figure: `ListNodes answers while ${pods} pods are applied and start on ${nodes} simulated nodes (${sorted.length} calls): median / p99 / max`,
      cube: `${at(0.5)} / ${at(0.99)} / ${Math.round(sorted.at(-1) ?? 0)} ms`,
      docker: "",
      ratio: "",
      target: "max ≤ 100 ms",
    },
    { figure: `that apply: acknowledged / all Running`, cube: `${seconds(applyMs)} / ${seconds(runningMs)}`, docker: "", ratio: "", target: "" },
  ];
}

async function deployments(count: number, replicas: number, nodes: number): Promise<Row[]> {
  const figures = await measureDeployments(count, replicas, nodes, SIMULATED_IMAGE, cpuMs);
  const pods = count * replicas;
  return [
    {
      figure: `${count} deployments × ${replicas} replicas on ${nodes} simulated nodes: apply → every rollout complete (leader CPU)`,
      cube: `${seconds(figures.createMs)} (${Math.round(pods / (figures.createMs / 1000))} pods/s; ${seconds(figures.leaderCpuMs.create)})`,
      docker: "",
      ratio: "",
      target: "",
    },
    {
      figure: `a new template for all ${count} at once (rolling update, 25 % / 25 %): apply → every rollout complete (leader CPU)`,
      cube: `${seconds(figures.rolloutMs)} (${Math.round(pods / (figures.rolloutMs / 1000))} pods replaced/s; ${seconds(figures.leaderCpuMs.rollout)})`,
      docker: "",
      ratio: "",
      target: "",
    },
  ];
}

function table(rows: Row[]): string {
  return [
    "| figure | Cube | Docker | ratio | target |",
    "|---|---|---|---|---|",
    ...rows.map((r) => `| ${r.figure} | ${r.cube} | ${r.docker} | ${r.ratio} | ${r.target} |`),
  ].join("\n");
}

const args = process.argv.slice(2);
const write = args.includes("--write");
const runsFlag = args.indexOf("--runs");
const runs = runsFlag >= 0 ? Number(args[runsFlag + 1]) : 5;
const chosen = args.filter((arg, i) => !arg.startsWith("--") && args[i - 1] !== "--runs");
const parts: Record<string, () => Promise<Row[]>> = {
  "pod-start": () => podStart(Math.max(5, runs)),
  throughput: () => throughput(3),
  swarm: () => swarm(Math.max(5, runs)),
  cli: () => cliLatency(10),
  scale: () => scale(10_000, 200),
  deployments: () => deployments(500, 10, 200),
  "node-loss": nodeLoss,
  shutdown: () => shutdown(5),
  "apply-stall": () => applyStall(3000, 20),
};
const selected = chosen.length === 0 || chosen.includes("all") ? Object.keys(parts) : chosen;
for (const part of selected) if (!parts[part]) throw new Error(`unknown part "${part}": ${Object.keys(parts).join(", ")}`);
const rows: Row[] = [];
for (const part of selected) {
  process.stderr.write(`bench: ${part}...\n`);
  const partRows = await parts[part]();
  rows.push(...partRows);
  process.stderr.write(`${table(partRows)}\n`);
}
const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Docker ${(await run("docker", ["version", "--format", "{{.Server.Version}}"])).stdout.trim()}`;
const output = `${table(rows)}\n\nMachine: ${machine}. Date: ${new Date().toISOString().slice(0, 10)}.\n`;
process.stdout.write(output);
// The analysis is written by hand, in bench/ANALYSIS.md, and follows the table.
const analysis = readFileSync(join(projectRoot, "bench", "ANALYSIS.md"), "utf8");
if (write)
  writeFileSync(join(projectRoot, "bench", "RESULTS.md"), `# Benchmark results\n\n\`npm run bench\` (parts: ${selected.join(", ")})\n\n${output}\n${analysis}`);
process.exit(0);
