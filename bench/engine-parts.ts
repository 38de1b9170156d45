// Cube against the bare Docker engine on this machine, and against Docker Swarm on the multi-host test bed: each
// figure a ratio of medians measured in the same run.
import { join } from "node:path";
import { LocalCluster } from "../test/helpers/local-cluster.js";
import { eventually, projectRoot } from "../test/helpers/processes.js";
import { median, ratio, seconds, wallTime, type Row } from "./figures.js";
import { cubeBurst, cubePodStarts, dockerRunBurst, dockerRunStarts, localEngine, poolsBeforeBurst, poolsFull, type PodStartSplit } from "./pod-start.js";
import { compareWithSwarm } from "./swarm.js";

/** The servers' `--warm-sandboxes` default. */
const DEFAULT_WARM_SANDBOXES = 3;

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
export async function podStart(runs: number): Promise<Row[]> {
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
      row(`pod start (median of ${runs}): CLI started → container started`, (split) => split.startedMs, "≤ 1.0×"),
      row("… of which: CLI started → its answer (Docker: the container started)", (split) => split.answeredMs),
      row("… of which: CLI started → container created (Cube: leader, node, claim of a warm sandbox)", (split) => split.createdMs),
      row("… of which: container created → started (the engine's own start)", (split) => split.startedMs - split.createdMs),
    ];
  });
}

/**
 * 30 pods in one manifest on a leader and two followers, against 30 `docker run -d`, two at a time: with the default
 * warm pools (3 per node, grown to what a burst took once it is over), the first burst on fresh nodes apart from the
 * next ones; and with pools the size of the burst from the start (10 per node).
 */
export async function throughput(runs: number): Promise<Row[]> {
  const BURST = 30;
  const rows: Row[] = [];
  for (const pool of [DEFAULT_WARM_SANDBOXES, 10]) {
    const cube: number[] = [];
    const docker: number[] = [];
    await withCluster(
      async (cluster) => {
        for (let r = 0; r < runs; r++) {
          cube.push(await cubeBurst(cluster, localEngine, BURST, `burst${r}`, poolsBeforeBurst(r, pool, 3, BURST)));
          await poolsFull(localEngine, poolsBeforeBurst(r + 1, pool, 3, BURST)); // the nodes' refills done before Docker is measured
          docker.push(await dockerRunBurst(BURST, 2));
        }
      },
      ["--warm-sandboxes", String(pool)],
    );
    const row = (figure: string, times: number[]): Row => ({
      figure,
      cube: seconds(median(times)),
      docker: seconds(median(docker)),
      ratio: ratio(median(times), median(docker)),
      target: "≤ 0.8×",
    });
    const vs = `${BURST} pods vs ${BURST} docker run, 2 parallel`;
    if (pool === DEFAULT_WARM_SANDBOXES) {
      rows.push(row(`${vs} (the first burst on fresh nodes; --warm-sandboxes ${pool}, the default)`, cube.slice(0, 1)));
      rows.push(row(`… the next bursts, the pools grown to the first's size (median of ${runs - 1})`, cube.slice(1)));
    } else rows.push(row(`${vs} (median of ${runs}; --warm-sandboxes ${pool})`, cube));
  }
  return rows;
}

