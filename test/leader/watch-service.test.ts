import { expect } from "chai";
import { EventEmitter } from "node:events";
import type { ResourceSummary, WatchEvent, WatchRequest } from "../../src/gen/cube.js";
import { OpenStreams } from "../../src/leader/open-streams.js";
import type { ChangeFeed } from "../../src/leader/store/change-feed.js";
import { watchHandlers, type WatchSources } from "../../src/leader/watch-service.js";
import { eventually } from "../helpers/processes.js";
import { MemoryLogger } from "../helpers/memory-logger.js";

const pod = (name: string, labels: Record<string, string>, status = "Pending") =>
  ({ type: "pod", name, status, labels, readyContainers: 0, containers: 1, restarts: 0, ports: [] }) as unknown as ResourceSummary;

/** A watch call as grpc-js gives one: its request, what was written to it, its end. */
class FakeCall extends EventEmitter {
  written: string[] = [];
  events: WatchEvent[] = [];
  error?: { code?: number; details?: string };
  constructor(readonly request: WatchRequest) {
    super();
    // grpc-js closes a call it ended with an error.
    this.on("error", (error) => {
      this.error = error;
      this.emit("close");
    });
  }
  write(event: WatchEvent): boolean {
    this.events.push(event);
    this.written.push(event.item ? `${event.kind} ${event.item.name} ${event.item.status}` : event.kind);
    return true;
  }
  end(): void {}
}

describe("Watch, served from the change log", () => {
  let resources: ResourceSummary[];
  let version: number;
  let lists: number;
  let streams: OpenStreams;
  let handlers: ReturnType<typeof watchHandlers>;

  beforeEach(() => {
    resources = [pod("web-1", { app: "web" }), pod("db", { app: "db" })];
    version = 1;
    lists = 0;
    streams = new OpenStreams();
    const sources: WatchSources = {
      feed: { version: async () => version } as unknown as ChangeFeed,
      summaries: async () => (lists++, resources),
      nodeStatuses: () => "",
      uidOf: async () => undefined,
    };
    handlers = watchHandlers(sources, streams, new MemoryLogger());
  });
  afterEach(() => streams.endAll());

  const watch = (request: Partial<WatchRequest>) => {
    const call = new FakeCall({ type: "", selector: "", name: "", resumeLog: "", resumeRevision: 0, ...request });
    handlers.watch(call as never);
    return call;
  };
  const change = (next: ResourceSummary[]) => {
    resources = next;
    version++;
  };
  const writes = (call: FakeCall, count: number) =>
    eventually(`${count} writes`, async () => (call.written.length >= count ? call.written : undefined), 5_000, 20);

  it("sends the list, a mark, then each change its selector selects: a resource leaving the selection as deleted", async () => {
    const call = watch({ type: "pods", selector: "app=web" });
    expect(await writes(call, 2)).to.deep.equal(["ADDED web-1 Pending", "SYNCED"]);
    change([pod("web-1", { app: "web" }, "Running"), pod("db", { app: "db" }, "Running"), pod("web-2", { app: "web" })]);
    expect((await writes(call, 4)).slice(2)).to.deep.equal(["MODIFIED web-1 Running", "ADDED web-2 Pending"]);
    change([pod("web-1", { app: "web" }, "Running"), pod("web-2", { app: "other" })]);
    expect((await writes(call, 5)).slice(4)).to.deep.equal(["DELETED web-2 Pending"]);
    change([pod("web-2", { app: "web" })]);
    expect((await writes(call, 7)).slice(5)).to.deep.equal(["ADDED web-2 Pending", "DELETED web-1 Running"]);
  });

  it("lists once per change for every watcher together, and not at all while nothing changes", async () => {
    const calls = Array.from({ length: 20 }, (_, i) => watch(i % 2 ? { name: "db" } : {}));
    for (const call of calls) await writes(call, 2);
    const listed = lists;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lists, "nothing changed").to.equal(listed);
    change([pod("web-1", { app: "web" }, "Running"), pod("db", { app: "db" })]);
    for (const [i, call] of calls.entries()) if (i % 2 === 0) expect((await writes(call, 4)).at(-1)).to.equal("MODIFIED web-1 Running");
    expect(lists).to.equal(listed + 1);
    expect(calls[1].written).to.deep.equal(["ADDED db Pending", "SYNCED"]);
  });

  it("resumes a cut watch from its revision: only the changes since, then each change as before", async () => {
    const first = watch({ type: "pods", selector: "app=web" });
    await writes(first, 2);
    change([pod("web-1", { app: "web" }, "Running"), pod("db", { app: "db" })]);
    await writes(first, 3);
    const { log } = first.events[1];
    const { revision } = first.events[2];
    first.emit("cancelled"); // the connection is cut: nobody watches while the leader goes on
    change([pod("web-2", { app: "web" }), pod("db", { app: "db" }, "Running")]);
    change([pod("web-2", { app: "web" }, "Running"), pod("db", { app: "db" }, "Running")]);
    const resumed = watch({ type: "pods", selector: "app=web", resumeLog: log, resumeRevision: revision });
    // Unwatched, the leader's log saw the last state only: web-2 came, web-1 went (db, never selected, is not told).
    expect(await writes(resumed, 3)).to.deep.equal(["SYNCED", "ADDED web-2 Running", "DELETED web-1 Running"]);
    expect(resumed.events[0]).to.include({ resumed: true, revision, log });
    expect(resumed.events[2].revision).to.be.greaterThan(revision);
    change([pod("web-2", { app: "web" }, "Failed"), pod("db", { app: "db" })]);
    expect((await writes(resumed, 4)).slice(3)).to.deep.equal(["MODIFIED web-2 Failed"]);
  });

  it("lists again for a revision of another log (a leader started again, another leader) or one too old", async () => {
    const first = watch({ type: "pods" });
    await writes(first, 3);
    const { log, revision } = first.events[2];
    for (const request of [
      { resumeLog: "a log of another leader", resumeRevision: revision },
      { resumeLog: log, resumeRevision: -5 },
    ]) {
      const again = watch({ type: "pods", ...request });
      expect(await writes(again, 3), JSON.stringify(request)).to.deep.equal(["ADDED web-1 Pending", "ADDED db Pending", "SYNCED"]);
      expect(again.events[2]).to.include({ resumed: false, log });
    }
  });

  it("refuses an unknown type or a selector it cannot read, as a list does", async () => {
    for (const request of [{ type: "pony" }, { selector: "app in (" }]) {
      const call = watch(request);
      await eventually("the refusal", async () => call.error, 5_000, 20);
      expect(call.error?.code, JSON.stringify(request)).to.equal(3); // INVALID_ARGUMENT
    }
  });
});
