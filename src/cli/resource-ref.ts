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

export interface ResourceRef {
  type: ResourceType;
  name: string;
}

/**
 * The resources a user named, in kubectl's forms: `TYPE/NAME…`, `TYPE NAME…`, a `TYPE` alone (`typeOnly`: a list), or
 * bare names of `defaultType` (`logs my-pod`).
 */
export function parseResourceArgs(words: string[], defaultType?: ResourceType): { refs: ResourceRef[]; typeOnly?: ResourceType } {
  if (words.length === 0) throw new UsageError("name a resource: TYPE/NAME (e.g. pod/my-pod) or TYPE NAME");
  if (words[0].includes("/")) return { refs: words.map(parseResourceRef) };
  const type = parseResourceType(words[0]);
  if (type) {
    const names = words.slice(1);
    const slashed = names.find((name) => name.includes("/"));
    if (slashed) throw new UsageError(`"${slashed}": give either TYPE NAME… or TYPE/NAME…, not both`);
    return names.length === 0 ? { refs: [], typeOnly: type } : { refs: names.map((name) => ({ type, name })) };
  }
  if (defaultType) return { refs: words.map((name) => ({ type: defaultType, name })) };
  return { refs: [], typeOnly: parseTypeArgument(words[0]) };
}

/** Exactly one resource, in any of `parseResourceArgs`' forms. */
export function parseOneResource(words: string[], defaultType?: ResourceType): ResourceRef {
  const { refs, typeOnly } = parseResourceArgs(words, defaultType);
  if (typeOnly) throw new UsageError(`name the ${typeOnly}: ${typeOnly}/NAME or ${typeOnly} NAME`);
  if (refs.length > 1) throw new UsageError(`one resource at a time here, got ${refs.length}: ${refs.map((r) => `${r.type}/${r.name}`).join(", ")}`);
  return refs[0];
}

/** A deployment, as "deployment/web", "deployment web" or "web"; anything else is refused: only a deployment has rollouts. */
export function parseDeploymentArgs(words: string[]): string {
  const { type, name } = parseOneResource(words, "deployment");
  if (type !== "deployment") throw new UsageError(`only a deployment has rollouts, not a ${type} (e.g. deployment/web)`);
  return name;
}

const NODE_WORDS = new Set(["node", "nodes", "no"]);

/**
 * Nodes named in kubectl's forms (`nodes`, `node NAME…`, `node/NAME…`): `[]` for all of them, undefined when the words
 * name no node. Nodes are not resources the leader applies, so they are told apart before `parseResourceArgs`.
 */
export function parseNodeArgs(words: string[]): string[] | undefined {
  if (words.length === 0) return undefined;
  if (NODE_WORDS.has(words[0].toLowerCase())) {
    const slashed = words.slice(1).find((name) => name.includes("/"));
    if (slashed) throw new UsageError(`"${slashed}": give either node NAME… or node/NAME…, not both`);
    return words.slice(1);
  }
  const slashed = words.map((word) => /^([^/]+)\/([^/]+)$/.exec(word)).map((match) => (match && NODE_WORDS.has(match[1].toLowerCase()) ? match[2] : undefined));
  if (slashed.every((name) => name === undefined)) return undefined;
  if (slashed.some((name) => name === undefined)) throw new UsageError("nodes are shown apart from other resources: cube get node/NAME…");
  return slashed as string[];
}