/** Cube (default warm pools, and pools the size of the burst) and Swarm on the same three hosts of the test bed. */
export async function swarm(runs: number): Promise<Row[]> {
  const variants = new Map([
    [`--warm-sandboxes ${DEFAULT_WARM_SANDBOXES}, the default`, DEFAULT_WARM_SANDBOXES],
    ["--warm-sandboxes 10", 10],
  ]);
  const { cube, swarm } = await compareWithSwarm(runs, 30, variants);
  const swarmFirst = seconds(swarm.startMs[0]);
  const bursts = (figure: string, times: number[]): Row => ({
    figure,
    cube: seconds(median(times)),
    docker: `Swarm ${seconds(median(swarm.burstMs))}`,
    ratio: ratio(median(times), median(swarm.burstMs)),
    target: "< 1×",
  });
  return [...cube].flatMap(([variant, figures]) => [
    {
      figure: `3 hosts, pod vs one-replica service (median of ${runs}; ${variant}; Swarm's first: ${swarmFirst})`,
      cube: seconds(median(figures.startMs)),
      docker: `Swarm ${seconds(median(swarm.startMs))}`,
      ratio: ratio(median(figures.startMs), median(swarm.startMs)),
      target: "< 1×",
    },
    ...(variants.get(variant) === DEFAULT_WARM_SANDBOXES
      ? [
          bursts(`3 hosts, 30 pods vs a 30-replica service (the first burst on fresh nodes; ${variant}; Swarm: median of 3)`, figures.burstMs.slice(0, 1)),
          bursts("… the next bursts, the pools grown to the first's size (median of 2)", figures.burstMs.slice(1)),
        ]
      : [bursts(`3 hosts, 30 pods vs a 30-replica service (median of 3; ${variant})`, figures.burstMs)]),
  ]);
}

/**
 * `cube list pod` and `cube nodes` wall time, against `node -e 0` (and `docker ps`). Where NODE_EXTRA_CA_CERTS is set
 * (this test bed sets it), Node reads that file as it starts, adding tens of ms to `node -e 0` but less to a command
 * that works meanwhile: the ratio is given both ways.
 */
export async function cliLatency(runs: number): Promise<Row[]> {
  return withCluster(async (cluster) => {
    const env = cluster.cliEnv();
    const cube = join(projectRoot, "bin", "run.js");
    const withoutExtraCerts = { NODE_EXTRA_CA_CERTS: undefined };
    const bare = process.env.NODE_EXTRA_CA_CERTS !== undefined;
    // Measured once the nodes are idle (their warm pools full): a command's time, not the engine's work beside it.
    await poolsFull(localEngine, 3 * DEFAULT_WARM_SANDBOXES);
    const times: Record<"list" | "nodes" | "ps" | "node" | "listBare" | "nodesBare" | "nodeBare", number[]> = {
      list: [],
      nodes: [],
      ps: [],
      node: [],
      listBare: [],
      nodesBare: [],
      nodeBare: [],
    };
    for (let i = 0; i < runs; i++) {
      times.list.push(await wallTime(process.execPath, [cube, "list", "pod"], env));
      times.nodes.push(await wallTime(process.execPath, [cube, "nodes"], env));
      times.ps.push(await wallTime("docker", ["ps"]));
      times.node.push(await wallTime(process.execPath, ["-e", "0"]));
      if (!bare) continue;
      times.listBare.push(await wallTime(process.execPath, [cube, "list", "pod"], { ...env, ...withoutExtraCerts }));
      times.nodesBare.push(await wallTime(process.execPath, [cube, "nodes"], { ...env, ...withoutExtraCerts }));
      times.nodeBare.push(await wallTime(process.execPath, ["-e", "0"], withoutExtraCerts));
    }
    const ps = median(times.ps);
    const row = (command: "list" | "nodes", node: number[], cubeTimes: number[], how: string) => ({
      figure: `cube ${command === "list" ? "list pod" : "nodes"} vs node -e 0 (median of ${runs}; ${how})`,
      cube: seconds(median(cubeTimes)),
      docker: seconds(median(node)),
      ratio: ratio(median(cubeTimes), median(node)),
      target: "≤ 1.5×",
    });
    return [
      ...(["list", "nodes"] as const).map((command) => row(command, times.node, times[command], `docker ps: ${seconds(ps)}`)),
      ...(bare ? (["list", "nodes"] as const).map((command) => row(command, times.nodeBare, times[`${command}Bare`], "NODE_EXTRA_CA_CERTS unset")) : []),
    ];
  });
}
