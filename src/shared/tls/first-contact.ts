import { connect, constants, type ClientHttp2Session } from "node:http2";
import type { TLSSocket } from "node:tls";
import { X509Certificate } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { CertifyRequest, CertifyResponse, IntroduceRequest, IntroduceResponse } from "../../gen/agent.js";
import { certificateDigest, hasIdentity, issuedBy, sha256 } from "./certificate-facts.js";
import { FirstContactError } from "./first-contact-error.js";
import { SERVER_NAME } from "./server-identity.js";
import type { JoinToken } from "./join-token.js";
import { clientProof, InvalidShare, newNonce, proofsMatch, serverProof, sessionKey, startExchange } from "./trust-proof.js";

const CALL_TIMEOUT_MS = 10_000;

/** Message codecs as ts-proto generates them. */
interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

/**
 * A TLS connection that trusts nothing yet, over which we make plain gRPC calls by hand (HTTP/2, length-prefixed
 * messages): grpc-js does not tell which certificate a call's connection presented, and the proofs are bound to it.
 */
export class UnverifiedConnection {
  private constructor(
    private readonly session: ClientHttp2Session,
    /** The certificate this very connection presented (a relay's, if one sits in the middle). */
    readonly certificate: X509Certificate,
  ) {}

  static open(address: string): Promise<UnverifiedConnection> {
    return new Promise((resolve, reject) => {
      // Nothing is trusted here: what the peer is, its proof decides.
      const session = connect(`https://${address}`, { rejectUnauthorized: false, servername: SERVER_NAME });
      const timer = setTimeout(() => fail(new Error("no answer in time")), CALL_TIMEOUT_MS);
      const fail = (error: Error) => {
        clearTimeout(timer);
        session.destroy();
        reject(new FirstContactError(`cannot reach the leader at ${address} (${error.message})`, grpc.status.UNAVAILABLE));
      };
      session.once("error", fail);
      session.once("connect", () => {
        clearTimeout(timer);
        session.off("error", fail);
        session.on("error", () => undefined);
        const raw = (session.socket as TLSSocket).getPeerCertificate().raw;
        if (!raw) return fail(new Error("the server presented no certificate"));
        resolve(new UnverifiedConnection(session, new X509Certificate(raw)));
      });
    });
  }

  get certificateDigest(): Buffer {
    return sha256(this.certificate.raw);
  }

  call<Request, Response>(path: string, requestCodec: Codec<Request>, responseCodec: Codec<Response>, request: Request): Promise<Response> {
    const body = requestCodec.encode(request).finish();
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    frame.set(body, 5);
    return new Promise((resolve, reject) => {
      const stream = this.session.request({
        [constants.HTTP2_HEADER_METHOD]: "POST",
        [constants.HTTP2_HEADER_PATH]: path,
        [constants.HTTP2_HEADER_CONTENT_TYPE]: "application/grpc",
        te: "trailers",
      });
      stream.setTimeout(CALL_TIMEOUT_MS, () => stream.close(constants.NGHTTP2_CANCEL));
      const chunks: Buffer[] = [];
      let status: { code: number; message: string } | undefined;
      const readStatus = (headers: Record<string, unknown>) => {
        if (headers["grpc-status"] !== undefined) {
          status = { code: Number(headers["grpc-status"]), message: decodeURIComponent(String(headers["grpc-message"] ?? "")) };
        }
      };
      stream.on("response", readStatus);
      stream.on("trailers", readStatus);
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", (error) => reject(new FirstContactError(error.message, grpc.status.UNAVAILABLE)));
      stream.on("close", () => {
        if (!status) return reject(new FirstContactError("the call ended without a status", grpc.status.UNAVAILABLE));
        if (status.code !== grpc.status.OK) return reject(new FirstContactError(status.message, status.code, true));
        const data = Buffer.concat(chunks);
        if (data.length < 5 || data.length !== 5 + data.readUInt32BE(1)) return reject(new FirstContactError("malformed answer", grpc.status.INTERNAL));
        resolve(responseCodec.decode(data.subarray(5)));
      });
      stream.end(frame);
    });
  }

  close(): void {
    this.session.close();
  }
}

/** A leader we have verified on an open connection: its CA may be pinned, and we may prove ourselves to it. */
export interface VerifiedLeader {
  caCertificate: string;
  /** Asks for a certificate naming this node for the key of `certificateRequest`; proves our knowledge of the token. */
  certify(nodeName: string, certificateRequest: string): Promise<string>;
  close(): void;
}

