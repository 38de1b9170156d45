import { NodeKeyed } from "../../src/agent/keyed/node-keyed.js";
import { MemoryVolumeHost } from "../../src/agent/keyed/keyed-volume-host.js";
import { join } from "node:path";
import { AgentStore } from "../../src/agent/agent-store.js";
import { PodSync, type PodSyncDependencies } from "../../src/agent/pod-sync.js";
import { FakeRuntime } from "../../src/agent/testing/fake-runtime.js";
import type { PodStatusReport } from "../../src/shared/domain.js";
import { FakeClock } from "./fake-clock.js";
import { MemoryLogger } from "./memory-logger.js";
import { tempDir } from "./temp-dir.js";

/** A node's sync loop on the fake runtime, with its own store, clock and log, and the statuses it reported. */
export class PodSyncBed {
  readonly clock = new FakeClock();
  readonly runtime = new FakeRuntime(this.clock);
  readonly log = new MemoryLogger();
  readonly reports: { pod: string; status: PodStatusReport }[] = [];
  private readonly syncs: PodSync[] = [];
  /** The node's secrets and configs (what the leader sent), its volumes in memory. */
  readonly keyed = new NodeKeyed(new MemoryVolumeHost(), new MemoryLogger());

  private constructor(
    private readonly dir: ReturnType<typeof tempDir>,
    readonly store: AgentStore,
  ) {
    this.runtime.images.add("app:1").add("sidecar:1");
  }

  static async open(name: string): Promise<PodSyncBed> {
    const dir = tempDir(name);
    return new PodSyncBed(dir, await AgentStore.open(join(dir.path, "agent.db")));
  }

  /** A sync loop of node "n1" (a new one stands for the agent after a restart: same store, same engine). */
  makeSync(options: Partial<PodSyncDependencies> = {}): PodSync {
    const sync = new PodSync({
      node: "n1",
      runtime: this.runtime,
      store: this.store,
      clock: this.clock,
      log: this.log,
      restartDefaults: { initialBackoffSeconds: 1, maxBackoffSeconds: 30, resetAfterSeconds: 60, maxFailures: 5 },
      outboxChanged: () => {},
      report: (pod, status) => this.reports.push({ pod: pod.name, status }),
      keyed: this.keyed,
      ...options,
    });
    this.syncs.push(sync);
    return sync;
  }

  /** Once every sync loop it made is idle. */
  async close(): Promise<void> {
    for (const sync of this.syncs) await sync.idle();
    await this.store.close();
    this.dir.remove();
  }
}
