import * as grpc from "@grpc/grpc-js";
import type { CertifiedKey, Identity } from "./certificate-facts.js";
import { serverIdentityCheck } from "./server-identity.js";
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
