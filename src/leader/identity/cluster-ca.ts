import { join } from "node:path";
import { certificateDigest, publicKeyDigest, type CertifiedKey } from "../../shared/tls/certificate-facts.js";
import { loadIssuing } from "../../shared/tls/load-issuing.js";
import { IN_MEMORY } from "../../shared/open-database.js";
import { readIfExists, writeSecretFile } from "../../shared/secret-file.js";

/**
 * The cluster's certificate authority, created on the leader's first start and kept in its data directory (the key
 * readable by its owner only). It signs the leader's serving certificate and each node's.
 */
export class ClusterCa {
  readonly certificate: string;
  /** SHA-256 of the CA certificate (DER): what a full join token names, and the salt of the token's proof key. */
  readonly digest: Buffer;

  private constructor(private readonly ca: CertifiedKey) {
    this.certificate = ca.certificate;
    this.digest = certificateDigest(ca.certificate);
  }

  static async open(dataDir: string, now: Date): Promise<ClusterCa> {
    if (dataDir === IN_MEMORY) return new ClusterCa(await (await loadIssuing()).createClusterCa(now));
    const certificateFile = join(dataDir, "ca.pem");
    const keyFile = join(dataDir, "ca-key.pem");
    const certificate = readIfExists(certificateFile);
    const key = readIfExists(keyFile);
    if (certificate !== undefined && key !== undefined) return new ClusterCa({ certificate, key });
    if (certificate !== undefined || key !== undefined) {
      throw new Error(`${certificate === undefined ? certificateFile : keyFile} is missing while the other half of the cluster CA is there: restore it`);
    }
    const ca = await (await loadIssuing()).createClusterCa(now);
    writeSecretFile(keyFile, ca.key);
    writeSecretFile(certificateFile, ca.certificate);
    return new ClusterCa(ca);
  }

  /** The leader's certificate (a new key each time): the leader's identity and its own node's, for the hosts it is reached at. */
  async issueLeader(nodeName: string, hosts: string[], now: Date, lifetimeMs: number): Promise<CertifiedKey> {
    return (await loadIssuing()).issueWithNewKey({ ca: this.ca, identities: [{ role: "leader" }, { role: "node", name: nodeName }], hosts, now, lifetimeMs });
  }

  /** A node's certificate for the key of its request (checked to be the requester's); with the digest of that key. */
  async issueNode(name: string, requestPem: string, now: Date, lifetimeMs: number): Promise<{ certificate: string; keyDigest: string }> {
    const { requestedPublicKey, issueCertificate } = await loadIssuing();
    const publicKey = await requestedPublicKey(requestPem);
    const certificate = await issueCertificate({ ca: this.ca, publicKey, identities: [{ role: "node", name }], now, lifetimeMs });
    return { certificate, keyDigest: publicKeyDigest(certificate) };
  }
}
