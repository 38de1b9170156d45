import { expect } from "chai";
import type { ResourceSummary } from "../../src/gen/cube.js";
import { prunable, pruneSelector } from "../../src/cli/prune.js";

const item = (type: string, name: string, owner?: string) => ({ type, name, ...(owner ? { owner } : {}) }) as ResourceSummary;

describe("apply --prune", () => {
  it("deletes what is selected and no longer in the manifest; never a deployment's own pods, nor what it does not create", () => {
    const selected = [
      item("deployment", "web"),
      item("deployment", "old-worker"),
      item("pod", "web-5f7c9-abcde", "web"),
      item("pod", "old-worker-1b2c3-fghij", "old-worker"),
      item("pod", "cache"),
      item("service", "web"),
      item("service", "old-worker"),
      item("secret", "shop-old-key"),
      item("config", "shop-nginx"),
      item("node", "n1"),
    ];
    const applied = [
      { type: "deployment", name: "web" },
      { type: "service", name: "web" },
      { type: "config", name: "shop-nginx" },
    ] as const;
    expect(prunable(selected, [...applied])).to.deep.equal([
      { type: "deployment", name: "old-worker" },
      { type: "pod", name: "cache" },
      { type: "service", name: "old-worker" },
      { type: "secret", name: "shop-old-key" },
    ]);
    expect(prunable(selected.slice(0, 1), [...applied])).to.deep.equal([]);
  });

  it("prunes among -l, else the one Compose application applied; refuses to guess", () => {
    expect(pruneSelector("app=shop", [], "cube.dev/app")).to.equal("app=shop");
    expect(pruneSelector(undefined, ["shop"], "cube.dev/app")).to.equal("cube.dev/app=shop");
    expect(() => pruneSelector(undefined, [], "cube.dev/app")).to.throw(
      "--prune needs -l SELECTOR: the labels that the manifest's resources carry (Cube prunes only what they select)",
    );
    expect(() => pruneSelector(undefined, ["shop", "blog"], "cube.dev/app")).to.throw(
      "--prune with several Compose applications (shop, blog): apply them one at a time, or give -l SELECTOR",
    );
  });
});
