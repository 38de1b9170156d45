import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { describeJoinFailure, stayJoined, type Membership } from "../../src/agent/stay-joined.js";
import { A_NODE_NOT_THE_LEADER, STANDING_BY } from "../../src/shared/unavailable-reason.js";
import { FirstContactError } from "../../src/shared/tls/first-contact-error.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { MemoryLogger } from "../helpers/memory-logger.js";

type Step = { join: "unavailable" | "unauthenticated" | "name-taken" | "unverified" | "first-contact" } | { join: "ok"; session: "answered" | "silent" };

const grpcError = (code: grpc.status, details: string) => Object.assign(new Error(details), { code, details });

const failures = {
  unavailable: grpcError(grpc.status.UNAVAILABLE, "No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:4242. Resolution note: "),
  unauthenticated: grpcError(grpc.status.UNAUTHENTICATED, "wrong cluster token"),
  "name-taken": grpcError(grpc.status.ALREADY_EXISTS, 'node name "a" is already taken'),
  unverified: grpcError(
    grpc.status.UNAVAILABLE,
    "No connection established. Last error: Error: self-signed certificate in certificate chain. Resolution note: ",
  ),
  "first-contact": new FirstContactError("the leader at 127.0.0.1:4242 did not prove that it knows our token"),
};

/** A scripted leader: each step is one join attempt (and, when it succeeds, how the session goes); the node stops after the last. */
function scriptedMembership(steps: Step[], abort: AbortController): Membership<string> & { joins: number; sessions: number } {
  let next = 0;
  const membership = {
    joins: 0,
    sessions: 0,
    async join() {
      membership.joins++;
      const step = steps[next++];
      if (step.join !== "ok") {
        if (next >= steps.length) queueMicrotask(() => abort.abort());
        throw failures[step.join];
      }
      return step.session;
    },
    async runSession(session: string, established: () => void) {
      membership.sessions++;
      if (next >= steps.length) abort.abort();
      if (session === "answered") established();
      return "stream reset";
    },
  };
  return membership;
}

