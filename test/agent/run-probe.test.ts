import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { probeRunner } from "../../src/agent/run-probe.js";
import type { ProbeTarget } from "../../src/agent/prober.js";
import { FakeRuntime } from "../../src/agent/testing/fake-runtime.js";
import type { Probe } from "../../src/shared/domain.js";

const base = { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };

describe("probeRunner (HTTP and TCP against a local server, exec on the fake runtime)", () => {
  let server: Server;
  let port: number;
  const runtime = new FakeRuntime();
  let target: ProbeTarget;

  before(async () => {
    runtime.images.add("app:1");
    const sandboxId = await runtime.createContainer({ name: "pause", image: "app:1", labels: {} });
    await runtime.startContainer(sandboxId);
    target = { podUid: "u", containerId: sandboxId, sandboxId, startedAt: 0, spec: { name: "app", image: "app:1", env: {} } };
    server = createServer((request, response) => {
      if (request.url === "/hang") return; // never answers
      response.statusCode = request.url === "/healthz" ? 200 : 500;
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const run = (probe: Partial<Probe>) => probeRunner(runtime)({ ...base, ...probe }, target);

  it("passes an HTTP probe on 2xx, fails it on 500 and on no answer within the timeout, saying what it got", async () => {
    expect(await run({ httpGet: { path: "/healthz", port, scheme: "HTTP" } })).to.deep.equal({ ok: true, message: "HTTP 200 from /healthz" });
    expect(await run({ httpGet: { path: "/broken", port, scheme: "HTTP" } })).to.deep.equal({ ok: false, message: "HTTP 500 from /broken" });
    const started = performance.now();
    expect(await run({ httpGet: { path: "/hang", port, scheme: "HTTP" } })).to.deep.equal({ ok: false, message: "no answer from /hang within 1s" });
    expect(performance.now() - started).to.be.below(3000);
  });

  it("passes a TCP probe on an open port and fails it on a closed one", async () => {
    expect(await run({ tcpSocket: { port } })).to.deep.equal({ ok: true, message: `port ${port} open` });
    const closed = await run({ tcpSocket: { port: 1 } });
    expect(closed.ok).to.equal(false);
    expect(closed.message).to.match(/ECONNREFUSED/);
  });

  it("passes an exec probe that exits 0 and fails one that does not, with its last line of output", async () => {
    runtime.execHandler = (_id, options) => ({
      output: [{ stream: "stdout", data: Buffer.from(`checked ${options.command.join(" ")}\n`) }],
      exitCode: options.command[0] === "true" ? 0 : 1,
    });
    expect(await run({ exec: { command: ["true"] } })).to.deep.equal({ ok: true, message: "command exited with 0: checked true" });
    expect(await run({ exec: { command: ["false"] } })).to.deep.equal({ ok: false, message: "command exited with 1: checked false" });
  });
});
