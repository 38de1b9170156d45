import type { GetResponse } from "../gen/cube.js";
import { containerStatusFromWire, eventFromWire, publishedPortFromWire } from "../shared/codec.js";
import type { PodSpec } from "../shared/domain.js";
import type { LeaderClient } from "./leader-client.js";
import { printedForScripts, type OutputFormat } from "./output-formats.js";
import { watchList } from "./watch-list.js";
import { formatAge } from "../shared/format-age.js";
import { parseNodeArgs, parseResourceArgs, UsageError } from "./resource-ref.js";
import { printNodes, showNodes } from "./show-node.js";
import { renderEvents } from "./render-events.js";
import { deploymentToJson, renderDeployment } from "./show-deployment.js";
import { renderService, serviceToJson } from "./show-service.js";
import { printable } from "./printable.js";
import { renderTable } from "./table.js";
import { colorStatus, formatPorts } from "./resource-table.js";
import { printList } from "./print-list.js";
import { keyedToJson, renderKeyed } from "./show-keyed.js";
import { usageAgainstResources } from "./render-top.js";

/** What `get -o json` prints: the manifest as applied, where and how the pod runs, and its events in time order. */
function toJson({ manifestJson, pod, events }: GetResponse) {
  return {
    manifest: JSON.parse(manifestJson),
    uid: pod?.metadata?.uid,
    labels: pod?.metadata?.labels ?? {},
    createdAt: pod?.metadata?.createdAt,
    node: pod?.node ?? null,
    podIp: pod?.status?.podIp ?? null,
    status: pod?.status?.phase,
    ready: pod?.status?.ready,
    reason: pod?.status?.reason,
    message: pod?.status?.message,
    containers: (pod?.status?.containers ?? []).map(containerStatusFromWire),
    ports: (pod?.ports ?? []).map(publishedPortFromWire),
    used: pod?.status?.used ?? [],
    usage: pod?.usage ? { containers: pod.usage.containers, sampledAt: pod.usage.sampledAt } : null,
    events: events.map(eventFromWire),
  };
}

/**
 * `cube get` (and `describe`): named resources shown as kubectl describe does, a TYPE alone listed (as `list`), nodes
 * shown. `words` as typed; the leader is connected to only once they are understood.
 */
export async function getResources(
  connect: () => Promise<LeaderClient>,
  words: string[],
  flags: { output: OutputFormat; selector?: string; watch: boolean },
): Promise<void> {
  const nodes = parseNodeArgs(words);
  if (nodes && (flags.watch || flags.selector !== undefined)) throw new UsageError("nodes take neither --watch nor -l here: cube get nodes");
  const { refs, typeOnly } = nodes ? { refs: [] } : parseResourceArgs(words);
  if (!typeOnly && flags.selector !== undefined)
    throw new UsageError(`-l selects among a type's resources, not named ones: cube get ${refs[0]?.type ?? "pod"}s -l ${flags.selector}`);
  const leader = await connect();
  if (nodes) return nodes.length === 0 ? printNodes(leader, flags.output) : showNodes(leader, nodes, flags.output);
  if (typeOnly) return printList(leader, typeOnly, flags.output, flags.selector, flags.watch);
  if (flags.watch) {
    if (refs.length > 1) throw new UsageError("--watch follows one resource (or a TYPE alone: all of them)");
    await leader.get(refs[0].type, refs[0].name); // a clear error for one that does not exist
    return watchList(leader, refs[0].type, flags.output, "", refs[0].name);
  }
  const shown = await Promise.all(refs.map(async ({ type, name }) => ({ type, name, response: await leader.get(type, name) })));
  const values = shown.map(({ type, response }) =>
    type === "deployment"
      ? deploymentToJson(response)
      : type === "service"
        ? serviceToJson(response)
        : type === "secret" || type === "config"
          ? keyedToJson(response)
          : toJson(response),
  );
  if (await printedForScripts(flags.output, values.length === 1 ? values[0] : values, () => shown.map(({ type, name }) => `${type}/${name}`))) return;
  const now = new Date();
  process.stdout.write(
    shown
      .map(({ type, name, response }) =>
        type === "deployment"
          ? renderDeployment(name, response, now)
          : type === "service"
            ? renderService(name, response)
            : type === "secret" || type === "config"
              ? renderKeyed(name, response, now)
              : renderPod(name, response, now),
      )
      .join("\n"),
  );
}

/** A pod as `cube get` shows it: status, node, ports, containers, then the manifest as applied and the events. */
function renderPod(name: string, response: GetResponse, now: Date): string {
  const pod = toJson(response);
  const spec = JSON.parse(response.pod?.specJson || '{"containers":[]}') as PodSpec;
  const lines = [
    `Name:     ${name}`,
    `Type:     pod`,
    `Status:   ${colorStatus(pod.status ?? "")}${pod.message ? ` (${printable(pod.message)})` : ""}`,
    `Node:     ${pod.node ?? "<none>"}`,
    `IP:       ${pod.podIp ?? "<none>"}`,
    `Labels:   ${
      Object.entries(pod.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ") || "<none>"
    }`,
    ...(pod.status === "Running" ? [`Ready:    ${pod.containers.filter((c) => c.ready).length}/${pod.containers.length}`] : []),
    // Kubernetes' conditions, as describe shows them.
    `Conditions: PodScheduled=${pod.node ? "True" : "False"}, ContainersReady=${pod.containers.length > 0 && pod.containers.every((c) => c.ready) ? "True" : "False"}, Ready=${pod.ready ? "True" : "False"}`,
    ...(pod.ports.length === 0 ? [] : [`Ports:    ${formatPorts(pod.ports)}`]),
    ...(pod.used.length === 0 ? [] : [`Uses:     ${pod.used.map((u) => `${u.kind}/${u.name} (revision ${u.revision})`).join(", ")}`]),
    `Created:  ${pod.createdAt?.toISOString()} (${formatAge(pod.createdAt ?? now, now)} ago)`,
    "",
    "Containers:",
    renderTable(
      ["name", "state", "reason", "ready", "restarts", "image", "ports", "mounts", "resources", "usage", "id"],
      pod.containers.map((c) => {
        const container = spec.containers.find((candidate) => candidate.name === c.name);
        return [
          c.name,
          colorStatus(c.state),
          printable(c.reason ?? ""),
          c.ready ? "yes" : "no",
          String(c.restartCount),
          printable(c.image),
          (container?.ports ?? []).map((p) => `${p.containerPort}/${p.protocol}`).join(", "),
          (container?.volumeMounts ?? []).map((m) => `${m.name}:${m.mountPath}${m.readOnly ? " (ro)" : ""}`).join(", "),
          [container?.resources?.cpu && `cpu ${container.resources.cpu}`, container?.resources?.memory && `memory ${container.resources.memory}`]
            .filter(Boolean)
            .join(", "),
          usageAgainstResources(
            pod.usage?.containers.find((used) => used.name === c.name),
            container?.resources,
          ),
          c.containerId?.slice(0, 12) ?? "",
        ];
      }),
    ).replace(/^/gm, "  "),
    "",
    "Manifest:",
    JSON.stringify(pod.manifest, null, 2).replace(/^/gm, "  "),
    "",
    "Events:",
    renderEvents(pod.events, now),
  ];
  return `${lines.join("\n")}\n`;
}
