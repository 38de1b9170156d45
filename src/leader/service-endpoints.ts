import type { ServiceEndpoint, ServiceEntry } from "../shared/domain.js";
import type { StoredService } from "./store/service-store.js";
import type { PodSummary } from "./store/store-contract.js";

/** A pod a service's selector matches, with an address: it receives traffic only when ready and not terminating. */
export interface EndpointStatus extends ServiceEndpoint {
  ready: boolean;
  /** Its deletion was asked: it leaves the rules before its containers are stopped. */
  terminating: boolean;
}

/**
 * The pods that can be endpoints (running, with an address on the pod network), by each of their labels ("k=v"), so
 * that a service looks only at the pods with its selector's rarest label: 1 000 services over 10 000 pods cost
 * thousands of checks, not ten million.
 */
export class EndpointCandidates {
  private readonly byLabel = new Map<string, PodSummary[]>();

  constructor(pods: PodSummary[]) {
    for (const pod of pods) {
      if (!pod.status?.podIp || !pod.node || pod.status.phase !== "Running") continue;
      for (const [key, value] of Object.entries(pod.labels)) {
        const label = `${key}=${value}`;
        const list = this.byLabel.get(label);
        if (list) list.push(pod);
        else this.byLabel.set(label, [pod]);
      }
    }
  }

  /** The pods a service selects (every label of its selector), as endpoints, in name order. */
  endpointsOf(service: Pick<StoredService, "spec">): EndpointStatus[] {
    const selector = Object.entries(service.spec.selector);
    const lists = selector.map(([key, value]) => this.byLabel.get(`${key}=${value}`) ?? []);
    const rarest = lists.reduce((a, b) => (b.length < a.length ? b : a), lists[0] ?? []);
    return rarest
      .filter((pod) => selector.every(([key, value]) => pod.labels[key] === value))
      .map((pod) => ({
        pod: pod.name,
        node: pod.node!,
        address: pod.status!.podIp!,
        ready: pod.status!.ready === true,
        terminating: pod.deletionRequestedAt !== undefined,
      }))
      .sort((a, b) => a.pod.localeCompare(b.pod));
  }
}

/** Each service as nodes program it: only the endpoints that receive traffic (ready, not terminating). */
export function serviceEntries(services: StoredService[], candidates: EndpointCandidates): ServiceEntry[] {
  return services.map((service) => ({
    name: service.name,
    clusterIp: service.clusterIp,
    type: service.spec.type,
    externalTrafficPolicy: service.spec.externalTrafficPolicy,
    ports: service.spec.ports,
    endpoints: candidates
      .endpointsOf(service)
      .filter((endpoint) => endpoint.ready && !endpoint.terminating)
      .map(({ pod, node, address }) => ({ pod, node, address })),
  }));
}
