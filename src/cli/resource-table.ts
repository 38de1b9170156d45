import type { PublishedPort, ResourceSummary } from "../gen/cube.js";
import type { ResourceType } from "../shared/domain.js";
import { formatHostPort } from "../shared/host-port.js";
import { colors } from "./colors.js";
import { formatAge } from "../shared/format-age.js";
import { formatServicePorts } from "./show-service.js";

/** Green when all is well, red when it went wrong, yellow on the way. */
export function colorStatus(status: string): string {
  if (status === "Running" || status === "Ready" || status === "Succeeded" || status === "Complete") return colors.green(status);
  if (/Failed|Err|BackOff|Unknown|NotReady/.test(status)) return colors.red(status);
  return colors.yellow(status);
}

/** Published ports as `get` and `list -o wide` show them: ADDRESS:HOST_PORT → PORT/PROTO. */
export function formatPorts(ports: PublishedPort[]): string {
  return ports.map((p) => `${formatHostPort({ host: p.hostAddress || "0.0.0.0", port: p.hostPort })} → ${p.containerPort}/${p.protocol}`).join(", ");
}

/** A resource as `list -o json|yaml` prints it. */
export function summaryValue({
  type,
  name,
  status,
  createdAt,
  labels,
  deployment,
  node,
  podIp,
  readyContainers,
  containers,
  restarts,
  ports,
  service,
  keyed,
}: ResourceSummary) {
  if (type === "secret" || type === "config") return { type, name, status, createdAt, labels, keys: keyed?.keys, revision: keyed?.revision };
  if (type === "service") return { type, name, status, createdAt, labels, clusterIp: service?.clusterIp, serviceType: service?.type, ports: service?.ports };
  return type === "deployment"
    ? { type, name, status, createdAt, labels, replicas: deployment }
    : { type, name, status, createdAt, labels, node: node ?? null, ip: podIp ?? null, ready: `${readyContainers}/${containers}`, restarts, ports };
}

/** The columns of `list TYPE`: Kubernetes' for deployments; the original request's for pods and mixed lists, and more with -o wide. */
export function listHeaders(type: ResourceType | "", wide: boolean): string[] {
  if (type === "deployment") return ["name", "ready", "up-to-date", "available", "age"];
  if (type === "service") return ["name", "type", "cluster-ip", "ports", "endpoints", "age", ...(wide ? ["selector"] : [])];
  if (type === "secret") return ["name", "type", "keys", "revision", "age"];
  if (type === "config") return ["name", "keys", "revision", "age"];
  return ["name", "status", "age", ...(wide ? ["ready", "restarts", "ip", "node", "ports"] : [])];
}

/** One resource's cells under `listHeaders`. */
export function listRow(item: ResourceSummary, type: ResourceType | "", wide: boolean, now: Date): string[] {
  const age = formatAge(item.createdAt ?? now, now);
  const d = item.deployment;
  const s = item.service;
  if (type === "service") {
    const selector = Object.entries(s?.selector ?? {}).map(([k, v]) => `${k}=${v}`);
    const receiving = s?.endpoints.filter((e) => e.ready).length ?? 0;
    return [
      item.name,
      s?.type ?? "",
      s?.clusterIp ?? "",
      formatServicePorts(s?.ports ?? []),
      `${receiving}/${s?.endpoints.length ?? 0}`,
      age,
      ...(wide ? [selector.join(",")] : []),
    ];
  }
  const k = item.keyed;
  if (type === "secret") return [item.name, item.status, String(k?.keys.length ?? 0), String(k?.revision ?? ""), age];
  if (type === "config") return [item.name, String(k?.keys.length ?? 0), String(k?.revision ?? ""), age];
  if (type === "deployment") {
    return [item.name, item.status === "Terminating" ? colorStatus(item.status) : `${d!.ready}/${d!.replicas}`, String(d!.updated), String(d!.available), age];
  }
  // Listing every type, a deployment is named with its type (pods keep the original request's plain names).
  const name = type === "" && item.type !== "pod" ? `${item.type}/${item.name}` : item.name;
  // A deployment's "3/3 ready" is green when every replica is, yellow on the way (never a pod's phase colours); a
  // service's endpoints green when some receive traffic.
  const status = k
    ? `${item.status ? `${item.status}, ` : ""}${k.keys.length} key${k.keys.length === 1 ? "" : "s"}`
    : s
      ? (s.endpoints.some((e) => e.ready) ? colors.green : colors.yellow)(item.status)
      : d && item.status !== "Terminating"
        ? (d.ready === d.replicas ? colors.green : colors.yellow)(item.status)
        : colorStatus(item.status);
  if (!wide) return [name, status, age];
  const more =
    item.type === "pod"
      ? [`${item.readyContainers}/${item.containers}`, String(item.restarts), item.podIp ?? "<none>", item.node ?? "<none>", formatPorts(item.ports)]
      : s
        ? ["", "", s.clusterIp, "", formatServicePorts(s.ports)]
        : k
          ? ["", "", "", "", ""]
          : [`${d!.ready}/${d!.replicas}`, "", "", "", ""];
  return [name, status, age, ...more];
}
