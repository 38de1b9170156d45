import { expect } from "chai";
import { FakeRuntime } from "../../../src/agent/testing/fake-runtime.js";
import { UsageSampler } from "../../../src/agent/usage/usage-sampler.js";
import { containerLabels } from "../../../src/agent/container-labels.js";
import type { UsageUpdate } from "../../../src/shared/usage.js";
import { FakeClock } from "../../helpers/fake-clock.js";
import { MemoryLogger } from "../../helpers/memory-logger.js";

const MiB = 2 ** 20;

describe("UsageSampler", () => {
  let clock: FakeClock;
  let runtime: FakeRuntime;
  let sent: UsageUpdate[];
  let connected: boolean;
  let sampler: UsageSampler;
  const usage = new Map<string, { cpuMillis: number; memoryBytes: number }>();

  async function runPod(uid: string, container: string): Promise<string> {
    const pod = { uid, name: `pod-${uid}`, specHash: "h" };
    const pause = await runtime.createContainer({ name: `p-${uid}`, image: "pause", labels: containerLabels("n1", pod) });
    await runtime.startContainer(pause);
    const id = await runtime.createContainer({ name: `c-${uid}`, image: "busybox", labels: containerLabels("n1", pod, container) });
    await runtime.startContainer(id);
    return id;
  }

  beforeEach(() => {
    clock = new FakeClock();
    runtime = new FakeRuntime(clock);
    runtime.images.add("pause").add("busybox");
    runtime.usageOf = (name) => (name ? usage.get(name) : undefined);
    usage.clear();
    sent = [];
    connected = true;
    sampler = new UsageSampler({
      node: "n1",
      runtime,
      clock,
      log: new MemoryLogger(),
      intervalMs: 10_000,
      send: (update) => connected && sent.push(update) > 0,
    });
  });

  it("tells a new session every pod, then only what changed, then the pods gone", async () => {
    usage.set("busy", { cpuMillis: 1000, memoryBytes: 64 * MiB }).set("idle", { cpuMillis: 0, memoryBytes: MiB });
    const busy = await runPod("a", "busy");
    await runPod("b", "idle");
    clock.advance(5000);
    await sampler.pass(); // no session told yet: this first update is whole
    expect(sent).to.have.length(1);
    expect(sent[0].complete).to.equal(true);
    expect(Object.fromEntries(sent[0].pods.map((pod) => [pod.podUid, pod.usage.containers]))).to.deep.equal({
      a: [{ name: "busy", cpuMillis: 1000, memoryBytes: 64 * MiB }],
      b: [{ name: "idle", cpuMillis: 0, memoryBytes: MiB }],
    });

    clock.advance(10_000);
    await sampler.pass();
    expect(sent, "unchanged figures are not sent again").to.have.length(1);

    usage.set("busy", { cpuMillis: 1000, memoryBytes: 80 * MiB });
    clock.advance(10_000);
    await sampler.pass();
    expect(sent[1]).to.deep.include({ complete: false, removed: [] });
    expect(sent[1].pods.map((pod) => [pod.podUid, pod.usage.containers[0].memoryBytes])).to.deep.equal([["a", 80 * MiB]]);

    runtime.exit(busy, 0);
    clock.advance(10_000);
    await sampler.pass();
    expect(sent[2]).to.deep.equal({ complete: false, pods: [], removed: ["a"] });
  });

  it("tells a session that starts everything at once, and a session that could not be told gets everything later", async () => {
    usage.set("app", { cpuMillis: 250, memoryBytes: MiB });
    await runPod("a", "app");
    connected = false;
    clock.advance(4000);
    await sampler.pass();
    expect(sent).to.have.length(0);
    connected = true;
    sampler.sessionStarted();
    expect(sent).to.have.length(1);
    expect(sent[0]).to.deep.include({ complete: true });
    expect(sent[0].pods[0].usage.containers).to.deep.equal([{ name: "app", cpuMillis: 250, memoryBytes: MiB }]);
  });

  it("keeps the last figures when the engine cannot be asked, and says so once", async () => {
    const log = new MemoryLogger();
    sampler = new UsageSampler({ node: "n1", runtime, clock, log, intervalMs: 10_000, send: (update) => sent.push(update) > 0 });
    usage.set("app", { cpuMillis: 100, memoryBytes: MiB });
    await runPod("a", "app");
    clock.advance(1000);
    await sampler.pass();
    runtime.failNext("listContainers", "engine down");
    runtime.failNext("listContainers", "engine down");
    await sampler.pass();
    await sampler.pass();
    expect(sent).to.have.length(1);
    expect(log.lines.filter((line) => line.includes("cannot measure the pods' usage: engine down"))).to.have.length(1);
  });

  it("measures every interval, on the clock", async () => {
    usage.set("app", { cpuMillis: 100, memoryBytes: MiB });
    await runPod("a", "app");
    sampler.start();
    await settle();
    expect(clock.sleeps).to.deep.equal([10_000]);
    clock.advance(10_000);
    await settle();
    expect(clock.sleeps).to.deep.equal([10_000, 10_000]);
    await sampler.stop();
  });
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));
