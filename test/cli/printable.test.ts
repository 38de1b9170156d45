import { expect } from "chai";
import { printable, printableLines } from "../../src/cli/printable.js";

describe("printable: text from containers and nodes, as the CLI prints it", () => {
  it("leaves plain text and other scripts as they are", () => {
    expect(printable("Liveness probe failed: HTTP 404 — ça n'a pas marché, 失败")).to.equal("Liveness probe failed: HTTP 404 — ça n'a pas marché, 失败");
  });

  it("escapes what would drive the terminal: escape sequences, a title set, bells, line ends, C1 controls", () => {
    expect(printable("\u001b[2J\u001b]0;pwned\u0007done")).to.equal("\\x1b[2J\\x1b]0;pwned\\x07done");
    expect(printable("a\nb\rc\td\u007f\u009b")).to.equal("a\\nb\\rc\\td\\x7f\\x9b");
  });

  it("keeps the lines of a text meant to have lines", () => {
    expect(printableLines("line 1: \u001b[31mred\nline 2")).to.equal("line 1: \\x1b[31mred\nline 2");
  });
});
