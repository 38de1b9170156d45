import { Args } from "@oclif/core";
import type { ResourceType } from "../../shared/domain.js";
import type { LeaderClient } from "../leader-client.js";
import type { PublishedPort } from "../../gen/cube.js";
import { formatHostPort } from "../../shared/host-port.js";
import { CubeCommand, outputFlag, printedForScripts, selectorFlag, type OutputFormat } from "../base-command.js";
import { colors } from "../colors.js";
import { formatAge } from "../format-age.js";
import { parseTypeArgument } from "../resource-ref.js";
import { renderTable } from "../table.js";

/** Green when all is well, red when it went wrong, yellow on the way. */
export function colorStatus(status: string): string {
  if (status === "Running" || status === "Ready" || status === "Succeeded" || status === "Complete") return colors.green(status);
  if (/Failed|Err|BackOff|Unknown|NotReady/.test(status)) return colors.red(status);
  return colors.yellow(status);
}

export default class List extends CubeCommand {
  static override description = "List resources, of one type or of every type";
  static override examples = [
    "<%= config.bin %> list",
    "<%= config.bin %> list pod -o wide",
    "<%= config.bin %> list pod -l app=web",
    "<%= config.bin %> list deployment",
    "<%= config.bin %> list pod -o json",
  ];
  static override args = { type: Args.string({ description: "resource type (pod, deployment)", required: false }) };
  static override flags = { output: outputFlag, selector: selectorFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(List);
    const type = args.type === undefined ? "" : parseTypeArgument(args.type);
    await printList(await this.leader(), type, flags.output, flags.selector);
  }
}

/** Published ports as `get` and `list -o wide` show them: ADDRESS:HOST_PORT→PORT/PROTO. */
export function formatPorts(ports: PublishedPort[]): string {
  return ports.map((p) => `${formatHostPort({ host: p.hostAddress || "0.0.0.0", port: p.hostPort })}→${p.containerPort}/${p.protocol}`).join(", ");
}

/** Resources of one type (or every type, for "") as `list` prints them. */
export async function printList(leader: LeaderClient, type: ResourceType | "", output: OutputFormat, selector = ""): Promise<void> {
  const { items } = await leader.list(type, selector);
  const values = items.map(({ type, name, status, createdAt, labels, deployment, node, readyContainers, containers, restarts, ports }) =>
    type === "deployment"
      ? { type, name, status, createdAt, labels, replicas: deployment }
      : { type, name, status, createdAt, labels, node: node ?? null, ready: `${readyContainers}/${containers}`, restarts, ports },
  );
  if (await printedForScripts(output, values, () => items.map((item) => `${item.type}/${item.name}`))) return;
  const now = new Date();
  if (type === "deployment") {
    // Kubernetes' columns: ready of desired, of the current template, available.
    const rows = items.map(({ name, status, deployment: d, createdAt }) => [
      name,
      status === "Terminating" ? colorStatus(status) : `${d!.ready}/${d!.replicas}`,
      String(d!.updated),
      String(d!.available),
      formatAge(createdAt ?? now, now),
    ]);
    process.stdout.write(`${renderTable(["name", "ready", "up-to-date", "available", "age"], rows)}\n`);
    return;
  }
  // Listing every type, a deployment is named with its type (pods keep the original request's plain names).
  const named = (item: (typeof items)[number]) => (type === "" && item.type !== "pod" ? `${item.type}/${item.name}` : item.name);
  const wide = output === "wide";
  const rows = items.map((item) => [
    named(item),
    colorStatus(item.status),
    formatAge(item.createdAt ?? now, now),
    ...(wide
      ? item.type === "pod"
        ? [`${item.readyContainers}/${item.containers}`, String(item.restarts), item.node ?? "<none>", formatPorts(item.ports)]
        : [`${item.deployment!.ready}/${item.deployment!.replicas}`, "", "", ""]
      : []),
  ]);
  process.stdout.write(`${renderTable(["name", "status", "age", ...(wide ? ["ready", "restarts", "node", "ports"] : [])], rows)}\n`);
}
