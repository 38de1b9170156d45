// What a container uses, read from the kernel's cgroup files or from the engine's one-shot stats, and turned into the
// figures `cube top` shows: CPU in millicores (a rate between two readings) and memory as the working set.

/** One reading of a container: its CPU time so far and its memory now. */
export interface UsageSample {
  /** CPU time used since the container started, in nanoseconds (cumulative). */
  cpuNanos: number;
  /**
   * Its working set: memory in use less the inactive page cache, which the kernel reclaims first (what kubelet,
   * cAdvisor and `docker stats` count).
   */
  memoryBytes: number;
  /** When it was read, in milliseconds since the epoch. */
  atMs: number;
}

/** The value of `key` in a flat-keyed cgroup file ("key value" per line: cpu.stat, memory.stat). */
function keyedValue(text: string, key: string): number | undefined {
  for (const line of text.split("\n")) {
    const [name, value] = line.trim().split(/\s+/);
    if (name === key) return Number(value);
  }
  return undefined;
}

function workingSet(usage: number, inactiveFile: number | undefined): number {
  return Math.max(0, usage - (inactiveFile ?? 0));
}

/** A cgroup v2 reading: cpu.stat (usage_usec), memory.current, memory.stat (inactive_file). */
export function usageFromCgroupV2(files: { cpuStat: string; memoryCurrent: string; memoryStat: string }, atMs: number): UsageSample {
  const usageMicros = keyedValue(files.cpuStat, "usage_usec");
  const current = Number(files.memoryCurrent.trim());
  if (usageMicros === undefined || !Number.isFinite(usageMicros) || !Number.isFinite(current)) throw new Error("not a cgroup v2 reading");
  return { cpuNanos: usageMicros * 1000, memoryBytes: workingSet(current, keyedValue(files.memoryStat, "inactive_file")), atMs };
}

/** A cgroup v1 reading: cpuacct.usage (ns), memory.usage_in_bytes, memory.stat (total_inactive_file: the whole subtree). */
export function usageFromCgroupV1(files: { cpuacctUsage: string; memoryUsage: string; memoryStat: string }, atMs: number): UsageSample {
  const cpuNanos = Number(files.cpuacctUsage.trim());
  const usage = Number(files.memoryUsage.trim());
  if (!Number.isFinite(cpuNanos) || !Number.isFinite(usage)) throw new Error("not a cgroup v1 reading");
  return { cpuNanos, memoryBytes: workingSet(usage, keyedValue(files.memoryStat, "total_inactive_file")), atMs };
}

/** The part of the engine's stats (GET /containers/ID/stats?stream=false&one-shot=true) that usage is read from. */
export interface EngineStats {
  read?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { usage?: number; stats?: Record<string, number> };
}

/** A reading from the engine's stats; undefined for a container that is not running (the engine gives no usage then). */
export function usageFromEngineStats(stats: EngineStats, fallbackAtMs: number): UsageSample | undefined {
  const cpuNanos = stats.cpu_stats?.cpu_usage?.total_usage;
  const usage = stats.memory_stats?.usage;
  if (cpuNanos === undefined || usage === undefined) return undefined;
  const read = stats.read ? Date.parse(stats.read) : NaN;
  // cgroup v1 names the subtree's figure total_inactive_file; v2 has only inactive_file (as `docker stats` reads them).
  const counters = stats.memory_stats?.stats ?? {};
  const inactiveFile = counters.total_inactive_file ?? counters.inactive_file;
  return { cpuNanos, memoryBytes: workingSet(usage, inactiveFile), atMs: Number.isFinite(read) && read > 0 ? read : fallbackAtMs };
}

/**
 * CPU in millicores between two readings of one container (the earlier may be its start: no CPU used, at its start
 * time). 0 when no time passed or the counter went back (a different container).
 */
export function cpuMillisBetween(earlier: Pick<UsageSample, "cpuNanos" | "atMs">, later: Pick<UsageSample, "cpuNanos" | "atMs">): number {
  const elapsedMs = later.atMs - earlier.atMs;
  const usedNanos = later.cpuNanos - earlier.cpuNanos;
  if (elapsedMs <= 0 || usedNanos <= 0) return 0;
  return Math.round(usedNanos / 1000 / elapsedMs);
}
