import { expect } from "chai";
import {
  effectiveSettings,
  INITIAL_RESTART_STATE,
  onContainerExit,
  onPullFailure,
  onRestarted,
  type ContainerExit,
  type RestartState,
} from "../../src/agent/restart-tracker.js";
import type { RestartPolicy } from "../../src/shared/domain.js";

const settings = { initialBackoffSeconds: 1, maxBackoffSeconds: 30, resetAfterSeconds: 60, maxFailures: 5 };
const exit = (id: string, exitCode = 1, ranForMs = 500, reason = exitCode === 0 ? "Completed" : "Error"): ContainerExit => ({
  containerId: id,
  containerName: "boom",
  exitCode,
  reason,
  ranForMs,
});

/** Feeds the tracker `count` crashes in a row (each restarted), returning every decision. */
function crashLoop(count: number, policy: RestartPolicy = "Always", ranForMs = 500) {
  let state: RestartState = INITIAL_RESTART_STATE;
  const decisions = [];
  for (let i = 1; i <= count; i++) {
    const result = onContainerExit(state, exit(`c${i}`, 1, ranForMs), policy, settings, 1000 * i);
    decisions.push(result.decision);
    state = result.decision.type === "restart" ? onRestarted(result.state, true) : result.state;
  }
  return { state, decisions };
}

describe("the restart tracker", () => {
  it("restarts a crashed container after a back-off doubling from 1 s, saying when and why", () => {
    const { decisions } = crashLoop(4);
    expect(decisions.map((d) => (d.type === "restart" ? d.delayMs : d.type))).to.deep.equal([1000, 2000, 4000, 8000]);
    expect(decisions[3]).to.deep.include({ reason: "Back-off 8s restarting failed container boom (exit code 1)" });
  });

  it("caps the back-off", () => {
    let state: RestartState = INITIAL_RESTART_STATE;
    const delays = [];
    for (let i = 0; i < 8; i++) {
      const result = onContainerExit(state, exit(`c${i}`), "Always", { ...settings, maxFailures: 20 }, 0);
      delays.push(result.decision.type === "restart" ? result.decision.delayMs : 0);
      state = result.state;
    }
    expect(delays).to.deep.equal([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it("gives up after 5 consecutive failures, naming the container, its exit code and the reason", () => {
    const { state, decisions } = crashLoop(5);
    expect(decisions[4]).to.deep.equal({ type: "giveUp", reason: "container boom failed 5 times in a row (exit code 1, reason Error); giving up" });
    expect(state).to.deep.include({ failures: 5, restarts: 4, retryAt: undefined });
    expect(state.gaveUp).to.be.a("string");
    expect(onContainerExit(state, exit("after"), "Always", settings, 0).decision.type).to.equal("none");
  });

  it("starts a fresh count after a container ran long enough", () => {
    let { state } = crashLoop(4);
    const long = onContainerExit(state, exit("long-run", 1, 60_000), "Always", settings, 100_000);
    expect(long.decision).to.deep.include({ type: "restart", delayMs: 1000 });
    expect(long.state.failures).to.equal(1);
    state = onRestarted(long.state, true);
    expect(state.restarts).to.equal(5);
  });

  it("counts one exit once", () => {
    const first = onContainerExit(INITIAL_RESTART_STATE, exit("same"), "Always", settings, 0);
    const again = onContainerExit(first.state, exit("same"), "Always", settings, 5000);
    expect(again.state).to.equal(first.state);
    expect(again.decision.type).to.equal("none");
  });

  it("restarts even a clean exit under Always, only failures under OnFailure, nothing under Never", () => {
    expect(onContainerExit(INITIAL_RESTART_STATE, exit("a", 0), "Always", settings, 0).decision.type).to.equal("restart");
    expect(onContainerExit(INITIAL_RESTART_STATE, exit("a", 0), "OnFailure", settings, 0).decision.type).to.equal("none");
    expect(onContainerExit(INITIAL_RESTART_STATE, exit("a", 2), "OnFailure", settings, 0).decision.type).to.equal("restart");
    // Stopped by its liveness probe, a process that exits 0 on SIGTERM still failed.
    expect(onContainerExit(INITIAL_RESTART_STATE, exit("a", 0, 500, "Unhealthy"), "OnFailure", settings, 0).decision.type).to.equal("restart");
    const never = onContainerExit(INITIAL_RESTART_STATE, exit("a", 2), "Never", settings, 0);
    expect(never.decision).to.deep.equal({ type: "none", reason: "restart policy Never" });
    expect(never.state).to.deep.include({ lastCounted: "a", retryAt: undefined, failures: 0 });
  });

  it("names an OOM kill", () => {
    const { decision } = onContainerExit(INITIAL_RESTART_STATE, exit("oom", 137, 10, "OOMKilled"), "Always", { ...settings, maxFailures: 1 }, 0);
    expect(decision).to.deep.include({ reason: "container boom failed 1 times in a row (exit code 137, reason OOMKilled); giving up" });
  });

  it("retries a failed pull with the same back-off, then gives up, with the engine's words", () => {
    let state: RestartState = INITIAL_RESTART_STATE;
    const decisions = [];
    for (let i = 0; i < 5; i++) {
      const result = onPullFailure(state, { image: "nope:1", message: "pull access denied for nope" }, settings, i * 1000);
      decisions.push(result.decision);
      state = onRestarted(result.state, false);
    }
    expect(decisions.slice(0, 4).map((d) => d.type === "restart" && d.delayMs)).to.deep.equal([1000, 2000, 4000, 8000]);
    expect(decisions[0]).to.deep.include({ reason: 'Back-off 1s pulling image "nope:1" (pull access denied for nope)' });
    expect(decisions[4]).to.deep.include({ type: "giveUp" });
    expect(state.restarts).to.equal(0); // a pull that never produced a container restarts nothing
  });

  it("lets a pod override the node's settings", () => {
    expect(effectiveSettings(settings, { maxFailures: 2, initialBackoffSeconds: 0.5 })).to.deep.equal({
      ...settings,
      maxFailures: 2,
      initialBackoffSeconds: 0.5,
    });
    expect(effectiveSettings(settings, undefined)).to.deep.equal(settings);
  });
});
