import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { makeSecret, resolveLeaderSecrets, strengthBound } from "../../../src/leader/identity/leader-secrets.js";
import { formatJoinToken } from "../../../src/shared/tls/join-token.js";
import { IN_MEMORY } from "../../../src/shared/open-database.js";
import { tempDir } from "../../helpers/temp-dir.js";

describe("the leader's secrets", () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir("leader-secrets")));
  afterEach(() => dir.remove());

  const keep = (token: string, adminPassword: string) => {
    writeFileSync(join(dir.path, "join-token"), `${formatJoinToken(token, Buffer.alloc(32, 7))}\n`);
    writeFileSync(join(dir.path, "admin-config.json"), JSON.stringify({ leaderUrl: "h:1", password: adminPassword, ca: "..." }));
  };

  it("makes both on a first start with none given, in two roles: 256 random bits each, different", () => {
    const secrets = resolveLeaderSecrets(dir.path, {});
    expect(secrets.made).to.deep.equal({ token: true, adminPassword: true });
    expect(secrets.token).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(secrets.adminPassword).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(secrets.token).to.not.equal(secrets.adminPassword);
  });

  it("keeps what it kept: the token of its full join token, the password of its admin config", () => {
    keep("kept-token-0123456789", "kept-password-0123456789");
    expect(resolveLeaderSecrets(dir.path, {})).to.deep.equal({
      token: "kept-token-0123456789",
      adminPassword: "kept-password-0123456789",
      made: { token: false, adminPassword: false },
    });
  });

  it("takes the ones given; a new admin password replaces the kept one, a join token that is not the kept one is refused", () => {
    expect(resolveLeaderSecrets(dir.path, { token: "given-token-0123456789", adminPassword: "given-password-0123456" })).to.deep.include({
      token: "given-token-0123456789",
      adminPassword: "given-password-0123456",
    });
    keep("kept-token-0123456789", "kept-password-0123456789");
    expect(resolveLeaderSecrets(dir.path, { token: "kept-token-0123456789", adminPassword: "new-password-0123456789" })).to.deep.include({
      token: "kept-token-0123456789",
      adminPassword: "new-password-0123456789",
    });
    // The kept token may have been rotated: an older one given again would admit its holders again.
    expect(() => resolveLeaderSecrets(dir.path, { token: "rotated-away-0123456789" })).to.throw(
      /the join token given is not this leader's .*cube token rotate/,
    );
  });

  it("keeps nothing in memory only", () => {
    expect(resolveLeaderSecrets(IN_MEMORY, { token: "given-token-0123456789" })).to.deep.include({ token: "given-token-0123456789" });
  });

  it("bounds a secret's strength by its length and the kinds of its characters", () => {
    expect(strengthBound("kubernetes-admin")).to.equal(Math.round(16 * Math.log2(26 + 33)));
    expect(strengthBound("aaaaaaaaaaaaaaaa")).to.equal(Math.round(16 * Math.log2(26)));
    expect(strengthBound(makeSecret())).to.be.at.least(250);
  });
});
