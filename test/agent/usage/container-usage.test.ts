import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cpuMillisBetween, usageFromCgroupV1, usageFromCgroupV2, usageFromEngineStats, type EngineStats } from "../../../src/agent/usage/container-usage.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const fixture = (path: string) => readFileSync(join(FIXTURES, path), "utf8");
const AT = Date.UTC(2026, 11, 4, 21);

describe("container usage readings", () => {
  it("reads cgroup v2 files: usage_usec as nanoseconds, the working set as memory.current less inactive_file", () => {
    const sample = usageFromCgroupV2(
      { cpuStat: fixture("cgroup-v2/cpu.stat"), memoryCurrent: fixture("cgroup-v2/memory.current"), memoryStat: fixture("cgroup-v2/memory.stat") },
      AT,
    );
    expect(sample).to.deep.equal({ cpuNanos: 2_843_559_000, memoryBytes: 71_593_984 - 1_998_848, atMs: AT });
  });

  it("reads cgroup v1 files: cpuacct.usage, memory.usage_in_bytes less the subtree's total_inactive_file", () => {
    const sample = usageFromCgroupV1(
      {
        cpuacctUsage: fixture("cgroup-v1/cpuacct.usage"),
        memoryUsage: fixture("cgroup-v1/memory.usage_in_bytes"),
        memoryStat: fixture("cgroup-v1/memory.stat"),
      },
      AT,
    );
    expect(sample).to.deep.equal({ cpuNanos: 62_349_619, memoryBytes: 819_200 - 118_784, atMs: AT });
  });

  it("refuses files that are not a reading", () => {
    expect(() => usageFromCgroupV2({ cpuStat: "nr_periods 0\n", memoryCurrent: "12\n", memoryStat: "" }, AT)).to.throw("not a cgroup v2 reading");
    expect(() => usageFromCgroupV1({ cpuacctUsage: "", memoryUsage: "x", memoryStat: "" }, AT)).to.throw("not a cgroup v1 reading");
  });

  it("reads the engine's one-shot stats on cgroup v1 and v2 hosts, at the engine's reading time", () => {
    const v1 = JSON.parse(fixture("engine-stats-v1.json")) as EngineStats;
    const v2 = JSON.parse(fixture("engine-stats-v2.json")) as EngineStats;
    expect(usageFromEngineStats(v1, AT)).to.deep.equal({
      cpuNanos: 2_148_003_014,
      memoryBytes: 1_359_872 - 118_784,
      atMs: Date.parse("2026-12-04T20:47:35.075Z"),
    });
    expect(usageFromEngineStats(v2, AT)).to.deep.equal({
      cpuNanos: 10_087_469_000,
      memoryBytes: 71_593_984 - 1_998_848,
      atMs: Date.parse("2026-12-04T21:02:10.512Z"),
    });
  });

  it("has no reading for a container that is not running (the engine gives empty stats)", () => {
    expect(usageFromEngineStats({ read: "0001-01-01T00:00:00Z", cpu_stats: { cpu_usage: {} }, memory_stats: {} }, AT)).to.equal(undefined);
  });

  const cases: { name: string; earlier: { cpuNanos: number; atMs: number }; later: { cpuNanos: number; atMs: number }; millis: number }[] = [
    { name: "one core busy for 10 s", earlier: { cpuNanos: 5e9, atMs: AT }, later: { cpuNanos: 15e9, atMs: AT + 10_000 }, millis: 1000 },
    { name: "idle", earlier: { cpuNanos: 5e9, atMs: AT }, later: { cpuNanos: 5e9, atMs: AT + 10_000 }, millis: 0 },
    { name: "a quarter core", earlier: { cpuNanos: 0, atMs: AT }, later: { cpuNanos: 2.5e9, atMs: AT + 10_000 }, millis: 250 },
    { name: "two cores", earlier: { cpuNanos: 0, atMs: AT }, later: { cpuNanos: 4e9, atMs: AT + 2000 }, millis: 2000 },
    { name: "since the container's start (no earlier reading)", earlier: { cpuNanos: 0, atMs: AT }, later: { cpuNanos: 3e9, atMs: AT + 4000 }, millis: 750 },
    { name: "no time passed", earlier: { cpuNanos: 0, atMs: AT }, later: { cpuNanos: 3e9, atMs: AT }, millis: 0 },
    { name: "the counter went back (another container)", earlier: { cpuNanos: 9e9, atMs: AT }, later: { cpuNanos: 1e9, atMs: AT + 1000 }, millis: 0 },
  ];
  for (const { name, earlier, later, millis } of cases) {
    it(`CPU between two readings: ${name} → ${millis}m`, () => expect(cpuMillisBetween(earlier, later)).to.equal(millis));
  }
});
