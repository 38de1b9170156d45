// Cube against Docker Swarm on the multi-host test bed: the same three hosts (network namespaces, one engine each), the
// same image and command, the CLIs run on host 1. Swarm runs on the same engines after Cube's servers are stopped.
import { LocalCluster } from "../test/helpers/local-cluster.js";
import { eventually } from "../test/helpers/processes.js";
import { TestHosts } from "../test/helpers/test-hosts.js";
import { bedEngines, cubeBurst, cubePodStarts, engineTimes, IMAGE, poolsBeforeBurst, SERVE, sleep, type Engines } from "./pod-start.js";

export interface StartFigures {
  startMs: number[];
  burstMs: number[];
}

export interface SwarmComparison {
  /** Cube with each size of warm pools, by a name for it. */
  cube: Map<string, StartFigures>;
  swarm: StartFigures;
}

/** A service of `replicas` tasks, created from host 1: until its last task's container started. */
async function swarmService(engines: Engines, name: string, replicas: number): Promise<number> {
  const begin = Date.now();
  await engines.docker(1, "service", "create", "--detach", "--quiet", "--no-resolve-image", "--name", name, "--replicas", String(replicas), IMAGE, ...SERVE);
  const times = await engineTimes(engines, [`com.docker.swarm.service.name=${name}`], replicas);
  const elapsed = Math.max(...times.map((t) => t.started)) - begin;
  await engines.docker(1, "service", "rm", name);
  await eventually(`${name}'s tasks gone`, async () => {
    const left = await Promise.all(engines.hosts.map((host) => engines.docker(host, "ps", "-aq", "--filter", `label=com.docker.swarm.service.name=${name}`)));
    return left.every((ids) => ids.trim() === "") ? true : undefined;
  });
  return elapsed;
}

/** A Cube cluster over the bed's hosts, each node keeping `pool` warm sandboxes: pod starts, then bursts; then its containers removed. */
async function measureCube(bed: TestHosts, engines: Engines, pool: number, runs: number, burst: number): Promise<StartFigures> {
  const serverArgs = ["--warm-sandboxes", String(pool)];
  const cluster = new LocalCluster(15, serverArgs, bed);
  try {
    await cluster.startLeader("bench-h1", 4242, serverArgs, 1);
    for (const host of [2, 3]) cluster.startFollower(`bench-h${host}`, { host, extraArgs: serverArgs });
    await eventually("3 Ready nodes", async () => ((await cluster.nodes()).filter((n) => n.status === "Ready").length === 3 ? true : undefined));
    const startMs = (await cubePodStarts(cluster, engines, runs, "start", 3 * pool)).map((split) => split.startedMs);
    const burstMs: number[] = [];
    for (let r = 0; r < 3; r++) burstMs.push(await cubeBurst(cluster, engines, burst, `burst${r}`, poolsBeforeBurst(r, pool, 3, burst)));
    return { startMs, burstMs };
  } finally {
    await cluster.stop();
    for (const host of engines.hosts) {
      const ids = (await engines.docker(host, "ps", "-aq", "--filter", "label=cube.node")).split("\n").filter(Boolean);
      if (ids.length > 0) await engines.docker(host, "rm", "-f", ...ids);
    }
  }
}

/** Cube (with each size of warm pools) and then Swarm, on one bed of three hosts. */
export async function compareWithSwarm(runs: number, burst: number, variants: Map<string, number>): Promise<SwarmComparison> {
  const bed = await TestHosts.up(3);
  const engines = bedEngines(bed);
  try {
    const cube = new Map<string, StartFigures>();
    for (const [name, pool] of variants) cube.set(name, await measureCube(bed, engines, pool, runs, burst));
    await sleep(3000); // the kernel's teardown of the removed containers' namespaces

    const swarm: StartFigures = { startMs: [], burstMs: [] };
    await engines.docker(1, "swarm", "init", "--advertise-addr", bed.address(1));
    const token = (await engines.docker(1, "swarm", "join-token", "-q", "worker")).trim();
    for (const host of [2, 3]) await engines.docker(host, "swarm", "join", "--token", token, `${bed.address(1)}:2377`);
    await eventually("3 Ready swarm nodes", async () => {
      const ready = (await engines.docker(1, "node", "ls", "--format", "{{.Status}}")).split("\n").filter((s) => s === "Ready");
      return ready.length === 3 ? true : undefined;
    });
    for (let i = 0; i < runs; i++) {
      swarm.startMs.push(await swarmService(engines, `start${i}`, 1));
      await sleep(1500);
    }
    for (let r = 0; r < 3; r++) {
      await sleep(3000);
      swarm.burstMs.push(await swarmService(engines, `burst${r}`, burst));
    }
    return { cube, swarm };
  } finally {
    await bed.down();
  }
}
