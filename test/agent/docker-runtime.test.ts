import { expect } from "chai";
import type Docker from "dockerode";
import { containerLabels } from "../../src/agent/container-labels.js";
import { DockerRuntime } from "../../src/agent/docker-runtime.js";

/**
 * An engine answering as Docker's API does, for what listing and starting use: it holds a container's lock for the
 * whole of its start, and an inspection waits for that lock, as the real engine's does.
 */
class LockingEngine {
  readonly inspected: string[] = [];
  private readonly containers = new Map<string, { state: string; startedAt: string; lock?: Promise<string>; release?: (outcome: string) => void }>();
  private readonly labels = containerLabels("n1", { uid: "u1", name: "web", specHash: "h1" }, "main");

  add(id: string): void {
    this.containers.set(id, { state: "created", startedAt: "0001-01-01T00:00:00Z" });
  }

  /** Ends the start under way of `id`: the container running, or, failed, still created with the engine's error. */
  endStart(id: string, outcome: "started" | "failed"): void {
    const container = this.containers.get(id)!;
    if (outcome === "started") Object.assign(container, { state: "running", startedAt: "2026-11-28T05:00:00.123Z" });
    container.release!(outcome);
  }

  async listContainers(): Promise<Docker.ContainerInfo[]> {
    return [...this.containers].map(
      ([id, c]) =>
        ({
          Id: id,
          Names: [`/cube_n1_web_main_${id}`],
          Labels: this.labels,
          State: c.state,
          Created: 1_800_000_000,
          Image: "busybox",
        }) as unknown as Docker.ContainerInfo,
    );
  }

  getContainer(id: string) {
    const container = this.containers.get(id)!;
    return {
      start: async () => {
        container.lock = new Promise<string>((resolve) => (container.release = resolve));
        if ((await container.lock) === "failed") throw Object.assign(new Error("exec failed"), { statusCode: 400 });
      },
      inspect: async () => {
        await container.lock;
        this.inspected.push(id);
        return {
          Created: "2026-11-28T04:59:59.500Z",
          State: { Status: container.state, ExitCode: 0, OOMKilled: false, Error: "", StartedAt: container.startedAt, FinishedAt: "0001-01-01T00:00:00Z" },
          Config: { Image: "busybox" },
        };
      },
    };
  }
}

describe("DockerRuntime", () => {
  it("lists a container it is starting without waiting for the start: not started yet, then running once it is", async () => {
    const engine = new LockingEngine();
    engine.add("a");
    engine.add("b");
    const runtime = new DockerRuntime(engine as unknown as Docker);
    const starting = runtime.startContainer("a");

    const during = await runtime.listContainers("n1");
    expect(during.map((c) => [c.id, c.state, c.containerName, c.startedAt])).to.deep.equal([
      ["a", "created", "main", undefined],
      ["b", "created", "main", undefined],
    ]);
    expect(engine.inspected, "only the container that is not starting is inspected").to.deep.equal(["b"]);

    engine.endStart("a", "started");
    await starting;
    const after = await runtime.listContainers("n1");
    expect(after.map((c) => [c.id, c.state, c.startedAt?.toISOString()])).to.deep.equal([
      ["a", "running", "2026-11-28T05:00:00.123Z"],
      ["b", "created", undefined],
    ]);
    expect(after[0].createdAt.toISOString(), "the engine's creation time, to the millisecond").to.equal("2026-11-28T04:59:59.500Z");
  });

  it("inspects a container again once a start that failed has returned", async () => {
    const engine = new LockingEngine();
    engine.add("a");
    const runtime = new DockerRuntime(engine as unknown as Docker);
    const failing = runtime.startContainer("a");
    await runtime.listContainers("n1");
    expect(engine.inspected).to.deep.equal([]);
    engine.endStart("a", "failed");
    const failure = await failing.then(
      () => "started",
      (error: Error) => error.message,
    );
    expect(failure, "the engine's refusal, passed on").to.equal("exec failed");
    expect((await runtime.listContainers("n1")).map((c) => c.state)).to.deep.equal(["created"]);
    expect(engine.inspected).to.deep.equal(["a"]);
  });
});
