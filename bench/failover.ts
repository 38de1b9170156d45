// Several leaders on PostgreSQL: how long the cluster takes no write after the active leader is SIGKILLed, cut off the
// network, or paused, measured on the multi-host test bed as a user sees it: from the fault to the first apply the
// CLI (given every leader, on a host never touched) gets acknowledged.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalCluster } from "../test/helpers/local-cluster.js";
import { TestPostgres } from "../test/helpers/postgres.js";
import { cleanUpInTurn, eventually, type TestProcess } from "../test/helpers/processes.js";
import { lastRole } from "../test/helpers/leader-role.js";
import { TestHosts } from "../test/helpers/test-hosts.js";
import { cubeRow, median, seconds, type Row } from "./figures.js";

const LEADER_HOSTS = [1, 2, 3];
const nodeOf = (host: number) => `host-${host}`;
type Fault = "SIGKILL" | "partition" | "SIGSTOP";

export async function failover(runs: number): Promise<Row[]> {
  const hosts = await TestHosts.up(4);
  let postgres: TestPostgres | undefined;
  let cluster: LocalCluster | undefined;
  try {
    postgres = await TestPostgres.start({ address: hosts.address(4), run: (command, ...args) => hosts.run(4, command, ...args) });
    const bed = new LocalCluster(15, [], hosts);
    cluster = bed;
    const storeFile = join(bed.dir.path, "store-url");
    writeFileSync(storeFile, postgres.url, { mode: 0o600 });
    const addresses = LEADER_HOSTS.map((host) => `${hosts.address(host)}:4242`).join(",");
    const args = ["--store-file", storeFile, "--leader", addresses];
    const leaders = new Map<number, TestProcess>();
    const start = (host: number) => leaders.set(host, bed.startLeaderProcess(nodeOf(host), `${hosts.address(host)}:4242`, args, host));
    for (const host of LEADER_HOSTS) start(host);
    bed.startFollower(nodeOf(4), { host: 4, leader: addresses });
    const active = () =>
      eventually(
        "one active leader",
        async () => {
          const found = LEADER_HOSTS.filter((host) => lastRole(leaders.get(host)!) === "active");
          return found.length === 1 ? found[0] : undefined;
        },
        60_000,
        50,
      );
    const first = await active();
    bed.leaderHost = 4;
    bed.leaderUrl = addresses;
    bed.leaderName = nodeOf(first);
    await leaders.get(first)!.waitForLine(/\[leader\] listening on/);
    await eventually(
      "the cluster's nodes Ready",
      async () => ((await bed.nodes()).filter((n) => n.status === "Ready").length === 4 ? true : undefined),
      60_000,
    );
    let applies = 0;
    /** Applies a new pod until it is acknowledged; the time from `since` to that. */
    const firstAcceptedApply = async (since: number) => {
      for (;;) {
        const name = `failover-${++applies}`;
        const result = await bed.cube(
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
        const victim = await active();
        await firstAcceptedApply(Date.now()); // the CLI asks the active leader first
        const at = Date.now();
        if (fault === "SIGKILL") await leaders.get(victim)!.kill("SIGKILL");
        else if (fault === "partition") await hosts.partition(victim);
        else leaders.get(victim)!.signal("SIGSTOP");
        times[fault].push(await firstAcceptedApply(at));
        // Back to three leaders before the next fault: the old one restarted, healed or resumed, standing by.
        if (fault === "SIGKILL") start(victim);
        else if (fault === "partition") await hosts.heal(victim);
        else leaders.get(victim)!.signal("SIGCONT");
        await eventually("the old leader standing by", async () => (lastRole(leaders.get(victim)!) === "standby" ? true : undefined), 60_000);
        await eventually(
          "the cluster's nodes Ready",
          async () => ((await bed.nodes()).filter((n) => n.status === "Ready").length === 4 ? true : undefined),
          60_000,
        );
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
    if (cluster) process.stderr.write(`${cluster.recentOutput()}\n`);
    throw error;
  } finally {
    await cleanUpInTurn(
      () => cluster?.stop(),
      () => postgres?.stop(),
      () => hosts.down(),
    );
  }
}

function describe(fault: Fault): string {
  return fault === "SIGKILL" ? "SIGKILLed" : fault === "partition" ? "cut off the network" : "paused (SIGSTOP)";
}
