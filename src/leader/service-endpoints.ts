import type { ServiceEndpoint, ServiceEntry } from "../shared/domain.js";
import type { StoredService } from "./store/service-store.js";
import type { PodSummary } from "./store/store-contract.js";

/** A pod a service's selector matches, with an address: it receives traffic only when ready and not terminating. */
export interface EndpointStatus extends ServiceEndpoint {
  ready: boolean;
  /** Its deletion was asked: it leaves the rules before its containers are stopped. */
  terminating: boolean;
}

/** Whether a pod's labels hold every label of the selector (Kubernetes' equality-based service selector). */
export function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** The pods a service selects that have an address on the pod network and run, in name order. */
export function endpointsOf(service: Pick<StoredService, "spec">, pods: PodSummary[]): EndpointStatus[] {
  const endpoints: EndpointStatus[] = [];
  for (const pod of pods) {
    const address = pod.status?.podIp;
    if (!address || !pod.node || pod.status?.phase !== "Running" || !selects(service.spec.selector, pod.labels)) continue;
    endpoints.push({ pod: pod.name, node: pod.node, address, ready: pod.status.ready === true, terminating: pod.deletionRequestedAt !== undefined });
  }
  return endpoints.sort((a, b) => a.pod.localeCompare(b.pod));
}

/** Each service as nodes program it: only the endpoints that receive traffic (ready, not terminating). */
export function serviceEntries(services: StoredService[], pods: PodSummary[]): ServiceEntry[] {
  return services.map((service) => ({
    name: service.name,
    clusterIp: service.clusterIp,
    type: service.spec.type,
    externalTrafficPolicy: service.spec.externalTrafficPolicy,
    ports: service.spec.ports,
    endpoints: endpointsOf(service, pods)
      .filter((endpoint) => endpoint.ready && !endpoint.terminating)
      .map(({ pod, node, address }) => ({ pod, node, address })),
  }));
}
