import type { ResourceSummary } from "../gen/cube.js";
import type { ResourceType } from "../shared/domain.js";
import { UsageError, type ResourceRef } from "./resource-ref.js";

/** The types `--prune` removes: every one a manifest creates. */
const PRUNED_TYPES = new Set(["deployment", "pod", "service", "secret", "config"]);

/**
 * Which resources `apply --prune` looks among: those of `-l SELECTOR`, else those of the one Compose application
 * applied (its `cube.dev/app` label). Without either it would not know which resources are the manifest's.
 */
export function pruneSelector(selector: string | undefined, applications: string[], appLabel: string): string {
  if (selector !== undefined) return selector;
  if (applications.length === 1) return `${appLabel}=${applications[0]}`;
  throw new UsageError(
    applications.length === 0
      ? "--prune needs -l SELECTOR: the labels that the manifest's resources carry (Cube prunes only what they select)"
      : `--prune with several Compose applications (${applications.join(", ")}): apply them one at a time, or give -l SELECTOR`,
  );
}

/**
 * What `apply --prune` deletes: the resources selected that the manifest no longer has. A deployment's pods are its
 * own (they go with it, or stay while it stays); secrets and configs are pruned as the rest.
 */
export function prunable(selected: ResourceSummary[], applied: ResourceRef[]): ResourceRef[] {
  const kept = new Set(applied.map((ref) => `${ref.type}/${ref.name}`));
  return selected
    .filter((item) => PRUNED_TYPES.has(item.type) && item.owner === undefined && !kept.has(`${item.type}/${item.name}`))
    .map((item) => ({ type: item.type as ResourceType, name: item.name }));
}
