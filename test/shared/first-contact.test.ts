import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Server } from "node:tls";
import { X509Certificate } from "node:crypto";
import { FakeRuntime } from "../../src/agent/testing/fake-runtime.js";
import { startLeader } from "../../src/leader/start-leader.js";
import { certificateDigest, issuedBy, nodeNameIn, sha256 } from "../../src/shared/certificate-facts.js";
import { createKeyAndRequest } from "../../src/shared/certificates.js";
import { FirstContactError } from "../../src/shared/first-contact-error.js";
import { UnverifiedConnection, verifyLeader } from "../../src/shared/first-contact.js";
import { CertifyRequest, CertifyResponse, IntroduceRequest, IntroduceResponse } from "../../src/gen/agent.js";
import { clientProof, newNonce, proofKey } from "../../src/shared/trust-proof.js";
import { formatHostPort } from "../../src/shared/host-port.js";
import { formatJoinToken } from "../../src/shared/join-token.js";
import type { RunningServer } from "../../src/shared/running-server.js";
import { inProcessLeaderConfig } from "../helpers/in-process-leader.js";
import { tempDir } from "../helpers/temp-dir.js";
import { startTlsRelay } from "../helpers/tls-relay.js";

/** The first contact against a real leader (in this process, on the fake runtime): what it proves, and what it refuses. */
describe("first contact with a leader", () => {
  const token = "first-contact-token-0123";
  const dir = tempDir("first-contact");
  let leader: RunningServer;
  let address: string;
  let relay: Server;

  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => expect.fail("the first contact succeeded"),
      (error: Error) => {
        expect(error).to.be.instanceOf(FirstContactError);
        return error.message;
      },
    );

  before(async () => {
    leader = await startLeader(inProcessLeaderConfig(token, { adminPassword: "admin-password-of-the-test" }), {
      runtime: new FakeRuntime(),
      writeLog: () => {},
    });
    address = formatHostPort(leader.address);
    relay = await startTlsRelay({ host: "127.0.0.1", port: 0 }, leader.address, join(dir.path, "relayed"));
  });
  after(async () => {
    relay.close();
    await leader.stop();
    dir.remove();
  });

  it("verifies a leader that knows the token, and gets a certificate naming the node for its own key", async () => {
    const verified = await verifyLeader(address, { secret: token });
    try {
      const { request } = await createKeyAndRequest();
      const certificate = await verified.certify("n1", request);
      expect(issuedBy(certificate, verified.caCertificate, new Date())).to.equal(true);
      expect(nodeNameIn(new X509Certificate(certificate).subjectAltName)).to.equal("n1");
    } finally {
      verified.close();
    }
  });

  it("refuses a leader that cannot prove it knows our token (or password): nothing of ours is revealed to it", async () => {
    expect(await failure(verifyLeader(address, { secret: "not-the-token-0123456" }))).to.match(
      /did not prove that it knows our token for the certificate we see: the token is wrong, or something in the middle/,
    );
    // The CLI's proof is for the admin password, not the join token.
    expect(await failure(verifyLeader(address, { secret: token }, { admin: true }))).to.match(/did not prove that it knows our password/);
    (await verifyLeader(address, { secret: "admin-password-of-the-test" }, { admin: true })).close();
  });

  it("with a full token, trusts only the CA it names", async () => {
    const verified = await verifyLeader(address, { secret: token });
    const caDigest = certificateDigest(verified.caCertificate);
    verified.close();
    (await verifyLeader(address, { secret: token, caDigest })).close();
    expect(formatJoinToken(token, caDigest)).to.equal(`CUBE1-${caDigest.toString("hex")}-${token}`);
    expect(await failure(verifyLeader(address, { secret: token, caDigest: sha256("another CA") }))).to.match(/has not the CA that the join token names/);
  });

  it("refuses a man in the middle with a certificate of its own, which sees the exchange but not the token", async () => {
    const relayed = `127.0.0.1:${(relay.address() as { port: number }).port}`;
    expect(await failure(verifyLeader(relayed, { secret: token }))).to.match(
      /refused: the certificate you see is not the leader's: something between you and the leader/,
    );
    const capture = join(dir.path, "relayed");
    expect(existsSync(capture), "the relay saw the exchange").to.equal(true);
    expect(readFileSync(capture).includes(token)).to.equal(false);
  });

  it("refuses a node's proof that is wrong, made for an introduction it did not get, or replayed", async () => {
    const connection = await UnverifiedConnection.open(address);
    try {
      const introduce = async () => {
        const clientNonce = newNonce();
        const answer = await connection.call("/cube.agent.v1.Cluster/Introduce", IntroduceRequest, IntroduceResponse, {
          clientNonce,
          certificateDigest: connection.certificateDigest,
          admin: false,
        });
        const caDigest = certificateDigest(answer.caCertificate);
        const inputs = { clientNonce, serverNonce: Buffer.from(answer.serverNonce), certificateDigest: connection.certificateDigest, caDigest };
        return { inputs, proof: clientProof(await proofKey(token, caDigest), inputs) };
      };
      const { request } = await createKeyAndRequest();
      const certify = (inputs: { clientNonce: Buffer; serverNonce: Buffer }, proof: Buffer) =>
        connection
          .call("/cube.agent.v1.Cluster/Certify", CertifyRequest, CertifyResponse, {
            nodeName: "n4",
            certificateRequest: request,
            ...inputs,
            clientProof: proof,
          })
          .then(
            () => "certified",
            (error: FirstContactError) => error.message,
          );
      const wrong = await introduce();
      expect(await certify(wrong.inputs, clientProof(await proofKey("a-guessed-token-0123", wrong.inputs.caDigest), wrong.inputs))).to.equal(
        "wrong join token",
      );
      // The introduction was used up by that failed attempt: the right proof for it no longer counts.
      expect(await certify(wrong.inputs, wrong.proof)).to.equal("no introduction of ours matches: call Introduce first, on the same connection");
      expect(await certify({ clientNonce: newNonce(), serverNonce: newNonce() }, wrong.proof)).to.match(/^no introduction of ours matches/);
      const right = await introduce();
      expect(await certify(right.inputs, right.proof)).to.equal("certified");
      expect(await certify(right.inputs, right.proof)).to.match(/^no introduction of ours matches/);
    } finally {
      connection.close();
    }
  });

  it("keeps a node's name for the key that first took it", async () => {
    const certify = async (name: string, request: string) => {
      const verified = await verifyLeader(address, { secret: token });
      try {
        return await verified.certify(name, request);
      } finally {
        verified.close();
      }
    };
    const first = await createKeyAndRequest();
    await certify("n2", first.request);
    await certify("n2", first.request);
    const other = await createKeyAndRequest();
    expect(await failure(certify("n2", other.request))).to.match(/node name "n2" belongs to another machine's key .* `cube node rm n2`/);
    await certify("n3", other.request);
  });
});
