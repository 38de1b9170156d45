import { expect } from "chai";
import { cpuMillis, formatCpu, formatMemory, memoryBytes } from "../../src/shared/quantities.js";

describe("quantities", () => {
  it("reads CPU amounts as numbers of CPUs or millicores", () => {
    const cases: [number | string, number | undefined][] = [
      [0.5, 500],
      [2, 2000],
      ["500m", 500],
      ["1.5", 1500],
      ["250m", 250],
      ["1e3", undefined],
      ["half", undefined],
      [-1, undefined],
    ];
    for (const [amount, millis] of cases) expect(cpuMillis(amount), String(amount)).to.equal(millis);
  });

  it("reads memory amounts with binary and decimal suffixes", () => {
    const cases: [number | string, number | undefined][] = [
      ["256Mi", 256 * 2 ** 20],
      ["1.5Gi", 1.5 * 2 ** 30],
      ["1G", 1e9],
      ["64k", 64_000],
      [1024, 1024],
      ["1MB", undefined],
      ["mi", undefined],
    ];
    for (const [amount, bytes] of cases) expect(memoryBytes(amount), String(amount)).to.equal(bytes);
  });

  it("writes them back readably", () => {
    expect([formatCpu(500), formatCpu(2000), formatCpu(1500)]).to.deep.equal(["500m", "2", "1500m"]);
    expect([formatMemory(256 * 2 ** 20), formatMemory(1.5 * 2 ** 30), formatMemory(512)]).to.deep.equal(["256Mi", "1.5Gi", "512"]);
  });
});
