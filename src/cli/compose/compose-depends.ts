import { resourceName, type Service } from "./compose-vocabulary.js";

/** Compose's conditions as Cube's: what a dependant's pods wait for before they are placed. */
const CONDITIONS: Record<string, "Started" | "Ready" | "Succeeded"> = {
  service_started: "Started",
  service_healthy: "Ready",
  service_completed_successfully: "Succeeded",
};

type Problem = (service: string, path: (string | number)[], message: string) => void;

/**
 * Each service's `depends_on` (a list, or a map with conditions) as Cube's `dependsOn`, by service. A dependency the
 * file does not have is refused unless `required: false` (then it is left out), as are a healthy condition on a
 * service with no healthcheck (it would never be healthy) and a cycle (nothing in it would ever start).
 */
export function dependenciesOf(
  services: Record<string, Service>,
  problem: Problem,
  note: (service: string, path: (string | number)[], what: string) => void,
): Map<string, { name: string; condition: string }[]> {
  const result = new Map<string, { name: string; condition: string }[]>();
  const edges = new Map<string, string[]>();
  for (const [name, service] of Object.entries(services)) {
    const value = service.depends_on;
    if (value === undefined || value === null) continue;
    if (typeof value !== "object") {
      problem(name, ["depends_on"], "must be a list of services or a map of them");
      continue;
    }
    const entries: [string, Record<string, unknown>][] = Array.isArray(value)
      ? value.map((item) => [String(item), {}])
      : Object.entries(value as Record<string, unknown>).map(([key, long]) => [key, (long ?? {}) as Record<string, unknown>]);
    const dependencies: { name: string; condition: string }[] = [];
    for (const [dependency, long] of entries) {
      const path = Array.isArray(value) ? ["depends_on", value.indexOf(dependency)] : ["depends_on", dependency];
      const condition = CONDITIONS[String(long.condition ?? "service_started")];
      if (!condition) {
        problem(name, [...path, "condition"], "must be service_started, service_healthy or service_completed_successfully");
        continue;
      }
      if (!(dependency in services)) {
        if (long.required !== false) problem(name, path, `no service "${dependency}" in the file`);
        continue;
      }
      const healthcheck = services[dependency].healthcheck as { disable?: unknown; test?: unknown } | undefined;
      const disabled = healthcheck?.disable === true || (Array.isArray(healthcheck?.test) && healthcheck.test[0] === "NONE");
      if (condition === "Ready" && (!healthcheck || disabled)) {
        problem(name, [...path, "condition"], `service_healthy: "${dependency}" has no healthcheck, so it would never be healthy`);
        continue;
      }
      if (long.restart !== undefined) note(name, [...path, "restart"], "restart (a dependant is not restarted when what it depends on is)");
      dependencies.push({ name: resourceName(dependency), condition });
    }
    edges.set(
      name,
      entries.map(([dependency]) => dependency).filter((dependency) => dependency in services),
    );
    if (dependencies.length > 0) result.set(name, dependencies);
  }
  const cycle = findCycle(edges);
  if (cycle) problem(cycle[0], ["depends_on"], `a cycle: ${cycle.join(" → ")} (nothing in it would ever start)`);
  return result;
}

/** A cycle of the graph, from its first node back to it; undefined when there is none. */
function findCycle(edges: Map<string, string[]>): string[] | undefined {
  const done = new Set<string>();
  const visit = (node: string, path: string[]): string[] | undefined => {
    const at = path.indexOf(node);
    if (at >= 0) return [...path.slice(at), node];
    if (done.has(node)) return undefined;
    for (const next of edges.get(node) ?? []) {
      const found = visit(next, [...path, node]);
      if (found) return found;
    }
    done.add(node);
    return undefined;
  };
  for (const node of edges.keys()) {
    const found = visit(node, []);
    if (found) return found;
  }
  return undefined;
}
