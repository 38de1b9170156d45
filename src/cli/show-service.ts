import type { GetResponse, ServicePort, ServiceStatus } from "../gen/cube.js";
import { colors } from "./colors.js";
import { renderTable } from "./table.js";

/** A service's ports as `list` and `get` show them: PORT[:NODE_PORT]/PROTO[→TARGET], Kubernetes' way. */
export function formatServicePorts(ports: ServicePort[]): string {
  return ports
    .map(
      (p) =>
        `${p.name ? `${p.name} ` : ""}${p.port}${p.nodePort === undefined ? "" : `:${p.nodePort}`}/${p.protocol}${p.targetPort === p.port ? "" : ` → ${p.targetPort}`}`,
    )
    .join(", ");
}

/** What `get service/NAME -o json` prints. */
export function serviceToJson({ manifestJson, service }: GetResponse) {
  const status = service as ServiceStatus;
  return {
    manifest: JSON.parse(manifestJson),
    clusterIp: status.clusterIp,
    type: status.type,
    externalTrafficPolicy: status.externalTrafficPolicy,
    ports: status.ports.map(({ name, nodePort, ...port }) => ({ ...(name ? { name } : {}), ...port, ...(nodePort === undefined ? {} : { nodePort }) })),
    endpoints: status.endpoints,
  };
}

/** A service as `cube get` shows it: its address and ports, then each pod it selects, where it runs and whether it receives traffic. */
export function renderService(name: string, response: GetResponse): string {
  const service = serviceToJson(response);
  const status = response.service as ServiceStatus;
  const receiving = service.endpoints.filter((endpoint) => endpoint.ready).length;
  const lines = [
    `Name:      ${name}`,
    `Type:      service (${service.type}${service.type === "NodePort" ? `, external traffic ${service.externalTrafficPolicy}` : ""})`,
    `IP:        ${service.clusterIp}`,
    `Ports:     ${formatServicePorts(status.ports)}`,
    `Selector:  ${Object.entries(status.selector)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ")}`,
    `Endpoints: ${receiving} receiving traffic, of ${service.endpoints.length}`,
    ...(service.endpoints.length === 0
      ? []
      : [
          renderTable(
            ["pod", "node", "address", "receives"],
            service.endpoints.map((e) => [
              e.pod,
              e.node,
              e.address,
              e.ready ? colors.green("yes") : colors.yellow(e.terminating ? "no (stopping)" : "no (not ready)"),
            ]),
          ).replace(/^/gm, "  "),
        ]),
    "",
    "Manifest:",
    JSON.stringify(service.manifest, null, 2).replace(/^/gm, "  "),
  ];
  return `${lines.join("\n")}\n`;
}
