import { rmSync } from "node:fs";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import { issuedBy, nodeNameIn, type CertifiedKey } from "../shared/tls/certificate-facts.js";
import { FirstContactError } from "../shared/tls/first-contact-error.js";
import { verifyLeader } from "../shared/tls/first-contact.js";
import { loadIssuing } from "../shared/tls/load-issuing.js";
import type { JoinToken } from "../shared/tls/join-token.js";
import { IN_MEMORY } from "../shared/open-database.js";
import { readIfExists, writeSecretFile } from "../shared/secret-file.js";

/**
 * A node's identity: its key (made once, kept: the leader binds the node's name to it), its certificate from the
 * leader, and the cluster CA it pinned at its first contact. Kept in the data directory (the key readable by its
 * owner only), so a restarted node is the same node with no token needed.
 */
export class NodeCertificate {
  private constructor(
    private readonly dataDir: string,
    private key: string | undefined,
    private certificate: string | undefined,
    private pinnedCa: string | undefined,
  ) {}

  static load(dataDir: string): NodeCertificate {
    if (dataDir === IN_MEMORY) return new NodeCertificate(dataDir, undefined, undefined, undefined);
    const file = (name: string) => readIfExists(join(dataDir, name));
    return new NodeCertificate(dataDir, file("node-key.pem"), file("node.pem"), file("trusted-ca.pem"));
  }

  /** The CA and certificate to use now, when the node has a certificate of its pinned CA, for `name`, valid at `now`. */
  usable(name: string, now: Date): { ca: string; identity: CertifiedKey } | undefined {
    const { key, certificate, pinnedCa } = this;
    if (!key || !certificate || !pinnedCa) return undefined;
    if (!issuedBy(certificate, pinnedCa, now) || nodeNameIn(new X509Certificate(certificate).subjectAltName) !== name) return undefined;
    return { ca: pinnedCa, identity: { certificate, key } };
  }

  get validity(): { from: Date; to: Date } | undefined {
    if (!this.certificate) return undefined;
    const certificate = new X509Certificate(this.certificate);
    return { from: new Date(certificate.validFrom), to: new Date(certificate.validTo) };
  }

  /**
   * Gets a certificate from the leader with the join token: verifies the leader first (pinning its CA once verified),
   * then proves our knowledge of the token and sends our key's request. A pinned CA must stay the leader's.
   */
  async obtain(leaderAddress: string, token: JoinToken, name: string): Promise<void> {
    const leader = await verifyLeader(leaderAddress, token);
    try {
      if (this.pinnedCa !== undefined && this.pinnedCa.trim() !== leader.caCertificate.trim()) {
        throw new FirstContactError(
          `the leader at ${leaderAddress} has another CA than the one this node pinned (${join(this.dataDir, "trusted-ca.pem")}): if the cluster was re-created, remove that file and the node's certificate`,
        );
      }
      this.save("trusted-ca.pem", (this.pinnedCa = leader.caCertificate));
      const { certificateRequest, createKeyAndRequest } = await loadIssuing();
      let request: string;
      if (this.key) request = await certificateRequest(this.key);
      else {
        const made = await createKeyAndRequest();
        this.save("node-key.pem", (this.key = made.key));
        request = made.request;
      }
      try {
        this.save("node.pem", (this.certificate = await leader.certify(name, request)));
      } catch (error) {
        throw new FirstContactError(`the leader at ${leaderAddress} refused to certify us: ${(error as Error).message}`, (error as FirstContactError).code);
      }
    } finally {
      leader.close();
    }
  }

  /** A request for a new certificate for our key (renewal). */
  async renewalRequest(): Promise<string> {
    return (await loadIssuing()).certificateRequest(this.key!);
  }

  renewed(certificate: string): void {
    this.save("node.pem", (this.certificate = certificate));
  }

  /**
   * The node was removed: its key is revoked, so the key and its certificate are deleted (a restarted node makes a
   * new key). The pinned CA stays: the cluster is the same.
   */
  forgetKey(): void {
    this.key = this.certificate = undefined;
    if (this.dataDir === IN_MEMORY) return;
    for (const file of ["node-key.pem", "node.pem"]) rmSync(join(this.dataDir, file), { force: true });
  }

  private save(file: string, content: string): void {
    if (this.dataDir !== IN_MEMORY) writeSecretFile(join(this.dataDir, file), content);
  }
}
