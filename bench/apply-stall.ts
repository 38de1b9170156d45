// A large apply must not stall the leader: while `cube apply` sends thousands of pods (and the leader validates,
// stores, places and assigns them to simulated nodes), another client asks for the nodes every 20 ms and notes how
// long each answer takes.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventually, runCube } from "../test/helpers/processes.js";
import { withSimulatedCluster } from "./simulated-cluster.js";

export interface StallFigures {
  applyMs: number;
  runningMs: number;
  /** ListNodes round trips from the apply's start until every pod ran, in ms. */
  latenciesMs: number[];
}

export async function measureApplyStall(pods: number, nodes: number, image: string): Promise<StallFigures> {
  return withSimulatedCluster(nodes, image, async ({ cluster, client }) => {
    const path = join(cluster.dir.path, "stall.json");
    const manifest = Array.from({ length: pods }, (_, i) => ({
      type: "pod",
      metadata: { name: `stall-${i}`, labels: { app: "stall", index: String(i) } },
      spec: { containers: [{ name: "main", image, env: { INDEX: String(i) } }] },
    }));
    writeFileSync(path, JSON.stringify(manifest));

    let applying = true;
    const latenciesMs: number[] = [];
    const probing = (async () => {
      while (applying) {
        const start = performance.now();
        await client.listNodes();
        if (applying) latenciesMs.push(performance.now() - start);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    try {
      const begin = performance.now();
      const applied = await runCube(["apply", path], cluster.cliEnv());
      const applyMs = performance.now() - begin;
      if (applied.code !== 0) throw new Error(applied.stderr);
      await eventually(
        `${pods} pods Running`,
        async () => ((await client.list("pod")).items.filter((item) => item.status === "Running").length === pods ? true : undefined),
        300_000,
        250,
      );
      return { applyMs, runningMs: performance.now() - begin, latenciesMs };
    } finally {
      applying = false;
      await probing;
    }
  });
}
