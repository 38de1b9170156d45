import { expect } from "chai";
import { NodeEvent, PodReport } from "../../src/gen/agent.js";
import { Node } from "../../src/gen/cube.js";
import { eventFromWire, eventToWire, nodeFromWire, podStatusFromWire, podStatusToWire } from "../../src/shared/codec.js";
import type { NodeInfo, PodEvent, PodStatusReport } from "../../src/shared/domain.js";

/** The value without its keys whose value is undefined (the stubs decode an absent optional field as one). */
function defined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(defined) as T;
  if (value && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, inner]) => inner !== undefined)
        .map(([key, inner]) => [key, defined(inner)]),
    ) as T;
  }
  return value;
}

/** Encodes with the generated stubs and decodes again: what a message looks like after crossing the wire. */
function overTheWire<T>(codec: { encode(message: T): { finish(): Uint8Array }; decode(bytes: Uint8Array): T }, message: T): T {
  return codec.decode(codec.encode(message).finish());
}

describe("codec: domain values across the wire and back", () => {
  it("a pod's status: absent fields stay absent, an exit code of 0 stays 0, times keep their milliseconds", () => {
    const status: PodStatusReport = {
      phase: "Failed",
      reason: "Error",
      message: "container app exited with code 0",
      containers: [
        {
          name: "app",
          state: "terminated",
          reason: "Completed",
          containerId: "c1",
          restartCount: 2,
          exitCode: 0,
          startedAt: new Date(1001),
          finishedAt: new Date(2002),
          image: "app:1",
        },
        { name: "side", state: "waiting", reason: "ContainerCreating", restartCount: 0, image: "side:1" },
      ],
    };
    const { status: received } = overTheWire(PodReport, { podUid: "u1", specHash: "h", status: podStatusToWire(status) });
    expect(defined(podStatusFromWire(received!))).to.deep.equal(status);
  });

  it("an event, and a node", () => {
    const event: PodEvent = { time: new Date(1234), type: "Warning", reason: "BackOff", message: "Back-off 2s", node: "n1" };
    expect(eventFromWire(overTheWire(NodeEvent, { sequence: 7, podUid: "u1", event: eventToWire(event) }).event!)).to.deep.equal(event);
    const merged: PodEvent = { ...event, count: 21, firstTime: new Date(1000) };
    expect(eventFromWire(overTheWire(NodeEvent, { sequence: 8, podUid: "u1", event: eventToWire(merged) }).event!)).to.deep.equal(merged);
    const node: NodeInfo = {
      name: "n1",
      status: "NotReady",
      type: "Follower",
      address: "10.0.0.2:4243",
      joinedAt: new Date(5),
      lastHeartbeatAt: new Date(6),
      labels: { zone: "b" },
      cpuMillis: 4000,
      memoryBytes: 2 ** 33,
      cordoned: true,
    };
    expect(nodeFromWire(overTheWire(Node, { ...node, allocatedCpuMillis: 0, allocatedMemoryBytes: 0, holds: [] }))).to.deep.include(node);
  });
});
