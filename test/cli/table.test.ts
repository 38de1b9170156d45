import { expect } from "chai";
import { Chalk } from "chalk";
import { renderTable } from "../../src/cli/table.js";

describe("renderTable", () => {
  it("renders the seed's table: one header line, aligned columns separated by pipes", () => {
    const table = renderTable(
      ["Name", "Status", "Type"],
      [
        ["leader-node", "Ready", "Leader"],
        ["f1", "NotReady", "Follower"],
      ],
    );
    expect(table.split("\n")).to.deep.equal(["Name        | Status   | Type", "leader-node | Ready    | Leader", "f1          | NotReady | Follower"]);
  });

  it("aligns coloured cells by their visible width", () => {
    const red = new Chalk({ level: 1 }).red;
    const lines = renderTable(
      ["Name", "Status"],
      [
        ["a", red("NotReady")],
        ["b", "Ready"],
      ],
    ).split("\n");
    const strip = (line: string) => line.replace(/\u001b\[\d+m/g, "");
    expect(lines.map(strip)).to.deep.equal(["Name | Status", "a    | NotReady", "b    | Ready"]);
    expect(lines[1]).to.contain("\u001b[31m");
  });

  it("renders a header alone when there are no rows", () => {
    expect(renderTable(["name", "status", "age"], [])).to.equal("name | status | age");
  });
});
