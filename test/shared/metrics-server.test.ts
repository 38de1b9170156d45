import { expect } from "chai";
import { serverMetrics } from "../../src/shared/metrics-server.js";
import { BoundedLabel } from "../../src/shared/metrics.js";
import { CubeService } from "../../src/gen/cube.js";
import { MemoryLogger } from "../helpers/memory-logger.js";

describe("serverMetrics", () => {
  const started: { stop(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((metrics) => metrics.stop()));
  });

  async function serve(port: number, given: boolean, log = new MemoryLogger()) {
    const metrics = serverMetrics({ listen: { host: "127.0.0.1", port }, given }, CubeService)!;
    started.push(metrics);
    await metrics.serve(log);
    const line = log.lines.find((l) => l.includes("metrics at http://"));
    return { metrics, log, url: line && /(http:\S+)/.exec(line)![1] };
  }

  it("serves the process's metrics at /metrics, and nothing else", async () => {
    const { url } = await serve(0, true);
    const response = await fetch(url!);
    expect(response.headers.get("content-type")).to.match(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).to.contain("# TYPE nodejs_eventloop_lag_seconds gauge\n");
    expect(text).to.match(/^process_cpu_seconds_total \d/m);
    expect((await fetch(url!.replace("/metrics", "/"))).status).to.equal(404);
    expect((await fetch(url!, { method: "POST" })).status).to.equal(405);
  });

  it("says a default address is taken and goes on; an address the admin gave that is taken is fatal", async () => {
    const { url } = await serve(0, true);
    const port = Number(new URL(url!).port);
    const second = await serve(port, false);
    expect(second.url).to.equal(undefined);
    expect(
      second.log.lines.some(
        (line) => line.startsWith("WARN cannot serve metrics on 127.0.0.1:") && line.includes("metrics not served (--metrics-listen HOST:PORT"),
      ),
    ).to.equal(true);
    await serve(port, true).then(
      () => expect.fail("a taken address the admin gave was accepted"),
      (error: Error) => expect(error.message).to.match(/^cannot serve metrics on 127\.0\.0\.1:\d+: listen EADDRINUSE/),
    );
  });

  it("has no endpoint when it is off", () => {
    expect(serverMetrics(undefined, CubeService)).to.equal(undefined);
  });
});

describe("BoundedLabel", () => {
  it("keeps the first values seen, then says other", () => {
    const label = new BoundedLabel(2);
    expect(["a", "b", "c", "a", "d"].map((value) => label.of(value))).to.deep.equal(["a", "b", "other", "a", "other"]);
  });
});
