import { Args } from "@oclif/core";
import type { GetResponse } from "../../gen/cube.js";
import { containerStatusFromWire, eventFromWire, publishedPortFromWire } from "../../shared/codec.js";
import { formatHostPort } from "../../shared/host-port.js";
import { CubeCommand, outputFlag } from "../base-command.js";
import { formatAge } from "../format-age.js";
import { parseResourceRef } from "../resource-ref.js";
import { renderEvents } from "../render-events.js";
import { deploymentToJson, renderDeployment } from "../show-deployment.js";
import { renderTable } from "../table.js";
import { colorStatus } from "./list.js";

/** What `get -o json` prints: the manifest as applied, where and how the pod runs, and its events in time order. */
function toJson({ manifestJson, pod, events }: GetResponse) {
  return {
    manifest: JSON.parse(manifestJson),
    uid: pod?.metadata?.uid,
    createdAt: pod?.metadata?.createdAt,
    node: pod?.node ?? null,
    status: pod?.status?.phase,
    ready: pod?.status?.ready,
    reason: pod?.status?.reason,
    message: pod?.status?.message,
    containers: (pod?.status?.containers ?? []).map(containerStatusFromWire),
    ports: (pod?.ports ?? []).map(publishedPortFromWire),
    events: events.map(eventFromWire),
  };
}

export default class Get extends CubeCommand {
  static override description = "Show a resource: its manifest, where it runs, its containers and its events";
  static override examples = ["<%= config.bin %> get pod/my-pod", "<%= config.bin %> get pod/my-pod -o json", "<%= config.bin %> get deployment/web"];
  static override args = { resource: Args.string({ description: "TYPE/NAME, e.g. pod/my-pod", required: true }) };
  static override flags = { output: outputFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Get);
    const { type, name } = parseResourceRef(args.resource);
    const response = await (await this.leader()).get(type, name);
    if (type === "deployment") {
      if (flags.output === "json") this.printJson(deploymentToJson(response));
      else process.stdout.write(renderDeployment(name, response, new Date()));
      return;
    }
    const pod = toJson(response);
    if (flags.output === "json") {
      this.printJson(pod);
      return;
    }
    const now = new Date();
    const lines = [
      `Name:     ${name}`,
      `Type:     ${type}`,
      `Status:   ${colorStatus(pod.status ?? "")}${pod.message ? ` (${pod.message})` : ""}`,
      `Node:     ${pod.node ?? "<none>"}`,
      ...(pod.status === "Running" ? [`Ready:    ${pod.containers.filter((c) => c.ready).length}/${pod.containers.length}`] : []),
      ...(pod.ports.length === 0
        ? []
        : [
            `Ports:    ${pod.ports
              .map((p) => `${formatHostPort({ host: p.hostAddress || "0.0.0.0", port: p.hostPort })} → ${p.containerPort}/${p.protocol}`)
              .join(", ")}`,
          ]),
      `Created:  ${pod.createdAt?.toISOString()} (${formatAge(pod.createdAt ?? now, now)} ago)`,
      "",
      "Containers:",
      renderTable(
        ["name", "state", "reason", "restarts", "image", "id"],
        pod.containers.map((c) => [c.name, colorStatus(c.state), c.reason ?? "", String(c.restartCount), c.image, c.containerId?.slice(0, 12) ?? ""]),
      ).replace(/^/gm, "  "),
      "",
      "Manifest:",
      JSON.stringify(pod.manifest, null, 2).replace(/^/gm, "  "),
      "",
      "Events:",
      renderEvents(pod.events, now),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  }
}
