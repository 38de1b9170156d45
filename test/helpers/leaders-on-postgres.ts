import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalCluster } from "./local-cluster.js";
import { TestPostgres } from "./postgres.js";
import { cleanUpInTurn, eventually, type TestProcess } from "./processes.js";
import { lastRole } from "./leader-role.js";
import { TestHosts } from "./test-hosts.js";

export const LEADER_HOSTS = [1, 2, 3];
export const nodeOf = (host: number) => `host-${host}`;

/**
 * Three leaders (hosts 1–3 of a four-host bed) on one PostgreSQL (host 4, with a follower), each host its own address
 * and engine; the CLI on host 4 (never cut off) given the three addresses. What the failover test and bench share.
 */
export class LeadersOnPostgres {
  readonly leaders = new Map<number, TestProcess>();

  private constructor(
    readonly hosts: TestHosts,
    readonly postgres: TestPostgres,
    readonly cluster: LocalCluster,
    private readonly leaderArgs: string[],
  ) {}

  /** Starts the bed, PostgreSQL, the leaders and the follower (`followerArgs`); resolves once every node is Ready. */
  static async start(options: { graceSeconds: number; leaderArgs?: string[]; followerArgs?: string[] }): Promise<LeadersOnPostgres> {
    const hosts = await TestHosts.up(4);
    let bed: LeadersOnPostgres | undefined;
    try {
      const postgres = await TestPostgres.start({ address: hosts.address(4), run: (command, ...args) => hosts.run(4, command, ...args) });
      const cluster = new LocalCluster(options.graceSeconds, [], hosts);
      const storeFile = join(cluster.dir.path, "store-url");
      writeFileSync(storeFile, postgres.url, { mode: 0o600 });
      const addresses = LEADER_HOSTS.map((host) => `${hosts.address(host)}:4242`).join(",");
      bed = new LeadersOnPostgres(hosts, postgres, cluster, ["--store-file", storeFile, "--leader", addresses, ...(options.leaderArgs ?? [])]);
      for (const host of LEADER_HOSTS) bed.startLeader(host);
      cluster.startFollower(nodeOf(4), { host: 4, leader: addresses, extraArgs: options.followerArgs ?? [] });
      const first = await bed.activeHost();
      cluster.leaderHost = 4;
      cluster.leaderUrl = addresses;
      cluster.leaderName = nodeOf(first);
      await eventually("the admin config", async () => (await bed!.leaders.get(first)!.waitForLine(/\[leader\] listening on/)) && cluster.cliEnv());
      await eventually(
        "the cluster's nodes Ready",
        async () => ((await cluster.nodes()).filter((n) => n.status === "Ready").length === 4 ? true : undefined),
        60_000,
      );
      return bed;
    } catch (error) {
      if (bed) process.stderr.write(`${bed.cluster.recentOutput()}\n`);
      await (bed ? bed.stop() : hosts.down());
      throw error;
    }
  }

  startLeader(host: number): TestProcess {
    const leader = this.cluster.startLeaderProcess(nodeOf(host), `${this.hosts.address(host)}:4242`, this.leaderArgs, host);
    this.leaders.set(host, leader);
    return leader;
  }

  /** The leader host whose process holds the lease now (but `except`): the last role it logged is "active", and no other's is. */
  activeHost(except?: number): Promise<number> {
    return eventually(
      "one active leader",
      async () => {
        const active = LEADER_HOSTS.filter((host) => host !== except && lastRole(this.leaders.get(host)!) === "active");
        return active.length === 1 ? active[0] : undefined;
      },
      60_000,
      50,
    );
  }

  /** Whether the leader on `host` says it stands by, last. */
  standsBy(host: number): boolean {
    return lastRole(this.leaders.get(host)!) === "standby";
  }

  stop(): Promise<void> {
    return cleanUpInTurn(
      () => this.cluster.stop(),
      () => this.postgres.stop(),
      () => this.hosts.down(),
    );
  }
}
