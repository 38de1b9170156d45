import { createHash, X509Certificate } from "node:crypto";
import { isIP } from "node:net";

// What Cube reads from certificates, with node:crypto alone (the issuing side, in certificates.ts, loads more).

/** A certificate and its private key, both PEM. */
export interface CertifiedKey {
  certificate: string;
  key: string;
}

/** Who a certificate speaks for: the leader, or one node by name. The leader's own certificate names its node too. */
export type Identity = { role: "leader" } | { role: "node"; name: string };

const LEADER_URI = "urn:cube:leader";
const NODE_URI_PREFIX = "urn:cube:node:";

export function identityUri(identity: Identity): string {
  return identity.role === "leader" ? LEADER_URI : NODE_URI_PREFIX + identity.name;
}

/** The identities a certificate carries, read from its subjectAltName as Node prints it ("URI:urn:cube:leader, IP Address:…"). */
export function identitiesIn(subjectAltName: string | undefined): Identity[] {
  return (subjectAltName ?? "")
    .split(", ")
    .filter((entry) => entry.startsWith("URI:"))
    .map((entry) => entry.slice("URI:".length))
    .flatMap((uri): Identity[] => {
      if (uri === LEADER_URI) return [{ role: "leader" }];
      if (uri.startsWith(NODE_URI_PREFIX)) return [{ role: "node", name: uri.slice(NODE_URI_PREFIX.length) }];
      return [];
    });
}

export function hasIdentity(subjectAltName: string | undefined, wanted: Identity): boolean {
  return identitiesIn(subjectAltName).some((identity) => identityUri(identity) === identityUri(wanted));
}

/** The name a node certificate speaks for (a leader's certificate names the leader's node too). */
export function nodeNameIn(subjectAltName: string | undefined): string | undefined {
  for (const identity of identitiesIn(subjectAltName)) if (identity.role === "node") return identity.name;
  return undefined;
}

export function sha256(data: Buffer | string): Buffer {
  return createHash("sha256").update(data).digest();
}

/** SHA-256 of a certificate's DER form, as TLS peers see it. */
export function certificateDigest(certificatePem: string): Buffer {
  return sha256(new X509Certificate(certificatePem).raw);
}

/** SHA-256 of a certificate's public key (SubjectPublicKeyInfo): what a node's identity is bound to. */
export function publicKeyDigest(certificate: string | Buffer): string {
  return sha256(new X509Certificate(certificate).publicKey.export({ type: "spki", format: "der" })).toString("hex");
}

/** Whether `certificatePem` was signed by the CA in `caPem` and is valid at `now`. */
export function issuedBy(certificatePem: string, caPem: string, now: Date): boolean {
  const certificate = new X509Certificate(certificatePem);
  const ca = new X509Certificate(caPem);
  return certificate.checkIssued(ca) && certificate.verify(ca.publicKey) && new Date(certificate.validFrom) <= now && now < new Date(certificate.validTo);
}

/**
 * Whether a certificate names exactly these identities and hosts (each IP address or host name among its
 * subjectAltNames, and nothing more): a stored certificate is reused only then.
 */
export function namesExactly(certificatePem: string, identities: Identity[], hosts: string[]): boolean {
  const certificate = new X509Certificate(certificatePem);
  const entries = (certificate.subjectAltName ?? "").split(", ").filter(Boolean);
  const unique = [...new Set(hosts)];
  return (
    entries.length === identities.length + unique.length &&
    identities.every((identity) => hasIdentity(certificate.subjectAltName, identity)) &&
    unique.every((host) => (isIP(host) ? certificate.checkIP(host) : certificate.checkHost(host)) !== undefined)
  );
}
