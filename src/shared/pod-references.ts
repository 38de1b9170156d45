import type { EnvValue, KeyedKind, PodSpec } from "./domain.js";

/** How a secret or config is named across the cluster: "secret/NAME", "config/NAME" (the two kinds have names of their own). */
export function keyedRef(kind: KeyedKind, name: string): string {
  return `${kind}/${name}`;
}

/** The secret or config key an env value names ("secret/NAME" and its key); undefined for a plain string. */
export function envValueRef(value: EnvValue): { ref: string; key: string } | undefined {
  if (typeof value === "string") return undefined;
  return "secretKeyRef" in value
    ? { ref: keyedRef("secret", value.secretKeyRef.name), key: value.secretKeyRef.key }
    : { ref: keyedRef("config", value.configKeyRef.name), key: value.configKeyRef.key };
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
      const named = envValueRef(value);
      if (named) refs.add(named.ref);
    }
  }
  for (const { name } of spec.imagePullSecrets ?? []) refs.add(keyedRef("secret", name));
  return [...refs].sort();
}
