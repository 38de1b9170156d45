import { expect } from "chai";
import { renderRevisions, templateChanges } from "../../src/cli/render-revisions.js";
import type { Revision } from "../../src/gen/cube.js";

describe("rollout history", () => {
  const template = (image: string, env: Record<string, string> = {}, annotations?: Record<string, string>) =>
    JSON.stringify({ metadata: { labels: { app: "web" }, ...(annotations ? { annotations } : {}) }, spec: { containers: [{ name: "web", image, env }] } });

  it("nothing changed: no phrase", () => {
    expect(templateChanges(template("nginx:1"), template("nginx:1"))).to.deep.equal([]);
  });

  it("says what changed, under the container's name: a value, a new one, a removed one", () => {
    expect(templateChanges(template("nginx:1", { MODE: "a", OLD: "x" }), template("nginx:2", { MODE: "b", NEW: "y" }))).to.deep.equal([
      "web.image=nginx:2 (was nginx:1)",
      "web.env.MODE=b (was a)",
      "web.env.NEW=y (new)",
      "web.env.OLD removed",
    ]);
  });

  it("says a restart as one", () => {
    expect(templateChanges(template("nginx:1"), template("nginx:1", {}, { "cube.dev/restartedAt": "2026-12-03T10:00:00Z" }))).to.deep.equal([
      "restarted 2026-12-03T10:00:00Z",
    ]);
  });

  it("shows revisions that differ only in env apart, the first kept by its images, a rollback as the revision it repeats", () => {
    const revision = (number: number, templateJson: string, completed: boolean): Revision => ({
      revision: number,
      templateJson,
      createdAt: new Date(0),
      completedAt: completed ? new Date(0) : undefined,
    });
    const table = renderRevisions(
      [
        revision(1, template("nginx:1", { MODE: "a" }), true),
        revision(2, template("nginx:1", { MODE: "b" }), false),
        revision(3, template("nginx:1", { MODE: "a" }), true),
      ],
      new Date(0),
    );
    const lines = table.split("\n").map((line) => line.replace(/\s+/g, " "));
    expect(lines[1]).to.include("web=nginx:1");
    expect(lines[2]).to.include("web.env.MODE=b (was a)");
    expect(lines[3]).to.include("3 (current)").and.include("web.env.MODE=a (was b) (as revision 1)");
  });
});
