import { parseResourceType, RESOURCE_TYPES, type ResourceType } from "../shared/domain.js";

/** A mistake in what the user typed: its message is the line the CLI prints. */
export class UsageError extends Error {}

export function parseTypeArgument(word: string): ResourceType {
  const type = parseResourceType(word);
  if (!type) throw new UsageError(`unknown resource type "${word}" (supported types: ${RESOURCE_TYPES.join(", ")})`);
  return type;
}

/** "pod/my-pod" → { type: "pod", name: "my-pod" }. */
export function parseResourceRef(reference: string): { type: ResourceType; name: string } {
  const match = /^([^/]+)\/([^/]+)$/.exec(reference);
  if (!match) throw new UsageError(`"${reference}" is not TYPE/NAME (e.g. pod/my-pod)`);
  return { type: parseTypeArgument(match[1]), name: match[2] };
}

/** "deployment/web" (or "deploy/web") → "web"; anything else is refused: only a deployment has rollouts. */
export function parseDeploymentRef(reference: string): string {
  const { type, name } = parseResourceRef(reference);
  if (type !== "deployment") throw new UsageError(`only a deployment has rollouts, not a ${type} (e.g. deployment/web)`);
  return name;
}
