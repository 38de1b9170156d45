import { expect } from "chai";
import { splitBySize } from "../../src/leader/split-by-size.js";

describe("splitBySize", () => {
  const size = (item: string) => item.length;

  it("nothing to split: one empty part (an empty set is still a message)", () => {
    expect(splitBySize([], size, 10)).to.deep.equal([[]]);
  });

  it("keeps the order, and each part within the bound", () => {
    expect(splitBySize(["aaaa", "bbbb", "cc", "dddddd", "e"], size, 10)).to.deep.equal([
      ["aaaa", "bbbb", "cc"],
      ["dddddd", "e"],
    ]);
  });

  it("gives an item larger than the bound a part of its own", () => {
    expect(splitBySize(["a", "bbbbbbbbbbbb", "c"], size, 10)).to.deep.equal([["a"], ["bbbbbbbbbbbb"], ["c"]]);
  });
});
