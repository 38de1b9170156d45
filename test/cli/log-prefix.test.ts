import { expect } from "chai";
import { Chalk } from "chalk";
import { logPrefixer } from "../../src/cli/log-prefix.js";

describe("logPrefixer", () => {
  it("pads every container's name to the longest, so lines start in one column", () => {
    const prefix = logPrefixer(["web", "sidecar"], new Chalk({ level: 0 }));
    expect(prefix("web")).to.equal("[web]     ");
    expect(prefix("sidecar")).to.equal("[sidecar] ");
  });

  it("colours each container differently when colour is on, and not at all when it is off", () => {
    const coloured = logPrefixer(["web", "db"], new Chalk({ level: 1 }));
    expect(coloured("web")).to.equal("\u001b[36m[web]\u001b[39m ");
    expect(coloured("db")).to.equal("\u001b[35m[db] \u001b[39m ");
    expect(logPrefixer(["web"], new Chalk({ level: 0 }))("web")).to.not.contain("\u001b");
  });
});
