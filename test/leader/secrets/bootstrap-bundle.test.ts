import { expect } from "chai";
import { openBootstrap, sealBootstrap } from "../../../src/leader/secrets/bootstrap-bundle.js";

const files = { "ca.pem": "-----BEGIN CERTIFICATE-----\n…", "ca-key.pem": "-----BEGIN PRIVATE KEY-----\n…", "secrets.key": '{"primary":"…"}' };
const token = "a-join-token-of-32-random-chars-x";

describe("the bootstrap bundle (what every leader holds alike, sealed under the join token)", () => {
  it("opens with the token it was sealed under, giving the files back", () => {
    expect(openBootstrap(sealBootstrap(files, token), token)).to.deep.equal(files);
  });

  it("holds none of the files in clear, and differs at each seal (a fresh salt and nonce)", () => {
    const [one, two] = [sealBootstrap(files, token), sealBootstrap(files, token)];
    expect(one).to.not.equal(two);
    for (const contents of Object.values(files)) expect(one).to.not.include(contents.slice(0, 20));
  });

  it("does not open with another token, nor once altered, saying what to do", () => {
    const sealed = sealBootstrap(files, token);
    expect(() => openBootstrap(sealed, `${token}y`)).to.throw(
      "the store's bootstrap bundle does not open with this join token: give the token of the first leader (--token-file)",
    );
    const altered = JSON.parse(sealed) as { body: string };
    const body = Buffer.from(altered.body, "base64");
    body[0] ^= 1;
    expect(() => openBootstrap(JSON.stringify({ ...altered, body: body.toString("base64") }), token)).to.throw(/does not open with this join token/);
    expect(() => openBootstrap("not json", token)).to.throw("the store's bootstrap bundle is not one Cube writes (not JSON)");
  });
});
