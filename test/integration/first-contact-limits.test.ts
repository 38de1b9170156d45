import { readFileSync } from "node:fs";
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream } from "node:http2";
import { expect } from "chai";
import { LocalCluster } from "../helpers/local-cluster.js";
import { type TestProcess } from "../helpers/processes.js";

/** The leader's first contact, which anyone may call, under a crowd of strangers: bounded, and the CLI still served. */
describe("the first contact's limits, against a real leader process", function () {
  this.timeout(120_000);
  const cluster = new LocalCluster();
  let leader: TestProcess;
  const sessions: ClientHttp2Session[] = [];

  before(async () => {
    leader = await cluster.startLeader("main");
    await cluster.waitForNodes([{ name: "main", status: "Ready", type: "Leader" }]);
  });
  after(async () => {
    for (const session of sessions) session.destroy();
    await cluster.stop();
  });

  const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${leader.pid}/status`, "utf8"))![1]) * 1024;
  const open = () =>
    new Promise<ClientHttp2Session>((resolve, reject) => {
      const session = connect(`https://127.0.0.1:${cluster.leaderPort}`, { rejectUnauthorized: false, servername: "cube" });
      session.once("connect", () => resolve(session)).once("error", reject);
      session.on("error", () => undefined);
      sessions.push(session);
    });
  /** An Introduce that announces a message of `announced` bytes, sends `sent` of them, and never ends. */
  const halfOpen = (session: ClientHttp2Session, announced: number, sent: number): { stream: ClientHttp2Stream; status: Promise<string> } => {
    const stream = session.request({
      [constants.HTTP2_HEADER_METHOD]: "POST",
      [constants.HTTP2_HEADER_PATH]: "/cube.agent.v1.Cluster/Introduce",
      [constants.HTTP2_HEADER_CONTENT_TYPE]: "application/grpc",
      te: "trailers",
    });
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(announced, 1);
    stream.write(Buffer.concat([prefix, Buffer.alloc(sent, 7)]));
    stream.on("error", () => undefined);
    const status = new Promise<string>((resolve) => {
      const read = (headers: Record<string, unknown>) =>
        headers["grpc-status"] !== undefined && resolve(`${headers["grpc-status"]} ${decodeURIComponent(String(headers["grpc-message"] ?? ""))}`);
      stream
        .on("response", read)
        .on("trailers", read)
        .on("close", () => resolve("closed"));
    });
    return { stream, status };
  };

  it("refuses at once a first-contact message larger than 64 KiB, before reading it", async () => {
    const session = await open();
    const { status } = halfOpen(session, 4 * 1024 * 1024 - 5, 1024);
    expect(await status).to.match(/^8 /); // RESOURCE_EXHAUSTED
  });

  it("500 half-open first contacts (half of them announcing 4 MiB): the leader's memory moves by less than 50 MB, and cube nodes answers meanwhile", async () => {
    const before = rss();
    const crowd: Promise<string>[] = [];
    for (let c = 0; c < 10; c++) {
      const session = await open();
      // Half announce a small message and send part of it; half announce 4 MiB and send 128 KiB of it.
      for (let s = 0; s < 25; s++) crowd.push(halfOpen(session, 60 * 1024, 32 * 1024).status, halfOpen(session, 4 * 1024 * 1024 - 5, 128 * 1024).status);
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const during = rss();
    const start = Date.now();
    const nodes = await cluster.cube(["nodes"]);
    const took = Date.now() - start;
    expect(nodes.code, nodes.stderr).to.equal(0);
    console.log(`      (leader RSS ${(before / 2 ** 20).toFixed(0)} → ${(during / 2 ** 20).toFixed(0)} MiB; cube nodes took ${took} ms amid them)`);
    expect(during - before).to.be.below(50 * 2 ** 20);
    expect(took).to.be.below(3000);
    // The scenario: most were refused at once, the few admitted are cut at their deadline.
    const outcomes = await Promise.all(crowd);
    expect(outcomes.filter((outcome) => /^8 too many first contacts under way/.test(outcome)).length).to.be.above(200);
    expect(outcomes.filter((outcome) => /^8 Received message larger than max/.test(outcome)).length).to.be.above(0);
    expect(outcomes.filter((outcome) => /^4 the first contact took too long/.test(outcome)).length).to.be.above(0);
  });
});
