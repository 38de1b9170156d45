import { expect } from "chai";
import { LogOutput, mergeInTimeOrder } from "../../src/cli/log-output.js";
import type { LogLine } from "../../src/gen/cube.js";

describe("LogOutput", () => {
  const line = (container: string, text: string, partial = false): LogLine => ({ container, stream: "stdout", data: Buffer.from(text), partial });
  const output = () => new LogOutput((container) => `[${container}] `, false);

  it("prefixes each line, and ends a line that came without its newline", () => {
    expect(
      output()
        .format([line("a", "one\n"), line("b", "two")])
        .toString(),
    ).to.equal("[a] one\n[b] two\n");
  });

  it("prints the pieces of a long line as one line, across chunks, with another container's line after it", () => {
    const out = output();
    const text = [out.format([line("a", "xxx", true)]), out.format([line("a", "yyy", true), line("a", "zzz\n")]), out.format([line("b", "next\n")])];
    expect(Buffer.concat(text).toString()).to.equal("[a] xxxyyyzzz\n[b] next\n");
  });
});

describe("mergeInTimeOrder", () => {
  const at = (container: string, text: string, seconds: number, partial = false): LogLine => ({
    container,
    stream: "stdout",
    data: Buffer.from(text),
    partial,
    time: new Date(seconds * 1000),
  });
  const texts = (lines: LogLine[]) => lines.map((line) => `${line.container}:${Buffer.from(line.data).toString()}`);

  it("one pod's lines: as they were", () => {
    expect(texts(mergeInTimeOrder([[at("a", "1", 1), at("a", "2", 2)]]))).to.deep.equal(["a:1", "a:2"]);
  });

  it("several pods' lines: in time order, equal times in the pods' order", () => {
    const merged = mergeInTimeOrder([[at("p1/c", "1", 1), at("p1/c", "4", 4)], [at("p2/c", "2", 2), at("p2/c", "4b", 4)], [at("p3/c", "3", 3)]]);
    expect(texts(merged)).to.deep.equal(["p1/c:1", "p2/c:2", "p3/c:3", "p1/c:4", "p2/c:4b"]);
  });

  it("keeps the pieces of a long line together, even when another pod's line falls between them in time", () => {
    const merged = mergeInTimeOrder([[at("p1/c", "x", 1, true), at("p1/c", "y", 3, true), at("p1/c", "z\n", 3)], [at("p2/c", "between", 2)]]);
    expect(texts(merged)).to.deep.equal(["p1/c:x", "p1/c:y", "p1/c:z\n", "p2/c:between"]);
  });
});
