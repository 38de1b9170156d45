import { expect } from "chai";
import { afterProbe, INITIAL_PROBE_STATE, probeDue, type ProbeState } from "../../src/agent/probe-state.js";
import type { Probe } from "../../src/shared/domain.js";

const probe = (change: Partial<Probe> = {}): Probe => ({
  httpGet: { path: "/healthz", port: 8080, scheme: "HTTP" },
  initialDelaySeconds: 0,
  periodSeconds: 10,
  timeoutSeconds: 1,
  successThreshold: 1,
  failureThreshold: 3,
  ...change,
});
const ok = { ok: true, message: "HTTP 200 from /healthz" };
const bad = { ok: false, message: "HTTP 500 from /healthz" };

/** Runs outcomes one after another, a second apart, and returns the results and which runs changed them. */
function run(spec: Probe, outcomes: { ok: boolean; message: string }[], from: ProbeState = INITIAL_PROBE_STATE) {
  let state = from;
  const results: string[] = [];
  outcomes.forEach((outcome, index) => {
    const next = afterProbe(spec, state, outcome, index * 1000);
    state = next.state;
    results.push(`${state.result}${next.changed ? "!" : ""}`);
  });
  return { state, results };
}

describe("probe state", () => {
  it("nothing concluded: unknown until a threshold is reached", () => {
    expect(INITIAL_PROBE_STATE.result).to.equal("unknown");
    expect(run(probe(), [bad, bad]).results).to.deep.equal(["unknown", "unknown"]);
  });

  it("fails after failureThreshold failures in a row, once (a change, then no more changes)", () => {
    expect(run(probe(), [bad, bad, bad, bad]).results).to.deep.equal(["unknown", "unknown", "failure!", "failure"]);
  });

  it("a success in between starts the count of failures again", () => {
    expect(run(probe(), [bad, bad, ok, bad, bad, bad]).results).to.deep.equal(["unknown", "unknown", "success!", "success", "success", "failure!"]);
  });

  it("succeeds after successThreshold successes in a row (readiness)", () => {
    expect(run(probe({ successThreshold: 2 }), [ok, bad, ok, ok]).results).to.deep.equal(["unknown", "unknown", "unknown", "success!"]);
  });

  it("keeps the last outcome's words", () => {
    expect(run(probe(), [ok, bad]).state.message).to.equal("HTTP 500 from /healthz");
  });

  it("is due after the initial delay from the container's start, then every period", () => {
    const spec = probe({ initialDelaySeconds: 5, periodSeconds: 10 });
    const startedAt = 100_000;
    expect(probeDue(spec, INITIAL_PROBE_STATE, startedAt, startedAt + 4_999)).to.equal(false);
    expect(probeDue(spec, INITIAL_PROBE_STATE, startedAt, startedAt + 5_000)).to.equal(true);
    const ran = afterProbe(spec, INITIAL_PROBE_STATE, ok, startedAt + 5_000).state;
    expect(probeDue(spec, ran, startedAt, startedAt + 14_999)).to.equal(false);
    expect(probeDue(spec, ran, startedAt, startedAt + 15_000)).to.equal(true);
  });
});
