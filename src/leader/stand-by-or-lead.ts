import type * as grpc from "@grpc/grpc-js";
import pg from "pg";
import { startFollower } from "../agent/start-follower.js";
import type { NodeAgentDependencies } from "../agent/open-node-agent.js";
import { systemClock } from "../shared/clock.js";
import { localDialAddress, reachableAddress, type HostPort } from "../shared/host-port.js";
import { createLogger } from "../shared/logger.js";
import type { RunningServer } from "../shared/running-server.js";
import { makePrivateDirectory } from "../shared/secret-file.js";
import type { LeaseRole, LeaseTiming } from "./election/leader-lease.js";
import { LeaseKeeper } from "./election/lease-keeper.js";
import { holderText, parseHolder, type LeaseHolder } from "./election/lease-holder.js";
import { openLeaderIdentity } from "./identity/leader-certificate.js";
import { StandbyFront } from "./standby-front.js";
import { fence, FencedOut, PostgresLease, releaseLease } from "./election/postgres-lease.js";
import { shareBootstrap } from "./secrets/shared-bootstrap.js";
import { startLeader, type LeaderConfig } from "./start-leader.js";
import type { WriteFence } from "./store/postgres-database.js";

/**
 * A term lasts 2 s unrenewed (renewed every 0.67 s): a standby takes over within about 2.7 s of the active leader's
 * death. The active one stops acting half a second before its term could pass to another.
 */
export const LEASE_TIMING: LeaseTiming = { ttlMs: 2000, marginMs: 500 };

type Mode = "leader" | "standby";

/** The active leader, as a standby last saw the lease. */
function activeHolder(role: LeaseRole): LeaseHolder | undefined {
  return role.active || !role.holder ? undefined : parseHolder(role.holder);
}

/** Whom this leader's node follows while it stands by: every leader, or (none named) this one's own address. */
function followed(config: LeaderConfig): HostPort[] {
  return config.leaders?.length ? config.leaders : [localDialAddress(config.listen)];
}

/**
 * One of several leaders sharing a PostgreSQL store. It keeps claiming the lease: while it holds it, it runs as the
 * leader (startLeader, its writes fenced by its term); otherwise it stands by, its node a follower of the active one
 * (startFollower on the same data directory and port: the node keeps its identity and its pods). A change of role
 * stops one and starts the other, as a restart does: the node adopts its containers, which ran on meanwhile.
 */
export async function standByOrLead(config: LeaderConfig & { store: string }, deps: NodeAgentDependencies = {}): Promise<RunningServer> {
  const log = createLogger("leader", deps.writeLog);
  const clock = deps.clock ?? systemClock;
  makePrivateDirectory(config.dataDir);
  // The lease's own connections, with short timeouts: a claim never waits behind the store's work, nor longer than a term.
  const timeout = LEASE_TIMING.ttlMs / 2;
  // The server gives up too (statement and lock timeouts): a claim that waits behind a stale leader's transaction must not
  // stay queued there after this leader stopped waiting for it.
  const pool = new pg.Pool({
    connectionString: config.store,
    max: 2,
    connectionTimeoutMillis: timeout,
    query_timeout: timeout,
    statement_timeout: timeout,
    lock_timeout: timeout,
    keepAlive: true,
  });
  pool.on("error", () => undefined);
  const secrets = await shareBootstrap(pool, config.dataDir, config).catch(async (error: Error) => {
    await pool.end();
    throw error;
  });
  const lease = new PostgresLease(pool);
  await lease.prepare();
  const holder = holderText(config.name, reachableAddress(config.listen));

  let mode: Mode | undefined;
  let running: RunningServer | undefined;
  let switching = Promise.resolve();
  let front: StandbyFront | undefined;
  const keeper: LeaseKeeper = new LeaseKeeper(lease, holder, LEASE_TIMING, clock, (role) => {
    front?.leaseChanged();
    switching = switching.then(() => become(role));
  });
  const fenceWrites: WriteFence = async (client) => {
    const role = keeper.current;
    if (!role.active || !keeper.mayAct()) throw new FencedOut(`its term ${role.epoch ?? ""} is over`);
    await fence(client, holder, role.epoch);
  };
  const claiming = new AbortController();

  async function become(role: LeaseRole): Promise<void> {
    const wanted: Mode = role.active ? "leader" : "standby";
    if (wanted === mode || claiming.signal.aborted) return;
    log.info(
      role.active
        ? `active: this leader holds term ${role.epoch}`
        : `standing by${role.holder ? `: ${parseHolder(role.holder)?.name ?? role.holder} is active` : ""}`,
    );
    try {
      await running?.stop();
      running = undefined;
      running = wanted === "leader" ? await startLeader({ ...config, ...secrets }, deps, fenceWrites) : await standBy();
      mode = wanted;
    } catch (error) {
      // Holding a lease it cannot serve would leave the cluster without a leader: it lets the term run out instead.
      log.error(`cannot start as ${wanted === "leader" ? "the active leader" : "a standby"}: ${(error as Error).message}; giving up the lease`);
      claiming.abort();
    }
  }

  /** Its node, a follower of the active leader; and the admin API, each call forwarded to the active leader. */
  async function standBy(): Promise<RunningServer> {
    const { ca, certificate } = await openLeaderIdentity(config, clock, log);
    const forwarding = new StandbyFront(ca.certificate, config.name, () => activeHolder(keeper.current));
    const standby = {
      credentials: certificate.serverCredentials,
      adminPassword: secrets.adminPassword,
      serve: (server: grpc.Server) => forwarding.serve(server),
    };
    const follower = await startFollower({ ...config, ...secrets, leaders: followed(config), listen: config.listen, standbyLeader: true }, deps, standby).catch(
      (error: Error) => {
        certificate.stop();
        throw error;
      },
    );
    front = forwarding;
    return {
      address: follower.address,
      async stop() {
        front = undefined;
        await follower.stop();
        forwarding.close();
        certificate.stop();
      },
    };
  }

  await keeper.claim();
  await switching;
  if (!running) {
    await pool.end();
    throw new Error("this leader could not start (see above)");
  }
  const claims = keeper.run(claiming.signal);
  const address = running.address;

  return {
    address,
    async stop() {
      claiming.abort();
      await claims;
      await switching;
      await running?.stop();
      const role = keeper.current;
      if (role.active) await releaseLease(pool, holder, role.epoch).catch(() => undefined);
      await pool.end();
    },
  };
}
