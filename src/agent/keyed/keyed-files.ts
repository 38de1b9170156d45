import { createHash } from "node:crypto";
import type { ContainerSpec, KeyedKind, KeyedValues, KeyFilesSource, PodSpec, UsedRevision, Volume } from "../../shared/domain.js";
import { envValueRef, keyedRef, referencesOf } from "../../shared/pod-references.js";

// What a node makes of the secrets and configs it holds: pure functions of a pod's spec and the values, so that what
// is written, resolved or refused is decided in one place and tested from tables.

/** The values a node holds, by reference ("secret/NAME"). */
export type KeyedLookup = (ref: string) => KeyedValues | undefined;

/** Files mode 0400 unless the volume says otherwise: only the container's root reads a secret (Swarm gives 0444). */
export const DEFAULT_FILE_MODE = 0o400;

/** Where a secret or config volume that no container mounts goes, in every container: Swarm's place for secrets. */
export function defaultMountPath(volume: Volume): string | undefined {
  if (volume.secret) return `/run/secrets/${volume.secret.name}`;
  if (volume.config) return `/run/configs/${volume.config.name}`;
  return undefined;
}

/** A volume's source of keys, with its kind. */
export function keyedSourceOf(volume: Volume): { kind: KeyedKind; source: KeyFilesSource } | undefined {
  if (volume.secret) return { kind: "secret", source: volume.secret };
  if (volume.config) return { kind: "config", source: volume.config };
  return undefined;
}

const describe = (ref: string) => {
  const [kind, name] = ref.split("/");
  return `${kind} "${name}"`;
};

/**
 * Why a pod cannot have its containers made yet (kubelet's CreateContainerConfigError): a secret or config it uses that
 * the node does not hold (it does not exist), or a key it names that is not in it; undefined when nothing is missing.
 */
export function missingReference(spec: PodSpec, lookup: KeyedLookup): string | undefined {
  for (const ref of referencesOf(spec)) if (!lookup(ref)) return `${describe(ref)} not found`;
  const keyProblem = (ref: string, key: string) => (lookup(ref)!.data.has(key) ? undefined : `couldn't find key ${key} in ${describe(ref)}`);
  for (const volume of spec.volumes ?? []) {
    const keyed = keyedSourceOf(volume);
    for (const item of keyed?.source.items ?? []) {
      const problem = keyProblem(keyedRef(keyed!.kind, keyed!.source.name), item.key);
      if (problem) return problem;
    }
  }
  for (const container of spec.containers) {
    for (const value of Object.values(container.env)) {
      const named = envValueRef(value);
      const problem = named && keyProblem(named.ref, named.key);
      if (problem) return problem;
    }
  }
  for (const { name } of spec.imagePullSecrets ?? []) {
    if (lookup(keyedRef("secret", name))!.secretType !== "registry") return `secret "${name}" in imagePullSecrets is not a registry secret`;
  }
  return undefined;
}

/** A container's environment with its references resolved (call once `missingReference` found nothing). */
export function resolveEnv(env: ContainerSpec["env"], lookup: KeyedLookup): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([name, value]) => {
      const named = envValueRef(value);
      return [name, named ? lookup(named.ref)!.data.get(named.key)!.toString("utf8") : (value as string)];
    }),
  );
}

/** A file of a secret or config volume. */
export interface KeyedFile {
  path: string;
  mode: number;
  content: Buffer;
}

/** The files of one volume: every key, or its items; with a version that changes whenever any of them would. */
export function volumeFiles(source: KeyFilesSource, values: KeyedValues): { files: KeyedFile[]; version: string } {
  const mode = source.defaultMode ?? DEFAULT_FILE_MODE;
  const files = source.items
    ? source.items.map((item) => ({ path: item.path, mode: item.mode ?? mode, content: values.data.get(item.key)! }))
    : [...values.data.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, content]) => ({ path: key, mode, content }));
  const version = createHash("sha256")
    .update(JSON.stringify({ contentId: values.contentId, source }))
    .digest("hex")
    .slice(0, 16);
  return { files, version };
}

/** One volume directory to write: the pod's, the volume's, its files and their version. */
export interface VolumeWrite {
  podUid: string;
  volume: string;
  files: KeyedFile[];
  version: string;
}

/**
 * The node's plan for its secret and config volumes, from the pods it runs, the values it holds and the versions its
 * volume directories have (by "podUid/volume"): the volumes to write (new, or of an older version), and the pods whose
 * directories go (no longer known to the node). A volume whose values the node lacks keeps what it has (kubelet keeps a
 * deleted secret's last files too). Pods being torn down keep theirs until they are forgotten.
 */
export function planKeyedVolumes(
  pods: { uid: string; spec: PodSpec; termination?: string }[],
  lookup: KeyedLookup,
  written: ReadonlyMap<string, string>,
  podDirs: readonly string[],
): { write: VolumeWrite[]; remove: string[] } {
  const write: VolumeWrite[] = [];
  for (const pod of pods) {
    if (pod.termination) continue;
    for (const volume of pod.spec.volumes ?? []) {
      const keyed = keyedSourceOf(volume);
      const values = keyed && lookup(keyedRef(keyed.kind, keyed.source.name));
      if (!keyed || !values || keyed.source.items?.some((item) => !values.data.has(item.key))) continue;
      const { files, version } = volumeFiles(keyed.source, values);
      if (written.get(`${pod.uid}/${volume.name}`) !== version) write.push({ podUid: pod.uid, volume: volume.name, files, version });
    }
  }
  const known = new Set(pods.map((pod) => pod.uid));
  return { write, remove: podDirs.filter((uid) => !known.has(uid)) };
}

/** The revisions of the secrets and configs a pod uses, as the node holds them now. */
export function usedRevisions(spec: PodSpec, lookup: KeyedLookup): UsedRevision[] {
  return referencesOf(spec).flatMap((ref) => {
    const values = lookup(ref);
    return values ? [{ kind: values.kind, name: values.name, revision: values.revision }] : [];
  });
}
