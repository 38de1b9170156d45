// A large apply must not stall the leader: while `cube apply` sends thousands of pods (and the leader validates,
// stores, places and assigns them to simulated nodes), a client in a process of its own asks for the nodes every
// 20 ms and notes how long each answer takes.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot, runCube } from "../test/helpers/processes.js";
import { allPodsRunning, withSimulatedCluster } from "./simulated-cluster.js";

export interface StallFigures {
  applyMs: number;
  runningMs: number;
  /** ListNodes round trips from the apply's start until every pod ran, in ms. */
  latenciesMs: number[];
}

/** Starts the prober; the returned function stops it and resolves with its round trips. */
async function startProber(configPath: string): Promise<() => Promise<number[]>> {
  const child = spawn(process.execPath, ["--import", "tsx", join(projectRoot, "bench", "list-nodes-prober.ts"), configPath], {
    cwd: projectRoot,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  let errors = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk));
  const ended = new Promise<number | null>((resolve) => child.on("close", resolve));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      errors += chunk;
      if (errors.includes("probing\n")) resolve();
    });
    void ended.then((code) => reject(new Error(`the prober exited (${code}) before probing: ${errors}`)));
  });
  return async () => {
    child.stdin.end();
    const code = await ended;
    if (code !== 0) throw new Error(`the prober failed (${code}): ${errors}`);
    return JSON.parse(output) as number[];
  };
}

/** `nodesNiceness`: the simulated nodes' CPU priority (0: the leader's; 10: lower, as other machines would not take its cores). */
export async function measureApplyStall(pods: number, nodes: number, image: string, nodesNiceness: number): Promise<StallFigures> {
  return withSimulatedCluster(
    nodes,
    image,
    async ({ cluster, client }) => {
      const path = join(cluster.dir.path, "stall.json");
      const manifest = Array.from({ length: pods }, (_, i) => ({
        type: "pod",
        metadata: { name: `stall-${i}`, labels: { app: "stall", index: String(i) } },
        spec: { containers: [{ name: "main", image, env: { INDEX: String(i) } }] },
      }));
      writeFileSync(path, JSON.stringify(manifest));

      const stopProber = await startProber(cluster.cliEnv().CUBE_CONFIG!);
      let latenciesMs: number[] | undefined;
      try {
        const begin = performance.now();
        const applied = await runCube(["apply", path], cluster.cliEnv());
        const applyMs = performance.now() - begin;
        if (applied.code !== 0) throw new Error(applied.stderr);
        // Looked at once a second: a list of thousands of pods is work for the leader too.
        await allPodsRunning(client, pods, 300_000, 1000);
        const runningMs = performance.now() - begin;
        latenciesMs = await stopProber();
        return { applyMs, runningMs, latenciesMs };
      } finally {
        if (!latenciesMs) await stopProber().catch(() => undefined);
      }
    },
    [],
    nodesNiceness,
  );
}
