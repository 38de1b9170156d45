// Cube at scale (a real leader, hundreds of simulated nodes on the fake runtime) and under failure: its figures
// against the targets, with nothing to compare them with in the same run.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventually, projectRoot, runCube } from "../test/helpers/processes.js";
import { measureApplyStall } from "./apply-stall.js";
import { measureDeployments } from "./deployments.js";
import { cpuMs, cubeRow, median, peakRss, seconds, wallTime, type Row } from "./figures.js";
import { measureNodeLoss } from "./node-loss.js";
import { measureShutdown } from "./shutdown.js";
import { allPodsRunning, withSimulatedCluster } from "./simulated-cluster.js";
import { TestPostgres } from "../test/helpers/postgres.js";

/** The image of the scale benchmark's pods, which the simulated nodes' fake engines hold. */
export const SIMULATED_IMAGE = "bench/app:1";

/**
 * Writes the scale benchmark's manifest at `path`: `pods` pods, each requesting `resources` (by default a little CPU
 * and memory), a quarter with an "auto" host port.
 */
export function writeScaleManifest(path: string, pods: number, resources = { cpu: "10m", memory: "32Mi" }): void {
  writeFileSync(
    path,
    JSON.stringify(
      Array.from({ length: pods }, (_, i) => ({
        type: "pod",
        metadata: { name: `sim-${i}` },
        spec: {
          containers: [
            {
              name: "main",
              image: SIMULATED_IMAGE,
              resources,
              ...(i % 4 === 0 ? { ports: [{ containerPort: 80, hostPort: "auto" }] } : {}),
            },
          ],
        },
      })),
    ),
  );
}

/** 10 000 pods over 200 simulated nodes, against a real leader process (its state in SQLite, or in `postgres`). */
export async function scale(pods: number, nodes: number, postgres?: TestPostgres): Promise<Row[]> {
  const on = postgres ? " (state in PostgreSQL)" : "";
  const storeArgs = postgres ? ["--store", postgres.url] : [];
  return withSimulatedCluster(
    nodes,
    SIMULATED_IMAGE,
    async ({ cluster, leader, leaderName, simulated, client }) => {
      const path = join(cluster.dir.path, "scale.json");
      writeScaleManifest(path, pods);
      const begin = Date.now();
      const cpuBefore = { leader: cpuMs(leader.pid), simulated: cpuMs(simulated.pid) };
      const applied = await runCube(["apply", path], cluster.cliEnv());
      if (applied.code !== 0) throw new Error(applied.stderr);
      await allPodsRunning(client, pods, 600_000, 250);
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
        cubeRow(
          `${pods} pods on ${nodes} simulated nodes (each requesting CPU and memory, a quarter with an auto host port): apply → all Running${on}`,
          `${seconds(elapsed)} (${Math.round(pods / (elapsed / 1000))} pods/s)`,
          "≥ 5 000 pods/s",
        ),
        cubeRow(`CPU used meanwhile: leader / simulated nodes${on}`, `${seconds(busy.leader)} / ${seconds(busy.simulated)}`),
        cubeRow(`leader peak RSS during it${on}`, `${Math.round(rss / 2 ** 20)} MiB`, "≤ 300 MiB"),
        cubeRow(`cube list pod with ${pods} pods (median of 3)${on}`, seconds(median(listTimes)), "≤ 1 s"),
        // On PostgreSQL, the restarted leader is a new holder: it waits for its dead self's term to end (2 s).
        cubeRow(`leader SIGKILLed with ${pods} pods → serving again${on}`, seconds(backMs), postgres ? "" : "≤ 2 s"),
      ];
    },
    storeArgs,
  );
}

/**
 * `pods` pods that no node can take (each asks for more CPU than any node has) on `nodes` simulated nodes: the apply,
 * then `cube list` while they wait, and what the leader spends on them meanwhile (placement is driven by change: none).
 */
