import { status } from "@grpc/grpc-js";
import { expect } from "chai";
import { describeError } from "../../src/cli/describe-error.js";

describe("describeError", () => {
  const serviceError = (code: status, details: string) => Object.assign(new Error(details), { code, details, metadata: {} });
  const verification = serviceError(
    status.UNAVAILABLE,
    "No connection established. Last error: Error: self-signed certificate in certificate chain. Resolution note: ",
  );
  const config = { leaderUrl: "10.0.0.1:4242", password: "p" };

  it("a leader that fails TLS verification against a pinned CA: remove the pinned file", () => {
    expect(describeError(verification, { path: "/home/u/.cube/config", value: config })).to.equal(
      "the leader at 10.0.0.1:4242 failed TLS verification (self-signed certificate in certificate chain): if the cluster was re-created, remove its pinned CA (/home/u/.cube/ca/10.0.0.1_4242.pem); otherwise something is in the middle",
    );
  });

  it("against the config's own CA: no file to remove, the config to replace", () => {
    expect(describeError(verification, { path: "/home/u/.cube/config", value: { ...config, ca: "-----BEGIN CERTIFICATE-----" } })).to.equal(
      'the leader at 10.0.0.1:4242 failed TLS verification (self-signed certificate in certificate chain): if the cluster was re-created, copy its new admin-config.json over /home/u/.cube/config (its "ca" is the old cluster\'s); otherwise something is in the middle',
    );
  });

  it("a stream the leader ended: said, apart from the CLI's own Ctrl-C", () => {
    expect(describeError(serviceError(status.UNAVAILABLE, "the leader is stopping"), { path: "c", value: config })).to.equal(
      "the leader at 10.0.0.1:4242 is stopping: the stream ended; run the command again once it is back",
    );
    expect(describeError(serviceError(status.CANCELLED, "Call cancelled"), { path: "c", value: config })).to.equal(
      "the leader at 10.0.0.1:4242 ended the stream (Call cancelled): it stopped or cut the connection; run the command again once it is back",
    );
  });
});