describe("stayJoined", () => {
  const backoff = { initialMs: 200, maxMs: 1000 };

  async function run(steps: Step[]) {
    const abort = new AbortController();
    const clock = new FakeClock(0, true);
    const log = new MemoryLogger();
    const membership = scriptedMembership(steps, abort);
    await stayJoined(membership, { leaderAddresses: ["127.0.0.1:4242"], clock, log, random: () => 1, backoff }, abort.signal);
    return { clock, log, membership };
  }

  it("retries a failed join forever with an exponential backoff, capped", async () => {
    const steps: Step[] = [...Array(6).fill({ join: "unavailable" }), { join: "ok", session: "answered" }];
    const { clock, membership } = await run(steps);
    expect(membership.joins).to.equal(7);
    expect(clock.sleeps.slice(0, 6)).to.deep.equal([200, 400, 800, 1000, 1000, 1000]);
  });

  it("logs one line per failed try that tells an unreachable leader from a refused token or name, or one that fails verification", async () => {
    const { log } = await run([
      { join: "unavailable" },
      { join: "unauthenticated" },
      { join: "name-taken" },
      { join: "unverified" },
      { join: "first-contact" },
      { join: "ok", session: "answered" },
    ]);
    expect(log.lines.slice(0, 5)).to.deep.equal([
      "WARN cannot join: leader 127.0.0.1:4242 unreachable (connect ECONNREFUSED 127.0.0.1:4242); retrying in 0.2s",
      "WARN cannot join: leader 127.0.0.1:4242 refused our token or certificate (wrong cluster token): check --token / CUBE_TOKEN; retrying in 0.4s",
      'WARN cannot join: leader 127.0.0.1:4242 refused to let us join: node name "a" is already taken; retrying in 0.8s',
      "WARN cannot join: leader 127.0.0.1:4242 failed TLS verification (self-signed certificate in certificate chain): someone in the middle, or a re-created cluster (then remove this node's trusted-ca.pem, node.pem and node-key.pem); retrying in 1.0s",
      "WARN cannot join: the leader at 127.0.0.1:4242 did not prove that it knows our token; retrying in 1.0s",
    ]);
    expect(log.lines[5]).to.equal("INFO joined the leader at 127.0.0.1:4242");
  });

  it("joins again when a session breaks, with a backoff reset by a session the leader answered", async () => {
    const { clock, log } = await run([
      { join: "unavailable" },
      { join: "unavailable" },
      { join: "ok", session: "answered" },
      { join: "ok", session: "silent" },
      { join: "ok", session: "silent" },
    ]);
    // 200, 400 for the failed joins; the answered session resets to 200; silent sessions keep backing off.
    expect(clock.sleeps.slice(0, 4)).to.deep.equal([200, 400, 200, 400]);
    expect(log.lines).to.include("WARN lost the leader at 127.0.0.1:4242 (stream reset); retrying in 0.2s");
  });

  it("opens no session for a join that succeeds after it was told to stop (nothing would ever end that session)", async () => {
    const abort = new AbortController();
    let answerJoin!: (session: string) => void;
    let sessions = 0;
    const membership: Membership<string> = {
      join: () => new Promise((resolve) => (answerJoin = resolve)),
      runSession: async () => {
        sessions++;
        return "ended";
      },
    };
    const log = new MemoryLogger();
    const running = stayJoined(membership, { leaderAddresses: ["l:1"], clock: new FakeClock(0, true), log, backoff }, abort.signal);
    await new Promise((resolve) => setImmediate(resolve));
    abort.abort();
    answerJoin("session");
    await running;
    expect(sessions).to.equal(0);
    expect(log.lines).to.deep.equal([]);
  });

  it("stops at once when aborted during a join that does not answer", async () => {
    const abort = new AbortController();
    const membership: Membership<string> = { join: () => new Promise(() => undefined), runSession: async () => "never" };
    const running = stayJoined(membership, { leaderAddresses: ["l:1"], clock: new FakeClock(0, true), log: new MemoryLogger(), backoff }, abort.signal);
    await new Promise((resolve) => setImmediate(resolve));
    abort.abort();
    await running;
  });

  it("stops at once when aborted during a backoff", async () => {
    const abort = new AbortController();
    const clock = new FakeClock(0, false);
    const membership: Membership<string> = {
      join: async () => {
        throw grpcError(grpc.status.UNAVAILABLE, "down");
      },
      runSession: async () => "never",
    };
    const running = stayJoined(membership, { leaderAddresses: ["l:1"], clock, log: new MemoryLogger(), backoff }, abort.signal);
    await new Promise((resolve) => setImmediate(resolve));
    expect(clock.sleeps).to.have.length(1);
    abort.abort();
    await running;
  });

  it("given several leaders, tries them in turn: a failed join or a lost session moves to the next, saying which", async () => {
    const abort = new AbortController();
    const tried: string[] = [];
    const outcomes = ["unavailable", "ok", "unavailable", "unavailable", "ok"];
    const membership: Membership<string> = {
      join: async (address) => {
        tried.push(address);
        if (tried.length === outcomes.length) queueMicrotask(() => abort.abort());
        if (outcomes[tried.length - 1] === "unavailable") throw failures.unavailable;
        return "session";
      },
      runSession: async (_session, established) => {
        established();
        return "stream reset";
      },
    };
    const log = new MemoryLogger();
    const leaderAddresses = ["a:4242", "b:4242", "c:4242"];
    await stayJoined(membership, { leaderAddresses, clock: new FakeClock(0, true), log, random: () => 1, backoff }, abort.signal);
    expect(tried).to.deep.equal(["a:4242", "b:4242", "c:4242", "a:4242", "b:4242"]);
    expect(log.lines.slice(0, 3)).to.deep.equal([
      "WARN cannot join: leader a:4242 unreachable (connect ECONNREFUSED 127.0.0.1:4242); retrying in 0.2s",
      "INFO joined the leader at b:4242",
      "WARN lost the leader at b:4242 (stream reset); retrying in 0.2s",
    ]);
  });
});

describe("describeJoinFailure: why a join failed, in one line", () => {
  const cases: [what: string, error: unknown, said: string][] = [
    ["a leader refused", failures.unavailable, "leader 10.0.0.1:4242 unreachable (connect ECONNREFUSED 127.0.0.1:4242)"],
    [
      "a follower's certificate where the leader's was expected",
      grpcError(grpc.status.UNAVAILABLE, `No connection established. Last error: Error: ${A_NODE_NOT_THE_LEADER}. Resolution note: `),
      "10.0.0.1:4242 is not the active leader (a follower, or a leader standing by)",
    ],
    [
      "a leader standing by, naming the active one",
      grpcError(grpc.status.UNAVAILABLE, `${STANDING_BY}: a at 10.0.0.2:4242 is active`),
      `10.0.0.1:4242 is not the active leader (${STANDING_BY}: a at 10.0.0.2:4242 is active)`,
    ],
    ["a wrong token", failures.unauthenticated, "leader 10.0.0.1:4242 refused our token or certificate (wrong cluster token): check --token / CUBE_TOKEN"],
  ];
  for (const [what, error, said] of cases) {
    it(what, () => expect(describeJoinFailure(error, "10.0.0.1:4242")).to.equal(said));
  }
});
