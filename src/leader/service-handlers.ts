import type { GetResponse, ResourceSummary, ServiceStatus } from "../gen/cube.js";
import { servicePortToWire } from "../shared/codec.js";
import { resourceNotFound } from "./resource-checks.js";
import { EndpointCandidates } from "./service-endpoints.js";
import type { StoredService } from "./store/service-store.js";
import type { PodSummary, ServiceStoreContract } from "./store/store-contract.js";

/** Where what the CLI sees of services comes from. */
export interface ServiceSources {
  services: ServiceStoreContract;
  pods: { summaries(): Promise<PodSummary[]> };
}

/** A service's address, ports and endpoints (each with its pod, node and whether it receives traffic). */
export function serviceStatus(service: StoredService, candidates: EndpointCandidates): ServiceStatus {
  return {
    clusterIp: service.clusterIp,
    type: service.spec.type,
    externalTrafficPolicy: service.spec.externalTrafficPolicy,
    selector: service.spec.selector,
    ports: service.spec.ports.map(servicePortToWire),
    endpoints: candidates.endpointsOf(service).map((endpoint) => ({ ...endpoint, ready: endpoint.ready && !endpoint.terminating })),
  };
}

/** Every service as `cube list` shows it: its status says how many endpoints receive traffic. */
export async function serviceSummaries({ services, pods }: ServiceSources): Promise<ResourceSummary[]> {
  const all = await services.list();
  if (all.length === 0) return [];
  const candidates = new EndpointCandidates(await pods.summaries());
  return all.map((service) => {
    const status = serviceStatus(service, candidates);
    const ready = status.endpoints.filter((endpoint) => endpoint.ready).length;
    return {
      type: "service",
      name: service.name,
      status: `${ready} endpoint${ready === 1 ? "" : "s"}`,
      createdAt: service.createdAt,
      labels: service.labels,
      readyContainers: 0,
      containers: 0,
      restarts: 0,
      ports: [],
      service: status,
    };
  });
}

export async function getService({ services, pods }: ServiceSources, name: string): Promise<GetResponse> {
  const service = await services.get(name);
  if (!service) throw resourceNotFound("service", name);
  return {
    manifestJson: JSON.stringify(service.manifest),
    events: [],
    pods: [],
    revisions: [],
    service: serviceStatus(service, new EndpointCandidates(await pods.summaries())),
  };
}
