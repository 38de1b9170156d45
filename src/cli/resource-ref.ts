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
