import type { Event, Node, NodeTop, Pod, ResourceSummary } from "../../gen/cube.js";
import { formatAge } from "../../shared/format-age.js";
import { formatCpu, formatMemory } from "../../shared/quantities.js";
import { totalUsage } from "../../shared/usage.js";
import { html, type SafeHtml } from "./html.js";

// The web view's pages, rendered on the leader: the browser runs one small script (web-assets.ts) that swaps the rows
// and fragments the server sends as they change. Ids name what a live update replaces.

export const rowId = (kind: string, name: string) => `${kind}-${name}`;

/** The head every page shares: the stylesheet, and (once logged in) the script that keeps it live. */
function head(title: string, script: boolean): SafeHtml {
  return html`<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Cube</title>
<link rel="stylesheet" href="/app.css">
${script ? html`<script src="/app.js" defer></script>` : ""}
</head>`;
}

function page(title: string, body: SafeHtml, live?: string): SafeHtml {
  return html`<!doctype html>
<html lang="en">
${head(title, true)}
<body${live ? html` data-live="${live}"` : ""}>
<header><a href="/" class="brand">cube</a><span class="live" id="live-state">live</span><form method="post" action="/logout"><button>Log out</button></form></header>
<main>
${body}
</main>
</body>
</html>
`;
}

export function loginPage(problem?: string): SafeHtml {
  return html`<!doctype html>
<html lang="en">
${head("Log in", false)}
<body>
<main class="login">
<h1>cube</h1>
<form method="post" action="/login">
<label for="password">Admin password</label>
<input id="password" name="password" type="password" autocomplete="current-password" autofocus required>
<button type="submit">Log in</button>
${problem ? html`<p class="problem" role="alert">${problem}</p>` : ""}
</form>
<p class="hint">The password is the CLI's: in the leader's DATA_DIR/admin-config.json.</p>
</main>
</body>
</html>
`;
}

const statusClass = (status: string) =>
  ["Running", "Ready", "Complete"].includes(status) ? "ok" : ["Pending", "ContainerCreating", "Progressing", "Terminating"].includes(status) ? "busy" : "bad";
const age = (since: Date | undefined, now: Date) => (since ? html`<time data-since="${since.toISOString()}">${formatAge(since, now)}</time>` : "");

/** A usage bar: a meter (no inline style, which the page's content policy forbids), and its figures. */
function bar(used: number, capacity: number, text: string): SafeHtml {
  return html`<div class="bar">
    <meter min="0" max="${Math.max(capacity, 1)}" high="${0.9 * capacity}" value="${Math.min(used, capacity)}">${text}</meter><span>${text}</span>
  </div>`;
}

/** A node's row: its state, and what its pods use against what it has. */
export function nodeRow(node: Node, usage: NodeTop | undefined): SafeHtml {
  const cpu = usage?.cpuMillis ?? 0;
  const memory = usage?.memoryBytes ?? 0;
  return html`<tr id="${rowId("node", node.name)}">
    <td>${node.name}</td>
    <td><span class="status ${statusClass(node.status)}">${node.status}</span>${node.cordoned ? html` <span class="status busy">cordoned</span>` : ""}</td>
    <td>${node.type}</td>
    <td class="usage">${bar(cpu, node.cpuMillis, `${formatCpu(cpu)} / ${formatCpu(node.cpuMillis)} CPU`)}</td>
    <td class="usage">${bar(memory, node.memoryBytes, `${formatMemory(memory)} / ${formatMemory(node.memoryBytes)}`)}</td>
  </tr>`;
}

export function podRow(pod: ResourceSummary, now: Date): SafeHtml {
  return html`<tr id="${rowId("pod", pod.name)}">
    <td><a href="/pods/${encodeURIComponent(pod.name)}">${pod.name}</a></td>
    <td><span class="status ${statusClass(pod.status)}">${pod.status}</span></td>
    <td>${pod.readyContainers}/${pod.containers}</td>
    <td>${pod.restarts}</td>
    <td>${age(pod.createdAt, now)}</td>
    <td>${pod.node ?? "—"}</td>
  </tr>`;
}

export function deploymentRow(deployment: ResourceSummary, now: Date): SafeHtml {
  const status = deployment.deployment;
  return html`<tr id="${rowId("deployment", deployment.name)}">
    <td><a href="/deployments/${encodeURIComponent(deployment.name)}">${deployment.name}</a></td>
    <td>${status ? `${status.ready}/${status.replicas}` : ""}</td>
    <td>${status?.updated ?? ""}</td>
    <td>${status?.available ?? ""}</td>
    <td>
      <span class="status ${statusClass(status?.rollout?.state ?? "")}"
        >${status?.rollout ? `revision ${status.rollout.revision} ${status.rollout.state}` : ""}</span
      >
    </td>
    <td>${age(deployment.createdAt, now)}</td>
  </tr>`;
}

function table(id: string, headers: string[], rows: SafeHtml[]): SafeHtml {
  return html`<div class="scroll">
    <table>
      <thead>
        <tr>
          ${headers.map((header) => html`<th>${header}</th>`)}
        </tr>
      </thead>
      <tbody id="${id}">
        ${rows}
      </tbody>
    </table>
  </div>`;
}

const NODE_HEADERS = ["Node", "Status", "Type", "CPU", "Memory"];
const POD_HEADERS = ["Pod", "Status", "Ready", "Restarts", "Age", "Node"];
const DEPLOYMENT_HEADERS = ["Deployment", "Ready", "Up to date", "Available", "Rollout", "Age"];

