// reflect-metadata must be loaded before @peculiar/x509 (its dependency injection needs it at import).
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { randomBytes, webcrypto } from "node:crypto";
import { isIP } from "node:net";
import { identityUri, type CertifiedKey, type Identity } from "./certificate-facts.js";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-256" };
const CA_LIFETIME_MS = 10 * 365 * 24 * 3600 * 1000;
/**
 * Certificates start a little in the past, so that a peer whose clock is slightly behind accepts them: 5 minutes, or a
 * tenth of a short lifetime (renewal is timed from the start, so the backdating must stay a small part of it).
 */
function backdate(lifetimeMs: number): number {
  return Math.min(5 * 60 * 1000, lifetimeMs / 10);
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
}

async function exportKey(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

async function importKeys(keyPem: string): Promise<CryptoKeyPair> {
  const privateKey = await webcrypto.subtle.importKey("pkcs8", x509.PemConverter.decodeFirst(keyPem), KEY_ALGORITHM, true, ["sign"]);
  // The public half, from the private key's JWK (d removed).
  const { d: _d, ...jwk } = await webcrypto.subtle.exportKey("jwk", privateKey);
  const publicKey = await webcrypto.subtle.importKey("jwk", { ...jwk, key_ops: ["verify"] }, KEY_ALGORITHM, true, ["verify"]);
  return { privateKey, publicKey } as CryptoKeyPair;
}

function serialNumber(): string {
  // Positive: the high bit of the first byte clear.
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString("hex");
}

/** A new cluster CA (ECDSA P-256, ten years). */
export async function createClusterCa(now: Date): Promise<CertifiedKey> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: "CN=Cube cluster CA",
    notBefore: new Date(now.getTime() - backdate(CA_LIFETIME_MS)),
    notAfter: new Date(now.getTime() + CA_LIFETIME_MS),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate: certificate.toString("pem"), key: await exportKey(keys.privateKey) };
}

/** A new private key (PEM) and a certificate request for it. */
export async function createKeyAndRequest(): Promise<{ key: string; request: string }> {
  const keys = await generateKeys();
  return { key: await exportKey(keys.privateKey), request: await certificateRequestFor(keys) };
}

/** A certificate request for a key we already have (renewal keeps the node's key: its identity is bound to it). */
export async function certificateRequest(keyPem: string): Promise<string> {
  return certificateRequestFor(await importKeys(keyPem));
}

async function certificateRequestFor(keys: CryptoKeyPair): Promise<string> {
  const request = await x509.Pkcs10CertificateRequestGenerator.create({ name: "CN=cube-node", keys, signingAlgorithm: SIGNING_ALGORITHM });
  return request.toString("pem");
}

/** The public key of a certificate request, once its signature shows the requester holds the private key; throws otherwise. */
export async function requestedPublicKey(requestPem: string): Promise<x509.PublicKey> {
  let request: x509.Pkcs10CertificateRequest;
  try {
    request = new x509.Pkcs10CertificateRequest(requestPem);
  } catch {
    throw new Error("the certificate request is not a PEM PKCS#10 request");
  }
  if (!(await request.verify())) throw new Error("the certificate request's signature does not match its key");
  return request.publicKey;
}

export interface IssueOptions {
  ca: CertifiedKey;
  publicKey: x509.PublicKey | CryptoKey;
  identities: Identity[];
  /** Extra subjectAltNames: host names and IP addresses the holder is reached at. */
  hosts?: string[];
  now: Date;
  lifetimeMs: number;
}

/** A certificate signed by the cluster CA, for TLS servers and clients alike, carrying its holder's identities. */
export async function issueCertificate(options: IssueOptions): Promise<string> {
  const { ca, now } = options;
  const caCertificate = new x509.X509Certificate(ca.certificate);
  const caKeys = await importKeys(ca.key);
  const names: x509.JsonGeneralName[] = [
    ...options.identities.map((identity) => ({ type: "url" as const, value: identityUri(identity) })),
    ...[...new Set(options.hosts ?? [])].map((host) => ({ type: isIP(host) ? ("ip" as const) : ("dns" as const), value: host })),
  ];
  const first = options.identities[0];
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${first.role === "leader" ? "cube-leader" : first.name}`,
    issuer: caCertificate.subject,
    notBefore: new Date(now.getTime() - backdate(options.lifetimeMs)),
    notAfter: new Date(now.getTime() + options.lifetimeMs),
    publicKey: options.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(caCertificate),
    ],
  });
  return certificate.toString("pem");
}

/** A certificate with a key of its own (the leader's serving certificate, made at each start). */
export async function issueWithNewKey(options: Omit<IssueOptions, "publicKey">): Promise<CertifiedKey> {
  const keys = await generateKeys();
  return { certificate: await issueCertificate({ ...options, publicKey: keys.publicKey }), key: await exportKey(keys.privateKey) };
}