export async function unplaceable(pods: number, nodes: number): Promise<Row[]> {
  return withSimulatedCluster(nodes, SIMULATED_IMAGE, async ({ cluster, leader, client }) => {
    const path = join(cluster.dir.path, "unplaceable.json");
    writeScaleManifest(path, pods, { cpu: "1000", memory: "32Mi" });
    const begin = Date.now();
    const applied = await runCube(["apply", path], cluster.cliEnv());
    if (applied.code !== 0) throw new Error(applied.stderr);
    const applyMs = Date.now() - begin;
    const { items } = await client.list("pod");
    const pending = items.filter((item) => item.status === "Pending").length;
    if (pending !== pods) throw new Error(`${pending} of ${pods} pods Pending after the apply`);
    const listTimes: number[] = [];
    for (let i = 0; i < 3; i++) listTimes.push(await wallTime(process.execPath, [join(projectRoot, "bin", "run.js"), "list", "pod"], cluster.cliEnv()));
    const cpuBefore = cpuMs(leader.pid);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const idleCpu = cpuMs(leader.pid) - cpuBefore;
    return [
      cubeRow(`${pods} pods no node can take, on ${nodes} simulated nodes: apply acknowledged`, seconds(applyMs)),
      cubeRow(`cube list pod meanwhile (median of 3)`, seconds(median(listTimes)), "≤ 0.5 s"),
      cubeRow(`leader CPU over the next 10 s, the ${pods} pods still pending`, `${Math.round(idleCpu)} ms`),
    ];
  });
}

/** The scale figures with the leader's state in a PostgreSQL of this machine, for the same run's SQLite ones. */
export async function scaleOnPostgres(pods: number, nodes: number): Promise<Row[]> {
  const postgres = await TestPostgres.start();
  try {
    return await scale(pods, nodes, postgres);
  } finally {
    await postgres.stop();
  }
}

export async function nodeLoss(): Promise<Row[]> {
  const { notReadySeconds, runningElsewhereSeconds, moved } = await measureNodeLoss();
  return [
    cubeRow("node loss (SIGKILL of a follower) → NotReady", `${notReadySeconds.toFixed(1)} s`, "≤ 15 s"),
    cubeRow(
      `node loss → its ${moved} pod${moved === 1 ? "" : "s"} running elsewhere`,
      `${runningElsewhereSeconds.toFixed(1)} s (${(runningElsewhereSeconds - notReadySeconds).toFixed(1)} s after NotReady)`,
      "≤ 30 s after NotReady",
    ),
  ];
}

export async function shutdown(runs: number): Promise<Row[]> {
  const { leaderMs, followerMs } = await measureShutdown(runs);
  const row = (figure: string, times: number[]) => cubeRow(figure, `${Math.round(median(times))} ms`, "≤ 500 ms");
  return [
    row(`idle leader, a follower connected: SIGTERM → exited (median of ${runs})`, leaderMs),
    row(`idle follower, its leader gone: SIGTERM → exited (median of ${runs})`, followerMs),
  ];
}

/**
 * Twice: the simulated nodes at the leader's CPU priority, then at a lower one (nice 10). On this machine's two cores
 * the 20 nodes' work (which other machines would do) competes with the leader's; the second run shows what is left
 * of the leader's own.
 */
export async function applyStall(pods: number, nodes: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const niceness of [0, 10]) {
    const { applyMs, runningMs, latenciesMs } = await measureApplyStall(pods, nodes, SIMULATED_IMAGE, niceness);
    const sorted = [...latenciesMs].sort((a, b) => a - b);
    const at = (share: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))]);
    const priority = niceness === 0 ? "at the leader's CPU priority" : `at a lower CPU priority (nice ${niceness}), as other machines`;
    rows.push(
      cubeRow(
        `ListNodes answers, asked by a process of its own, while ${pods} pods are applied and start on ${nodes} simulated nodes ${priority} (${sorted.length} calls): median / p99 / max`,
        `${at(0.5)} / ${at(0.99)} / ${Math.round(sorted.at(-1) ?? 0)} ms`,
        "max ≤ 50 ms",
      ),
      cubeRow("that apply: acknowledged / all Running (looked at once a second)", `${seconds(applyMs)} / ${seconds(runningMs)}`),
    );
  }
  return rows;
}

export async function deployments(count: number, replicas: number, nodes: number): Promise<Row[]> {
  const figures = await measureDeployments(count, replicas, nodes, SIMULATED_IMAGE, cpuMs);
  const pods = count * replicas;
  return [
    cubeRow(
      `${count} deployments × ${replicas} replicas on ${nodes} simulated nodes: apply → every rollout complete (leader CPU)`,
      `${seconds(figures.createMs)} (${Math.round(pods / (figures.createMs / 1000))} pods/s; ${seconds(figures.leaderCpuMs.create)})`,
    ),
    cubeRow(
      `a new template for all ${count} at once (rolling update, 25 % / 25 %): apply → every rollout complete (leader CPU)`,
      `${seconds(figures.rolloutMs)} (${Math.round(pods / (figures.rolloutMs / 1000))} pods replaced/s; ${seconds(figures.leaderCpuMs.rollout)})`,
    ),
  ];
}
