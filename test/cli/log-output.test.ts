import { expect } from "chai";
import { LogOutput } from "../../src/cli/log-output.js";
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
