import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Server } from "node:tls";
import { createHmac, scrypt, X509Certificate } from "node:crypto";
import { FakeRuntime } from "../../../src/agent/testing/fake-runtime.js";
import { startLeader } from "../../../src/leader/start-leader.js";
import { certificateDigest, issuedBy, nodeNameIn, sha256 } from "../../../src/shared/tls/certificate-facts.js";
import { createKeyAndRequest } from "../../../src/shared/tls/certificates.js";
import { FirstContactError } from "../../../src/shared/tls/first-contact-error.js";
import { UnverifiedConnection, verifyLeader } from "../../../src/shared/tls/first-contact.js";
import { CertifyRequest, CertifyResponse, IntroduceRequest, IntroduceResponse } from "../../../src/gen/agent.js";
import { clientProof, newNonce, proofsMatch, serverProof, sessionKey, startExchange } from "../../../src/shared/tls/trust-proof.js";
import { formatHostPort } from "../../../src/shared/host-port.js";
import { formatJoinToken } from "../../../src/shared/tls/join-token.js";
import type { RunningServer } from "../../../src/shared/running-server.js";
import { inProcessLeaderConfig } from "../../helpers/in-process-leader.js";
import { tempDir } from "../../helpers/temp-dir.js";
import { startTlsRelay } from "../../helpers/tls-relay.js";

/** The first contact against a real leader (in this process, on the fake runtime): what it proves, and what it refuses. */
describe("first contact with a leader", () => {
  const token = "first-contact-token-0123";
  const dir = tempDir("first-contact");
  let leader: RunningServer;
  let address: string;
  let relay: Server;
  const leaderLog: string[] = [];

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
      writeLog: (line) => leaderLog.push(line),
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

  /** An introduction on `connection` made with `secret`: what crossed the wire, and the key the caller derived. */
  const introduce = async (connection: UnverifiedConnection, secret: string) => {
    const clientNonce = newNonce();
    const exchange = startExchange(secret, "join", clientNonce, connection.certificateDigest);
    const answer = await connection.call("/cube.agent.v1.Cluster/Introduce", IntroduceRequest, IntroduceResponse, {
      clientNonce,
      certificateDigest: connection.certificateDigest,
      admin: false,
      clientShare: exchange.share,
    });
    const transcript = {
      clientNonce,
      serverNonce: Buffer.from(answer.serverNonce),
      clientShare: exchange.share,
      serverShare: Buffer.from(answer.serverShare),
      certificateDigest: connection.certificateDigest,
      caDigest: certificateDigest(answer.caCertificate),
    };
    const key = sessionKey(exchange.scalar, answer.serverShare, transcript);
    return {
      transcript,
      serverProof: Buffer.from(answer.serverProof),
      key,
      inputs: { clientNonce, serverNonce: transcript.serverNonce },
      proof: clientProof(key),
    };
  };

  it("refuses a node's proof that is wrong, made for an introduction it did not get, or replayed", async () => {
    const connection = await UnverifiedConnection.open(address);
    try {
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
      const wrong = await introduce(connection, "a-guessed-token-0123");
      expect(await certify(wrong.inputs, wrong.proof)).to.equal("wrong join token");
      // The introduction was used up by that failed attempt.
      expect(await certify(wrong.inputs, wrong.proof)).to.equal("no introduction of ours matches: call Introduce first, on the same connection");
      const right = await introduce(connection, token);
      expect(await certify({ clientNonce: newNonce(), serverNonce: newNonce() }, right.proof)).to.match(/^no introduction of ours matches/);
      expect(await certify(right.inputs, right.proof)).to.equal("certified");
      expect(await certify(right.inputs, right.proof)).to.match(/^no introduction of ours matches/);
    } finally {
      connection.close();
    }
  });

  it("gives whoever records or asks for exchanges nothing to test guesses against offline: one guess per live exchange", async () => {
    // The token's words are in the attacker's dictionary.
    const dictionary = ["123456", "password", "kubernetes-admin", "first-contact-token-0122", token, "letmein-letmein-0123"];
    /**
     * Every check an attacker can make of a candidate against a transcript without the scalars: the leader's proof as
     * a key derived from the candidate alone would give it (scrypt, then HMAC: the scheme before CPace), and as an
     * exchange made anew with the candidate would.
     */
    const offlineMatches = async (recorded: Awaited<ReturnType<typeof introduce>>) => {
      const found: string[] = [];
      for (const candidate of dictionary) {
        const { clientNonce, serverNonce, certificateDigest: digest, caDigest } = recorded.transcript;
        const derived = await new Promise<Buffer>((resolve, reject) =>
          scrypt(candidate, caDigest, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 << 20 }, (error, key) => (error ? reject(error) : resolve(key))),
        );
        const asBefore = createHmac("sha256", derived).update("cube/server").update(clientNonce).update(serverNonce).update(digest).update(caDigest).digest();
        const anew = startExchange(candidate, "join", clientNonce, digest);
        const asExchange = serverProof(sessionKey(anew.scalar, recorded.transcript.serverShare, recorded.transcript));
        if (proofsMatch(asBefore, recorded.serverProof) || proofsMatch(asExchange, recorded.serverProof)) found.push(candidate);
      }
      return found;
    };
    const connection = await UnverifiedConnection.open(address);
    try {
      // Recorded: a node's exchange with the right token (in the middle, or by whoever holds a copy of it).
      const recorded = await introduce(connection, token);
      expect(proofsMatch(recorded.serverProof, serverProof(recorded.key)), "the node accepts the leader").to.equal(true);
      expect(await offlineMatches(recorded)).to.deep.equal([]);
      // Asked for: an attacker's own exchange, made with a guess. Its one guess is checked; no other word can be.
      const asked = await introduce(connection, "password");
      expect(proofsMatch(asked.serverProof, serverProof(asked.key)), "its own guess").to.equal(false);
      expect(await offlineMatches(asked)).to.deep.equal([]);
      // The live guess does work when it is right: one word per exchange, and exchanges are counted per address.
      const lucky = await introduce(connection, token);
      expect(proofsMatch(lucky.serverProof, serverProof(lucky.key))).to.equal(true);
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

  // Last: it leaves this address refused for a minute.
  it("counts first contacts per address: past 30 a minute, refused for a while, and said once in the log", async () => {
    const connection = await UnverifiedConnection.open(address);
    const outcomes: string[] = [];
    try {
      for (let i = 0; i < 35; i++)
        outcomes.push(
          await introduce(connection, "guess-" + i).then(
            () => "answered",
            (error: Error) => error.message,
          ),
        );
    } finally {
      connection.close();
    }
    expect(outcomes.filter((outcome) => outcome === "answered").length).to.be.at.most(30);
    expect(outcomes.at(-1)).to.match(/^too many first contacts from your address: try again in \d+s$/);
    expect(leaderLog.filter((line) => line.includes("too many first contacts from 127.0.0.1"))).to.have.length(1);
  });
});
