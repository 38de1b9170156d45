import type { Pod } from "../gen/cube.js";
import { parseResourceType } from "../shared/domain.js";
import { isNotFound } from "./describe-error.js";
import type { LeaderClient } from "./leader-client.js";
import { parseOneResource, UsageError, type ResourceRef } from "./resource-ref.js";

/**
 * The replica a command for one pod uses when given a deployment, as kubectl picks: a ready one, else a running one;
 * the oldest first (it has the most to show), then by name. Undefined when none runs.
 */
export function pickReplica(pods: Pod[]): string | undefined {
  const rank = (pod: Pod) => (pod.status?.phase !== "Running" ? 2 : pod.status.ready ? 0 : 1);
  const time = (pod: Pod) => pod.metadata?.createdAt?.getTime() ?? 0;
  const [best] = [...pods]
    .filter((pod) => rank(pod) < 2)
    .sort((a, b) => rank(a) - rank(b) || time(a) - time(b) || (a.metadata!.name < b.metadata!.name ? -1 : 1));
  return best?.metadata?.name;
}

/** The pod that `logs` or `exec` acts on: a pod as named, or a replica of a named deployment (saying which on stderr). */
export async function podFor(leader: LeaderClient, ref: ResourceRef): Promise<string> {
  if (ref.type === "pod") return ref.name;
  const { pods } = await leader.get("deployment", ref.name);
  const chosen = pickReplica(pods);
  if (!chosen) {
    const phases = pods.map((pod) => `${pod.metadata?.name} ${pod.status?.phase}`).join(", ");
    throw new UsageError(`deployment/${ref.name} has no running replica${pods.length ? ` (${phases})` : ""}: see cube get deployment/${ref.name}`);
  }
  if (pods.length > 1) process.stderr.write(`Found ${pods.length} pods, using pod/${chosen}\n`);
  return chosen;
}

/** The pods a label selector picks (`logs -l`), at least one. */
export async function podsMatching(leader: LeaderClient, selector: string): Promise<string[]> {
  const { items } = await leader.list("pod", selector);
  if (items.length === 0) throw new UsageError(`no pod matches -l ${selector}`);
  return items.map((item) => item.name);
}

/**
 * One resource in kubectl's forms, or a bare name that is not a type: the pod or the deployment of that name, whichever
 * exists (`cube restart web`).
 */
export async function resolveResource(leader: LeaderClient, words: string[]): Promise<ResourceRef> {
  if (words.length !== 1 || words[0].includes("/") || parseResourceType(words[0])) return parseOneResource(words);
  const name = words[0];
  const found = await Promise.all(
    (["pod", "deployment"] as const).map((type) =>
      leader.get(type, name).then(
        () => type,
        (error) => {
          if (isNotFound(error)) return undefined;
          throw error;
        },
      ),
    ),
  );
  const types = found.filter((type) => type !== undefined);
  if (types.length === 0) throw new UsageError(`no pod or deployment named "${name}" (see cube list)`);
  if (types.length > 1) throw new UsageError(`both pod/${name} and deployment/${name} exist: say which (pod/${name} or deployment/${name})`);
  return { type: types[0], name };
}
