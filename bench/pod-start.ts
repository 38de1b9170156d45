// Pod start, measured by the engines' own clocks: from the moment the CLI is started to Docker's StartedAt of the
// container, for Cube (`cube apply`), `docker run -d` and Swarm (`docker service create`), on one engine or on the
// multi-host test bed.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { LocalCluster } from "../test/helpers/local-cluster.js";
import { eventually } from "../test/helpers/processes.js";
import type { TestHosts } from "../test/helpers/test-hosts.js";

const run = promisify(execFile);
export const IMAGE = "cube-test/busybox:latest";
export const SERVE = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"];
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The engines a measurement looks at: this machine's, or the test bed's hosts' (host 1 runs the CLIs). */
export interface Engines {
  hosts: number[];
  docker(host: number, ...args: string[]): Promise<string>;
}

export const localEngine: Engines = { hosts: [1], docker: async (_host, ...args) => (await run("docker", args, { maxBuffer: 1 << 24 })).stdout };

export function bedEngines(bed: TestHosts): Engines {
  return { hosts: Array.from({ length: bed.count }, (_, i) => i + 1), docker: (host, ...args) => bed.docker(host, ...args) };
}

/** When a container was created and started, by its engine's clock (ms since the epoch). */
export interface EngineTimes {
  created: number;
  started: number;
}

/**
 * The engine times of the running containers with these labels (and, given `podPrefix`, of a pod whose name starts
 * with it), on every engine, once `count` of them run. One `docker ps` and one `docker inspect` per engine and look,
 * four looks a second: the times are the engine's own, so looking more often would only load the machine measured.
 */
export async function engineTimes(engines: Engines, labels: string[], count: number, podPrefix?: string): Promise<EngineTimes[]> {
  const filters = labels.flatMap((label) => ["--filter", `label=${label}`]);
  const format = '{{index .Config.Labels "cube.pod"}} {{.Created}} {{.State.StartedAt}}';
  return eventually(
    `${count} started containers`,
    async () => {
      const perHost = await Promise.all(
        engines.hosts.map(async (host) => {
          const ids = (await engines.docker(host, "ps", "-q", ...filters)).split("\n").filter(Boolean);
          if (ids.length === 0) return [];
          const lines = (await engines.docker(host, "inspect", "--format", format, ...ids)).split("\n").filter(Boolean);
          return lines
            .map((line) => line.split(" "))
            .filter(([pod]) => podPrefix === undefined || pod.startsWith(podPrefix))
            .map(([, created, started]) => ({ created: Date.parse(created), started: Date.parse(started) }));
        }),
      );
      const times = perHost.flat();
      return times.length >= count ? times : undefined;
    },
    120_000,
    250,
  );
}

/** A manifest of one-container pods that run until stopped. */
export function podsManifest(cluster: LocalCluster, file: string, names: string[]): string {
  const path = join(cluster.dir.path, file);
  const pods = names.map((name) => ({
    type: "pod",
    metadata: { name },
    spec: { containers: [{ name: "main", image: IMAGE, command: SERVE }], terminationGracePeriodSeconds: 1 },
  }));
  writeFileSync(path, JSON.stringify(pods));
  return path;
}

/** One pod's start, split: the CLI until the leader answers, then until its container is created, then started. */
export interface PodStartSplit {
  answeredMs: number;
  createdMs: number;
  startedMs: number;
}

/**
 * Resolves once the engines show `pool` warm sandboxes that no pod has claimed (the nodes refill theirs once idle), and
 * two more seconds have passed: the kernel tears down the network namespaces of removed containers after their removal,
 * and that work would weigh on whatever is measured next.
 */
export async function poolsFull(engines: Engines, pool: number): Promise<void> {
  await eventually(
    `${pool} warm sandboxes`,
    async () => {
      const names = await Promise.all(engines.hosts.map((host) => engines.docker(host, "ps", "--filter", "label=cube.warm-sandbox", "--format", "{{.Names}}")));
      const unclaimed = names
        .join("\n")
        .split("\n")
        .filter((name) => name.includes("_warm_"));
      return unclaimed.length >= pool ? true : undefined;
    },
    60_000,
    250,
  );
  await sleep(2000);
}

