// Shutdown: an idle leader with a follower connected, then that follower, each sent SIGTERM: how long until it has
// exited (the pods' containers go on running, to be adopted when the servers come back).
import { LocalCluster } from "../test/helpers/local-cluster.js";

export async function measureShutdown(runs: number): Promise<{ leaderMs: number[]; followerMs: number[] }> {
  const leaderMs: number[] = [];
  const followerMs: number[] = [];
  for (let run = 0; run < runs; run++) {
    const cluster = new LocalCluster();
    try {
      const prefix = `q${Math.random().toString(36).slice(2, 6)}`;
      const leader = await cluster.startLeader(`${prefix}-main`);
      const follower = cluster.startFollower(`${prefix}-f1`);
      await cluster.waitForNodes([
        { name: `${prefix}-f1`, status: "Ready", type: "Follower" },
        { name: `${prefix}-main`, status: "Ready", type: "Leader" },
      ]);
      for (const [server, times] of [
        [leader, leaderMs],
        [follower, followerMs],
      ] as const) {
        const start = performance.now();
        await server.kill("SIGTERM");
        times.push(performance.now() - start);
      }
    } finally {
      await cluster.stop();
    }
  }
  return { leaderMs, followerMs };
}
