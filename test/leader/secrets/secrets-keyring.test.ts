import { expect } from "chai";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { SECRETS_KEY_FILE, SecretsKeyring } from "../../../src/leader/secrets/secrets-keyring.js";
import { tempDir } from "../../helpers/temp-dir.js";

describe("SecretsKeyring", () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir("keyring")));
  afterEach(() => dir.remove());

  const plain = Buffer.from("s3cret-password");

  it("seals and opens a value; the key lives in a 0600 file of the data directory and is found again", () => {
    const keyring = SecretsKeyring.open(dir.path);
    const sealed = keyring.seal(plain, "secret/db");
    expect(sealed.includes(plain)).to.equal(false);
    expect(keyring.open(sealed, "secret/db").equals(plain)).to.equal(true);
    expect(statSync(join(dir.path, SECRETS_KEY_FILE)).mode & 0o777).to.equal(0o600);
    expect(SecretsKeyring.open(dir.path).open(sealed, "secret/db").equals(plain)).to.equal(true);
  });

  it("takes a fresh nonce at every seal: the same value never seals the same", () => {
    const keyring = SecretsKeyring.open(dir.path);
    const nonces = new Set<string>();
    const sealings = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const sealed = keyring.seal(plain, "secret/db");
      nonces.add(sealed.subarray(5, 17).toString("hex"));
      sealings.add(sealed.toString("hex"));
    }
    expect([nonces.size, sealings.size]).to.deep.equal([1000, 1000]);
  });

  it("refuses a value with any bit flipped, one sealed for another secret, or one under a key it does not hold", () => {
    const keyring = SecretsKeyring.open(dir.path);
    const sealed = keyring.seal(plain, "secret/db");
    for (const byte of [5, 17, 20, sealed.length - 1]) {
      const altered = Buffer.from(sealed);
      altered[byte] ^= 0x01;
      expect(() => keyring.open(altered, "secret/db"), `byte ${byte}`).to.throw(/does not open/);
    }
    expect(() => keyring.open(sealed, "secret/other")).to.throw("secret/other: its sealed value does not open");
    const elsewhere = tempDir("keyring-other");
    try {
      expect(() => SecretsKeyring.open(elsewhere.path).open(sealed, "secret/db")).to.throw(/does not hold/);
    } finally {
      elsewhere.remove();
    }
  });

  it("rotates: a new primary key seals from then on, both open until the old one is dropped, which then opens nothing", () => {
    const keyring = SecretsKeyring.open(dir.path);
    const old = keyring.seal(plain, "secret/db");
    const oldKey = keyring.primaryKeyId;
    keyring.addPrimaryKey();
    expect(keyring.keyCount).to.equal(2);
    expect(keyring.primaryKeyId).to.not.equal(oldKey);
    expect(keyring.isCurrent(old)).to.equal(false);
    const fresh = keyring.seal(plain, "secret/db");
    expect(keyring.isCurrent(fresh)).to.equal(true);
    // A crash here leaves both keys in the file: a restarted leader opens both.
    const reopened = SecretsKeyring.open(dir.path);
    expect([reopened.open(old, "secret/db").equals(plain), reopened.open(fresh, "secret/db").equals(plain)]).to.deep.equal([true, true]);
    keyring.dropOldKeys();
    expect(keyring.keyCount).to.equal(1);
    expect(() => keyring.open(old, "secret/db")).to.throw(/does not hold/);
    expect(readFileSync(join(dir.path, SECRETS_KEY_FILE), "utf8")).to.not.include(oldKey);
  });
});
