// What a watcher costs the leader per change, with 10 000 pods: the leader's CPU over a series of one-pod changes,
// with 0, 1, 10 and 50 clients watching every pod (each reading its stream), less what the same changes cost unwatched.
import { join } from "node:path";
import type { WatchEvent } from "../src/gen/cube.js";
import { runCube } from "../test/helpers/processes.js";
import { cpuMs, cubeRow, type Row } from "./figures.js";
import { SIMULATED_IMAGE, writeScaleManifest } from "./scale-parts.js";
import { allPodsRunning, withSimulatedCluster } from "./simulated-cluster.js";

const CHANGES = 25;
// Apart by more than a look of the change log takes with 50 watchers (each look reads the whole list, a slice at a
// time: 200 ms apart, two changes of 25 reached the watchers merged), so that each is seen and the cost is per change.
const CHANGE_EVERY_MS = 400;

export async function watchCost(pods: number, nodes: number): Promise<Row[]> {
  return withSimulatedCluster(nodes, SIMULATED_IMAGE, async ({ cluster, leader, client }) => {
    const path = join(cluster.dir.path, "pods.json");
    writeScaleManifest(path, pods, { cpu: "1m", memory: "4Mi" });
    const applied = await runCube(["apply", path], cluster.cliEnv());
    if (applied.code !== 0) throw new Error(applied.stderr);
    // Once every pod runs, the only changes are the series' own.
    await allPodsRunning(client, pods, 300_000, 1000);
    const perChange: Record<number, number> = {};
    for (const watchers of [0, 1, 10, 50]) {
      const streams = await Promise.all(Array.from({ length: watchers }, () => client.watch({ type: "pod", selector: "", name: "" })));
      const seen = streams.map(() => 0);
      const synced = streams.map((stream) => new Promise((resolve) => stream.on("data", (event: WatchEvent) => event.kind === "SYNCED" && resolve(true))));
      streams.forEach((stream, i) => stream.on("data", (event: WatchEvent) => event.kind === "MODIFIED" && seen[i]++));
      for (const stream of streams) stream.on("error", () => undefined); // the cancel at the end
      // Every watcher has its list (10 000 pods each), and the leader is done sending them.
      await Promise.all(synced);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const before = cpuMs(leader.pid);
      for (let change = 0; change < CHANGES; change++) {
        const pod = {
          type: "pod",
          metadata: { name: "sim-0", labels: { round: `${watchers}-${change}` } },
          spec: { containers: [{ name: "main", image: SIMULATED_IMAGE, resources: { cpu: "1m", memory: "4Mi" } }] },
        };
        await client.apply(JSON.stringify(pod));
        await new Promise((resolve) => setTimeout(resolve, CHANGE_EVERY_MS));
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      perChange[watchers] = (cpuMs(leader.pid) - before) / CHANGES;
      for (const stream of streams) stream.cancel();
      // The scenario happened: every watcher saw every change.
      if (seen.some((count) => count < CHANGES)) throw new Error(`watchers saw ${seen.join(", ")} of ${CHANGES} changes`);
    }
    const cost = (watchers: number) => `${Math.max(0, perChange[watchers] - perChange[0]).toFixed(1)} ms`;
    return [
      cubeRow(`leader CPU per one-pod change with ${pods} pods, unwatched (${CHANGES} changes, ${CHANGE_EVERY_MS} ms apart)`, `${perChange[0].toFixed(1)} ms`),
      cubeRow("… added by 1 / 10 / 50 clients watching every pod (each change seen by each)", `${cost(1)} / ${cost(10)} / ${cost(50)}`, "O(1) per watcher"),
    ];
  });
}
