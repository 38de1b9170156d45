import { expect } from "chai";
import type { Node, ResourceSummary } from "../../../src/gen/cube.js";
import { escapeHtml, html } from "../../../src/leader/web/html.js";
import { nodeRow, podRow, podSummary } from "../../../src/leader/web/web-pages.js";

const NOW = new Date(Date.UTC(2026, 11, 4, 21));
const MiB = 2 ** 20;

describe("the web view's pages", () => {
  it("escapes every value it is given, and nothing it made itself", () => {
    const name = `<img src=x onerror="alert(1)">`;
    expect(html`<td>${name}</td>${html`<b>${"&"}</b>`}`.text).to.equal(`<td>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</td><b>&amp;</b>`);
    expect(escapeHtml(`'"`)).to.equal("&#39;&quot;");
  });

  it("renders a pod's row with its status, readiness, restarts, age and a link", () => {
    const pod: ResourceSummary = {
      type: "pod",
      name: "web-1",
      status: "CrashLoopBackOff",
      createdAt: new Date(NOW.getTime() - 90_000),
      labels: {},
      node: "n1",
      readyContainers: 0,
      containers: 2,
      restarts: 4,
      ports: [],
    };
    const row = podRow(pod, NOW).text.replace(/\s+/g, " ");
    expect(row).to.contain(`<tr id="pod-web-1">`);
    expect(row).to.contain(`<a href="/pods/web-1">web-1</a>`);
    expect(row).to.contain(`<span class="status bad">CrashLoopBackOff</span>`);
    expect(row).to.match(/<td>0\/2<\/td> ?<td>4<\/td>/);
    expect(row).to.contain(`<time data-since="${pod.createdAt!.toISOString()}">2m</time>`);
  });

  it("draws a node's usage as meters against its capacity", () => {
    const node = { name: "n1", status: "Ready", type: "Follower", cpuMillis: 2000, memoryBytes: 1024 * MiB, cordoned: true } as Node;
    const row = nodeRow(node, { name: "n1", cpuMillis: 1500, memoryBytes: 256 * MiB, capacityCpuMillis: 2000, capacityMemoryBytes: 1024 * MiB, pods: 3 }).text;
    expect(row).to.match(/<meter min="0" max="2000" high="1800" value="1500">1500m \/ 2 CPU<\/meter>/);
    expect(row).to.contain(`value="${256 * MiB}"`);
    expect(row).to.contain("cordoned");
  });

  it("shows a pod's containers with their usage", () => {
    const summary = podSummary({
      metadata: { name: "p", labels: {}, uid: "u" },
      specJson: "{}",
      status: {
        phase: "Running",
        containers: [{ name: "app", state: "running", restartCount: 1, image: "busybox", ready: true }],
        used: [],
      },
      node: "n1",
      ports: [],
      usage: { containers: [{ name: "app", cpuMillis: 998, memoryBytes: 64 * MiB }], sampledAt: NOW },
    }).text.replace(/\s+/g, " ");
    expect(summary).to.contain("998m CPU, 64Mi");
    expect(summary).to.match(/<td>app<\/td> ?<td>running<\/td> ?<td>yes<\/td> ?<td>1<\/td> ?<td>busybox<\/td> ?<td>998m<\/td> ?<td>64Mi<\/td>/);
  });
});
