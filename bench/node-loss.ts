// Node loss with default flags: SIGKILL a follower that runs pods, then time how long until the leader says
// NotReady, and until those pods run on other nodes.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalCluster } from "../test/helpers/local-cluster.js";
import { eventually } from "../test/helpers/processes.js";

const DEFAULT_GRACE_SECONDS = 15;

export async function measureNodeLoss(): Promise<{ notReadySeconds: number; runningElsewhereSeconds: number; moved: number }> {
  const cluster = new LocalCluster(DEFAULT_GRACE_SECONDS);
  try {
    const prefix = `b${Math.random().toString(36).slice(2, 6)}`;
    await cluster.startLeader(`${prefix}-main`);
    const followers = new Map([`${prefix}-f1`, `${prefix}-f2`].map((name) => [name, cluster.startFollower(name)]));
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
    // The victim is a follower that runs pods: with none to move, there would be nothing to time.
    const victim = pods.map((pod) => pod.node).find((node) => node !== null && followers.has(node));
    if (!victim) throw new Error(`no follower runs any of the pods (${pods.map((pod) => pod.node).join(", ")}): nothing to move`);
    const lost = names.filter((_, i) => pods[i].node === victim);
    const killedAt = Date.now();
    await followers.get(victim)!.kill("SIGKILL");
    await eventually("NotReady", async () => ((await cluster.nodes()).find((n) => n.name === victim)?.status === "NotReady" ? true : undefined), 60_000, 100);
    const notReadySeconds = (Date.now() - killedAt) / 1000;
    await eventually(
      "pods elsewhere",
      async () => {
        const now = await Promise.all(lost.map((name) => cluster.pod(name)));
        return now.every((pod) => pod.status === "Running" && pod.node !== victim) ? true : undefined;
      },
      90_000,
      100,
    );
    return { notReadySeconds, runningElsewhereSeconds: (Date.now() - killedAt) / 1000, moved: lost.length };
  } finally {
    await cluster.stop();
  }
}