/** The pods' table, whose rows the live stream replaces by id. */
const podTable = (pods: ResourceSummary[], now: Date) =>
  table(
    "pods",
    POD_HEADERS,
    pods.map((pod) => podRow(pod, now)),
  );

export interface Overview {
  nodes: Node[];
  usage: NodeTop[];
  items: ResourceSummary[];
}

/** The cluster at a glance: nodes with their usage, deployments, pods; kept live by /live/overview. */
export function overviewPage({ nodes, usage, items }: Overview, now: Date): SafeHtml {
  const usageOf = new Map(usage.map((node) => [node.name, node]));
  const pods = items.filter((item) => item.type === "pod");
  const deployments = items.filter((item) => item.type === "deployment");
  return page(
    "Cluster",
    html`<h2>Nodes</h2>
      ${table(
        "nodes",
        NODE_HEADERS,
        nodes.map((node) => nodeRow(node, usageOf.get(node.name))),
      )}
      <h2>Deployments</h2>
      ${table(
        "deployments",
        DEPLOYMENT_HEADERS,
        deployments.map((deployment) => deploymentRow(deployment, now)),
      )}
      <h2>Pods</h2>
      ${podTable(pods, now)}`,
    "/live/overview",
  );
}

export function eventRow(event: Event, now: Date): SafeHtml {
  return html`<tr>
    <td>${age(event.time, now)}</td>
    <td><span class="status ${event.type === "Warning" ? "bad" : "ok"}">${event.type}</span></td>
    <td>${event.reason}</td>
    <td>${event.count > 1 ? `×${event.count} ` : ""}${event.message}</td>
  </tr>`;
}

/** What a pod is and how its containers are; replaced whole when the pod changes. */
export function podSummary(pod: Pod): SafeHtml {
  const containers = pod.status?.containers ?? [];
  const used = new Map((pod.usage?.containers ?? []).map((container) => [container.name, container]));
  const total = totalUsage(used.values());
  return html`<dl>
      <dt>Status</dt>
      <dd><span class="status ${statusClass(pod.status?.phase ?? "")}">${pod.status?.phase ?? ""}</span> ${pod.status?.message ?? ""}</dd>
      <dt>Node</dt>
      <dd>${pod.node ?? "—"}</dd>
      <dt>IP</dt>
      <dd>${pod.status?.podIp ?? "—"}</dd>
      <dt>Usage</dt>
      <dd>${pod.usage ? `${formatCpu(total.cpuMillis)} CPU, ${formatMemory(total.memoryBytes)}` : "not measured yet"}</dd>
    </dl>
    ${table(
      "containers",
      ["Container", "State", "Ready", "Restarts", "Image", "CPU", "Memory"],
      containers.map((container) => {
        const usage = used.get(container.name);
        return html`<tr>
          <td>${container.name}</td>
          <td>${container.state}${container.reason ? ` (${container.reason})` : ""}</td>
          <td>${container.ready ? "yes" : "no"}</td>
          <td>${container.restartCount}</td>
          <td>${container.image}</td>
          <td>${usage ? formatCpu(usage.cpuMillis) : ""}</td>
          <td>${usage ? formatMemory(usage.memoryBytes) : ""}</td>
        </tr>`;
      }),
    )}`;
}

/** A pod: its summary, its events and its logs, each followed live by /live/pods/NAME. */
export function podPage(name: string, pod: Pod, events: Event[], now: Date): SafeHtml {
  return page(
    `pod/${name}`,
    html`<h1>pod/${name}</h1>
      <section id="summary">${podSummary(pod)}</section>
      <h2>Logs</h2>
      <pre id="log" class="log" aria-live="polite"></pre>
      <h2>Events</h2>
      ${table(
        "events",
        ["Age", "Type", "Reason", "Message"],
        events.map((event) => eventRow(event, now)),
      )}`,
    `/live/pods/${encodeURIComponent(name)}`,
  );
}

/** A deployment's rollout as `cube rollout status` sees it; replaced whole when the deployment changes. */
export function rolloutSummary(deployment: ResourceSummary): SafeHtml {
  const status = deployment.deployment;
  if (!status) return html``;
  const rollout = status.rollout;
  return html`<dl>
    <dt>Rollout</dt>
    <dd>
      <span class="status ${statusClass(rollout?.state ?? "")}">${rollout ? `revision ${rollout.revision} ${rollout.state}` : "none"}</span>
      ${rollout?.message ?? ""}
    </dd>
    <dt>Replicas</dt>
    <dd>${status.replicas}</dd>
    <dt>Updated</dt>
    <dd>${bar(status.updated, status.replicas, `${status.updated} of ${status.replicas} updated`)}</dd>
    <dt>Ready</dt>
    <dd>${bar(status.ready, status.replicas, `${status.ready} of ${status.replicas} ready`)}</dd>
    <dt>Available</dt>
    <dd>${status.available}</dd>
    <dt>Strategy</dt>
    <dd>${status.strategy}</dd>
  </dl>`;
}

/** A deployment: its rollout's progress and its pods, followed live by /live/deployments/NAME. */
export function deploymentPage(deployment: ResourceSummary, pods: ResourceSummary[], now: Date): SafeHtml {
  return page(
    `deployment/${deployment.name}`,
    html`<h1>deployment/${deployment.name}</h1>
      <section id="summary">${rolloutSummary(deployment)}</section>
      <h2>Pods</h2>
      ${podTable(pods, now)}`,
    `/live/deployments/${encodeURIComponent(deployment.name)}`,
  );
}
