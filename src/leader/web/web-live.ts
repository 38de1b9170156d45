import type { ServerResponse } from "node:http";
import type * as grpc from "@grpc/grpc-js";
import type { ResourceEvent, ResourceSummary, WatchEvent, WatchRequest } from "../../gen/cube.js";
import { watchRequest } from "../../shared/codec.js";
import { isNotFound, type LeaderApi } from "./leader-api.js";
import { deploymentRow, eventRow, nodeRow, podRow, podSummary, rolloutSummary, rowId } from "./web-pages.js";

/** How often the nodes' rows (their usage, which no Watch carries) are rendered again; sent only when they changed. */
const NODES_REFRESH_MS = 5000;
/** A comment now and then keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

/** One browser's live stream (server-sent events): what it is sent, and what ends with it. */
export class LiveStream {
  private readonly cleanups: (() => void)[] = [];
  private closed = false;

  constructor(private readonly response: ServerResponse) {
    response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" });
    response.write(": live\n\n");
    const heartbeat = setInterval(() => response.write(": still here\n\n"), HEARTBEAT_MS);
    this.onClose(() => clearInterval(heartbeat));
    response.on("close", () => this.close());
  }

  send(event: "row" | "section" | "log", data: object): void {
    if (!this.closed) this.response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  onClose(cleanup: () => void): void {
    if (this.closed) cleanup();
    else this.cleanups.push(cleanup);
  }

  /** Ends the stream (the browser's EventSource opens it again: a failed leader call is retried that way). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.response.end();
  }

  /** Follows a stream of the leader's API until this one ends; its end or failure ends this one. */
  follow<T>(stream: grpc.ClientReadableStream<T>, each: (message: T) => void | Promise<void>): void {
    let handling = Promise.resolve();
    stream.on("data", (message: T) => {
      handling = handling.then(() => each(message)).catch(() => this.close());
    });
    stream.on("error", () => this.close());
    stream.on("end", () => handling.then(() => this.close()));
    this.onClose(() => stream.cancel());
  }

  /** Runs `task` now and every `ms` while the stream lasts. */
  every(ms: number, task: () => Promise<void>): void {
    const run = () => void task().catch(() => this.close());
    run();
    const timer = setInterval(run, ms);
    this.onClose(() => clearInterval(timer));
  }
}

function watch(api: LeaderApi, request: Partial<WatchRequest>): grpc.ClientReadableStream<WatchEvent> {
  return api.client.watch(watchRequest(request));
}

function resourceRow(item: ResourceSummary, deleted: boolean, now: Date): object | undefined {
  if (item.type !== "pod" && item.type !== "deployment") return undefined;
  const table = `${item.type}s`;
  const html = deleted ? undefined : (item.type === "pod" ? podRow(item, now) : deploymentRow(item, now)).text;
  return { table, id: rowId(item.type, item.name), html };
}

/** The overview: every pod and deployment as Watch tells their changes, and the nodes' rows as their usage moves. */
export function followOverview(api: LeaderApi, live: LiveStream): void {
  live.follow(watch(api, {}), ({ kind, item }) => {
    const row = item && resourceRow(item, kind === "DELETED", new Date());
    if (row) live.send("row", row);
  });
  const sent = new Map<string, string>();
  live.every(NODES_REFRESH_MS, async () => {
    const [{ nodes }, { nodes: usage }] = await Promise.all([api.listNodes(), api.topNodes()]);
    for (const node of nodes) {
      const html = nodeRow(
        node,
        usage.find((used) => used.name === node.name),
      ).text;
      if (sent.get(node.name) === html) continue;
      sent.set(node.name, html);
      live.send("row", { table: "nodes", id: rowId("node", node.name), html });
    }
  });
}

/** A pod: its summary as it changes (and as its usage moves), its events, and its logs followed. */
export function followPod(api: LeaderApi, name: string, live: LiveStream): void {
  let shown = "";
  const summary = async () => {
    try {
      const { pod } = await api.get("pod", name);
      const html = podSummary(pod!).text;
      if (html !== shown) live.send("section", { id: "summary", html: (shown = html) });
    } catch (error) {
      if (!isNotFound(error)) throw error;
      live.send("section", { id: "summary", html: "<p>This pod is gone.</p>" });
    }
  };
  live.follow(watch(api, { type: "pod", name }), () => summary());
  live.every(NODES_REFRESH_MS, summary);
  // The stream gives the pod's events from the first: the table is filled again from it.
  live.send("section", { id: "events", html: "" });
  let events = 0;
  live.follow(api.client.events({ type: "pod", name, watch: true }), ({ event }: ResourceEvent) => {
    if (event) live.send("row", { table: "events", id: `event-${events++}`, html: eventRow(event, new Date()).text });
  });
  live.send("section", { id: "log", html: "" });
  live.follow(api.client.logs({ type: "pod", name, container: "", follow: true, tail: 200, previous: false }), ({ lines }) => {
    const text = lines.map((line) => Buffer.from(line.data).toString("utf8")).join("");
    if (text) live.send("log", { text });
  });
}

/** A deployment: its rollout's progress as Watch tells it, and its pods. */
export function followDeployment(api: LeaderApi, name: string, live: LiveStream): void {
  live.follow(watch(api, { type: "deployment", name }), ({ kind, item }) => {
    if (item) live.send("section", { id: "summary", html: kind === "DELETED" ? "<p>This deployment is gone.</p>" : rolloutSummary(item).text });
  });
  live.follow(watch(api, { type: "pod" }), ({ kind, item }) => {
    if (item?.owner !== name) return;
    live.send("row", resourceRow(item, kind === "DELETED", new Date())!);
  });
}
