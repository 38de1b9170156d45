// Deployments at scale: many deployments of many replicas applied at once to a leader with simulated nodes, until
// every rollout completed; then a new template for all of them (a rollout of every deployment at once), until every
// one completed again.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventually, runCube } from "../test/helpers/processes.js";
import { withSimulatedCluster } from "./simulated-cluster.js";

export interface DeploymentFigures {
  /** From `cube apply` until every deployment's first rollout completed. */
  createMs: number;
  /** From `cube apply` of the new template until every rollout completed. */
  rolloutMs: number;
  leaderCpuMs: { create: number; rollout: number };
}

const manifest = (deployments: number, replicas: number, image: string, version: string) =>
  Array.from({ length: deployments }, (_, i) => ({
    type: "deployment",
    metadata: { name: `d${i}` },
    spec: {
      replicas,
      template: { metadata: { labels: { app: `d${i}` } }, spec: { containers: [{ name: "main", image, env: { VERSION: version } }] } },
    },
  }));

export async function measureDeployments(
  deployments: number,
  replicas: number,
  nodes: number,
  image: string,
  cpuMs: (pid: number) => number,
): Promise<DeploymentFigures> {
  return withSimulatedCluster(nodes, image, async ({ cluster, leader, client }) => {
    /** Applies a version of every deployment; resolves once every one's rollout of it completed. */
    const rollOut = async (version: string, revision: number) => {
      const path = join(cluster.dir.path, `deployments-${version}.json`);
      writeFileSync(path, JSON.stringify(manifest(deployments, replicas, image, version)));
      const begin = Date.now();
      const cpuBefore = cpuMs(leader.pid);
      const applied = await runCube(["apply", path], cluster.cliEnv());
      if (applied.code !== 0) throw new Error(applied.stderr);
      await eventually(
        `${deployments} rollouts of revision ${revision} complete`,
        async () => {
          const { items } = await client.list("deployment");
          const done = items.filter(
            (d) => d.deployment?.rollout?.revision === revision && d.deployment.rollout.state === "Complete" && d.deployment.available === replicas,
          );
          return done.length === deployments ? true : undefined;
        },
        900_000,
        500,
      );
      return { ms: Date.now() - begin, cpu: cpuMs(leader.pid) - cpuBefore };
    };
    const created = await rollOut("1", 1);
    const rolled = await rollOut("2", 2);
    return { createMs: created.ms, rolloutMs: rolled.ms, leaderCpuMs: { create: created.cpu, rollout: rolled.cpu } };
  });
}
