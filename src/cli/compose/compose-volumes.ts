import { resourceName, type ComposeSurroundings, type Service } from "./compose-vocabulary.js";

// A Compose service's volumes and tmpfs as the pod's volumes and the container's mounts.

interface Mount {
  type: "volume" | "bind" | "tmpfs";
  source?: string;
  target: string;
  readOnly: boolean;
}

/** A short volume ("SOURCE:TARGET[:ro|rw]", or "TARGET" alone: an anonymous volume) or a long one ({type, source, target, read_only}). */
function mountOf(entry: unknown): Mount | string {
  if (typeof entry === "object" && entry !== null) {
    const { type = "volume", source, target, read_only } = entry as { type?: string; source?: unknown; target?: unknown; read_only?: unknown };
    if (typeof target !== "string") return "needs a target";
    if (type !== "volume" && type !== "bind" && type !== "tmpfs") return `type ${type}: Cube mounts volume, bind and tmpfs`;
    return { type, source: source === undefined ? undefined : String(source), target, readOnly: read_only === true };
  }
  const parts = String(entry).split(":");
  if (parts.length === 1) return { type: "volume", target: parts[0], readOnly: false };
  if (parts.length > 3) return `"${entry}" is not SOURCE:TARGET[:ro]`;
  const [source, target, mode = "rw"] = parts;
  const readOnly = mode.split(",").includes("ro");
  return { type: /^[/.~]/.test(source) ? "bind" : "volume", source, target, readOnly };
}

/**
 * The volumes of a service: a named volume (of the file's top-level `volumes`) is a persistent volume of its node, a
 * host path (absolute, or from the file's folder) a hostPath (which the leader admits only with --allow-host-paths),
 * an anonymous volume or a tmpfs an emptyDir (on the node's disk: said). `persistent`: the service keeps data on its node.
 */
export function composeVolumes(
  service: Service,
  declared: Record<string, unknown>,
  around: Pick<ComposeSurroundings, "resolvePath">,
  problem: (path: (string | number)[], message: string) => void,
  note: (path: (string | number)[], what: string) => void,
): { volumes: object[]; mounts: object[]; persistent: boolean } {
  const volumes: object[] = [];
  const mounts: object[] = [];
  let persistent = false;
  let unnamed = 0;
  const add = (volume: { name: string } & Record<string, unknown>, target: string, readOnly: boolean) => {
    if (!volumes.some((v) => (v as { name: string }).name === volume.name)) volumes.push(volume);
    mounts.push({ name: volume.name, mountPath: target, readOnly });
  };
  const tmpfs = service.tmpfs === undefined ? [] : Array.isArray(service.tmpfs) ? service.tmpfs : [service.tmpfs];
  const entries: [unknown, (string | number)[]][] = [
    ...((service.volumes as unknown[]) ?? []).map((entry, index): [unknown, (string | number)[]] => [entry, ["volumes", index]]),
    ...tmpfs.map((target, index): [unknown, (string | number)[]] => [
      { type: "tmpfs", target: String(target).split(":")[0] },
      Array.isArray(service.tmpfs) ? ["tmpfs", index] : ["tmpfs"],
    ]),
  ];
  for (const [entry, path] of entries) {
    const mount = mountOf(entry);
    if (typeof mount === "string") {
      problem(path, mount);
      continue;
    }
    if (!mount.target.startsWith("/")) {
      problem(path, `the target ${mount.target} must be an absolute path`);
      continue;
    }
    if (mount.type === "bind") {
      add({ name: `host-${++unnamed}`, hostPath: { path: around.resolvePath(mount.source ?? "") } }, mount.target, mount.readOnly);
    } else if (mount.type === "tmpfs" || mount.source === undefined) {
      note(path, `${mount.type === "tmpfs" ? "tmpfs" : "an anonymous volume"} at ${mount.target} is an emptyDir (on the node's disk, removed with the pod)`);
      add({ name: `scratch-${++unnamed}`, emptyDir: {} }, mount.target, false);
    } else if (!(mount.source in declared)) {
      problem(path, `no top-level volume named "${mount.source}"`);
    } else {
      persistent = true;
      add({ name: resourceName(mount.source).slice(0, 63), persistent: {} }, mount.target, mount.readOnly);
    }
  }
  return { volumes, mounts, persistent };
}
