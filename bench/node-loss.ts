// Node loss with default flags: SIGKILL a follower that runs pods, then time how long until the leader says
// NotReady, and until those pods run on other nodes.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalCluster } from "../test/helpers/local-cluster.js";
import { eventually } from "../test/helpers/processes.js";

const DEFAULT_GRACE_SECONDS = 15;

export async function measureNodeLoss(): Promise<{ notReadySeconds: number; runningElsewhereSeconds: number }> {
  const cluster = new LocalCluster(DEFAULT_GRACE_SECONDS);
  try {
    const prefix = `b${Math.random().toString(36).slice(2, 6)}`;
    await cluster.startLeader(`${prefix}-main`);
    const victim = cluster.startFollower(`${prefix}-f1`);
    cluster.startFollower(`${prefix}-f2`);
    await eventually("3 Ready nodes", async () => ((await cluster.nodes()).filter((n) => n.status === "Ready").length === 3 ? true : undefined));
    const names = ["loss-a", "loss-b", "loss-c"];
    const manifest = join(cluster.dir.path, "loss.json");
    writeFileSync(
      manifest,
      JSON.stringify(
        names.map((name) => ({
          type: "pod",
          metadata: { name },
          spec: {
            containers: [{ name: "main", image: "cube-test/busybox:latest", command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"] }],
          },
        })),
      ),
    );
    await cluster.cubeOk("apply", manifest);
    const pods = await Promise.all(names.map((name) => cluster.waitForPodStatus(name, "Running")));
    const lost = names.filter((_, i) => pods[i].node === `${prefix}-f1`);
    const killedAt = Date.now();
    await victim.kill("SIGKILL");
    await eventually(
      "NotReady",
      async () => ((await cluster.nodes()).find((n) => n.name === `${prefix}-f1`)?.status === "NotReady" ? true : undefined),
      60_000,
      100,
    );
    const notReadySeconds = (Date.now() - killedAt) / 1000;
    await eventually(
      "pods elsewhere",
      async () => {
        const now = await Promise.all(lost.map((name) => cluster.pod(name)));
        return now.every((pod) => pod.status === "Running" && pod.node !== `${prefix}-f1`) ? true : undefined;
      },
      90_000,
      100,
    );
    return { notReadySeconds, runningElsewhereSeconds: (Date.now() - killedAt) / 1000 };
  } finally {
    await cluster.stop();
  }
}
