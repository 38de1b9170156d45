import type Docker from "dockerode";
import { CgroupReader } from "./cgroup-reader.js";
import { usageFromEngineStats, type EngineStats, type UsageSample } from "./container-usage.js";

/** Engine stats asked at once: each makes the engine read the container's cgroups. */
const ENGINE_STATS_AT_ONCE = 8;

/**
 * A pass of readings over a node's running containers: from their cgroup files when this process can read them (the
 * node runs on the engine's machine), else from the engine's one-shot stats (no second reading, no one-second wait).
 */
export class DockerUsage {
  constructor(
    private readonly docker: Docker,
    private readonly cgroups = new CgroupReader(),
  ) {}

  async sample(containers: { id: string; pid?: number }[]): Promise<Map<string, UsageSample>> {
    const samples = new Map<string, UsageSample>();
    const queue = [...containers];
    const worker = async () => {
      for (let container = queue.shift(); container; container = queue.shift()) {
        const sample = await this.read(container).catch(() => undefined);
        if (sample) samples.set(container.id, sample);
      }
    };
    await Promise.all(Array.from({ length: Math.min(ENGINE_STATS_AT_ONCE, queue.length) }, worker));
    return samples;
  }

  private async read({ id, pid }: { id: string; pid?: number }): Promise<UsageSample | undefined> {
    if (pid) {
      try {
        return await this.cgroups.read(pid, id);
      } catch {
        // Not readable from here: the engine reads it.
      }
    }
    const stats = (await this.docker.getContainer(id).stats({ stream: false, "one-shot": true } as { stream: false })) as EngineStats;
    return usageFromEngineStats(stats, Date.now());
  }
}
