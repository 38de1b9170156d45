// Several leaders on PostgreSQL: how long the cluster takes no write after the active leader is SIGKILLed, cut off the
// network, or paused, measured on the multi-host test bed as a user sees it: from the fault to the first apply the
// CLI (given every leader, on a host never touched) gets acknowledged.
import { LeadersOnPostgres } from "../test/helpers/leaders-on-postgres.js";
import { eventually } from "../test/helpers/processes.js";
import { cubeRow, median, seconds, type Row } from "./figures.js";

type Fault = "SIGKILL" | "partition" | "SIGSTOP";

export async function failover(runs: number): Promise<Row[]> {
  const bed = await LeadersOnPostgres.start({ graceSeconds: 15 });
  const { cluster, hosts, leaders } = bed;
  try {
    const nodesReady = () =>
      eventually(
        "the cluster's nodes Ready",
        async () => ((await cluster.nodes()).filter((n) => n.status === "Ready").length === 4 ? true : undefined),
        60_000,
      );
    let applies = 0;
    /** Applies a new pod until it is acknowledged; the time from `since` to that. */
    const firstAcceptedApply = async (since: number) => {
      for (;;) {
        const name = `failover-${++applies}`;
        const result = await cluster.cube(
          ["apply", "-f", "-"],
          undefined,
          JSON.stringify({
            type: "pod",
            metadata: { name },
            spec: { containers: [{ name: "main", image: "cube-test/busybox:latest", command: ["sleep", "3600"] }] },
          }),
        );
        if (result.code === 0) return Date.now() - since;
      }
    };
    const times: Record<Fault, number[]> = { SIGKILL: [], partition: [], SIGSTOP: [] };
    for (let run = 0; run < runs; run++) {
      for (const fault of Object.keys(times) as Fault[]) {
        const victim = await bed.activeHost();
        await firstAcceptedApply(Date.now()); // the CLI asks the active leader first
        const at = Date.now();
        if (fault === "SIGKILL") await leaders.get(victim)!.kill("SIGKILL");
        else if (fault === "partition") await hosts.partition(victim);
        else leaders.get(victim)!.signal("SIGSTOP");
        times[fault].push(await firstAcceptedApply(at));
        // Back to three leaders before the next fault: the old one restarted, healed or resumed, standing by.
        if (fault === "SIGKILL") bed.startLeader(victim);
        else if (fault === "partition") await hosts.heal(victim);
        else leaders.get(victim)!.signal("SIGCONT");
        await eventually("the old leader standing by", async () => bed.standsBy(victim) || undefined, 60_000);
        await nodesReady();
      }
    }
    const row = (fault: Fault, target: string) =>
      cubeRow(
        `3 leaders on PostgreSQL, the active one ${describe(fault)}: fault → first apply acknowledged (median of ${runs}; each run)`,
        `${seconds(median(times[fault]))} (${times[fault].map((ms) => (ms / 1000).toFixed(1)).join(", ")})`,
        target,
      );
    return [row("SIGKILL", "≤ 3 s"), row("partition", "≤ 10 s"), row("SIGSTOP", "")];
  } catch (error) {
    // What the servers said last, before the cleanup takes their directories away.
    process.stderr.write(`${cluster.recentOutput()}\n`);
    throw error;
  } finally {
    await bed.stop();
  }
}

function describe(fault: Fault): string {
  return fault === "SIGKILL" ? "SIGKILLed" : fault === "partition" ? "cut off the network" : "paused (SIGSTOP)";
}
