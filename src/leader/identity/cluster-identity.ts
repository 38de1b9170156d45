import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import type { Clock } from "../../shared/clock.js";
import { formatJoinToken } from "../../shared/tls/join-token.js";
import type { Logger } from "../../shared/logger.js";
import { IN_MEMORY } from "../../shared/open-database.js";
import { writeSecretFile } from "../../shared/secret-file.js";
import { certificateWarnings } from "./certificate-warnings.js";
import type { ClusterCa } from "./cluster-ca.js";
import { makeSecret, SECRET_FILES } from "./leader-secrets.js";
import type { NodeKeys } from "./node-keys.js";

/**
 * Who may join the cluster: the join token (which `cube token rotate` replaces), the nodes waiting for an admin's
 * approval, and when the cluster's certificates end. One place for the admin's identity calls and the first contact.
 */
export class ClusterIdentity {
  /** When the cluster's CA ends (every certificate of the cluster with it): read once, `cube nodes` shows it each time. */
  readonly caExpiresAt: Date;

  constructor(
    private token: string,
    private readonly keys: NodeKeys,
    private readonly ca: ClusterCa,
    private readonly dataDir: string,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Lifetime of the certificates the leader issues. */
    private readonly certificateLifetimeMs: number,
  ) {
    this.caExpiresAt = new Date(new X509Certificate(ca.certificate).validTo);
  }

  /** The join token's secret now. */
  get joinToken(): string {
    return this.token;
  }

  /** A new join token, in effect at once and kept for the next start; its full form, and where it is kept. */
  rotateToken(): { joinToken: string; file: string } {
    this.token = makeSecret();
    const joinToken = formatJoinToken(this.token, this.ca.digest);
    const file = join(this.dataDir, SECRET_FILES.joinToken);
    if (this.dataDir !== IN_MEMORY) writeSecretFile(file, `${joinToken}\n`);
    this.log.info(`join token rotated: the old one admits no new node; the new one is in ${file}`);
    return { joinToken, file };
  }

  async approve(name: string): Promise<boolean> {
    const approved = await this.keys.approve(name, new Date(this.clock.now()));
    if (approved) this.log.info(`node ${name} approved by an admin: it may join`);
    return approved;
  }

  isApproved(name: string): boolean {
    return this.keys.isApproved(name);
  }

  /** The nodes that wait for an admin's approval. */
  pending(): { name: string; since: Date }[] {
    return this.keys.pending();
  }

  certificateEnds(): Map<string, Date> {
    return this.keys.certificateEnds();
  }

  /** The CA near its end, or a node not renewing its certificate: for `cube nodes` and the log. */
  warnings(): string[] {
    const ends = new Map([...this.keys.certificateEnds()].map(([name, end]) => [name, end.getTime()]));
    return certificateWarnings(this.clock.now(), this.caExpiresAt.getTime(), ends, this.certificateLifetimeMs);
  }
}
