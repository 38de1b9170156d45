import * as grpc from "@grpc/grpc-js";
import { checkServerIdentity as checkHostName, type PeerCertificate } from "node:tls";
import { hasIdentity, nodeNameIn, publicKeyDigest, type CertifiedKey, type Identity } from "./certificate-facts.js";
import { A_NODE_NOT_THE_LEADER } from "../unavailable-reason.js";
import { parseHostPort } from "../host-port.js";

/** The CA a peer trusts, and the certificate and key it presents. */
export interface TrustAndIdentity {
  ca: string;
  identity: CertifiedKey;
}

/**
 * Server credentials whose certificate can be replaced while the server runs (renewal): new connections get the
 * new one, open connections go on. With `requireClientCertificate` off, a client certificate is still asked for and
 * checked against the CA, but a client without one (the CLI) may connect: what each service demands is the
 * authorization interceptor's business. Until it has a certificate, the server drops every connection. (grpc-js's
 * own createCertificateProviderServerCredentials passes its two providers to the constructor swapped, in 1.14, and a
 * provider's first certificate can reach the server before the server watches for it: hence this small class.)
 */
export class RenewableServerCredentials extends grpc.ServerCredentials {
  constructor(requireClientCertificate: boolean, initial?: TrustAndIdentity) {
    super({ requestCert: true, rejectUnauthorized: requireClientCertificate }, initial && RenewableServerCredentials.contextOptions(initial));
  }

  renew(certificate: TrustAndIdentity): void {
    this.updateSecureContextOptions(RenewableServerCredentials.contextOptions(certificate));
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }

  private static contextOptions({ ca, identity }: TrustAndIdentity) {
    return { ca: Buffer.from(ca), cert: Buffer.from(identity.certificate), key: Buffer.from(identity.key) };
  }
}

/**
 * The CA and certificate a client presents, for grpc-js to read at each new connection: after a renewal, new
 * connections use the new certificate while open ones go on.
 */
export class ClientIdentity implements grpc.experimental.CertificateProvider {
  private readonly caListeners = new Set<grpc.experimental.CaCertificateUpdateListener>();
  private readonly identityListeners = new Set<grpc.experimental.IdentityCertificateUpdateListener>();

  constructor(
    private ca: string,
    private identity: CertifiedKey,
  ) {}

  update(identity: CertifiedKey): void {
    this.identity = identity;
    for (const listener of this.identityListeners) listener(this.identityUpdate());
  }

  addCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    this.caListeners.add(listener);
    listener({ caCertificate: Buffer.from(this.ca) });
  }

  removeCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: grpc.experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.add(listener);
    listener(this.identityUpdate());
  }

  removeIdentityCertificateListener(listener: grpc.experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.delete(listener);
  }

  private identityUpdate() {
    return { certificate: Buffer.from(this.identity.certificate), privateKey: Buffer.from(this.identity.key) };
  }
}

function describeIdentity(identity: Identity): string {
  return identity.role === "leader" ? "the cluster's leader" : `node ${identity.name}`;
}

/**
 * The server name every Cube client sends (SNI). Servers are dialed by IP address as often as not, and TLS has no
 * server name for those (Node warns); what a client checks is `serverIdentityCheck`, with the address it dialed.
 */
export const SERVER_NAME = "cube";

/**
 * Checks that the server is who we meant to reach (its chain is checked against the pinned CA before this): a
 * certificate of the cluster CA that speaks for `expected` (a node's certificate cannot pass for the leader's), and,
 * with `dialedHost`, one that covers the address dialed, as any TLS client would check.
 */
export function serverIdentityCheck(expected: Identity, dialedHost?: string, keyBound?: (keyDigest: string) => boolean) {
  return (_serverName: string, certificate: PeerCertificate): Error | undefined => {
    if (!hasIdentity(certificate.subjectaltname, expected)) {
      if (expected.role === "leader" && nodeNameIn(certificate.subjectaltname) !== undefined) return new Error(A_NODE_NOT_THE_LEADER);
      return new Error(`the server's certificate is from the cluster CA but is not ${describeIdentity(expected)}'s`);
    }
    // A leader's certificate (only a holder of the CA key makes one) speaks for its node whatever key it carries: a
    // leader serves its node with it, active or standing by.
    const leaderServed = expected.role === "node" && hasIdentity(certificate.subjectaltname, { role: "leader" });
    if (keyBound && !leaderServed && !keyBound(publicKeyDigest(certificate.raw))) {
      return new Error(`the server's certificate is ${describeIdentity(expected)}'s, but not for the key its name is bound to (a removed node's key?)`);
    }
    if (dialedHost === undefined) return undefined;
    const error = checkHostName(dialedHost, certificate);
    return error && new Error(`the leader's certificate does not cover the address ${dialedHost}: start the leader with --tls-san ${dialedHost}`);
  };
}

/** Credentials of a client that has no certificate of its own (the CLI): the pinned CA, and the leader's identity at `address`. */
export function leaderChannelCredentials(ca: string, address: string): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(Buffer.from(ca), null, null, { checkServerIdentity: serverIdentityCheck({ role: "leader" }, hostOf(address)) });
}

/**
 * Credentials of a client that presents its certificate (mutual TLS): a node to its leader (whose certificate must
 * cover `address`), the leader to a node (whose name and bound key are what count: the leader chose the address).
 */
export function mutualChannelCredentials(
  identity: ClientIdentity,
  expected: Identity,
  address: string,
  keyBound?: (keyDigest: string) => boolean,
): grpc.ChannelCredentials {
  return grpc.experimental.createCertificateProviderChannelCredentials(identity, identity, {
    checkServerIdentity: serverIdentityCheck(expected, expected.role === "leader" ? hostOf(address) : undefined, keyBound),
  });
}

function hostOf(address: string): string {
  return parseHostPort(address, "address").host;
}
