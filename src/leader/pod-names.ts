import type { NameRecord, ServiceEntry } from "../shared/domain.js";
import type { PodSummary } from "./store/store-contract.js";

/** A name's addresses, sorted, by name. */
export type NameTable = Map<string, string[]>;

/**
 * The names the cluster answers, from its pods: each pod that runs with an address, by its name, until its deletion
 * is asked (a client stops finding it before it stops); a deployment's name gives its ready replicas' addresses. A
 * service's name gives its virtual IP (over a deployment's of the same name), and `tasks.NAME` (Swarm's habit) the
 * addresses of the endpoints it balances over.
 */
export function clusterNames(pods: PodSummary[], services: ServiceEntry[]): NameTable {
  const table = podNames(pods);
  for (const service of services) {
    table.set(service.name, [service.clusterIp]);
    const tasks = service.endpoints.map((endpoint) => endpoint.address).sort();
    if (tasks.length > 0) table.set(`tasks.${service.name}`, tasks);
  }
  return table;
}

/** The pods' names and the deployments' (see clusterNames). */
export function podNames(pods: PodSummary[]): NameTable {
  const table: NameTable = new Map();
  const add = (name: string, address: string) => table.set(name, [...(table.get(name) ?? []), address]);
  for (const pod of pods) {
    const address = pod.status?.podIp;
    if (!address || pod.status?.phase !== "Running" || pod.deletionRequestedAt) continue;
    add(pod.name, address);
    if (pod.owner && pod.status.ready) add(pod.owner, address);
  }
  for (const addresses of table.values()) addresses.sort();
  return table;
}

/** What changed from one table to the next: names with new addresses, and names gone (no addresses). */
export function nameChanges(before: NameTable, after: NameTable): NameRecord[] {
  const changes: NameRecord[] = [];
  for (const [name, addresses] of after) {
    if (before.get(name)?.join() !== addresses.join()) changes.push({ name, addresses });
  }
  for (const name of before.keys()) if (!after.has(name)) changes.push({ name, addresses: [] });
  return changes;
}

export function nameRecords(table: NameTable): NameRecord[] {
  return [...table].map(([name, addresses]) => ({ name, addresses }));
}
