import type { KeyedKind, PodSpec } from "./domain.js";

/** How a secret or config is named across the cluster: "secret/NAME", "config/NAME" (the two kinds have names of their own). */
export function keyedRef(kind: KeyedKind, name: string): string {
  return `${kind}/${name}`;
}

/** The secrets and configs a pod uses (its volumes, its containers' env, its pull secrets), sorted, each once. */
export function referencesOf(spec: PodSpec): string[] {
  const refs = new Set<string>();
  for (const volume of spec.volumes ?? []) {
    if (volume.secret) refs.add(keyedRef("secret", volume.secret.name));
    if (volume.config) refs.add(keyedRef("config", volume.config.name));
  }
  for (const container of spec.containers) {
    for (const value of Object.values(container.env)) {
      if (typeof value === "string") continue;
      refs.add("secretKeyRef" in value ? keyedRef("secret", value.secretKeyRef.name) : keyedRef("config", value.configKeyRef.name));
    }
  }
  for (const { name } of spec.imagePullSecrets ?? []) refs.add(keyedRef("secret", name));
  return [...refs].sort();
}
