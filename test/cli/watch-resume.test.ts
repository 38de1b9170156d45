import { expect } from "chai";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { ResourceSummary, WatchEvent, WatchRequest } from "../../src/gen/cube.js";
import { startFakeLeader, type FakeLeader } from "../helpers/fake-leader.js";
import { eventually, projectRoot, startProcess } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp-dir.js";

const pod = (name: string, status: string): ResourceSummary => ({
  type: "pod",
  name,
  status,
  labels: {},
  readyContainers: 0,
  containers: 1,
  restarts: 0,
  ports: [],
});

type WatchCall = grpc.ServerWritableStream<WatchRequest, WatchEvent>;
const event = (kind: string, item: ResourceSummary | undefined, revision: number, log = "", resumed = false): WatchEvent => ({
  kind,
  item,
  revision,
  log,
  resumed,
});
const cut = (call: WatchCall) => call.emit("error", { code: grpc.status.UNAVAILABLE, details: "connection lost" });

/** A leader whose watch is cut twice: once resumed from the same log, once after a restart (a new log: listed again). */
describe("cube list --watch, cut and watching again", function () {
  this.timeout(30_000);
  const dir = tempDir("watch-resume");
  const password = "admin-password-0123";
  const requests: WatchRequest[] = [];
  let leader: FakeLeader;
  const calls: ((call: WatchCall) => void)[] = [
    (call) => {
      call.write(event("ADDED", pod("web", "Running"), 5));
      call.write(event("SYNCED", undefined, 5, "log-1"));
      call.write(event("MODIFIED", pod("web", "Failed"), 6));
      setTimeout(() => cut(call), 200);
    },
    (call) => {
      call.write(event("SYNCED", undefined, 6, "log-1", true));
      call.write(event("ADDED", pod("db", "Pending"), 7));
      setTimeout(() => cut(call), 200);
    },
    (call) => {
      // The leader started again: its log is another; the list as it stands now.
      call.write(event("ADDED", pod("web", "Failed"), 1));
      call.write(event("ADDED", pod("api", "Running"), 1));
      call.write(event("SYNCED", undefined, 1, "log-2"));
    },
  ];

  before(async () => {
    leader = await startFakeLeader(dir.path, password, {
      version: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, { version: "test" }),
      watch: (call: WatchCall) => {
        requests.push(call.request);
        calls[requests.length - 1]?.(call);
      },
    });
  });
  after(async () => {
    await leader.stop();
    dir.remove();
  });

  it("goes on from its revision with the same leader, and from a new list with another, printing only what changed", async () => {
    const watching = startProcess("cube list -w", process.execPath, [join(projectRoot, "bin", "run.js"), "list", "pod", "-w", "-o", "json"], {
      CUBE_CONFIG: leader.config,
    });
    try {
      await watching.waitForLine(/^watching again: listed again$/);
      await eventually("the last change", async () => (watching.lines.some((line) => line.includes('"DELETED"')) ? true : undefined), 5_000, 50);
    } finally {
      expect(await watching.kill("SIGINT")).to.equal(0);
    }
    expect(requests.map(({ resumeLog, resumeRevision }) => `${resumeLog}@${resumeRevision}`)).to.deep.equal(["@0", "log-1@6", "log-1@7"]);
    const changes = watching.lines
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { kind: string; name: string; status: string })
      .map(({ kind, name, status }) => `${kind} ${name} ${status}`);
    expect(changes).to.deep.equal(["ADDED web Running", "MODIFIED web Failed", "ADDED db Pending", "ADDED api Running", "DELETED db Deleted"]);
    expect(watching.lines.filter((line) => line.startsWith("watching again"))).to.deep.equal(["watching again: resumed", "watching again: listed again"]);
  });
});
