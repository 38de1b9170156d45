import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { usageFromCgroupV1, usageFromCgroupV2, type UsageSample } from "./container-usage.js";

/** Where a process's cgroups are, from /proc/PID/cgroup: each v1 controller's path, and the unified (v2) path. */
export function parseProcCgroup(text: string): { v1: Map<string, string>; unified?: string } {
  const v1 = new Map<string, string>();
  let unified: string | undefined;
  for (const line of text.split("\n")) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, , controllers, path] = match;
    if (controllers === "") unified = path;
    else for (const controller of controllers.split(",")) v1.set(controller, path);
  }
  return { v1, unified };
}

/**
 * Reads a container's usage straight from the kernel's cgroup files, found through its main process (/proc/PID/cgroup
 * names them whatever the engine's cgroup driver): a few small reads, where the engine's stats cost an HTTP call and
 * the engine's own reads. Works with cgroup v2 and with v1 (hybrid hosts, as these machines are).
 */
export class CgroupReader {
  /** A pure v2 host has cgroup.controllers at its root; a v1 or hybrid one has a directory per controller. */
  private readonly unified: boolean;

  constructor(
    private readonly cgroupRoot = "/sys/fs/cgroup",
    private readonly procRoot = "/proc",
    private readonly now: () => number = Date.now,
  ) {
    this.unified = existsSync(join(cgroupRoot, "cgroup.controllers"));
  }

  /**
   * The usage of the cgroup that process `pid` is in, which must be container `containerId`'s (its path names it, with
   * either cgroup driver: a PID reused by another process is not taken for the container). Rejects when the files
   * cannot be read (the process is gone, or the node runs in another mount namespace than the engine's).
   */
  async read(pid: number, containerId: string): Promise<UsageSample> {
    const paths = parseProcCgroup(await readFile(join(this.procRoot, String(pid), "cgroup"), "utf8"));
    const owned = (path: string | undefined) => {
      if (path === undefined || !path.includes(containerId)) throw new Error(`process ${pid} is not in container ${containerId}'s cgroup`);
      return path;
    };
    const text = (path: string) => readFile(path, "utf8");
    if (this.unified) {
      const dir = join(this.cgroupRoot, owned(paths.unified));
      const [cpuStat, memoryCurrent, memoryStat] = await Promise.all([
        text(join(dir, "cpu.stat")),
        text(join(dir, "memory.current")),
        text(join(dir, "memory.stat")),
      ]);
      return usageFromCgroupV2({ cpuStat, memoryCurrent, memoryStat }, this.now());
    }
    const cpuacct = owned(paths.v1.get("cpuacct"));
    const memory = owned(paths.v1.get("memory"));
    const [cpuacctUsage, memoryUsage, memoryStat] = await Promise.all([
      text(join(this.cgroupRoot, "cpuacct", cpuacct, "cpuacct.usage")),
      text(join(this.cgroupRoot, "memory", memory, "memory.usage_in_bytes")),
      text(join(this.cgroupRoot, "memory", memory, "memory.stat")),
    ]);
    return usageFromCgroupV1({ cpuacctUsage, memoryUsage, memoryStat }, this.now());
  }
}
