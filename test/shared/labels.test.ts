import { expect } from "chai";
import { matchesSelector, parseSelector } from "../../src/shared/labels.js";

const matches = (selector: string, labels: Record<string, string>) => {
  const parsed = parseSelector(selector);
  if (!parsed.ok) throw new Error(parsed.problem);
  return matchesSelector(parsed.requirements, labels);
};

describe("label selectors", () => {
  const web = { app: "web", tier: "front" };
  const cases: [string, Record<string, string>, boolean][] = [
    ["app=web", web, true],
    ["app==web", web, true],
    ["app=db", web, false],
    ["app!=db", web, true],
    ["app!=web", web, false],
    ["zone!=a", web, true], // a missing key is not equal to anything
    ["app in (web, db)", web, true],
    ["app in (db,cache)", web, false],
    ["app notin (db,cache)", web, true],
    ["zone notin (a)", web, true],
    ["tier", web, true],
    ["zone", web, false],
    ["!zone", web, true],
    ["!app", web, false],
    ["app=web,tier=front", web, true],
    ["app=web, tier in (back,middle)", web, false],
    ["app in (web,db),!zone,tier", web, true],
  ];
  for (const [selector, labels, expected] of cases) {
    it(`${selector} ${expected ? "matches" : "does not match"} ${JSON.stringify(labels)}`, () => expect(matches(selector, labels)).to.equal(expected));
  }

  it("refuses what it cannot read, saying which part", () => {
    expect(parseSelector("app=web,,x")).to.deep.equal({ ok: false, problem: 'selector "app=web,,x": an empty requirement (two commas, or one at an end)' });
    expect(parseSelector("app>3")).to.deep.include({ ok: false });
    expect(parseSelector("app in (a b)")).to.deep.equal({ ok: false, problem: 'selector "app in (a b)": "a b" is not a label value' });
    expect(parseSelector("Bad Key=x")).to.deep.include({ ok: false });
  });
});
