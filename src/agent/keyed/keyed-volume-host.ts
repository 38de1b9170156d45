import { execFile } from "node:child_process";
import { chmod, mkdir, readdir, readFile, readlink, rename, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import type { VolumeWrite } from "./keyed-files.js";

const run = promisify(execFile);

/** The directory of a node's data directory where its tmpfs of secret and config volumes is mounted. */
export const KEYED_VOLUMES_DIR = "keyed-volumes";

/** Where a node keeps its secret and config volumes: a directory per pod, one per volume in it. */
export interface KeyedVolumeHost {
  /** The version each volume directory has, by "podUid/volume", and the pods that have a directory. */
  observe(): Promise<{ written: Map<string, string>; podDirs: string[] }>;
  write(volume: VolumeWrite): Promise<void>;
  removePod(podUid: string): Promise<void>;
  /** The directory a container mounts (read-only). */
  dirOf(podUid: string, volume: string): string;
}

/** The link a volume's files go through; its target, "..VERSION", holds the files of that version. */
const DATA_LINK = "..data";
const VERSION_PREFIX = "..";

/**
 * Volumes on a tmpfs of the node's own, mounted at `root` on first use and unmounted once no pod has a volume there:
 * values never touch the node's disk. Each volume is written as kubelet's atomic writer does: the files of a version
 * in a directory of their own, then one rename of the `..data` link swaps every file at once; each file the pod sees is
 * a link through `..data`, so a reader sees the old files or the new ones, never a mix.
 */
export class TmpfsVolumeHost implements KeyedVolumeHost {
  constructor(private readonly root: string) {}

  dirOf(podUid: string, volume: string): string {
    return join(this.root, podUid, volume);
  }

  async observe(): Promise<{ written: Map<string, string>; podDirs: string[] }> {
    const written = new Map<string, string>();
    const podDirs = await entries(this.root);
    for (const pod of podDirs) {
      for (const volume of await entries(join(this.root, pod))) {
        const target = await readlink(join(this.root, pod, volume, DATA_LINK)).catch(() => undefined);
        if (target?.startsWith(VERSION_PREFIX)) written.set(`${pod}/${volume}`, target.slice(VERSION_PREFIX.length));
      }
    }
    return { written, podDirs };
  }

  async write({ podUid, volume, files, version }: VolumeWrite): Promise<void> {
    await this.ensureMounted();
    const dir = this.dirOf(podUid, volume);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const versionDir = join(dir, `${VERSION_PREFIX}${version}`);
    await rm(versionDir, { recursive: true, force: true });
    await mkdir(versionDir, { mode: 0o755 });
    for (const file of files) {
      const path = join(versionDir, file.path);
      await mkdir(dirname(path), { recursive: true, mode: 0o755 });
      await writeFile(path, file.content, { mode: file.mode });
      await chmod(path, file.mode); // the process's umask may have taken bits off
    }
    const next = join(dir, `${DATA_LINK}_tmp`);
    await rm(next, { force: true });
    await symlink(`${VERSION_PREFIX}${version}`, next);
    await rename(next, join(dir, DATA_LINK));
    // Each top-level name the pod sees links through ..data; names no longer there go, older versions go.
    const tops = new Set(files.map((file) => file.path.split("/")[0]));
    for (const top of tops) await symlink(join(DATA_LINK, top), join(dir, top)).catch((error: NodeJS.ErrnoException) => ignore(error, "EEXIST"));
    for (const name of await entries(dir)) {
      const stale = name.startsWith(VERSION_PREFIX) ? name !== DATA_LINK && name !== `${VERSION_PREFIX}${version}` : !tops.has(name);
      if (stale) await rm(join(dir, name), { recursive: true, force: true });
    }
  }

  async removePod(podUid: string): Promise<void> {
    await rm(join(this.root, podUid), { recursive: true, force: true });
    if ((await entries(this.root)).length === 0 && (await this.mounted())) await run("umount", [this.root]);
  }

  private async ensureMounted(): Promise<void> {
    if (await this.mounted()) return;
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    try {
      await run("mount", ["-t", "tmpfs", "-o", "mode=0700,size=256m", "cube-keyed", this.root]);
    } catch (error) {
      throw new Error(
        `cannot mount a tmpfs at ${this.root} for secret and config volumes (the node's agent must run as root): ${(error as { stderr?: string }).stderr?.trim() || (error as Error).message}`,
      );
    }
  }

  private async mounted(): Promise<boolean> {
    const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
    // Field 5 is the mount point (spaces escaped as \040).
    return mountinfo.split("\n").some((line) => line.split(" ")[4]?.replace(/\\040/g, " ") === this.root);
  }
}

/** Volumes kept in memory: for a node without a data directory (simulated nodes and tests of the fake runtime). */
export class MemoryVolumeHost implements KeyedVolumeHost {
  readonly volumes = new Map<string, VolumeWrite>();

  dirOf(podUid: string, volume: string): string {
    return `/memory/${podUid}/${volume}`;
  }

  async observe(): Promise<{ written: Map<string, string>; podDirs: string[] }> {
    const written = new Map([...this.volumes].map(([key, volume]) => [key, volume.version]));
    return { written, podDirs: [...new Set([...this.volumes.values()].map((volume) => volume.podUid))] };
  }

  async write(volume: VolumeWrite): Promise<void> {
    this.volumes.set(`${volume.podUid}/${volume.volume}`, volume);
  }

  async removePod(podUid: string): Promise<void> {
    for (const [key, volume] of this.volumes) if (volume.podUid === podUid) this.volumes.delete(key);
  }
}

async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
}

function ignore(error: NodeJS.ErrnoException, code: string): void {
  if (error.code !== code) throw error;
}
