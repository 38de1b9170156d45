import { expect } from "chai";
import { formatJoinToken, parseJoinToken } from "../../../src/shared/tls/join-token.js";

describe("join tokens", () => {
  const digest = Buffer.alloc(32, 0xab);

  it("reads a plain token as the secret alone", () => {
    expect(parseJoinToken("my-plain-token-0123")).to.deep.equal({ secret: "my-plain-token-0123" });
  });

  it("reads a full token: the CA's digest and the secret, which may contain dashes", () => {
    const full = formatJoinToken("a-b-c-secret-0123", digest);
    expect(full).to.equal(`CUBE1-${"ab".repeat(32)}-a-b-c-secret-0123`);
    expect(parseJoinToken(full)).to.deep.equal({ secret: "a-b-c-secret-0123", caDigest: digest });
  });

  it("takes a malformed full token for a plain one (it will then fail as a wrong token, not be half-trusted)", () => {
    expect(parseJoinToken("CUBE1-abc-secret")).to.deep.equal({ secret: "CUBE1-abc-secret" });
  });
});