/**
 * Reaches the leader at `address` trusting nothing, and verifies it before anything else is said: with a full token,
 * its CA must be the one the token names; with a plain token, it must prove, over this very connection, that it
 * knows the token (or, for the CLI, the admin password). Either way the certificate it presents must be its CA's leader certificate. Only our nonce and
 * the digest of the certificate we see are sent before then.
 */
export async function verifyLeader(address: string, token: JoinToken, options: { admin?: boolean; now?: Date } = {}): Promise<VerifiedLeader> {
  const { admin = false, now = new Date() } = options;
  const connection = await UnverifiedConnection.open(address).catch((error: unknown) => Promise.reject(explainRefusal(error, address)));
  try {
    const clientNonce = newNonce();
    const seenDigest = connection.certificateDigest;
    const exchange = startExchange(token.secret, admin ? "admin" : "join", clientNonce, seenDigest);
    const introduction = await connection.call("/cube.agent.v1.Cluster/Introduce", IntroduceRequest, IntroduceResponse, {
      clientNonce,
      certificateDigest: seenDigest,
      admin,
      clientShare: exchange.share,
    });
    const caCertificate = introduction.caCertificate;
    let caDigest: Buffer;
    try {
      caDigest = certificateDigest(caCertificate);
    } catch {
      throw new FirstContactError(`${address} sent no valid CA certificate: it is not a Cube leader`);
    }
    if (token.caDigest && !token.caDigest.equals(caDigest)) {
      throw new FirstContactError(`the leader at ${address} has not the CA that the join token names: a different cluster, or someone in the middle`);
    }
    const leaf = connection.certificate.toString();
    if (!issuedBy(leaf, caCertificate, now) || !hasIdentity(connection.certificate.subjectAltName, { role: "leader" })) {
      throw new FirstContactError(`the certificate presented at ${address} is not the leader certificate of the CA it sent: someone in the middle`);
    }
    const serverNonce = Buffer.from(introduction.serverNonce);
    const what = admin ? "password" : "token";
    const refused = () =>
      new FirstContactError(
        `the leader at ${address} did not prove that it knows our ${what} for the certificate we see: the ${what} is wrong, or something in the middle presents its own certificate`,
      );
    let key: Buffer;
    try {
      key = sessionKey(exchange.scalar, introduction.serverShare, {
        clientNonce,
        serverNonce,
        clientShare: exchange.share,
        serverShare: Buffer.from(introduction.serverShare),
        certificateDigest: seenDigest,
        caDigest,
      });
    } catch (error) {
      if (error instanceof InvalidShare) throw refused();
      throw error;
    }
    if (!proofsMatch(Buffer.from(introduction.serverProof), serverProof(key))) throw refused();
    return {
      caCertificate,
      certify: async (nodeName, certificateRequest) => {
        const response = await connection.call("/cube.agent.v1.Cluster/Certify", CertifyRequest, CertifyResponse, {
          nodeName,
          certificateRequest,
          clientNonce,
          serverNonce,
          clientProof: clientProof(key),
        });
        return response.certificate;
      },
      close: () => connection.close(),
    };
  } catch (error) {
    connection.close();
    throw explainRefusal(error, address);
  }
}

/**
 * A first contact the server ended with a status: the leader's own refusals as they are; a server that is not a
 * leader (a follower has no first contact to offer) named as such; anything else (an impostor's words, a proxy's)
 * said to come from a server that could not prove it is the leader, with what to check.
 */
function explainRefusal(error: unknown, address: string): unknown {
  if (!(error instanceof FirstContactError)) return error;
  // A follower asks every caller for a node's certificate, and its TLS says so in an alert.
  if (/certificate required/i.test(error.message)) {
    return new FirstContactError(
      `the server at ${address} asks for a node's certificate: it is a follower (or a leader standing by), not the active leader; point at the leader's address`,
    );
  }
  if (!error.answered || error.code === undefined) return error;
  switch (error.code) {
    case grpc.status.FAILED_PRECONDITION:
      return new FirstContactError(`the leader at ${address} refused: ${error.message}`, error.code);
    case grpc.status.RESOURCE_EXHAUSTED:
      return new FirstContactError(`the leader at ${address} refused: ${error.message}`, error.code);
    case grpc.status.UNIMPLEMENTED:
      return new FirstContactError(
        `the server at ${address} offers no first contact: it is a follower, or not a Cube leader; point at the leader's address`,
        error.code,
      );
    default:
      return new FirstContactError(
        `the server at ${address} did not complete the first contact (it answered ${grpc.status[error.code]}: ${error.message || "nothing more"}): it could not prove that it is the leader; check the leader's address, and that it is Cube's`,
        error.code,
      );
  }
}
