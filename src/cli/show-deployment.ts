import { printable } from "./printable.js";
import type { DeploymentStatus, GetResponse, Pod } from "../gen/cube.js";
import type { PodSpec } from "../shared/domain.js";
import { eventFromWire } from "../shared/codec.js";
import { formatAge } from "../shared/format-age.js";
import { colorStatus } from "./resource-table.js";
import { renderEvents } from "./render-events.js";
import { renderRevisions } from "./render-revisions.js";
import { renderTable } from "./table.js";

/** What `get deployment/NAME -o json` prints. */
export function deploymentToJson({ manifestJson, deployment, pods, revisions, events }: GetResponse) {
  return {
    manifest: JSON.parse(manifestJson),
    status: deployment,
    pods: pods.map((pod) => ({
      name: pod.metadata?.name,
      node: pod.node ?? null,
      status: pod.status?.phase,
      ready: pod.status?.ready,
      revision: pod.revision ?? null,
      images: replicaImages(pod),
    })),
    revisions: revisions.map(({ templateJson, ...revision }) => ({ ...revision, template: JSON.parse(templateJson) })),
    events: events.map(eventFromWire),
  };
}

/** A replica's images, from its revision's template (none known once that revision left the history). */
function replicaImages(pod: Pod): string[] {
  if (!pod.specJson) return [];
  return (JSON.parse(pod.specJson) as PodSpec).containers.map((container) => container.image);
}

/** Where its latest rollout stands, in one line. */
export function describeRollout({ rollout }: DeploymentStatus, now: Date): string {
  if (!rollout) return "";
  const since = rollout.startedAt ? ` (started ${formatAge(rollout.startedAt, now)} ago)` : "";
  const rollback = rollout.rolledBackFrom === undefined ? "" : `, a rollback: ${printable(rollout.message)}`;
  const failed = rollout.state === "Failed" ? `: ${printable(rollout.message)}` : "";
  return `revision ${rollout.revision}, ${colorStatus(rollout.state)}${failed}${since}${rollback}`;
}

/** A deployment as `cube get` shows it: summary, pods, revisions, then the manifest as applied and the events. */
export function renderDeployment(name: string, response: GetResponse, now: Date): string {
  const { deployment, pods, revisions, events, manifestJson } = response;
  const status = deployment!;
  const created = revisions[0]?.createdAt;
  const lines = [
    `Name:      ${name}`,
    `Type:      deployment`,
    `Replicas:  ${status.replicas} desired, ${status.updated} updated, ${status.ready} ready, ${status.available} available`,
    `Strategy:  ${status.strategy}`,
    `Rollout:   ${describeRollout(status, now)}`,
    ...(created ? [`Created:   ${created.toISOString()} (${formatAge(created, now)} ago)`] : []),
    "",
    "Pods:",
    pods.length === 0
      ? "  <none>"
      : renderTable(
          ["name", "node", "status", "ready", "revision", "image", "age"],
          pods.map((pod) => [
            pod.metadata!.name,
            pod.node ?? "<none>",
            colorStatus(pod.status?.phase ?? ""),
            pod.status?.ready ? "yes" : "no",
            pod.revision === undefined ? "?" : String(pod.revision),
            printable(replicaImages(pod).join(", ")),
            formatAge(pod.metadata?.createdAt ?? now, now),
          ]),
        ).replace(/^/gm, "  "),
    "",
    "Revisions:",
    renderRevisions(revisions, now).replace(/^/gm, "  "),
    "",
    "Manifest:",
    JSON.stringify(JSON.parse(manifestJson), null, 2).replace(/^/gm, "  "),
    "",
    "Events:",
    renderEvents(events.map(eventFromWire), now),
  ];
  return `${lines.join("\n")}\n`;
}
