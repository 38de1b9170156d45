import type { LeaderConfig } from "../../src/leader/start-leader.js";
import { IN_MEMORY } from "../../src/shared/open-database.js";

export const TEST_RESTART = { initialBackoffSeconds: 1, maxBackoffSeconds: 30, resetAfterSeconds: 60, maxFailures: 5 };

/** The config of a leader run inside a test's process: in memory, on a free loopback port, short grace periods. */
export function inProcessLeaderConfig(token: string, overrides: Partial<LeaderConfig> = {}): LeaderConfig {
  return {
    token,
    adminPassword: token,
    tlsSans: [],
    certificateLifetimeMs: 3_600_000,
    name: "leader",
    dataDir: IN_MEMORY,
    restart: TEST_RESTART,
    listen: { host: "127.0.0.1", port: 0 },
    heartbeatGraceMs: 2000,
    rescheduleDelayMs: 1000,
    disruptionThreshold: 0.55,
    podsOnLeader: true,
    ...overrides,
  };
}
