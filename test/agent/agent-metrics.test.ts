import { expect } from "chai";
import { Registry } from "prom-client";
import { AgentMetrics } from "../../src/agent/agent-metrics.js";
import { containerLabels } from "../../src/agent/container-labels.js";
import { FakeRuntime } from "../../src/agent/testing/fake-runtime.js";
import { MetricValues } from "../helpers/metrics.js";

describe("AgentMetrics", () => {
  it("times the engine's calls by call and outcome, and passes their results and failures through", async () => {
    const registry = new Registry();
    const metrics = new AgentMetrics(registry);
    const fake = new FakeRuntime();
    const runtime = metrics.measured(fake);
    fake.images.add("busybox");
    const id = await runtime.createContainer({ name: "c", image: "busybox", labels: containerLabels("n1", { uid: "u", name: "p", specHash: "h" }, "main") });
    await runtime.startContainer(id);
    expect(fake.calls).to.include(`start ${id}`);
    fake.failNext("listContainers", "engine down");
    await runtime.listContainers("n1").then(
      () => expect.fail("the failure was swallowed"),
      (error: Error) => expect(error.message).to.equal("engine down"),
    );
    expect((await runtime.listContainers("n1")).map((c) => c.id)).to.deep.equal([id]);
    const scraped = await MetricValues.of(registry);
    expect(scraped.count("cube_node_engine_call_duration_seconds", { call: "createContainer", outcome: "ok" })).to.equal(1);
    expect(scraped.count("cube_node_engine_call_duration_seconds", { call: "listContainers", outcome: "error" })).to.equal(1);
    expect(scraped.count("cube_node_engine_call_duration_seconds", { call: "listContainers", outcome: "ok" })).to.equal(1);
  });

  it("counts the containers of the last listing by state and kind, and probe results", async () => {
    const registry = new Registry();
    const metrics = new AgentMetrics(registry);
    metrics.containersSeen([
      { state: "running", containerName: undefined },
      { state: "running", containerName: "web" },
      { state: "running", containerName: "log" },
      { state: "exited", containerName: "job" },
    ]);
    metrics.probeRun("readiness", true);
    metrics.probeRun("liveness", false);
    metrics.syncPass(0.004);
    const scraped = await MetricValues.of(registry);
    expect(scraped.value("cube_node_containers", { state: "running", kind: "container" })).to.equal(2);
    expect(scraped.value("cube_node_containers", { state: "running", kind: "sandbox" })).to.equal(1);
    expect(scraped.value("cube_node_containers", { state: "exited" })).to.equal(1);
    expect(scraped.value("cube_node_probe_results_total", { probe: "liveness", result: "failure" })).to.equal(1);
    expect(scraped.count("cube_node_sync_duration_seconds")).to.equal(1);
  });
});
