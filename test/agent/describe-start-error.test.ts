import { expect } from "chai";
import { describeStartError } from "../../src/agent/docker-exec.js";

describe("describeStartError", () => {
  it("says what a shell would of a command the engine could not start", () => {
    expect(
      describeStartError('OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": executable file not found in $PATH: unknown'),
    ).to.equal("nope: executable file not found in $PATH");
    expect(describeStartError('OCI runtime exec failed: exec failed: unable to start container process: exec: "/bin": permission denied: unknown')).to.equal(
      "/bin: permission denied",
    );
    expect(describeStartError("something else")).to.equal("something else");
  });
});
