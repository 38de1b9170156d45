// The domain's types and their wire messages. The protos spell the domain's words as strings and carry a pod's spec
// as the manifest's JSON, so a conversion is a narrowing of strings to the domain's unions, and a default for an
// absent timestamp; a domain value is already a valid message (a `DesiredPod` is an `AssignedPod` as it is).
import type {
  AssignedPod,
  KeyedValues as WireKeyedValues,
  KeyedValuesUpdate as WireKeyedValuesUpdate,
  PodNetwork,
  ServiceEntry as WireServiceEntry,
  Services,
  UsageReport,
} from "../gen/agent.js";
import type {
  ContainerStatus as WireContainerStatus,
  Event,
  Node,
  PodStatus,
  PodUsage as WirePodUsage,
  PublishedPort as WirePublishedPort,
  ServicePort as WireServicePort,
  WatchRequest,
} from "../gen/cube.js";
import type {
  KeyedKind,
  KeyedValues,
  KeyedValuesUpdate,
  ContainerState,
  ContainerStatus,
  DesiredPod,
  EventType,
  NodeInfo,
  NodeStatus,
  NodeType,
  PodEvent,
  PodPhase,
  PodNetworkBackend,
  PodNetworkUpdate,
  PodStatusReport,
  Protocol,
  PublishedPort,
  ServiceEntry,
  ServicePort,
  ServiceType,
  ServiceUpdate,
  TrafficPolicy,
} from "./domain.js";
import type { PodUsage, UsageUpdate } from "./usage.js";

const EPOCH = new Date(0);

export function nodeFromWire(node: Node): NodeInfo {
  return {
    ...node,
    status: node.status as NodeStatus,
    type: node.type as NodeType,
    joinedAt: node.joinedAt ?? EPOCH,
    lastHeartbeatAt: node.lastHeartbeatAt ?? EPOCH,
  };
}

export function containerStatusFromWire(status: WireContainerStatus): ContainerStatus {
  return { ...status, state: status.state as ContainerState };
}

export function podStatusFromWire({ used, ...status }: PodStatus): PodStatusReport {
  const report = { ...status, phase: status.phase as PodPhase, containers: status.containers.map(containerStatusFromWire) };
  return used.length > 0 ? { ...report, used: used.map((u) => ({ ...u, kind: u.kind as KeyedKind })) } : report;
}

export function podStatusToWire(status: PodStatusReport): PodStatus {
  return { ...status, used: status.used ?? [] };
}

export function eventFromWire({ count, firstTime, ...event }: Event): PodEvent {
  const once = { ...event, type: event.type as EventType, time: event.time ?? EPOCH };
  return count > 1 ? { ...once, count, firstTime: firstTime ?? once.time } : once;
}

export function eventToWire(event: PodEvent): Event {
  return { ...event, count: event.count ?? 1, firstTime: event.firstTime ?? event.time };
}

export function publishedPortFromWire(port: WirePublishedPort): PublishedPort {
  return { ...port, protocol: port.protocol as Protocol };
}

export function desiredPodFromWire(pod: AssignedPod): DesiredPod {
  return { ...pod, hostPorts: pod.hostPorts.map(publishedPortFromWire) };
}

export function podNetworkFromWire(network: PodNetwork): PodNetworkUpdate {
  return { ...network, backend: network.backend as PodNetworkBackend };
}

export function servicePortToWire({ name, ...port }: ServicePort): WireServicePort {
  return { ...port, name: name ?? "" };
}

export function servicePortFromWire({ name, nodePort, ...port }: WireServicePort): ServicePort {
  return { ...port, protocol: port.protocol as Protocol, ...(name ? { name } : {}), ...(nodePort === undefined ? {} : { nodePort }) };
}

export function serviceEntryToWire(entry: ServiceEntry): WireServiceEntry {
  return {
    ...entry,
    ports: entry.ports.map(servicePortToWire),
    endpoints: entry.endpoints.map((endpoint) => ({ ...endpoint, ready: true, terminating: false })),
  };
}

export function servicesFromWire({ services, ...update }: Services): ServiceUpdate & { more: boolean } {
  return {
    ...update,
    services: services.map((entry) => ({
      ...entry,
      type: entry.type as ServiceType,
      externalTrafficPolicy: entry.externalTrafficPolicy as TrafficPolicy,
      ports: entry.ports.map(servicePortFromWire),
      endpoints: entry.endpoints.map(({ pod, node, address }) => ({ pod, node, address })),
    })),
  };
}

export function keyedValuesToWire({ data, ...item }: KeyedValues): WireKeyedValues {
  return { ...item, data: Object.fromEntries(data) };
}

export function keyedUpdateFromWire({ items, ...update }: WireKeyedValuesUpdate): KeyedValuesUpdate {
  return {
    ...update,
    items: items.map(({ data, ...item }) => ({
      ...item,
      kind: item.kind as KeyedKind,
      data: new Map(Object.entries(data).map(([key, value]) => [key, Buffer.from(value)])),
    })),
  };
}

export function podUsageFromWire({ containers, sampledAt }: WirePodUsage): PodUsage {
  return { containers, sampledAt: sampledAt ?? EPOCH };
}

export function usageUpdateFromWire({ pods, ...update }: UsageReport): UsageUpdate {
  return { ...update, pods: pods.map(({ podUid, usage }) => ({ podUid, usage: podUsageFromWire(usage ?? { containers: [] }) })) };
}

/** A watch request, each field not given empty: every resource, listed anew. */
export function watchRequest(request: Partial<WatchRequest>): WatchRequest {
  return { type: "", selector: "", name: "", resumeLog: "", resumeRevision: 0, ...request };
}