/**
 * The warm sandboxes the nodes keep before the `burst`-th burst of `size` pods (from 0), each node told `pool`: `pool`
 * each on fresh nodes; once a burst is over, as many in all as it took (within the servers' most, 16 per node).
 */
export function poolsBeforeBurst(burst: number, pool: number, nodes: number, size: number): number {
  return burst === 0 ? nodes * pool : Math.max(nodes * pool, size);
}

/** `cube apply` of one pod, `runs` times, each once the nodes' warm pools hold `pool` sandboxes in all. */
export async function cubePodStarts(cluster: LocalCluster, engines: Engines, runs: number, tag: string, pool: number): Promise<PodStartSplit[]> {
  const splits: PodStartSplit[] = [];
  for (let i = 0; i < runs; i++) {
    await poolsFull(engines, pool);
    const name = `${tag}-${i}`;
    const path = podsManifest(cluster, `${name}.json`, [name]);
    const begin = Date.now();
    const applied = await cluster.cube(["apply", path]);
    const answered = Date.now();
    if (applied.code !== 0) throw new Error(applied.stderr);
    const [times] = await engineTimes(engines, [`cube.pod=${name}`, "cube.container"], 1);
    splits.push({ answeredMs: answered - begin, createdMs: times.created - begin, startedMs: times.started - begin });
  }
  return splits;
}

/** `cube apply` of `count` pods in one manifest, once the pools hold `pool` sandboxes: until the last container started. */
export async function cubeBurst(cluster: LocalCluster, engines: Engines, count: number, tag: string, pool: number): Promise<number> {
  await poolsFull(engines, pool);
  const names = Array.from({ length: count }, (_, i) => `${tag}-${i}`);
  const path = podsManifest(cluster, `${tag}.json`, names);
  const begin = Date.now();
  const applied = await cluster.cube(["apply", path]);
  if (applied.code !== 0) throw new Error(applied.stderr);
  const started = await engineTimes(engines, ["cube.container"], count, `${tag}-`);
  const elapsed = Math.max(...started.map((t) => t.started)) - begin;
  const deleted = await cluster.cube(["delete", ...names.map((name) => `pod/${name}`)]);
  if (deleted.code !== 0) throw new Error(deleted.stderr);
  return elapsed;
}

/** `docker run -d` of one container on this machine's engine, `runs` times. */
export async function dockerRunStarts(runs: number): Promise<PodStartSplit[]> {
  const splits: PodStartSplit[] = [];
  const label = `cube-bench=${Math.random().toString(36).slice(2, 8)}`;
  for (let i = 0; i < runs; i++) {
    const begin = Date.now();
    const id = (await run("docker", ["run", "-d", "--label", label, IMAGE, ...SERVE])).stdout.trim();
    const answered = Date.now();
    const [created, started] = (await run("docker", ["inspect", "--format", "{{.Created}} {{.State.StartedAt}}", id])).stdout.trim().split(" ").map(Date.parse);
    splits.push({ answeredMs: answered - begin, createdMs: created - begin, startedMs: started - begin });
    await sleep(500);
  }
  await removeLabelled(label);
  return splits;
}

/** `count` × `docker run -d`, `parallel` at a time: until the last container started. */
export async function dockerRunBurst(count: number, parallel: number): Promise<number> {
  const label = `cube-bench=${Math.random().toString(36).slice(2, 8)}`;
  let left = count;
  const begin = Date.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (left > 0) {
        left--;
        await run("docker", ["run", "-d", "--label", label, IMAGE, ...SERVE]);
      }
    }),
  );
  const times = await engineTimes(localEngine, [label], count);
  await removeLabelled(label);
  return Math.max(...times.map((t) => t.started)) - begin;
}

async function removeLabelled(label: string): Promise<void> {
  const ids = (await run("docker", ["ps", "-aq", "--filter", `label=${label}`])).stdout.split("\n").filter(Boolean);
  if (ids.length > 0) await run("docker", ["rm", "-f", ...ids]);
}
